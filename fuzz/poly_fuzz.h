/* poly_fuzz.h -- what the ELF and PE fuzz targets check after a parse: the
 * parser's own promises (caps, ranges inside the input, the entry offset
 * inside the input), so that a bug shows as an abort, not only as a read
 * out of bounds. */
#ifndef TRAWL_FUZZ_POLY_FUZZ_H
#define TRAWL_FUZZ_POLY_FUZZ_H

#include <stdlib.h>
#include <string.h>

#include "detect/polymorphic/poly.h"

static void poly_fuzz_check(const poly_image *img, size_t n)
{
    if (img->n_sections > POLY_MAX_SECTIONS || img->n_segments > POLY_MAX_SEGMENTS)
        abort();
    if (img->end > n)
        abort();
    for (size_t i = 0; i < img->n_sections; i++) {
        const poly_section *s = &img->sections[i];
        if (s->size && (s->offset >= n || s->size > n - s->offset))
            abort();
        if (strnlen(s->name, POLY_NAME_MAX) >= POLY_NAME_MAX)
            abort();
    }
    for (size_t i = 0; i < img->n_segments; i++) {
        const poly_segment *s = &img->segments[i];
        if (s->filesz && (s->offset >= n || s->filesz > n - s->offset))
            abort();
    }
    if (img->entry_mapped && img->entry_offset >= n)
        abort();
    if (img->entry_section >= (int)img->n_sections || img->entry_segment >= (int)img->n_segments)
        abort();
}

#endif
