/* fuzz_pattern.c -- the pattern parsers (regex-style, YARA hex, literal) on
 * arbitrary bytes. The first byte picks syntax and flags; the rest is the
 * pattern. Nothing may crash, leak or read out of bounds; an accepted
 * pattern must describe itself consistently. */
#include <stdint.h>
#include <stdlib.h>
#include <trawl/trawl.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    trawl_pattern_syntax syn = (trawl_pattern_syntax)(data[0] & 3);
    unsigned flags = (data[0] >> 2) & 1 ? TRAWL_PATTERN_NOCASE : 0;
    trawl_pattern_set *set;
    if (trawl_pattern_set_new(&set) != TRAWL_OK)
        return 0;
    trawl_error err;
    trawl_status st =
        trawl_pattern_set_add(set, (const char *)data + 1, size - 1, syn, flags, NULL, &err);
    if (st != TRAWL_OK) {
        /* every refusal carries a status and, for syntax errors, a column
         * inside the pattern (or one past its end) */
        if (err.status != st)
            abort();
        if (st == TRAWL_ESYNTAX && (err.column < 1 || (size_t)err.column > size))
            abort();
    } else if (trawl_pattern_set_count(set) != 1) {
        abort();
    }
    trawl_pattern_set_free(set);
    return 0;
}
