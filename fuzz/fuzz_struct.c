/* fuzz_struct.c -- the struct-format language on hostile formats: the input
 * up to the first NUL is the format, the rest the bytes to unpack. Every
 * value's span must lie inside the bytes. */
#include <stdlib.h>
#include <string.h>
#include <trawl/struct.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nul = memchr(data, 0, size);
    size_t flen = nul ? (size_t)(nul - data) : size;
    char *fmt = malloc(flen + 1);
    if (!fmt)
        return 0;
    memcpy(fmt, data, flen);
    fmt[flen] = 0;
    const uint8_t *p = nul ? nul + 1 : data + size;
    size_t n = (size_t)(data + size - p);
    trawl_struct *s;
    trawl_error err;
    if (trawl_struct_compile(fmt, &s, &err) == TRAWL_OK) {
        static trawl_struct_value v[TRAWL_STRUCT_MAX_FIELDS];
        size_t count = trawl_struct_count(s);
        if (count > TRAWL_STRUCT_MAX_FIELDS)
            __builtin_trap();
        if (trawl_struct_unpack(s, p, n, v, count, &err) == TRAWL_OK) {
            for (size_t i = 0; i < count; i++) {
                if (v[i].offset + (size_t)v[i].size > trawl_struct_size(s))
                    __builtin_trap();
                if (v[i].code == 's')
                    for (size_t k = 0; k < v[i].v.s.len; k++)
                        if (v[i].v.s.ptr[k] != p[v[i].offset + k])
                            __builtin_trap();
            }
        } else if (n >= trawl_struct_size(s)) {
            __builtin_trap(); /* enough bytes must always unpack */
        }
        trawl_struct_value one;
        for (size_t i = 0; i <= count; i++)
            if (trawl_struct_get(s, i, p, n, &one) != (i < count && n >= trawl_struct_size(s)))
                __builtin_trap();
        trawl_struct_free(s);
    }
    free(fmt);
    return 0;
}
