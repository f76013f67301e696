/* fuzz_infer_run.c -- format inference on hostile messages. The input is a
 * list of messages, each a length byte then that many bytes; the first byte
 * picks the ports and whether checksums are searched. Every boundary must
 * lie strictly inside its message, in increasing order, and every type's
 * fields must be ordered and inside its longest message. */
#include <stdlib.h>
#include <string.h>
#include <trawl/infer.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    uint8_t mode = data[0];
    data++;
    size--;
    trawl_infer_msg m[64];
    size_t n = 0, o = 0;
    while (o < size && n < 64) {
        size_t len = data[o++];
        if (len > size - o)
            len = size - o;
        memset(&m[n], 0, sizeof m[n]);
        m[n].data = (trawl_span){data + o, len};
        m[n].src_port = (uint16_t)((mode & 1) ? 1000 + n % 3 : 0);
        m[n].dst_port = (uint16_t)((mode & 1) ? 502 : 0);
        m[n].flow = (uint32_t)(n % 3);
        m[n].ts = (mode & 2) ? 1700000000.0 + (double)n : 0;
        n++;
        o += len;
    }
    trawl_infer_opts opts = {.no_checksums = (mode & 4) != 0,
                             .no_types = (mode & 8) != 0,
                             .max_prefix = (mode & 16) ? 8 : 0};
    trawl_infer_result *r;
    if (trawl_infer_run(m, n, &opts, &r, NULL) != TRAWL_OK)
        return 0;
    for (size_t i = 0; i < n; i++) {
        size_t nb;
        const uint32_t *sig;
        const uint32_t *b = trawl_infer_msg_bounds(r, i, &nb, &sig);
        for (size_t k = 0; k < nb; k++)
            if (b[k] == 0 || b[k] >= m[i].data.len || (k && b[k] <= b[k - 1]))
                __builtin_trap();
        int t = trawl_infer_msg_type(r, i);
        if (t < 0 || (size_t)t >= trawl_infer_type_count(r))
            __builtin_trap();
    }
    for (size_t t = 0; t < trawl_infer_type_count(r); t++) {
        const trawl_infer_type *ty = trawl_infer_type_get(r, t);
        for (size_t k = 0; k < ty->n_fields; k++) {
            const trawl_infer_field *f = &ty->fields[k];
            if (f->offset + f->size > ty->max_len || (k && f->offset <= ty->fields[k - 1].offset))
                __builtin_trap();
        }
    }
    trawl_infer_result_free(r);
    return 0;
}
