/* fuzz_infer_truth.c -- the truth reader (NAME.fields.jsonl) and the
 * boundary scorer on hostile text: parsing fails with a line number or every
 * field lies inside its payload, and the scores stay within [0, 1]. */
#include <stdlib.h>
#include <string.h>
#include <trawl/infer.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* inferred boundaries: every third offset */
static const uint32_t *bounds(void *ud, uint64_t frame, size_t *nb)
{
    static const uint32_t b[] = {1, 3, 6, 9, 12, 15, 18, 21, 24};
    (void)ud;
    if (frame % 2)
        return NULL;
    *nb = sizeof b / sizeof b[0];
    return b;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    trawl_infer_truth *t;
    trawl_error err;
    trawl_error_clear(&err);
    if (trawl_infer_truth_parse((const char *)data, size, &t, &err) != TRAWL_OK) {
        if (err.status == TRAWL_EFORMAT && err.line < 1)
            __builtin_trap();
        return 0;
    }
    for (size_t i = 0; i < trawl_infer_truth_count(t); i++) {
        trawl_span p;
        trawl_infer_truth_frame(t, i, &p);
        uint32_t off, sz;
        for (size_t k = 0; trawl_infer_truth_field(t, i, k, &off, &sz, NULL); k++)
            if ((uint64_t)off + sz > p.len)
                __builtin_trap();
    }
    trawl_infer_score s;
    if (trawl_infer_score_truth(t, bounds, NULL, &s, NULL) == TRAWL_OK) {
        if (s.f1 < 0 || s.f1 > 1 || s.perfection < 0 || s.perfection > 1 || s.perfect > s.fields)
            __builtin_trap();
    }
    trawl_infer_truth_free(t);
    return 0;
}
