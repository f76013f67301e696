/* fuzzy_int.h -- what the files of src/fuzzy share: the compiled pattern,
 * the stream's layout, the kernels, verification and selection. Internal:
 * the trawl__fz_ prefix across files, never exported. */
#ifndef TRAWL_SRC_FUZZY_INT_H
#define TRAWL_SRC_FUZZY_INT_H

#include <hs.h>
#include <stdbool.h>
#include <stdint.h>

#include <trawl/fuzzy.h>

enum { FZ_SUB = 1, FZ_INS = 2, FZ_DEL = 4 };

/* How the kernel finds end positions. */
enum fz_kernel {
    FZ_MYERS1,    /* Myers 1999, m <= 64, one word */
    FZ_MYERSB,    /* Myers, blocked: ceil(m/64) words */
    FZ_BITAP,     /* shift-and with k+1 error levels, m <= 64 */
    FZ_BITAP_SUF, /* the same on the last 64 positions, then a full count */
};

typedef struct fz_pat {
    char *name;
    size_t m;
    uint8_t *val, *mask; /* m each */
    unsigned k;          /* effective: 0 when no operation is enabled */
    unsigned ops;        /* FZ_SUB | FZ_INS | FZ_DEL */
    double min_sim;
    enum fz_kernel kernel;
    size_t words;      /* Myers: blocks; bitap: 1 */
    size_t km;         /* kernel pattern length (bitap-suffix: 64) */
    uint64_t *peq;     /* [256][words]: bit i of block w set iff position 64w+i matches c */
    size_t lmin, lmax; /* window lengths a candidate can have */
    uint64_t horizon;  /* how far right a better overlapping chain can reach */
    bool seeded;       /* pigeonhole pieces are in db->hs */
    bool forced_seed;  /* TRAWL_FUZZY_FORCE_SEED: no silent fallback */
    uint16_t *rank;    /* [d (k+1) + L - m]: rank of d / L among all such fractions */
    size_t reach;      /* seed end -> region: [to - reach, to + reach) */
} fz_pat;

struct trawl_fuzzy_db {
    size_t n;
    fz_pat *pats;
    hs_database_t *hs; /* streaming db of all seed pieces; id = pattern index */
    size_t hist_cap;   /* bytes of history a stream keeps */
};

/* A candidate window. */
typedef struct fz_cand {
    uint64_t off;
    uint32_t len;
    uint32_t d;
} fz_cand;

/* Per-pattern selection state (select.c). */
typedef struct fz_sel {
    fz_cand *c;
    size_t n, cap;
    uint64_t blocked_until; /* end of the last reported match */
    uint8_t *mark;          /* coverage of taken and open windows during a round */
    size_t mark_cap;
    uint32_t *idx;  /* scratch order */
    uint64_t *key;  /* sort keys, by candidate */
    uint8_t *state; /* per candidate during a round: taken, open */
    size_t idx_cap;
    size_t added; /* candidates added during the current slice */
} fz_sel;

/* Per-pattern kernel state. */
typedef struct fz_kstate {
    uint64_t pos;          /* absolute offset of the next byte the kernel eats */
    uint64_t active_until; /* seeded: the kernel runs while pos < this */
    uint64_t *vp, *vn;     /* Myers: words each; bitap: r[0..k] in vp */
    unsigned score;
    uint64_t seeds;       /* seeds seen in the current slice */
    bool dense;           /* seeded, but this slice runs the kernel over all bytes */
    uint64_t dense_until; /* furthest region end of a seed that dense slices ignored */
} fz_kstate;

struct trawl_fuzzy_stream {
    const trawl_fuzzy_db *db;
    uint64_t pos;  /* absolute offset of the next byte written */
    uint8_t *hist; /* the hist_len bytes before pos - (bytes of the chunk) */
    size_t hist_len;
    uint64_t hist_start;
    const uint8_t *chunk; /* the chunk being written, at chunk_base */
    size_t chunk_len;
    uint64_t chunk_base;
    fz_kstate *ks;
    fz_sel *sel;
    hs_stream_t *hss;
    hs_scratch_t *hscratch;
    uint8_t *win; /* copy of bytes for verification and reporting */
    uint16_t *row0, *row1;
    size_t win_cap;
    bool failed; /* a callback stopped or memory ran out */
    bool finished;
    bool avx2;         /* run the eight-lane kernel */
    bool collect_only; /* tests: keep every candidate in sel, select nothing */
    size_t slice;      /* bytes per slice: shrinks while candidates are dense (stream.c) */
    trawl_status cb_status;
    trawl_fuzzy_match_fn cb;
    void *ud;
};

/* stream.c */
/* Copies bytes [off, off+n) of the stream (history or current chunk). */
void trawl__fz_fetch(const trawl_fuzzy_stream *s, uint64_t off, size_t n, uint8_t *dst);

/* kernels: run from k->pos over p[0..n) (p is byte k->pos); return the
 * index of the first byte after which the distance is <= k, or n. k->pos
 * advances past every byte eaten. */
size_t trawl__fz_myers1(const fz_pat *p, fz_kstate *k, const uint8_t *b, size_t n);
size_t trawl__fz_myersb(const fz_pat *p, fz_kstate *k, const uint8_t *b, size_t n);
size_t trawl__fz_bitap(const fz_pat *p, fz_kstate *k, const uint8_t *b, size_t n);
void trawl__fz_kernel_reset(const fz_pat *p, fz_kstate *k);

/* One 64-position block of Myers' kernel for one text byte (eq: the block's
 * match bits for it). hin is the horizontal delta entering the block's top
 * row (-1..1: 0 for searching, where row 0 is all zeros; +1 for a global
 * distance, where row 0 is 0, 1, 2, ...); returns the delta leaving the row
 * whose bit is hb. Shared by the blocked search kernel (kernel.c) and the
 * distance (distance.c). */
static inline int trawl__fz_myers_block(uint64_t eq, uint64_t *vpp, uint64_t *vnp, int hin,
                                        uint64_t hb)
{
    uint64_t vp = *vpp, vn = *vnp;
    uint64_t xv = eq | vn;
    if (hin < 0)
        eq |= 1;
    uint64_t xh = (((eq & vp) + vp) ^ vp) | eq;
    uint64_t ph = vn | ~(xh | vp);
    uint64_t mh = vp & xh;
    int hout = (ph & hb) ? 1 : (mh & hb) ? -1 : 0;
    ph <<= 1;
    mh <<= 1;
    if (hin < 0)
        mh |= 1;
    else if (hin > 0)
        ph |= 1;
    *vpp = mh | ~(xv | ph);
    *vnp = ph & xv;
    return hout;
}

/* Four independent one-word Myers states (kernel.c). */
typedef struct fz_lanes {
    uint64_t vp[4], vn[4];
    unsigned score[4];
} fz_lanes;
size_t trawl__fz_myers1_x4(const fz_pat *p, fz_lanes *L, const uint8_t *const b[4], size_t n,
                           bool hit[4]);

/* Eight lanes in AVX2 registers (kernel_avx2.c); scores are 64-bit so that
 * they load straight into the vector lanes. Stops after the first byte where
 * a lane is at <= k; *hits gets the lanes' bit mask. Only call it when
 * trawl__fz_have_avx2(). */
typedef struct fz_lanes8 {
    uint64_t vp[8], vn[8];
    int64_t score[8];
} fz_lanes8;
bool trawl__fz_have_avx2(void);
size_t trawl__fz_myers1_x8(const fz_pat *p, fz_lanes8 *L, const uint8_t *const b[8], size_t n,
                           unsigned *hits);
/* Bitap, four lanes, k <= 3: r[d][lane] are the error levels. */
size_t trawl__fz_bitap_x4(const fz_pat *p, uint64_t (*r)[4], const uint8_t *const b[4], size_t n,
                          unsigned *hits);

/* lanes.c: the one-word Myers kernel (8 AVX2 or 4 scalar lanes) or bitap
 * (4 AVX2 lanes, k <= 3) over chunk bytes [pos, upto); the caller checks
 * that the stretch is long (>= 16 lmax + 256) and inside the chunk. */
trawl_status trawl__fz_run_lanes(trawl_fuzzy_stream *s, size_t pi, uint64_t upto);
trawl_status trawl__fz_run_bitap_lanes(trawl_fuzzy_stream *s, size_t pi, uint64_t upto);

/* verify.c: every candidate ending at end (absolute), appended to sel.
 * TRAWL_ENOMEM on failure. */
trawl_status trawl__fz_verify(trawl_fuzzy_stream *s, size_t pi, uint64_t end);
/* select.c */
trawl_status trawl__fz_sel_add(fz_sel *s, uint64_t off, uint32_t len, uint32_t d);
/* Decides every pending candidate that can be decided given that all
 * candidates starting at or before known (absolute) are present; all of
 * them when final. Reports accepted ones through s->cb. */
trawl_status trawl__fz_sel_round(trawl_fuzzy_stream *s, size_t pi, uint64_t known, bool final);
void trawl__fz_sel_free(fz_sel *s);

/* seed.c */
trawl_status trawl__fz_seed_compile(trawl_fuzzy_db *db, trawl_error *err);
bool trawl__fz_seed_worthwhile(const fz_pat *p);
/* every piece has a fixed byte to search for */
bool trawl__fz_seedable(const fz_pat *p);

#endif
