/* fuzz_png.c -- the synthetic_media PNG parser (chunks, CRCs, text chunks,
 * eXIf, caBX/JUMBF) on hostile bytes. The PNG signature is supplied when
 * the input lacks it, so every input reaches the chunk walk. */
#include "media_fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint8_t sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    if (size >= 8 && !memcmp(data, sig, 8))
        mf_run_prefixed(NULL, 0, data, size);
    else
        mf_run_prefixed(sig, 8, data, size);
    return 0;
}
