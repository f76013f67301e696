/* seed.c -- the pigeonhole prefilter. k edits can spoil at most k of k + 1
 * disjoint pieces of the pattern, so every window within distance k holds
 * one piece exactly, and lies within lmax bytes of that piece's end. The
 * pieces of all seeded patterns go into one Vectorscan streaming database
 * (id = pattern index); the kernel then runs only around the seeds.
 *
 * This calls Vectorscan directly because trawl's exact pattern API is not
 * there yet; it is a small surface (compile here, scan in stream.c) meant
 * to move onto <trawl/pattern.h> once that lands. */
#include "common/error.h"
#include "fuzzy/fuzzy_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static size_t piece_start(const fz_pat *p, unsigned j)
{
    return p->m * j / (p->k + 1);
}

/* Any part of a piece is a seed too (if the piece occurs, so does the
 * part), and the region around it stays [to - lmax, to + lmax). Each piece
 * is searched as its longest run of fully fixed bytes, at most MAX_SEED of
 * them, as a plain literal:
 *  - Vectorscan 5.4.9 loses matches of some short class patterns, e.g.
 *    `\x00.` or `\x41[\x00-\x0f]` (one literal byte next to a dot or a
 *    class) once they lie more than ~64 bytes into the data, in block and
 *    streaming mode alike (found by fuzz_fuzzy_scan); literals are its
 *    best-trodden path;
 *  - long literals are slow in its streaming mode.
 * A pattern with a piece that has no fixed byte is not seeded. */
enum { MAX_SEED = 16 };

static bool literal_run(const fz_pat *p, unsigned j, size_t *ra, size_t *rb)
{
    size_t a = piece_start(p, j), b = piece_start(p, j + 1), best = 0, len = 0;
    *ra = *rb = 0;
    for (size_t i = a; i < b; i++) {
        len = p->mask[i] == 0xFF ? len + 1 : 0;
        if (len > best) {
            best = len;
            *rb = i + 1;
            *ra = i + 1 - len;
        }
    }
    if (best > MAX_SEED)
        *rb = *ra + MAX_SEED;
    return best > 0;
}

bool trawl__fz_seedable(const fz_pat *p)
{
    size_t a, b;
    for (unsigned j = 0; j <= p->k; j++)
        if (!literal_run(p, j, &a, &b))
            return false;
    return true;
}

/* Expected seed hits per byte of uniform random data, times the bytes of
 * kernel work each costs. Seeds pay off when that is well below one. */
bool trawl__fz_seed_worthwhile(const fz_pat *p)
{
    double rate = 0;
    size_t a, b;
    for (unsigned j = 0; j <= p->k; j++) {
        if (!literal_run(p, j, &a, &b))
            return false;
        double pr = 1;
        for (size_t i = a; i < b; i++)
            pr /= 256.0;
        rate += pr;
    }
    return rate * 2.0 * (double)p->lmax < 0.02;
}

static trawl_status add_pieces(const fz_pat *p, unsigned id, char **exprs, unsigned *ids,
                               unsigned *flags, size_t *ne)
{
    for (unsigned j = 0; j <= p->k; j++) {
        size_t a, b;
        literal_run(p, j, &a, &b);
        char *e = malloc((b - a) * 4 + 1);
        if (!e)
            return TRAWL_ENOMEM;
        int n = 0;
        for (size_t i = a; i < b; i++)
            n += sprintf(e + n, "\\x%02x", p->val[i]);
        e[n] = 0;
        exprs[*ne] = e;
        ids[*ne] = id;
        flags[*ne] = HS_FLAG_DOTALL;
        (*ne)++;
    }
    return TRAWL_OK;
}

static bool forced(const trawl_fuzzy_db *db)
{
    for (size_t i = 0; i < db->n; i++)
        if (db->pats[i].forced_seed)
            return true;
    return false;
}

trawl_status trawl__fz_seed_compile(trawl_fuzzy_db *db, trawl_error *err)
{
    size_t total = 0;
    for (size_t i = 0; i < db->n; i++)
        if (db->pats[i].seeded)
            total += db->pats[i].k + 1;
    if (total == 0)
        return TRAWL_OK;
    char **exprs = calloc(total, sizeof(*exprs));
    unsigned *ids = calloc(total, sizeof(*ids));
    unsigned *flags = calloc(total, sizeof(*flags));
    trawl_status st = (exprs && ids && flags) ? TRAWL_OK : TRAWL_ENOMEM;
    size_t ne = 0;
    for (size_t i = 0; i < db->n && !st; i++)
        if (db->pats[i].seeded)
            st = add_pieces(&db->pats[i], (unsigned)i, exprs, ids, flags, &ne);
    if (st) {
        trawl__fail(err, st, "out of memory");
    } else {
        hs_compile_error_t *ce = NULL;
        if (hs_compile_multi((const char *const *)exprs, flags, ids, (unsigned)ne, HS_MODE_STREAM,
                             NULL, &db->hs, &ce) != HS_SUCCESS) {
            db->hs = NULL;
            if (forced(db)) {
                st = trawl__fail(err, TRAWL_EENGINE, "seed database: %s",
                                 ce && ce->message ? ce->message : "compile failed");
                if (err && ce)
                    err->index = ce->expression >= 0 ? (int64_t)ids[ce->expression] : -1;
            } else {
                /* seeds are an optimisation: without them every pattern
                 * still runs its kernel over all bytes */
                for (size_t i = 0; i < db->n; i++)
                    db->pats[i].seeded = false;
            }
        }
        hs_free_compile_error(ce);
    }
    for (size_t i = 0; exprs && i < ne; i++)
        free(exprs[i]);
    free(exprs);
    free(ids);
    free(flags);
    return st;
}
