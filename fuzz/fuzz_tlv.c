/* fuzz_tlv.c -- TLV framing on hostile bytes. The first two bytes choose
 * the options (type/length size, byte order, length-includes-header, BER,
 * containers), the rest is the stream; buffer and streaming results must
 * agree. */
#include "frame_fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const unsigned widths[4] = {1, 2, 4, 1};
    static const uint64_t containers[] = {0x30, 0x31, 0xA0, 0x0101};
    if (size < 2)
        return 0;
    uint8_t a = data[0], b = data[1];
    trawl_frame_tlv_opts o = {.type_size = widths[a & 3],
                              .length_size = widths[(a >> 2) & 3],
                              .little_endian = (a >> 4) & 1,
                              .length_includes_header = (a >> 5) & 1,
                              .ber = (a >> 6) & 1,
                              .ber_constructed = (a >> 7) & 1,
                              .containers = containers,
                              .n_containers = b & 3 ? 4 : 0,
                              .max_depth = (b >> 2) & 7,
                              .max_record = 400};
    trawl_framer *f;
    if (trawl_frame_tlv_new(&o, &f, NULL) != TRAWL_OK)
        return 0;
    ff_run(f, data + 2, size - 2, b);
    trawl_framer_free(f);
    return 0;
}
