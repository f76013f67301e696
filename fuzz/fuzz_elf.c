/* fuzz_elf.c -- the bounded ELF reader on arbitrary bytes (ELF32/64, both
 * byte orders), then the XOR-key test and the decoder-loop checks that run
 * on the same untrusted bytes, then the whole polymorphic detector (entropy
 * ranges taken from the parsed headers, rule matches, evidence) with a
 * report whose threat score must lie in [0, 1]. The first bytes are forced to an ELF magic
 * half of the time so that the fuzzer spends its effort past the magic. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <trawl/trawl.h>

#include "poly_fuzz.h"

static trawl_detect_engine *engine;
static trawl_detect_ctx *ctx;

static void run_detector(uint8_t *p, size_t size)
{
    trawl_error err;
    if (!engine && (trawl_detect_engine_new(NULL, 0, &engine, &err) != TRAWL_OK ||
                    trawl_detect_ctx_new(engine, &ctx, &err) != TRAWL_OK))
        abort();
    trawl_detect_input in;
    memset(&in, 0, sizeof in);
    in.data = p;
    in.data_len = size;
    trawl_detect_report *r;
    if (trawl_detect_run(engine, ctx, &in, TRAWL_DET_POLYMORPHIC, &r, &err) != TRAWL_OK)
        abort();
    if (!(r->threat_score >= 0 && r->threat_score <= 1))
        abort();
    trawl_detect_report_free(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static poly_image img;
    uint8_t *p = malloc(size ? size : 1);
    if (!p)
        return 0;
    memcpy(p, data, size);
    if (size >= 5 && (data[size - 1] & 1))
        memcpy(p,
               "\x7f"
               "ELF",
               4);
    if (poly_elf_parse(p, size, &img)) {
        if (img.fmt != POLY_FMT_ELF)
            abort();
        poly_fuzz_check(&img, size);
    }
    poly_xor_hit hit;
    for (uint64_t off = 0; off < 4 && off < size; off++)
        if (poly_xor_elf_at(p, size, off, &hit) && (hit.key_len < 1 || hit.key_len > 16))
            abort();
    for (size_t s = 0; s + 3 <= size && s < 4096; s++) {
        size_t at;
        if (poly_xor_loop_tail(p, size, s, 3, 0, &at) && at >= s)
            abort();
        poly_jmp_call_pop_at(p, size, s);
    }
    run_detector(p, size);
    free(p);
    return 0;
}
