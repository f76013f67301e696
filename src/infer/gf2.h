/* gf2.h -- arithmetic over GF(2) for checksum recovery: polynomials of any
 * degree (bit arrays, bit i = coefficient of x^i), polynomials of degree
 * below 64 modulo a generator of degree w <= 64, and linear systems of up
 * to 128 unknowns. Internal to infer/. */
#ifndef TRAWL_SRC_INFER_GF2_H
#define TRAWL_SRC_INFER_GF2_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A polynomial of any degree: words[0] bit 0 is x^0. len words allocated;
 * deg is the degree, -1 for the zero polynomial. */
typedef struct gf2_poly {
    uint64_t *w;
    size_t cap; /* words allocated */
    long deg;
} gf2_poly;

/* Allocates room for degree < 64 * words. false on ENOMEM. */
bool gf2_poly_init(gf2_poly *p, size_t words);
void gf2_poly_free(gf2_poly *p);
/* Recomputes deg from the words. */
void gf2_poly_norm(gf2_poly *p);
/* a = a mod b (b non-zero). O(deg a * words(b)). */
void gf2_poly_mod(gf2_poly *a, const gf2_poly *b);
/* a = gcd(a, b); b is clobbered. */
void gf2_poly_gcd(gf2_poly *a, gf2_poly *b);
/* q = a / b exactly when b divides a: returns false (q undefined) otherwise.
 * a is clobbered; q must have room for deg a - deg b + 1 bits. */
bool gf2_poly_divexact(gf2_poly *a, const gf2_poly *b, gf2_poly *q);

/* Arithmetic modulo P = x^w + poly (poly holds the lower w terms), values of
 * degree < w in the low w bits of a uint64_t. */
typedef struct gf2_mod {
    unsigned w;
    uint64_t poly, mask;
} gf2_mod;

void gf2_mod_init(gf2_mod *m, unsigned w, uint64_t poly);
/* a * x mod P. */
static inline uint64_t gf2_mulx(const gf2_mod *m, uint64_t a)
{
    uint64_t top = a >> (m->w - 1) & 1;
    a = (a << 1) & m->mask;
    return top ? a ^ m->poly : a;
}
/* a * b mod P. O(w). */
uint64_t gf2_mulmod(const gf2_mod *m, uint64_t a, uint64_t b);
/* x^e mod P. O(w log e). */
uint64_t gf2_xpow(const gf2_mod *m, uint64_t e);

/* The low `bits` bits of v in reverse order. */
uint64_t gf2_reflect(uint64_t v, unsigned bits);

/* A linear system over GF(2) in up to 128 unknowns: each row is a 128-bit
 * coefficient vector and a right-hand side bit. */
typedef struct gf2_row {
    uint64_t c[2];
    uint8_t rhs;
} gf2_row;

typedef struct gf2_sys {
    unsigned nvars;
    gf2_row *rows;
    size_t n, cap;
    bool inconsistent;
    /* after solve: */
    int pivot_row[128]; /* row holding the pivot of each variable, or -1 */
} gf2_sys;

bool gf2_sys_init(gf2_sys *s, unsigned nvars);
void gf2_sys_free(gf2_sys *s);
void gf2_sys_reset(gf2_sys *s);
/* Adds one equation, reducing it against the rows kept so far (so the rows
 * stay in echelon form and memory stays at nvars rows). false on ENOMEM. */
bool gf2_sys_add(gf2_sys *s, const uint64_t c[2], int rhs);
/* One solution (free variables 0) into x[2]; false when inconsistent. Also
 * fills the null space basis: up to max_null vectors into null[][2], count
 * in *nnull (the dimension, even when larger than max_null). */
bool gf2_sys_solve(gf2_sys *s, uint64_t x[2], uint64_t (*null)[2], unsigned max_null,
                   unsigned *nnull);

#endif
