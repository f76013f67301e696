/* fuzz_normalize.c -- the prompt-injection normaliser and decoders on
 * arbitrary bytes: output never longer than input, every map[] entry inside
 * the input and non-decreasing, views of equal length (a leet view with no
 * substitution empty), runs inside the text
 * and non-overlapping, decoded output within its capacity; and the
 * sixteen-bytes-at-a-time normaliser equal to its byte-by-byte path (text,
 * map, flags, counts, tags), with and without an output cap. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "detect/prompt_injection/normalize.h"
#include "detect/prompt_injection/decode.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > (1u << 20))
        return 0;
    pi_text t = {0}, l = {0}, tags = {0};
    pi_norm_stats st = {.first_invisible = -1};
    if (pi_normalize(&t, data, size, 0, &tags, &st, size) != 0)
        abort();
    if (t.len > size || t.s[t.len] != 0 || tags.len > size)
        abort();
    for (size_t i = 0; i < t.len; i++)
        if (t.map[i] >= size || (i && t.map[i] < t.map[i - 1]) || (t.s[i] >= 'A' && t.s[i] <= 'Z'))
            abort();
    for (size_t i = 1; i < t.len; i++)
        if (t.s[i] == ' ' && t.s[i - 1] == ' ')
            abort(); /* white space collapsed */
    if (st.first_invisible >= (int64_t)size)
        abort();
    for (int capped = 0; capped < 2; capped++) {
        size_t max = capped ? size / 2 : size;
        pi_text a = {0}, b = {0}, ta = {0}, tb = {0};
        pi_norm_stats sa = {.first_invisible = -1}, sb = {.first_invisible = -1};
        if (pi_normalize(&a, data, size, 7, &ta, &sa, max) != 0 ||
            pi__normalize_bytewise(&b, data, size, 7, &tb, &sb, max) != 0)
            abort();
        if (a.len != b.len || memcmp(a.s, b.s, a.len + 1) ||
            (a.len &&
             (memcmp(a.map, b.map, a.len * sizeof(*a.map)) || memcmp(a.fl, b.fl, a.len))) ||
            memcmp(&sa, &sb, sizeof sa) || ta.len != tb.len ||
            (ta.len && memcmp(ta.s, tb.s, ta.len)))
            abort();
        pi_text_free(&a);
        pi_text_free(&b);
        pi_text_free(&ta);
        pi_text_free(&tb);
    }
    long subs = pi_leet(&l, &t, 'i', size);
    if (subs < 0 || (size_t)subs > t.len)
        abort();
    if (subs ? l.len != t.len : l.len != 0) /* an unchanged view is left empty */
        abort();
    if (pi_rot13(&l, &t, size) != 0 || l.len != t.len)
        abort();

    pi_run runs[32];
    size_t n = pi_find_runs(data, size, runs, 32);
    if (n > 32)
        abort();
    uint8_t out[512];
    for (size_t i = 0; i < n; i++) {
        if (runs[i].off + runs[i].len > size || runs[i].len == 0)
            abort();
        if (i && runs[i].off < runs[i - 1].off + runs[i - 1].len)
            abort();
        for (pi_enc k = PI_ENC_BASE64; k <= PI_ENC_URL; k++) {
            size_t dl = pi_decode_run(data, &runs[i], k, out, sizeof out);
            if (dl > sizeof out)
                abort();
            (void)pi_is_text(out, dl);
        }
    }
    pi_text_free(&t);
    pi_text_free(&l);
    pi_text_free(&tags);
    return 0;
}
