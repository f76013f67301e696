/* fuzz_fw_image.c -- a hostile firmware image through the Cortex-M
 * analysis (vector table, base search, Thumb disassembly and value
 * tracking, family choice), with and without the architecture model
 * restricting the sweep, and through the SDK signatures. Checks the
 * report's invariants: accesses sorted, every peripheral index in range,
 * every offset inside the image. */
#include <stdlib.h>
#include <string.h>

#include <trawl/firmware.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static trawl_fw_model *model;
static trawl_fw_sdk_scanner *sdk;

static void check(const trawl_fw_cortexm_report *r, size_t size)
{
    for (size_t i = 0; i < r->n_accesses; i++) {
        const trawl_fw_access *a = &r->accesses[i];
        if (a->periph >= (int)r->n_periphs || a->first >= size || a->count == 0)
            __builtin_trap();
        if (i && a->address < r->accesses[i - 1].address)
            __builtin_trap();
    }
    for (size_t i = 0; i < r->n_periphs; i++)
        if (!r->periphs[i].name || r->periphs[i].first >= size)
            __builtin_trap();
    if (r->vectors.found && r->vectors.offset + 4ull * r->vectors.entries > size)
        __builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!model && trawl_fw_model_builtin(&model, NULL) != TRAWL_OK)
        __builtin_trap();
    if (!sdk && trawl_fw_sdk_scanner_new(NULL, 0, &sdk, NULL) != TRAWL_OK)
        __builtin_trap();
    uint8_t *p = malloc(size ? size : 1);
    memcpy(p, data, size);
    for (int pass = 0; pass < 2; pass++) {
        trawl_fw_cortexm_opts o = {0};
        o.model = pass ? model : NULL;
        trawl_fw_cortexm_report *r;
        if (trawl_fw_cortexm_analyze(p, size, &o, &r, NULL) != TRAWL_OK)
            __builtin_trap();
        check(r, size);
        trawl_fw_cortexm_report_free(r);
    }
    trawl_fw_sdk_report *s;
    if (trawl_fw_sdk_scan(sdk, p, size, &s, NULL) != TRAWL_OK)
        __builtin_trap();
    for (size_t i = 0; i < s->n_evidence; i++)
        if (s->evidence[i].offset + s->evidence[i].length > size)
            __builtin_trap();
    trawl_fw_sdk_report_free(s);
    free(p);
    return 0;
}
