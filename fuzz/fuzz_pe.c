/* fuzz_pe.c -- the bounded PE reader on arbitrary bytes. Half of the inputs
 * get a DOS header whose e_lfanew points at a "PE\0\0" inside the input, so
 * that the fuzzer explores the COFF and optional headers and the section
 * table rather than the magic. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "poly_fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static poly_image img;
    uint8_t *p = malloc(size ? size : 1);
    if (!p)
        return 0;
    memcpy(p, data, size);
    if (size >= 0x40 + 24 && (data[size - 1] & 1)) {
        p[0] = 'M';
        p[1] = 'Z';
        uint32_t lf = 0x40 + data[2] % (uint32_t)(size - 0x40 - 24 + 1);
        memcpy(p + 0x3c, &lf, 4);
        memcpy(p + lf, "PE\0\0", 4);
    }
    if (poly_pe_parse(p, size, &img)) {
        if (img.fmt != POLY_FMT_PE)
            abort();
        poly_fuzz_check(&img, size);
    }
    free(p);
    return 0;
}
