/* fuzz_elf.c -- the bounded ELF reader on arbitrary bytes (ELF32/64, both
 * byte orders), then the XOR-key test and the decoder-loop checks that run
 * on the same untrusted bytes. The first bytes are forced to an ELF magic
 * half of the time so that the fuzzer spends its effort past the magic. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "poly_fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static poly_image img;
    uint8_t *p = malloc(size ? size : 1);
    if (!p) return 0;
    memcpy(p, data, size);
    if (size >= 5 && (data[size - 1] & 1))
        memcpy(p,
               "\x7f"
               "ELF",
               4);
    if (poly_elf_parse(p, size, &img)) {
        if (img.fmt != POLY_FMT_ELF) abort();
        poly_fuzz_check(&img, size);
    }
    poly_xor_hit hit;
    for (uint64_t off = 0; off < 4 && off < size; off++)
        if (poly_xor_elf_at(p, size, off, &hit) && (hit.key_len < 1 || hit.key_len > 16)) abort();
    for (size_t s = 0; s + 3 <= size && s < 4096; s++) {
        size_t at;
        if (poly_xor_loop_tail(p, size, s, 3, 0, &at) && at >= s) abort();
        poly_jmp_call_pop_at(p, size, s);
    }
    free(p);
    return 0;
}
