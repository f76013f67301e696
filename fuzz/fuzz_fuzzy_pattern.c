/* fuzz_fuzzy_pattern.c -- the fuzzy pattern parser and compiler on
 * arbitrary text: never crash, and on success the positions are sane. */
#include <stdlib.h>
#include <string.h>
#include <trawl/fuzzy.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    char *text = malloc(size);
    memcpy(text, data + 1, size - 1);
    text[size - 1] = 0;
    uint8_t val[256], mask[256];
    size_t m = 0;
    trawl_error err;
    if (trawl_fuzzy_parse(text, val, mask, sizeof(val), &m, &err) == TRAWL_OK) {
        if (m == 0 || m > sizeof(val))
            abort();
        for (size_t i = 0; i < m; i++)
            if (val[i] & ~mask[i])
                abort();
    } else if (err.message[0] == 0) {
        abort();
    }
    trawl_fuzzy_spec sp = {NULL,
                           text,
                           data[0] & 7,
                           (data[0] & 8) ? TRAWL_FUZZY_HAMMING : TRAWL_FUZZY_LEVENSHTEIN,
                           (data[0] >> 4) & 7,
                           0};
    trawl_fuzzy_db *db = NULL;
    if (trawl_fuzzy_compile(&sp, 1, &db, &err) == TRAWL_OK) {
        trawl_fuzzy_stream *s = NULL;
        if (trawl_fuzzy_stream_open(db, &s, &err) == TRAWL_OK)
            trawl_fuzzy_scan(s, data, size, NULL, NULL, &err);
        trawl_fuzzy_stream_free(s);
    }
    trawl_fuzzy_db_free(db);
    free(text);
    return 0;
}
