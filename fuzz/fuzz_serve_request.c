/* fuzz_serve_request.c -- the HTTP request validator of `trawl serve` on
 * hostile bodies: JSON parse, shape checks, canonicalisation and keying
 * (trawl__serve_prepare), then the detector input parser the request goes
 * to on a cache miss. The first byte picks the detector mask. Checks what
 * the server promises: a rejected body gets a 400 whose reply is a JSON
 * object with "error" and "message"; an accepted one gets the same key
 * twice; the input parser fails only with a format or limit error. */
#include <stdlib.h>
#include <string.h>

#include "serve/internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    unsigned mask = data[0] & TRAWL_DET_ALL;
    const char *body = (const char *)data + 1;
    size_t len = size - 1;
    trawl_key128 k1 = {0, 0}, k2 = {0, 0};
    bool st1 = false, st2 = false;
    srv_reply r = {0};
    if (trawl__serve_prepare(NULL, body, len, mask, &k1, NULL, &st1, NULL, &r)) {
        if (r.code != 400 && r.code != 500)
            __builtin_trap();
        if (r.body) {
            cJSON *j = cJSON_ParseWithLength(r.body, r.len);
            if (!j || !cJSON_IsString(cJSON_GetObjectItemCaseSensitive(j, "error")) ||
                !cJSON_IsString(cJSON_GetObjectItemCaseSensitive(j, "message")))
                __builtin_trap();
            cJSON_Delete(j);
        }
        free(r.body);
        return 0;
    }
    if (trawl__serve_prepare(NULL, body, len, mask, &k2, NULL, &st2, NULL, &r) || st1 != st2)
        __builtin_trap();
    if (!st1 && (k1.lo != k2.lo || k1.hi != k2.hi))
        __builtin_trap();
    trawl_detect_input *in = NULL;
    trawl_error err;
    trawl_status st = trawl_detect_input_parse(body, len, &in, &err);
    if (st != TRAWL_OK && st != TRAWL_EFORMAT && st != TRAWL_ELIMIT && st != TRAWL_ENOMEM)
        __builtin_trap();
    trawl_detect_input_free(in);
    return 0;
}
