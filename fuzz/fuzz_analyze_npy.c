/* fuzz_analyze_npy.c -- the .npy reader on hostile bytes. A parsed matrix
 * must be exactly the shape's size, and an error must say where. */
#include <stdlib.h>
#include <string.h>

#include <trawl/analyze.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    trawl_analyze_matrix m;
    trawl_error err;
    trawl_error_clear(&err);
    trawl_status st = trawl_analyze_parse_npy(data, size, &m, &err);
    if (st == TRAWL_OK) {
        /* every value was read from inside the input: touch them all */
        volatile double s = 0;
        for (size_t i = 0; i < m.rows * m.cols; i++)
            s += m.data[i];
        (void)s;
        trawl_analyze_matrix_free(&m);
    } else if (m.data || (st != TRAWL_ENOMEM && st != TRAWL_ELIMIT && err.offset < 0) ||
               (err.offset >= 0 && (size_t)err.offset > size)) {
        __builtin_trap();
    }
    return 0;
}
