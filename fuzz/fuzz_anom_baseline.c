/* fuzz_anom_baseline.c -- the anomaly baseline parser on hostile text. A
 * baseline that loads must test messages and values without crashing and
 * save itself again into text that loads to the same statistics. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <trawl/anomaly.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int count(const trawl_anomaly *a, void *ud)
{
    if (!a->detail || !a->channel || !a->what)
        __builtin_trap();
    ++*(size_t *)ud;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size ? size : 1);
    memcpy(text, data, size);
    trawl_anom_model *m = NULL;
    trawl_error err;
    trawl_error_clear(&err);
    if (trawl_anom_load(text, size, NULL, &m, &err) != TRAWL_OK) {
        if (m || err.status == TRAWL_OK)
            __builtin_trap();
        free(text);
        return 0;
    }
    size_t n = 0;
    static const uint8_t msg[] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
    trawl_anom_msg ms[3] = {{{msg, 16}, "tcp *>502", 40000, 502, 1.0, 0},
                            {{msg, 9}, "tcp *>502", 40000, 502, 2.5, 1},
                            {{msg, 16}, "tcp 502>*", 502, 40000, 9.0, 2}};
    trawl_anom_detect_msgs(m, ms, 3, count, &n, NULL);
    trawl_anom_flush(m, count, &n, NULL);
    trawl_anom_detect_value(m, "v", 0, 0, 1e6, count, &n, NULL);
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    if (trawl_anom_save(m, f, NULL) != TRAWL_OK)
        __builtin_trap();
    fclose(f);
    trawl_anom_model *again = NULL;
    if (trawl_anom_load(out, len, NULL, &again, NULL) != TRAWL_OK)
        __builtin_trap();
    trawl_anom_stats a, b;
    trawl_anom_get_stats(m, &a);
    trawl_anom_get_stats(again, &b);
    if (a.channels != b.channels)
        __builtin_trap();
    trawl_anom_free(again);
    free(out);
    trawl_anom_free(m);
    free(text);
    return 0;
}
