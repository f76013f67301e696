/* crc.c -- CRC computation in the Rocksoft/RevEng model and recovery of all
 * six parameters from message/CRC pairs.
 *
 * Why it works. With the register preset to `init`, the direct algorithm
 * leaves reg = init·x^L + m(x)·x^w  (mod P) after L message bits, and the
 * CRC is R(reg) XOR xorout, R the bit reversal when refout (and m read LSB
 * first per byte when refin). For two messages a, b of the same length the
 * preset and xorout cancel: R^-1(crc(a) XOR crc(b)) = (a XOR b)(x)·x^w mod
 * P, so P divides D = (a XOR b)·x^w + R^-1(crc(a) XOR crc(b)). The GCD of a
 * few such D is P itself, or a small multiple of it whose degree-w divisors
 * are then tried one by one (the idea of CRC RevEng since 3.0). With P
 * known, every message gives w linear equations in the 2w unknown bits of
 * init and xorout; messages of two or more lengths separate them. Each
 * candidate is kept only when one (init, xorout) fits every sample.
 *
 * Without a pair of equal length there is no D; for widths up to 16 every
 * odd polynomial is tried against the linear system instead. */
#include "infer/check_int.h"
#include "infer/gf2.h"

#include <stdlib.h>
#include <string.h>

#define MAX_PAIR_BYTES 8192 /* longer pairs make the GCD cost too much */
#define MAX_PAIRS      8
#define MAX_COFACTOR   12 /* GCD degree above w tried by trial division */
#define MAX_NULL       10 /* init/xorout ambiguity enumerated up to 2^10 */

static uint8_t rev8(uint8_t b)
{
    b = (uint8_t)((b & 0xF0) >> 4 | (b & 0x0F) << 4);
    b = (uint8_t)((b & 0xCC) >> 2 | (b & 0x33) << 2);
    return (uint8_t)((b & 0xAA) >> 1 | (b & 0x55) << 1);
}

static uint64_t width_mask(unsigned w)
{
    return w >= 64 ? ~0ull : (1ull << w) - 1;
}

/* The register after feeding p[0..n) from preset reg (no refout/xorout). */
static uint64_t crc_feed(unsigned w, uint64_t poly, bool refin, uint64_t reg, const uint8_t *p,
                         size_t n)
{
    uint64_t mask = width_mask(w);
    unsigned top = w - 1;
    for (size_t i = 0; i < n; i++) {
        uint8_t b = refin ? rev8(p[i]) : p[i];
        for (int k = 7; k >= 0; k--) {
            uint64_t fb = (reg >> top ^ (uint64_t)(b >> k)) & 1;
            reg = (reg << 1) & mask;
            if (fb)
                reg ^= poly;
        }
    }
    return reg;
}

uint64_t trawl_crc_compute(const trawl_crc_params *c, const uint8_t *p, size_t n)
{
    if (!c || c->width < 1 || c->width > 64)
        return 0;
    uint64_t mask = width_mask(c->width);
    uint64_t reg = crc_feed(c->width, c->poly & mask, c->refin, c->init & mask, p, n);
    if (c->refout)
        reg = gf2_reflect(reg, c->width);
    return (reg ^ c->xorout) & mask;
}

/* --- init and xorout for a known polynomial ---------------------------- */

static unsigned score_solution(uint64_t init, uint64_t xorout, uint64_t mask)
{
    unsigned s = 0;
    if (xorout != 0 && xorout != mask)
        s += 200;
    if (init != 0 && init != mask)
        s += 100;
    return s + (unsigned)__builtin_popcountll(xorout);
}

/* Solves init/xorout for polynomial poly and the reflection setting over all
 * samples: true and *out filled when consistent. */
static bool solve_init_xorout(const trawl_check_sample *s, size_t n, unsigned w, uint64_t poly,
                              bool refin, bool refout, gf2_sys *sys, trawl_crc_params *out)
{
    gf2_mod m;
    gf2_mod_init(&m, w, poly);
    gf2_sys_reset(sys);
    uint64_t cols[64];
    for (size_t j = 0; j < n; j++) {
        uint64_t b = crc_feed(w, m.poly, refin, 0, s[j].data.ptr, s[j].data.len);
        uint64_t t = gf2_xpow(&m, 8 * (uint64_t)s[j].data.len);
        for (unsigned i = 0; i < w; i++) {
            cols[i] = t;
            t = gf2_mulx(&m, t);
        }
        for (unsigned k = 0; k < w; k++) {
            unsigned kk = refout ? w - 1 - k : k;
            uint64_t c[2] = {0, 0};
            for (unsigned i = 0; i < w; i++)
                if (cols[i] >> kk & 1)
                    c[i >> 6] |= 1ull << (i & 63);
            unsigned xv = w + k;
            c[xv >> 6] |= 1ull << (xv & 63);
            int rhs = (int)((s[j].check >> k ^ b >> kk) & 1);
            gf2_sys_add(sys, c, rhs);
        }
        if (sys->inconsistent)
            return false;
    }
    uint64_t x[2], null[MAX_NULL][2];
    unsigned nnull = 0;
    if (!gf2_sys_solve(sys, x, null, MAX_NULL, &nnull))
        return false;
    unsigned nn = nnull < MAX_NULL ? nnull : MAX_NULL;
    uint64_t mask = m.mask, best_i = 0, best_x = 0;
    unsigned best = ~0u;
    for (uint32_t combo = 0; combo < (1u << nn); combo++) {
        uint64_t v[2] = {x[0], x[1]};
        for (unsigned b = 0; b < nn; b++)
            if (combo >> b & 1) {
                v[0] ^= null[b][0];
                v[1] ^= null[b][1];
            }
        /* unknowns 0..w-1 are init, w..2w-1 xorout */
        uint64_t init = w == 64 ? v[0] : v[0] & mask;
        uint64_t xo = w == 64 ? v[1] : ((v[0] >> w) | (w ? v[1] << (64 - w) : 0)) & mask;
        unsigned sc = score_solution(init, xo, mask);
        if (sc < best) {
            best = sc;
            best_i = init;
            best_x = xo;
        }
    }
    *out = (trawl_crc_params){w, m.poly, best_i, refin, refout, best_x};
    for (size_t j = 0; j < n; j++)
        if (trawl_crc_compute(out, s[j].data.ptr, s[j].data.len) != (s[j].check & mask))
            return false;
    return true;
}

/* --- candidate polynomials from equal-length pairs ----------------------- */

/* D = d(x)·x^w + r(x) for the XOR d of a and b (same length). */
static bool build_d(gf2_poly *d, const trawl_span *a, const trawl_span *b, uint64_t r, unsigned w,
                    bool refin)
{
    size_t n = a->len;
    if (!gf2_poly_init(d, (w + 8 * n) / 64 + 2))
        return false;
    for (size_t i = 0; i < n; i++) {
        uint8_t v = (uint8_t)(a->ptr[i] ^ b->ptr[i]);
        if (refin)
            v = rev8(v);
        if (!v)
            continue;
        size_t pos = w + 8 * (n - 1 - i);
        d->w[pos >> 6] ^= (uint64_t)v << (pos & 63);
        if ((pos & 63) > 56)
            d->w[(pos >> 6) + 1] ^= (uint64_t)v >> (64 - (pos & 63));
    }
    d->w[0] ^= r & (w >= 64 ? ~0ull : (1ull << w) - 1);
    gf2_poly_norm(d);
    return true;
}

static int cmp_len(const void *x, const void *y)
{
    const trawl_check_sample *a = *(const trawl_check_sample *const *)x;
    const trawl_check_sample *b = *(const trawl_check_sample *const *)y;
    return a->data.len < b->data.len ? -1 : a->data.len > b->data.len;
}

/* GCD of the D of up to MAX_PAIRS equal-length pairs (shortest first).
 * Returns 1 with *g set, 0 when there is no usable pair, -1 on ENOMEM. */
static int pairs_gcd(const trawl_check_sample *const *by_len, size_t n, unsigned w, bool refin,
                     bool refout, gf2_poly *g)
{
    int have = 0, pairs = 0;
    for (size_t i = 1; i < n && pairs < MAX_PAIRS; i++) {
        const trawl_check_sample *a = by_len[i - 1], *b = by_len[i];
        if (a->data.len != b->data.len || a->data.len > MAX_PAIR_BYTES)
            continue;
        uint64_t r = (a->check ^ b->check) & width_mask(w);
        if (refout)
            r = gf2_reflect(r, w);
        gf2_poly d;
        if (!build_d(&d, &a->data, &b->data, r, w, refin))
            return -1;
        if (d.deg < 0) {
            gf2_poly_free(&d);
            continue;
        }
        pairs++;
        if (!have) {
            *g = d;
            have = 1;
            continue;
        }
        /* gcd(g, d): the bigger array must hold the running value */
        gf2_poly_gcd(&d, g);
        gf2_poly_free(g);
        *g = d;
        gf2_poly_norm(g);
        if (g->deg < (long)w)
            return 1;
    }
    return have;
}

/* Candidate generators (lower w bits) from g: g itself at degree w, or g/q
 * for the degree-(deg g - w) polynomials q dividing g. */
static size_t candidates_from_gcd(gf2_poly *g, unsigned w, uint64_t *cand, size_t max)
{
    long e = g->deg - (long)w;
    if (e < 0 || e > MAX_COFACTOR)
        return 0;
    if (e == 0) {
        cand[0] = g->w[0] & width_mask(w);
        return 1;
    }
    size_t k = 0;
    gf2_poly q, a, quo;
    if (!gf2_poly_init(&q, 1) || !gf2_poly_init(&a, g->cap) || !gf2_poly_init(&quo, g->cap)) {
        gf2_poly_free(&q);
        gf2_poly_free(&a);
        gf2_poly_free(&quo);
        return 0;
    }
    for (uint64_t low = 0; low < (1ull << e) && k < max; low++) {
        q.w[0] = 1ull << e | low;
        q.deg = e;
        memcpy(a.w, g->w, g->cap * sizeof(uint64_t));
        a.deg = g->deg;
        if (gf2_poly_divexact(&a, &q, &quo) && quo.deg == (long)w)
            cand[k++] = quo.w[0] & width_mask(w);
    }
    gf2_poly_free(&q);
    gf2_poly_free(&a);
    gf2_poly_free(&quo);
    return k;
}

/* Whether x^w + p divides g (w <= 16), by reducing g one bit at a time. */
static bool divides(const gf2_poly *g, unsigned w, uint64_t p)
{
    uint64_t r = 0, top = 1ull << w;
    for (long i = g->deg; i >= 0; i--) {
        r = r << 1 | (g->w[i >> 6] >> (i & 63) & 1);
        if (r & top)
            r ^= top | p;
    }
    return r == 0;
}

trawl_status trawl__crc_recover(const trawl_check_sample *s, size_t n, unsigned w, bool search,
                                trawl_crc_params *out, bool *found)
{
    *found = false;
    const trawl_check_sample **by_len = malloc(n * sizeof(*by_len));
    gf2_sys sys;
    if (!by_len || !gf2_sys_init(&sys, 2 * w)) {
        free(by_len);
        return TRAWL_ENOMEM;
    }
    for (size_t i = 0; i < n; i++)
        by_len[i] = &s[i];
    qsort(by_len, n, sizeof(*by_len), cmp_len);
    static const bool modes[4][2] = {{false, false}, {true, true}, {false, true}, {true, false}};
    trawl_status st = TRAWL_OK;
    for (int mi = 0; mi < 4 && !*found; mi++) {
        bool refin = modes[mi][0], refout = modes[mi][1];
        gf2_poly g = {0};
        int r = pairs_gcd(by_len, n, w, refin, refout, &g);
        if (r < 0) {
            st = TRAWL_ENOMEM;
            break;
        }
        if (r > 0) {
            uint64_t cand[64];
            size_t nc = candidates_from_gcd(&g, w, cand, 64);
            for (size_t c = 0; c < nc && !*found; c++)
                *found = solve_init_xorout(s, n, w, cand[c], refin, refout, &sys, out);
            bool too_few = nc == 0 && g.deg > (long)w;
            if (!too_few || w > 16 || !search) {
                gf2_poly_free(&g);
                continue;
            }
            /* too few pairs to bring the GCD down to degree w: try every
             * odd polynomial that divides it */
            for (uint64_t p = 1; p <= width_mask(w) && !*found; p += 2)
                if (divides(&g, w, p))
                    *found = solve_init_xorout(s, n, w, p, refin, refout, &sys, out);
            gf2_poly_free(&g);
            continue;
        }
        if (w > 16 || !search)
            continue;
        /* no pair: every odd polynomial */
        for (uint64_t p = 1; p <= width_mask(w) && !*found; p += 2)
            *found = solve_init_xorout(s, n, w, p, refin, refout, &sys, out);
    }
    gf2_sys_free(&sys);
    free(by_len);
    return st;
}
