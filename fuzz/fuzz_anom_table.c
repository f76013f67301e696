/* fuzz_anom_table.c -- the CSV / JSON Lines table reader on hostile text,
 * with and without a time column and a chosen value column. Every cell
 * read back must be finite, and a format error must name a line. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <trawl/anomaly.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void exercise(const char *text, size_t n, const char *time_col, const char *const *cols,
                     size_t nc)
{
    trawl_anom_table *t = NULL;
    trawl_error err;
    trawl_error_clear(&err);
    if (trawl_anom_table_parse(text, n, time_col, cols, nc, &t, &err) != TRAWL_OK) {
        if (t || err.status == TRAWL_OK || (err.status == TRAWL_EFORMAT && err.line < 1))
            __builtin_trap();
        return;
    }
    double tm, v;
    for (size_t r = 0; r < trawl_anom_table_rows(t); r++)
        for (size_t c = 0; c < trawl_anom_table_columns(t); c++)
            if (trawl_anom_table_get(t, r, c, &tm, &v) && (!isfinite(v) || !isfinite(tm)))
                __builtin_trap();
    for (size_t c = 0; c < trawl_anom_table_columns(t); c++)
        if (!trawl_anom_table_column(t, c))
            __builtin_trap();
    trawl_anom_table_free(t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size ? size : 1);
    memcpy(text, data, size);
    const char *cols[] = {"v"};
    exercise(text, size, NULL, NULL, 0);
    exercise(text, size, "t", NULL, 0);
    exercise(text, size, "t", cols, 1);
    free(text);
    return 0;
}
