/* fuzz_analyze_csv.c -- the CSV number reader on hostile bytes. A parsed
 * matrix holds only finite numbers; an error names a line and column
 * inside the input (or says there were no rows). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <trawl/analyze.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    trawl_analyze_matrix m;
    trawl_error err;
    trawl_error_clear(&err);
    trawl_status st = trawl_analyze_parse_csv(data, size, &m, &err);
    if (st == TRAWL_OK) {
        if (!m.rows || !m.cols)
            __builtin_trap();
        for (size_t i = 0; i < m.rows * m.cols; i++)
            if (!isfinite(m.data[i]))
                __builtin_trap();
        trawl_analyze_matrix_free(&m);
    } else if (m.data || (err.offset >= 0 && (size_t)err.offset > size) ||
               (err.offset >= 0 && err.line < 1)) {
        __builtin_trap();
    }
    return 0;
}
