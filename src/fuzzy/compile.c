/* compile.c -- a set of fuzzy pattern specs into an immutable database:
 * parsed positions, the match tables of the bit-parallel kernels, the window
 * lengths a candidate can have, and the choice of kernel (docs/fuzzy.md,
 * "Choosing the kernel"). */
#include "common/error.h"
#include "fuzzy/fuzzy_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const unsigned known_flags = TRAWL_FUZZY_NO_SUBSTITUTE | TRAWL_FUZZY_NO_INSERT |
                                    TRAWL_FUZZY_NO_DELETE | TRAWL_FUZZY_FORCE_SCAN |
                                    TRAWL_FUZZY_FORCE_SEED;

static trawl_status check_spec(const trawl_fuzzy_spec *sp, trawl_error *err)
{
    if (!sp->pattern)
        return trawl__fail(err, TRAWL_EINVAL, "NULL pattern");
    if (sp->mode != TRAWL_FUZZY_LEVENSHTEIN && sp->mode != TRAWL_FUZZY_HAMMING)
        return trawl__fail(err, TRAWL_EINVAL, "unknown mode %d", (int)sp->mode);
    if (sp->flags & ~known_flags)
        return trawl__fail(err, TRAWL_EINVAL, "unknown flag 0x%x", sp->flags & ~known_flags);
    if ((sp->flags & TRAWL_FUZZY_FORCE_SCAN) && (sp->flags & TRAWL_FUZZY_FORCE_SEED))
        return trawl__fail(err, TRAWL_EINVAL, "FORCE_SCAN and FORCE_SEED together");
    if (!(sp->min_similarity >= 0.0 && sp->min_similarity <= 1.0))
        return trawl__fail(err, TRAWL_EINVAL, "min_similarity must be in [0, 1]");
    if (sp->max_distance > TRAWL_FUZZY_MAX_DISTANCE)
        return trawl__fail(err, TRAWL_EINVAL, "max distance %u exceeds %d", sp->max_distance,
                           TRAWL_FUZZY_MAX_DISTANCE);
    return TRAWL_OK;
}

/* Peq: bit i of word w of row c is set iff position 64w + i + base matches c. */
static void build_peq(fz_pat *p, size_t base)
{
    for (unsigned c = 0; c < 256; c++)
        for (size_t i = 0; i < p->km; i++)
            if ((c & p->mask[base + i]) == p->val[base + i])
                p->peq[c * p->words + i / 64] |= 1ull << (i % 64);
}

typedef struct fraction {
    uint32_t num, den, slot;
} fraction;

static int by_value(const void *x, const void *y)
{
    const fraction *a = x, *b = y;
    uint64_t l = (uint64_t)a->num * b->den, r = (uint64_t)b->num * a->den;
    return l < r ? -1 : l > r;
}

/* Ranks of the similarity fractions d / L (d <= k, m <= L <= m + k), equal
 * fractions sharing a rank, so that selection sorts on small integers. */
static trawl_status build_ranks(fz_pat *p)
{
    size_t w = p->k + 1;
    fraction *f = malloc(w * w * sizeof(*f));
    p->rank = malloc(w * w * sizeof(*p->rank));
    if (!f || !p->rank) {
        free(f);
        return TRAWL_ENOMEM;
    }
    for (size_t d = 0; d < w; d++)
        for (size_t l = 0; l < w; l++)
            f[d * w + l] = (fraction){(uint32_t)d, (uint32_t)(p->m + l), (uint32_t)(d * w + l)};
    qsort(f, w * w, sizeof(*f), by_value);
    uint16_t r = 0;
    for (size_t i = 0; i < w * w; i++) {
        if (i && by_value(&f[i - 1], &f[i]) != 0)
            r++;
        p->rank[f[i].slot] = r;
    }
    free(f);
    return TRAWL_OK;
}

static void choose_kernel(fz_pat *p)
{
    bool subst_only = !(p->ops & (FZ_INS | FZ_DEL));
    if (subst_only) {
        p->kernel = p->m <= 64 ? FZ_BITAP : FZ_BITAP_SUF;
        p->words = 1;
        p->km = p->m <= 64 ? p->m : 64;
    } else {
        p->kernel = p->m <= 64 ? FZ_MYERS1 : FZ_MYERSB;
        p->words = (p->m + 63) / 64;
        p->km = p->m;
    }
}

static trawl_status build_pat(fz_pat *p, const trawl_fuzzy_spec *sp, size_t index, trawl_error *err)
{
    trawl_status s = check_spec(sp, err);
    if (s)
        return s;
    uint8_t val[TRAWL_FUZZY_MAX_PATTERN], mask[TRAWL_FUZZY_MAX_PATTERN];
    s = trawl_fuzzy_parse(sp->pattern, val, mask, TRAWL_FUZZY_MAX_PATTERN, &p->m, err);
    if (s)
        return s;
    char defname[32];
    snprintf(defname, sizeof(defname), "p%zu", index);
    p->name = strdup(sp->name ? sp->name : defname);
    p->val = malloc(p->m);
    p->mask = malloc(p->m);
    if (!p->val || !p->mask || !p->name)
        return trawl__fail(err, TRAWL_ENOMEM, "out of memory");
    memcpy(p->val, val, p->m);
    memcpy(p->mask, mask, p->m);
    if (sp->max_distance >= p->m)
        return trawl__fail(err, TRAWL_EINVAL,
                           "max distance %u must be less than the pattern length %zu",
                           sp->max_distance, p->m);
    p->ops = sp->mode == TRAWL_FUZZY_HAMMING ? FZ_SUB : (FZ_SUB | FZ_INS | FZ_DEL);
    if (sp->flags & TRAWL_FUZZY_NO_SUBSTITUTE)
        p->ops &= ~(unsigned)FZ_SUB;
    if (sp->flags & TRAWL_FUZZY_NO_INSERT)
        p->ops &= ~(unsigned)FZ_INS;
    if (sp->flags & TRAWL_FUZZY_NO_DELETE)
        p->ops &= ~(unsigned)FZ_DEL;
    p->k = p->ops ? sp->max_distance : 0;
    p->min_sim = sp->min_similarity;
    p->lmin = p->m - ((p->ops & FZ_DEL) ? p->k : 0);
    p->lmax = p->m + ((p->ops & FZ_INS) ? p->k : 0);
    /* A better overlapping candidate to the right has strictly higher
     * similarity; there are at most 1 + k(k+1) similarity values. */
    p->horizon = (uint64_t)p->k * (p->k + 1) * p->lmax;
    if (build_ranks(p))
        return trawl__fail(err, TRAWL_ENOMEM, "out of memory");
    choose_kernel(p);
    p->peq = calloc(256 * p->words, sizeof(uint64_t));
    if (!p->peq)
        return trawl__fail(err, TRAWL_ENOMEM, "out of memory");
    build_peq(p, p->kernel == FZ_BITAP_SUF ? p->m - 64 : 0);
    if (sp->flags & TRAWL_FUZZY_FORCE_SEED)
        p->seeded = p->forced_seed = trawl__fz_seedable(p);
    else if (!(sp->flags & TRAWL_FUZZY_FORCE_SCAN))
        p->seeded = trawl__fz_seed_worthwhile(p);
    p->reach = p->lmax;
    return TRAWL_OK;
}

static void free_pats(fz_pat *pats, size_t n)
{
    for (size_t i = 0; pats && i < n; i++) {
        free(pats[i].name);
        free(pats[i].val);
        free(pats[i].mask);
        free(pats[i].peq);
        free(pats[i].rank);
    }
    free(pats);
}

trawl_status trawl_fuzzy_compile(const trawl_fuzzy_spec *specs, size_t n, trawl_fuzzy_db **out,
                                 trawl_error *err)
{
    if (!specs || !out || n == 0)
        return trawl__fail(err, TRAWL_EINVAL, "no patterns");
    trawl_fuzzy_db *db = calloc(1, sizeof(*db));
    fz_pat *pats = calloc(n, sizeof(*pats));
    if (!db || !pats) {
        free(db);
        free(pats);
        return trawl__fail(err, TRAWL_ENOMEM, "out of memory");
    }
    db->pats = pats;
    db->n = n;
    for (size_t i = 0; i < n; i++) {
        trawl_status s = build_pat(&pats[i], &specs[i], i, err);
        if (s) {
            if (err)
                err->index = (int64_t)i;
            trawl_fuzzy_db_free(db);
            return s;
        }
        /* history: verification and reporting reach back this far */
        size_t need = (size_t)pats[i].horizon + 4 * pats[i].lmax + 64;
        if (need > db->hist_cap)
            db->hist_cap = need;
    }
    trawl_status s = trawl__fz_seed_compile(db, err);
    if (s) {
        trawl_fuzzy_db_free(db);
        return s;
    }
    *out = db;
    return TRAWL_OK;
}

void trawl_fuzzy_db_free(trawl_fuzzy_db *db)
{
    if (!db)
        return;
    free_pats(db->pats, db->n);
    hs_free_database(db->hs);
    free(db);
}

size_t trawl_fuzzy_db_count(const trawl_fuzzy_db *db)
{
    return db ? db->n : 0;
}

size_t trawl_fuzzy_db_pattern_length(const trawl_fuzzy_db *db, size_t i)
{
    return db && i < db->n ? db->pats[i].m : 0;
}

const char *trawl_fuzzy_db_kernel(const trawl_fuzzy_db *db, size_t i)
{
    static const char *const names[2][4] = {
        {"myers", "myers-blocked", "bitap", "bitap-suffix"},
        {"myers+seed", "myers-blocked+seed", "bitap+seed", "bitap-suffix+seed"}};
    if (!db || i >= db->n)
        return "";
    return names[db->pats[i].seeded][db->pats[i].kernel];
}
