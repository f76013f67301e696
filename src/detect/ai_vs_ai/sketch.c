/* ai_vs_ai/sketch.c -- MinHash signatures of word bigrams and query types.
 *
 * Words are runs of ASCII letters and digits and of non-ASCII bytes, ASCII
 * lower-cased; a one-word query uses the word itself as its only shingle. */
#include "detect/ai_vs_ai/sketch.h"

#include <string.h>
#include <xxhash.h>

static uint64_t splitmix64(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

void aiva_mh_init(aiva_mh *mh)
{
    uint64_t s = 0x7472617761697661ull; /* fixed: signatures must agree across runs */
    for (int i = 0; i < AIVA_MH_K; i++) {
        mh->a[i] = (uint32_t)splitmix64(&s) | 1u;
        mh->b[i] = (uint32_t)splitmix64(&s);
    }
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
    mh->avx2 = __builtin_cpu_supports("avx2");
#else
    mh->avx2 = false;
#endif
}

static bool word_byte(uint8_t c)
{
    return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') || c >= 0x80;
}

static const char *const type_names[AIVA_TYPES] = {
    "other",    "what",    "who",  "where",     "when",      "why",       "how",
    "which",    "be",      "do",   "modal",     "have",      "write",     "explain",
    "describe", "list",    "give", "tell",      "summarize", "translate", "generate",
    "create",   "show",    "find", "calculate", "compare",   "classify",  "define",
    "rewrite",  "suggest", "name", "identify",  "convert",
};

/* Leading words and the type each one means. */
static const struct {
    const char *w;
    uint8_t type;
} leads[] = {
    {"what", 1},     {"whats", 1},      {"who", 2},         {"whom", 2},       {"whose", 2},
    {"where", 3},    {"when", 4},       {"why", 5},         {"how", 6},        {"which", 7},
    {"is", 8},       {"are", 8},        {"was", 8},         {"were", 8},       {"am", 8},
    {"do", 9},       {"does", 9},       {"did", 9},         {"can", 10},       {"could", 10},
    {"would", 10},   {"will", 10},      {"should", 10},     {"shall", 10},     {"may", 10},
    {"might", 10},   {"must", 10},      {"have", 11},       {"has", 11},       {"had", 11},
    {"write", 12},   {"explain", 13},   {"describe", 14},   {"list", 15},      {"give", 16},
    {"tell", 17},    {"summarize", 18}, {"summarise", 18},  {"translate", 19}, {"generate", 20},
    {"create", 21},  {"make", 21},      {"show", 22},       {"find", 23},      {"calculate", 24},
    {"compute", 24}, {"solve", 24},     {"compare", 25},    {"classify", 26},  {"categorize", 26},
    {"define", 27},  {"rewrite", 28},   {"paraphrase", 28}, {"suggest", 29},   {"recommend", 29},
    {"name", 30},    {"identify", 31},  {"convert", 32},
};

const char *aiva_type_name(unsigned type)
{
    return type < AIVA_TYPES ? type_names[type] : "?";
}

static uint8_t type_of(const char *w, size_t n)
{
    for (size_t i = 0; i < sizeof(leads) / sizeof(leads[0]); i++)
        if (strlen(leads[i].w) == n && !memcmp(leads[i].w, w, n))
            return leads[i].type;
    return 0;
}

/* 32-bit lanes so that the loop vectorises: h_i = a_i * x + b_i mod 2^32 is
 * a bijection of 32-bit values for odd a_i. Shingles come in batches, so
 * that one call does the work of many: baseline x86-64 (SSE2) has neither
 * a 32-bit multiply nor an unsigned minimum of lanes, AVX2 has both, and
 * which one runs is decided once at run time. Both give the same minima. */
#define BATCH 256

static inline void mins_update(const aiva_mh *mp, const uint32_t *xs, size_t n, uint32_t *mins)
{
    for (size_t j = 0; j < n; j++)
        for (int i = 0; i < AIVA_MH_K; i++) {
            uint32_t h = mp->a[i] * xs[j] + mp->b[i];
            mins[i] = h < mins[i] ? h : mins[i];
        }
}

static void mins_portable(const aiva_mh *mp, const uint32_t *xs, size_t n, uint32_t *mins)
{
    mins_update(mp, xs, n, mins);
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define HAVE_AVX2_LOOP 1
__attribute__((target("avx2"))) static void mins_avx2(const aiva_mh *mp, const uint32_t *xs,
                                                      size_t n, uint32_t *mins)
{
    mins_update(mp, xs, n, mins);
}
#endif

typedef struct shingles {
    void (*flush)(const aiva_mh *, const uint32_t *, size_t, uint32_t *);
    uint32_t xs[BATCH];
    size_t n;
} shingles;

static void add_shingle(const aiva_mh *mp, shingles *sh, uint64_t x64, uint32_t *mins)
{
    sh->xs[sh->n++] = (uint32_t)(x64 ^ (x64 >> 32));
    if (sh->n == BATCH) {
        sh->flush(mp, sh->xs, sh->n, mins);
        sh->n = 0;
    }
}

void aiva_sketch(const aiva_mh *mp, const uint8_t *p, size_t n, size_t max_bytes, aiva_qrec *r)
{
    if (n > max_bytes)
        n = max_bytes;
    uint32_t mins[AIVA_MH_K];
    shingles sh;
#ifdef HAVE_AVX2_LOOP
    sh.flush = mp->avx2 ? mins_avx2 : mins_portable;
#else
    sh.flush = mins_portable;
#endif
    sh.n = 0;
    for (int i = 0; i < AIVA_MH_K; i++)
        mins[i] = UINT32_MAX;
    char prev[64], cur[64];
    size_t prev_len = 0, words = 0;
    uint64_t first_hash = 0;
    r->type = 0;
    for (size_t i = 0; i < n;) {
        while (i < n && !word_byte(p[i]))
            i++;
        size_t s = i;
        while (i < n && word_byte(p[i]))
            i++;
        if (i == s)
            break;
        /* Words longer than 63 bytes are cut; the cut part is hashed whole. */
        size_t len = i - s < sizeof(cur) ? i - s : sizeof(cur) - 1;
        for (size_t k = 0; k < len; k++) {
            uint8_t c = p[s + k];
            cur[k] = (char)(c >= 'A' && c <= 'Z' ? c | 0x20 : c);
        }
        if (words == 0) {
            r->type = type_of(cur, len);
            first_hash = XXH3_64bits(cur, len);
        } else {
            char pair[128];
            memcpy(pair, prev, prev_len);
            pair[prev_len] = ' ';
            memcpy(pair + prev_len + 1, cur, len);
            add_shingle(mp, &sh, XXH3_64bits(pair, prev_len + 1 + len), mins);
        }
        memcpy(prev, cur, len);
        prev_len = len;
        words++;
    }
    if (words == 1)
        add_shingle(mp, &sh, first_hash, mins);
    sh.flush(mp, sh.xs, sh.n, mins);
    r->has_sig = words > 0;
    for (int i = 0; i < AIVA_MH_K; i++)
        r->mh[i] = (uint16_t)(mins[i] >> 16);
    /* head: up to AIVA_HEAD bytes, cut at a UTF-8 character boundary */
    size_t h = n < AIVA_HEAD ? n : AIVA_HEAD;
    while (h > 0 && h < n && (p[h] & 0xC0) == 0x80)
        h--;
    memcpy(r->head, p, h);
    r->head[h] = 0;
}

double aiva_similarity(const aiva_qrec *a, const aiva_qrec *b)
{
    if (!a->has_sig || !b->has_sig)
        return 0;
    unsigned same = 0;
    for (int i = 0; i < AIVA_MH_K; i++)
        same += a->mh[i] == b->mh[i];
    return (double)same / AIVA_MH_K;
}
