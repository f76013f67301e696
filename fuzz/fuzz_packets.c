/* fuzz_packets.c -- length-prefixed packets on hostile bytes. The first
 * byte picks a header layout and length field, the second the flags and
 * adjust; the rest is the stream. Buffer and streaming results must agree. */
#include "frame_fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const struct {
        const char *fmt;
        unsigned field;
    } layouts[8] = {{">H", 0}, {">HH", 1},     {"<IHH", 0}, {">BBH", 2},
                    {"<h", 0}, {">HxxB4s", 1}, {">q", 0},   {"<Q", 0}};
    if (size < 2)
        return 0;
    uint8_t a = data[0], b = data[1];
    trawl_frame_packet_opts o = {.header = layouts[a & 7].fmt,
                                 .length_field = layouts[a & 7].field,
                                 .length_includes_header = (a >> 3) & 1,
                                 .adjust = (int64_t)(int8_t)b,
                                 .max_size = 400};
    trawl_framer *f;
    if (trawl_frame_packets_new(&o, &f, NULL) != TRAWL_OK)
        return 0;
    ff_run(f, data + 2, size - 2, a);
    trawl_framer_free(f);
    return 0;
}
