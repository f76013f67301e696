/* ai_vs_ai/trigram.c -- the character-trigram model and the sliding-window
 * surprise score. Costs are precomputed for every (a, b, c) so that scoring
 * is two table loads per code point. */
#include "detect/ai_vs_ai/trigram.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define V        AIVA_SYMS
#define COST_ONE 256.0 /* cost units per bit */

/* Rows of costs for each context (a, b): a context seen in training has
 * a row of its own; an unseen one backs off to the bigram row of b. Only
 * seen contexts are computed (about a sixth of all), which keeps building
 * the model at start-up to a fraction of a millisecond. */
struct aiva_lm {
    uint32_t row[V * V]; /* (a, b) -> first cost of its row in cost[] */
    uint16_t *cost;      /* V bigram rows, then one row per seen context */
    uint8_t ascii[128];  /* aiva_sym of the ASCII code points */
};

#define RING(i) ((i) & (AIVA_WINDOW_MAX - 1))

/* Typographic quotes, dashes, the ellipsis and no-break space count as
 * their ASCII forms (as in scripts/gen_char_trigrams.py). */
static uint32_t plain(uint32_t cp)
{
    switch (cp) {
    case 0x2018:
    case 0x2019:
        return '\'';
    case 0x201C:
    case 0x201D:
        return '"';
    case 0x2013:
    case 0x2014:
        return '-';
    case 0x2026:
        return '.';
    case 0xA0:
        return ' ';
    default:
        return cp;
    }
}

unsigned aiva_sym(uint32_t cp)
{
    cp = plain(cp);
    if (cp >= 'a' && cp <= 'z')
        return cp - 'a' + 1;
    if (cp >= 'A' && cp <= 'Z')
        return cp - 'A' + 27;
    if (cp >= '0' && cp <= '9')
        return 53;
    if (cp == ' ' || (cp >= 0x09 && cp <= 0x0D))
        return AIVA_SYM_SPACE;
    if (cp >= 0x21 && cp <= 0x7E) {
        /* punctuation, numbered in code-point order: 21-2F, 3A-40, 5B-60, 7B-7E */
        if (cp <= 0x2F)
            return 54 + (cp - 0x21);
        if (cp <= 0x40)
            return 54 + 15 + (cp - 0x3A);
        if (cp <= 0x60)
            return 54 + 22 + (cp - 0x5B);
        return 54 + 28 + (cp - 0x7B);
    }
    if (cp >= 0xC0 && cp <= 0x24F && cp != 0xD7 && cp != 0xF7)
        return 86;
    return AIVA_SYM_OTHER;
}

typedef struct lm_counts {
    uint64_t ctx2[V * V];   /* C(a b .) */
    uint32_t types2[V * V]; /* distinct c after a b */
    uint64_t bi[V * V];     /* C(b c) */
    uint64_t ctx1[V];       /* C(b .) */
    uint32_t types1[V];     /* distinct c after b */
    uint64_t uni[V];
    uint64_t total;
} lm_counts;

static uint16_t to_cost(double p)
{
    double bits = -log2(p) * COST_ONE;
    return (uint16_t)(bits > 65535 ? 65535 : bits + 0.5);
}

static bool counted(const aiva_trigram_count *t)
{
    return t->a < V && t->b < V && t->c < V;
}

aiva_lm *aiva_lm_new(void)
{
    lm_counts *k = calloc(1, sizeof(*k));
    aiva_lm *lm = calloc(1, sizeof(*lm));
    double *p_bi = malloc(V * V * sizeof(*p_bi));
    uint32_t *tri = NULL;
    if (!k || !lm || !p_bi)
        goto fail;
    for (size_t i = 0; i < aiva_trigram_count_n; i++) {
        const aiva_trigram_count *t = &aiva_trigram_counts[i];
        if (!counted(t))
            continue;
        k->ctx2[t->a * V + t->b] += t->n;
        k->types2[t->a * V + t->b]++;
        if (k->bi[t->b * V + t->c] == 0)
            k->types1[t->b]++;
        k->bi[t->b * V + t->c] += t->n;
        k->ctx1[t->b] += t->n;
        k->uni[t->c] += t->n;
        k->total += t->n;
    }
    size_t rows = V;
    for (size_t ab = 0; ab < V * V; ab++)
        lm->row[ab] = (uint32_t)((k->ctx2[ab] ? rows++ : ab % V) * V);
    for (uint32_t c = 0; c < 128; c++)
        lm->ascii[c] = (uint8_t)aiva_sym(c);
    lm->cost = malloc(rows * V * sizeof(*lm->cost));
    tri = calloc(rows * V, sizeof(*tri)); /* C(a b c), by row */
    if (!lm->cost || !tri)
        goto fail;
    for (size_t i = 0; i < aiva_trigram_count_n; i++) {
        const aiva_trigram_count *t = &aiva_trigram_counts[i];
        if (counted(t))
            tri[lm->row[t->a * V + t->b] + t->c] += t->n;
    }
    for (unsigned b = 0; b < V; b++) {
        for (unsigned c = 0; c < V; c++) {
            double p = ((double)k->uni[c] + 1) / ((double)k->total + V);
            if (k->ctx1[b])
                p = ((double)k->bi[b * V + c] + k->types1[b] * p) /
                    ((double)k->ctx1[b] + k->types1[b]);
            p_bi[b * V + c] = p;
            lm->cost[b * V + c] = to_cost(p);
        }
    }
    for (unsigned a = 0; a < V; a++) {
        for (unsigned b = 0; b < V; b++) {
            size_t ab = (size_t)a * V + b;
            if (!k->ctx2[ab]) /* unseen context: its row is the bigram one */
                continue;
            uint16_t *row = &lm->cost[lm->row[ab]];
            const uint32_t *n = &tri[lm->row[ab]];
            for (unsigned c = 0; c < V; c++)
                row[c] = to_cost(((double)n[c] + k->types2[ab] * p_bi[b * V + c]) /
                                 ((double)k->ctx2[ab] + k->types2[ab]));
        }
    }
    free(tri);
    free(p_bi);
    free(k);
    return lm;
fail:
    free(tri);
    free(p_bi);
    free(k);
    aiva_lm_free(lm);
    return NULL;
}

void aiva_lm_free(aiva_lm *lm)
{
    if (lm)
        free(lm->cost);
    free(lm);
}

void aiva_gib_init(aiva_gib *g, const aiva_lm *lm, unsigned window)
{
    memset(g, 0, offsetof(aiva_gib, off)); /* the ring's costs too: see aiva_gib */
    g->lm = lm;
    g->window = window < 8 ? 8 : window > AIVA_WINDOW_MAX ? AIVA_WINDOW_MAX : window;
    g->a = g->b = AIVA_SYM_SPACE;
    g->sum = 0;
    g->n_other = 0;
    g->slot = 0;
    g->n = 0;
    g->best_sum = 0;
    g->best = 0;
    g->best_start = g->best_end = 0;
    g->scored = false;
}

/* The scorer's scalar state, a local while symbols are pushed (the
 * compiler keeps it in registers; only the ring is written through g). */
typedef struct gib_regs {
    unsigned b, ab, slot, n_other; /* ab: the context a * V + b */
    uint32_t sum;
    size_t seen, best_start, best_end;
    int64_t best; /* -1 until a window qualifies: then any full window beats it */
} gib_regs;

static inline gib_regs gib_load(const aiva_gib *g)
{
    return (gib_regs){.b = g->b,
                      .ab = g->a * V + g->b,
                      .slot = g->slot,
                      .n_other = g->n_other,
                      .sum = g->sum,
                      .seen = g->n,
                      .best_start = g->best_start,
                      .best_end = g->best_end,
                      .best = g->scored ? (int64_t)g->best_sum : -1};
}

static inline void gib_store(aiva_gib *g, const gib_regs *r)
{
    g->a = r->ab / V;
    g->b = r->b;
    g->slot = r->slot;
    g->n_other = r->n_other;
    g->sum = r->sum;
    g->n = r->seen;
    if (r->best >= 0) {
        g->best_sum = (uint32_t)r->best;
        g->best_start = r->best_start;
        g->best_end = r->best_end;
        g->scored = true;
    }
}

/* Symbol c of the code point at bytes [off, end). The ring's entry leaving
 * the window is window places back; entries not yet written are zero, so
 * the first window needs no test. A window is scored only when at most a
 * quarter of it is outside the model's alphabet (Chinese, Hindi, ... text
 * is not English gibberish); full windows have equal length, so sums
 * compare as means do. */
static inline void gib_step(aiva_gib *g, gib_regs *r, unsigned c, size_t off, size_t end)
{
    if ((c | r->b) == AIVA_SYM_SPACE)
        return; /* whitespace runs count once, as in training */
    const aiva_lm *lm = g->lm;
    unsigned cost = lm->cost[lm->row[r->ab] + c], other = c == AIVA_SYM_OTHER;
    unsigned out = RING(r->slot - g->window);
    r->sum += cost - g->cost[out];
    r->n_other += other - g->other[out];
    g->cost[r->slot] = (uint16_t)cost;
    g->other[r->slot] = (uint8_t)other;
    g->off[r->slot] = off;
    r->seen++;
    r->slot = RING(r->slot + 1);
    r->ab = r->b * V + c;
    r->b = c;
    if ((int64_t)r->sum > r->best && r->seen >= g->window && r->n_other * 4 <= g->window) {
        r->best = r->sum;
        r->best_start = g->off[RING(r->slot - g->window)]; /* the oldest entry */
        r->best_end = end;
    }
}

void aiva_gib_push(aiva_gib *g, uint32_t cp, size_t off, size_t end)
{
    gib_regs r = gib_load(g);
    gib_step(g, &r, cp < 128 ? g->lm->ascii[cp] : aiva_sym(cp), off, end);
    gib_store(g, &r);
}

size_t aiva_gib_push_ascii(aiva_gib *g, const uint8_t *p, size_t i, size_t n)
{
    gib_regs r = gib_load(g);
    const uint8_t *ascii = g->lm->ascii;
    for (; i < n && p[i] < 0x80; i++)
        gib_step(g, &r, ascii[p[i]], i, i + 1);
    gib_store(g, &r);
    return i;
}

void aiva_gib_finish(aiva_gib *g, size_t text_end)
{
    if (g->scored) {
        g->best = (double)g->best_sum / COST_ONE / g->window;
    } else if (g->n < g->window && g->n >= g->window / 2 && g->n_other * 4 <= g->n) {
        /* a text shorter than one window is scored whole */
        g->best = (double)g->sum / COST_ONE / (double)g->n;
        g->best_start = g->off[0];
        g->best_end = text_end;
        g->scored = true;
    }
}
