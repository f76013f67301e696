/* fuzz_fw_model.c -- the firmware architecture model parser on hostile
 * bytes: each input is loaded as it is, then padded (or cut) to the size
 * its own header declares, so that mutations reach the descriptor checks
 * instead of stopping at "truncated". A model that loads must classify a
 * buffer (the input) with every window's answer in range. */
#include <stdlib.h>
#include <string.h>

#include <trawl/firmware.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int check_window(const trawl_fw_window *w, void *ud)
{
    const trawl_fw_model *m = ud;
    if (w->arch >= (int)trawl_fw_model_arch_count(m) || w->arch < -1 || w->kind > TRAWL_FW_DATA ||
        (w->arch >= 0) != (w->kind == TRAWL_FW_CODE) || !(w->bits >= 0) || !(w->entropy >= 0))
        __builtin_trap();
    return 0;
}

static void exercise(const uint8_t *p, size_t n, const uint8_t *text, size_t tn)
{
    trawl_fw_model *m = NULL;
    trawl_error err;
    trawl_error_clear(&err);
    if (trawl_fw_model_load(p, n, &m, &err) != TRAWL_OK) {
        if (m || err.status == TRAWL_OK || err.offset < 0 || (size_t)err.offset > n)
            __builtin_trap();
        return;
    }
    trawl_fw_arch_opts o = {256, 128};
    if (trawl_fw_arch_scan(m, text, tn, &o, check_window, m, NULL) != TRAWL_OK)
        __builtin_trap();
    trawl_fw_model_free(m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *p = malloc(size ? size : 1);
    memcpy(p, data, size);
    exercise(p, size, data, size);
    free(p);
    if (size >= 16) {
        uint32_t n_arch = (uint32_t)data[12] | (uint32_t)data[13] << 8;
        n_arch = n_arch % 17;
        size_t need = 32 + (size_t)n_arch * (64 + 65536);
        uint8_t *q = calloc(1, need);
        memcpy(q, data, size < need ? size : need);
        exercise(q, need, data, size);
        free(q);
    }
    return 0;
}
