/* fuzz_infer_input.c -- the message text reader of `trawl infer` (hex lines
 * and JSON lines) on hostile text: it parses or fails with a line number,
 * and every message it returns lies inside its own byte buffer and carries
 * no more bytes than half the text. */
#include <stdlib.h>
#include <string.h>
#include <trawl/infer.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    trawl_infer_input *in;
    trawl_error err;
    trawl_error_clear(&err);
    trawl_status st = trawl_infer_input_parse((const char *)data, size, &in, &err);
    if (st != TRAWL_OK) {
        if (st == TRAWL_EFORMAT && err.line < 1)
            __builtin_trap();
        return 0;
    }
    size_t n, total = 0;
    const trawl_infer_msg *m = trawl_infer_input_msgs(in, &n);
    for (size_t i = 0; i < n; i++) {
        total += m[i].data.len;
        for (size_t k = 0; k < m[i].data.len; k++)
            (void)*(volatile const uint8_t *)&m[i].data.ptr[k];
    }
    if (total > size / 2)
        __builtin_trap();
    trawl_infer_input_free(in);
    return 0;
}
