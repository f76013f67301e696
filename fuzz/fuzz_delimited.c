/* fuzz_delimited.c -- delimited messages and fixed records on hostile
 * bytes. The first byte gives the delimiter length (1-4) and the maximum
 * size, the delimiter follows, then the stream. Buffer and streaming results
 * must agree. */
#include "frame_fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    size_t dlen = 1 + (data[0] & 3);
    if (size < 1 + dlen)
        return 0;
    trawl_frame_delim_opts o = {
        .delimiter = data + 1, .delimiter_len = dlen, .max_size = 1 + (uint64_t)(data[0] >> 2) * 6};
    trawl_framer *f;
    if (trawl_frame_delim_new(&o, &f, NULL) != TRAWL_OK)
        return 0;
    ff_run(f, data + 1 + dlen, size - 1 - dlen, data[0]);
    trawl_framer_free(f);
    if (trawl_frame_records_new(1 + (data[0] >> 2), &f, NULL) != TRAWL_OK)
        return 0;
    ff_run(f, data + 1 + dlen, size - 1 - dlen, data[0]);
    trawl_framer_free(f);
    return 0;
}
