/* ai_vs_ai/sketch.h -- what the ai_vs_ai detector remembers of one query: a
 * MinHash signature of its word bigrams (to estimate how similar two
 * queries are without keeping their text), its type (the leading question
 * word or verb) and its first bytes for evidence.
 *
 * MinHash: for each of K independent hash functions h_i, keep the minimum of
 * h_i over the query's shingles. Two queries agree on coordinate i with
 * probability equal to the Jaccard similarity of their shingle sets, so the
 * fraction of agreeing coordinates estimates it (standard error
 * sqrt(J(1-J)/K), 0.0625 at worst for K = 64). 16 bits of each minimum are
 * kept ("b-bit MinHash"); chance agreements add ~2^-16, negligible. */
#ifndef TRAWL_DETECT_AIVA_SKETCH_H
#define TRAWL_DETECT_AIVA_SKETCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define AIVA_MH_K 64
#define AIVA_HEAD 40

typedef struct aiva_qrec {
    uint64_t t_ms;
    uint16_t mh[AIVA_MH_K];
    uint8_t type;    /* index into aiva_type_name; 0 = other */
    uint8_t has_sig; /* 0 when the query had no words */
    uint8_t seeded;  /* from in->history, not a request seen here */
    char head[AIVA_HEAD + 1];
} aiva_qrec;

/* The hash family: h_i(x) = a_i * x + b_i mod 2^32 with odd a_i (a
 * bijection of 32-bit values), applied to the XXH3 hash of each shingle
 * folded to 32 bits. Constants from a fixed splitmix64 sequence. Immutable
 * once filled. */
typedef struct aiva_mh {
    uint32_t a[AIVA_MH_K], b[AIVA_MH_K];
    bool avx2; /* the AVX2 loop may run (set from the CPU; tests clear it to compare) */
} aiva_mh;
void aiva_mh_init(aiva_mh *mh);

/* Fills r (t_ms is left for the caller) from the query text p[0..n). At most
 * max_bytes of it are read. O(n * K), allocates nothing. */
void aiva_sketch(const aiva_mh *mh, const uint8_t *p, size_t n, size_t max_bytes, aiva_qrec *r);
/* Estimated Jaccard similarity of the word-bigram sets, 0..1. */
double aiva_similarity(const aiva_qrec *a, const aiva_qrec *b);

/* Query types: 0 "other", then question words and imperative verbs. */
#define AIVA_TYPES 33
const char *aiva_type_name(unsigned type);

#endif
