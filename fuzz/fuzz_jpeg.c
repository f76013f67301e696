/* fuzz_jpeg.c -- the synthetic_media JPEG parser (marker walk, entropy-coded
 * scan skipping, APP1 EXIF/XMP, APP11 JUMBF reassembly, COM) on hostile
 * bytes. SOI is supplied when the input lacks it. */
#include "media_fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint8_t soi[3] = {0xFF, 0xD8, 0xFF};
    if (size >= 3 && !memcmp(data, soi, 3))
        mf_run_prefixed(NULL, 0, data, size);
    else
        mf_run_prefixed(soi, 2, data, size);
    return 0;
}
