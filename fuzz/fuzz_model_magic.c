/* fuzz_model_magic.c -- model-file identification on hostile headers: the
 * magic checks (GGUF, GGML, safetensors, ONNX protobuf walk, zip local
 * headers, pickle, HDF5, TFLite, NumPy) with the real size and with an
 * unknown one, and the name check on the bytes as a path. A hit must carry
 * a format, a confidence in (0, 1] and a terminated detail. */
#include <stdlib.h>
#include <string.h>

#include "detect/shadow_ai/shadow.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const shadow_model_hit *h)
{
    if (!h->format || !(h->confidence > 0 && h->confidence <= 1) ||
        !memchr(h->detail, 0, sizeof(h->detail)))
        __builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    shadow_model_hit h;
    /* An exact-size copy so that reads past the end are caught. */
    uint8_t *p = malloc(size ? size : 1);
    if (!p)
        return 0;
    memcpy(p, data, size);
    if (shadow_model_magic(p, size, size, &h))
        check(&h);
    if (shadow_model_magic(p, size, 0, &h))
        check(&h);
    if (shadow_model_magic(p, size, (uint64_t)size * 1000 + 7, &h))
        check(&h);
    free(p);
    char *s = malloc(size + 1);
    if (!s)
        return 0;
    memcpy(s, data, size);
    s[size] = 0;
    if (shadow_model_name(s, &h))
        check(&h);
    free(s);
    return 0;
}
