/* fuzz_fuzzy_scan.c -- the fast path against the brute-force definition on
 * tiny inputs. Input: byte 0 = k (low 2 bits), mode, disabled operations,
 * kernel forcing; byte 1 = pattern length (1..16) and chunk size; then the
 * pattern (a byte and a mask selector each), then the data (<= 1200 bytes:
 * enough for the interleaved lanes of short patterns).
 * Any difference, or a difference between streaming and one block, aborts. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <trawl/fuzzy.h>

#include "../tests/fuzzy_oracle.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct got {
    or_match m[1280];
    size_t n;
} got;

static int collect(const trawl_fuzzy_match *fm, void *ud)
{
    got *g = ud;
    if (g->n < 1280)
        g->m[g->n++] = (or_match){fm->offset, fm->length, fm->distance};
    return 0;
}

static void same(const got *g, const or_match *want, size_t nw)
{
    if (g->n != nw)
        abort();
    for (size_t i = 0; i < nw; i++)
        if (g->m[i].off != want[i].off || g->m[i].len != want[i].len || g->m[i].d != want[i].d)
            abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 3)
        return 0;
    or_pat p;
    memset(&p, 0, sizeof(p));
    unsigned ctl = data[0], ctl2 = data[1];
    p.m = 1 + (ctl2 & 15);
    if (size < 2 + 2 * p.m)
        return 0;
    static const char hx[] = "0123456789abcdef";
    char text[64];
    size_t t = 0;
    for (size_t i = 0; i < p.m; i++) {
        uint8_t b = data[2 + 2 * i], sel = data[3 + 2 * i] & 7;
        p.mask[i] = sel == 0 ? 0 : sel == 1 ? 0xF0 : sel == 2 ? 0x0F : 0xFF;
        p.val[i] = b & p.mask[i];
        text[t++] = (p.mask[i] & 0xF0) ? hx[b >> 4] : '?';
        text[t++] = (p.mask[i] & 0x0F) ? hx[b & 15] : '?';
    }
    text[t] = 0;
    const uint8_t *d = data + 2 + 2 * p.m;
    size_t n = size - 2 - 2 * p.m;
    if (n > 1200)
        n = 1200;
    p.k = ctl & 3;
    if (p.k >= p.m)
        p.k = (unsigned)p.m - 1;
    bool ham = ctl & 4;
    unsigned flags =
        ((ctl & 8) ? TRAWL_FUZZY_NO_SUBSTITUTE : 0) | ((ctl & 16) ? TRAWL_FUZZY_NO_INSERT : 0) |
        ((ctl & 32) ? TRAWL_FUZZY_NO_DELETE : 0) | ((ctl & 64) ? TRAWL_FUZZY_FORCE_SEED : 0) |
        ((ctl & 128) ? TRAWL_FUZZY_FORCE_SCAN : 0);
    if ((flags & TRAWL_FUZZY_FORCE_SEED) && (flags & TRAWL_FUZZY_FORCE_SCAN))
        flags &= ~(unsigned)TRAWL_FUZZY_FORCE_SEED;
    p.sub = !(ctl & 8);
    p.ins = !ham && !(ctl & 16);
    p.del = !ham && !(ctl & 32);
    trawl_fuzzy_spec sp = {NULL,  text, p.k, ham ? TRAWL_FUZZY_HAMMING : TRAWL_FUZZY_LEVENSHTEIN,
                           flags, 0};
    trawl_fuzzy_db *db = NULL;
    trawl_fuzzy_stream *s = NULL;
    if (trawl_fuzzy_compile(&sp, 1, &db, NULL) != TRAWL_OK)
        abort();
    if (trawl_fuzzy_stream_open(db, &s, NULL) != TRAWL_OK)
        abort();
    or_match *want = malloc((n + 1) * sizeof(*want));
    size_t nw = or_search(&p, d, n, want);
    got *g = calloc(1, sizeof(*g));
    if (trawl_fuzzy_scan(s, d, n, collect, g, NULL) != TRAWL_OK)
        abort();
    same(g, want, nw);
    memset(g, 0, sizeof(*g));
    trawl_fuzzy_stream_reset(s);
    size_t chunk = 1 + (ctl2 >> 4);
    for (size_t at = 0; at < n; at += chunk)
        trawl_fuzzy_stream_write(s, d + at, n - at < chunk ? n - at : chunk, collect, g, NULL);
    trawl_fuzzy_stream_finish(s, collect, g, NULL);
    same(g, want, nw);
    free(g);
    free(want);
    trawl_fuzzy_stream_free(s);
    trawl_fuzzy_db_free(db);
    return 0;
}
