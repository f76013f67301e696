/* fuzz_infer_stream.c -- the stream structure finder on hostile bytes: a
 * record size, when found, is within the examined periods and scores in
 * [0, 1]; a delimiter, when found, is 1 or 2 bytes that occur in the input
 * and cuts at least as many messages as it occurs. */
#include <string.h>
#include <trawl/infer.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    trawl_infer_stream s;
    if (trawl_infer_stream_structure(data, size, &s, NULL) != TRAWL_OK)
        __builtin_trap();
    if (s.record_size && (s.record_size < 2 || s.record_size > 4096 || s.record_size > size / 4 ||
                          s.record_score < 0 || s.record_score > 1))
        __builtin_trap();
    if (s.delimiter_len) {
        if (s.delimiter_len > 2 || s.delimiter_score < 0 || s.delimiter_score > 1)
            __builtin_trap();
        size_t hits = 0;
        for (size_t i = 0; i + s.delimiter_len <= size; i++)
            if (!memcmp(data + i, s.delimiter, s.delimiter_len)) {
                hits++;
                i += s.delimiter_len - 1;
            }
        if (hits < 3 || s.delimited < hits)
            __builtin_trap();
    }
    return 0;
}
