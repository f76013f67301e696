/* fuzz_webp.c -- the synthetic_media WebP parser (RIFF chunks, VP8X flags,
 * EXIF, XMP, C2PA) on hostile bytes. Inputs that do not start with RIFF get
 * a RIFF/WEBP header whose size matches the input, so the chunk walk is
 * reached; inputs that do keep their own (possibly lying) size. */
#include "media_fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size >= 12 && !memcmp(data, "RIFF", 4) && !memcmp(data + 8, "WEBP", 4)) {
        mf_run_prefixed(NULL, 0, data, size);
        return 0;
    }
    uint32_t riff = (uint32_t)size + 4;
    uint8_t hdr[12] = {'R',
                       'I',
                       'F',
                       'F',
                       (uint8_t)riff,
                       (uint8_t)(riff >> 8),
                       (uint8_t)(riff >> 16),
                       (uint8_t)(riff >> 24),
                       'W',
                       'E',
                       'B',
                       'P'};
    mf_run_prefixed(hdr, 12, data, size);
    return 0;
}
