/* fuzz_rules.c -- the rule-file reader on arbitrary text: errors must name a
 * line inside the text, and a failed load must leave the set as it was. */
#include <stdint.h>
#include <stdlib.h>
#include <trawl/trawl.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    trawl_pattern_set *set;
    if (trawl_pattern_set_new(&set) != TRAWL_OK)
        return 0;
    trawl_error err;
    trawl_status st = trawl_pattern_set_add_rules(set, (const char *)data, size, &err);
    if (st != TRAWL_OK) {
        size_t lines = 1;
        for (size_t i = 0; i < size; i++)
            lines += data[i] == '\n';
        if (err.line < 1 || (size_t)err.line > lines || trawl_pattern_set_count(set) != 0)
            abort();
    }
    trawl_pattern_set_free(set);
    return 0;
}
