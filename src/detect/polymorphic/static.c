/* polymorphic/static.c -- judging bytes for packed, encrypted or self-modifying
 * code. Four families of evidence, each explained by what was measured or
 * matched and where:
 *   entropy    whole input, sliding windows, executable sections
 *   packer     section names, entry-point stubs, header signatures
 *   structure  W+X sections/segments, entry point placement, overlay
 *   code       GetPC, XOR decoder loops, NOP sleds, XOR-encoded ELF
 * The confidences are listed in docs/detect-polymorphic.md. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <trawl/analyze.h>

#include "detect/polymorphic/poly_detect.h"

#define ELF_PT_LOAD      1
#define ELF_PT_GNU_STACK 0x6474e551u
#define HEADER_REGION    4096 /* a signature here sits in the packer's own headers */

typedef struct ctx {
    const poly_state *st;
    poly_tstate *ts;
    const uint8_t *p;
    size_t n;
    const char *where;
    trawl_detector_result *out;
    bool cut;            /* p[0..n) is the start of a longer file */
    size_t loop;         /* next XOR-loop tail (its loop opcode) not yet taken; n: none */
    unsigned loop_forms; /* the forms that end there */
    uint64_t loop_end[POLY_LOOP_FORMS]; /* end of each form's last match */
} ctx;

static double ramp(double x, double lo, double hi)
{
    if (hi <= lo)
        return 1;
    double t = (x - lo) / (hi - lo);
    return t < 0 ? 0 : t > 1 ? 1 : t;
}

static void hex16(char *buf, const uint8_t *p, size_t n, uint64_t off, uint64_t len)
{
    size_t k = 0;
    buf[0] = 0;
    for (uint64_t i = 0; i < len && i < 16 && off + i < n; i++)
        k += (size_t)snprintf(buf + k, 4, "%s%02x", i ? " " : "", p[off + i]);
    if (len > 16 && k + 4 < 64)
        memcpy(buf + k, " ..", 4);
}

/* ---- the pattern scan ---------------------------------------------------------- */

static bool sled_byte(uint8_t b)
{
    return (b >= 0x90 && b <= 0x99) || b == 0x9b || b == 0x9e || b == 0x9f || b == 0xf5 ||
           b == 0xf8 || b == 0xf9 || b == 0xfc || b == 0xfd || b == 0x27 || b == 0x2f ||
           b == 0x37 || b == 0x3f || (b >= 0x40 && b <= 0x4f);
}

static bool varied_sled(const uint8_t *p, uint64_t len)
{
    /* A sled of NOP equivalents, not a run of one letter or of A-O text. */
    bool seen[256] = {false};
    unsigned distinct = 0;
    uint64_t letters = 0;
    for (uint64_t i = 0; i < len; i++) {
        distinct += !seen[p[i]];
        seen[p[i]] = true;
        letters += p[i] >= 0x40 && p[i] <= 0x4f;
    }
    return distinct >= 4 && letters * 4 < len * 3;
}

/* Checks a shellcode prefilter match; may move the hit to where the idiom
 * starts (the XOR of a decoder whose loop tail matched). */
static bool verify(const ctx *c, uint32_t pat, uint64_t *off, uint64_t *len, size_t *aux)
{
    size_t s = (size_t)*off, x;
    switch ((poly_idiom)c->st->idiom[pat]) {
    case POLY_SC_GETPC_JCP:
        return poly_jmp_call_pop_at(c->p, c->n, s);
    case POLY_SC_XOR:
        if (!poly_xor_loop_tail(c->p, c->n, s, (size_t)*len, c->ts->img.bits, &x))
            return false;
        *aux = s + (size_t)*len - 2;
        *len = s + *len - x;
        *off = x;
        return true;
    case POLY_SC_XOR_X64:
        *aux = s + (size_t)*len - 1;
        return true;
    case POLY_SC_NOP:
    case POLY_SC_NOP_POLY: {
        /* The pattern is fixed-width: extend to the end of the run, and skip
         * the later matches inside a run already reported. */
        bool plain = c->st->idiom[pat] == POLY_SC_NOP;
        if (*off < c->ts->sled_end[plain])
            return false;
        size_t e = s + (size_t)*len;
        while (e < c->n && (plain ? c->p[e] == 0x90 : sled_byte(c->p[e])))
            e++;
        *len = e - s;
        c->ts->sled_end[plain] = e;
        return plain || varied_sled(c->p + s, *len);
    }
    default:
        return true;
    }
}

/* In an executable, code idioms count only inside executable sections (or
 * executable segments when there are no sections): elsewhere they are data
 * that happens to look like code (unwind tables, strings). */
static bool in_code(const poly_image *img, uint64_t off)
{
    if (img->fmt == POLY_FMT_NONE)
        return true;
    for (size_t i = 0; i < img->n_sections; i++) {
        const poly_section *s = &img->sections[i];
        if (s->exec && off >= s->offset && off - s->offset < s->size)
            return true;
    }
    if (img->n_sections)
        return false;
    for (size_t i = 0; i < img->n_segments; i++) {
        const poly_segment *s = &img->segments[i];
        if (s->x && s->type == ELF_PT_LOAD && off >= s->offset && off - s->offset < s->filesz)
            return true;
    }
    return false;
}

/* Is the idiom at off embedded in random-looking bytes? A real stub is
 * preceded by code, a sled or the start of the input; inside compressed or
 * encrypted data the same few bytes turn up by chance (about one verified
 * XOR loop per 16 MiB of random bytes). The 256 bytes before it decide:
 * random bytes measure 7.37+ (corrected) there, x86 code 5.6 (p99 6.2). */
static bool amid_random(const uint8_t *p, uint64_t off)
{
    if (off < 256)
        return false;
    unsigned k;
    double h = trawl_analyze_entropy(p + off - 256, 256, &k);
    return trawl_analyze_entropy_corrected(h, k, 256) >= 7.3;
}

static void take(ctx *c, uint32_t pat, uint64_t off, uint64_t len)
{
    poly_tstate *ts = c->ts;
    uint8_t kind = c->st->kind[pat];
    if (kind == POLY_K_SEC || kind == POLY_K_EP)
        return; /* those count only where the structure puts them */
    size_t aux = 0;
    if (kind == POLY_K_SC && (!verify(c, pat, &off, &len, &aux) || !in_code(&ts->img, off)))
        return;
    poly_idiom id = (poly_idiom)c->st->idiom[pat];
    if (kind == POLY_K_SC && id != POLY_SC_NOP && id != POLY_SC_NOP_POLY &&
        amid_random(c->p, off)) {
        ts->chance++;
        return;
    }
    if (ts->count[pat]++ < 4 && ts->n_hits < POLY_MAX_HITS)
        ts->hits[ts->n_hits++] = (poly_hit){pat, off, len, aux};
}

/* Takes the XOR-loop tails (sc.xor_loop_*, found in C) that end before
 * end, so that they arrive in end-offset order among the database's
 * matches; the forms ending at one loop in poly_loop_form order, each form
 * leftmost and non-overlapping as the pattern engine reports a pattern. */
static void loops_until(ctx *c, uint64_t end)
{
    while (c->loop < c->n && c->loop + 2 < end) {
        for (unsigned f = 0; f < POLY_LOOP_FORMS; f++) {
            /* A form's matches do not overlap, as a pattern's do not. */
            uint64_t start = c->loop - poly_loop_back[f];
            if (!(c->loop_forms >> f & 1) || start < c->loop_end[f])
                continue;
            take(c, c->st->loop_pat + f, start, poly_loop_back[f] + 2u);
            c->loop_end[f] = c->loop + 2;
        }
        c->loop = poly_loop_tail_next(c->p, c->n, c->loop + 1, &c->loop_forms);
    }
}

static int on_match(const trawl_match *m, void *user)
{
    ctx *c = user;
    loops_until(c, m->offset + m->length);
    take(c, m->pattern, m->offset, m->length);
    return 0;
}

/* Which patterns of one kind match the whole of s[0..n) (names) or its
 * start (entry point bytes)? Bit i of the result is pattern i; at most 64
 * patterns of each scan are reported, which is what the pack holds. */
typedef struct anchored {
    const poly_state *st;
    uint8_t kind;
    uint64_t width; /* 0: any; else the match must span this many bytes */
    uint32_t found[8];
    size_t nfound;
} anchored;

static int on_anchored(const trawl_match *m, void *user)
{
    anchored *a = user;
    if (a->st->kind[m->pattern] != a->kind || m->offset != 0)
        return 0;
    if (a->width && m->length != a->width)
        return 0;
    if (a->nfound < 8)
        a->found[a->nfound++] = m->pattern;
    return 0;
}

static int scan_anchored(const ctx *c, const uint8_t *s, size_t n, uint8_t kind, uint64_t width,
                         anchored *a, trawl_error *err)
{
    memset(a, 0, sizeof *a);
    a->st = c->st;
    a->kind = kind;
    a->width = width;
    if (!n)
        return 0;
    trawl_status r = trawl_scan(c->st->db, c->ts->scratch, s, n, 0, on_anchored, a, err);
    return r == TRAWL_OK ? 0 : -1;
}

/* ---- packers ------------------------------------------------------------------- */

#define MAX_PACKERS 8
#define MAX_PK_EV   6

typedef struct pk_ev {
    uint8_t kind;
    uint64_t off;
    const char *rule;
    char name[POLY_NAME_MAX];
} pk_ev;

typedef struct packer {
    char name[24];
    double conf;
    unsigned kinds; /* bit per poly_kind seen */
    size_t nev;
    pk_ev ev[MAX_PK_EV];
} packer;

static void pk_add(packer *pk, size_t *npk, const char *label, uint8_t kind, uint64_t off,
                   const char *secname, double conf)
{
    char name[24];
    size_t k = strcspn(label, "_");
    if (k >= sizeof name)
        k = sizeof name - 1;
    memcpy(name, label, k);
    name[k] = 0;
    packer *p = NULL;
    for (size_t i = 0; i < *npk; i++)
        if (!strcmp(pk[i].name, name))
            p = &pk[i];
    if (!p) {
        if (*npk == MAX_PACKERS)
            return;
        p = &pk[(*npk)++];
        memset(p, 0, sizeof *p);
        memcpy(p->name, name, k + 1);
    }
    if (conf > p->conf)
        p->conf = conf;
    p->kinds |= 1u << kind;
    if (p->nev < MAX_PK_EV) {
        pk_ev *e = &p->ev[p->nev++];
        e->kind = kind;
        e->off = off;
        e->rule = label;
        snprintf(e->name, sizeof e->name, "%s", secname ? secname : "");
    }
}

static int packer_rules(ctx *c, bool exe, trawl_error *err)
{
    const poly_state *st = c->st;
    poly_tstate *ts = c->ts;
    const poly_image *img = &ts->img;
    packer pk[MAX_PACKERS];
    size_t npk = 0;
    anchored a;
    for (size_t i = 0; i < img->n_sections; i++) {
        const poly_section *s = &img->sections[i];
        size_t len = strlen(s->name);
        if (scan_anchored(c, (const uint8_t *)s->name, len, POLY_K_SEC, len, &a, err))
            return -1;
        for (size_t j = 0; j < a.nfound; j++)
            pk_add(pk, &npk, st->label[a.found[j]], POLY_K_SEC, s->offset, s->name, 0.85);
    }
    if (img->entry_mapped) {
        uint64_t o = img->entry_offset;
        size_t len = c->n - o < 64 ? c->n - o : 64;
        if (scan_anchored(c, c->p + o, len, POLY_K_EP, 0, &a, err))
            return -1;
        for (size_t j = 0; j < a.nfound; j++)
            pk_add(pk, &npk, st->label[a.found[j]], POLY_K_EP, o, NULL, 0.85);
    }
    for (size_t i = 0; i < ts->n_hits; i++) {
        const poly_hit *h = &ts->hits[i];
        if (st->kind[h->pattern] != POLY_K_SIG)
            continue;
        pk_add(pk, &npk, st->label[h->pattern], POLY_K_SIG, h->offset, NULL,
               exe && h->offset < HEADER_REGION ? 0.75 : 0.4);
    }
    for (size_t i = 0; i < npk; i++) {
        packer *p = &pk[i];
        unsigned kinds = (unsigned)__builtin_popcount(p->kinds);
        double conf = p->conf + 0.05 * (kinds - 1);
        if (conf > 0.95)
            conf = 0.95;
        trawl_violation *v =
            det_violation(c->out, "packer_signature", conf, "%s: signs of the %s packer/protector",
                          c->where, p->name);
        if (!v)
            return -1;
        for (size_t j = 0; j < p->nev; j++) {
            const pk_ev *e = &p->ev[j];
            int r;
            if (e->kind == POLY_K_SEC)
                r = det_evidence(v, "section named '%s' (rule sec.%s), raw data at 0x%" PRIx64,
                                 e->name, e->rule, e->off);
            else if (e->kind == POLY_K_EP)
                r = det_evidence(v, "entry-point stub (rule ep.%s) at file offset 0x%" PRIx64,
                                 e->rule, e->off);
            else
                r = det_evidence(v, "signature (rule sig.%s) at offset 0x%" PRIx64 "%s", e->rule,
                                 e->off,
                                 p->conf >= 0.75 && e->off < HEADER_REGION
                                     ? ", inside the headers"
                                     : ", not in an executable's headers (weak)");
            if (r)
                return -1;
        }
    }
    return 0;
}

/* ---- entropy -------------------------------------------------------------------- */

/* Entropy of p[off..off+len): from the histogram the window pass filled
 * when the range was registered, else by a pass of its own. */
static double range_entropy(const ctx *c, uint64_t off, uint64_t len, double *raw)
{
    unsigned k;
    double h = -1;
    for (size_t i = 0; i < c->ts->n_ranges && h < 0; i++)
        if (c->ts->ranges[i].offset == off && c->ts->ranges[i].len == len)
            h = trawl_analyze_entropy_hist(c->ts->ranges[i].hist, len, &k);
    if (h < 0)
        h = trawl_analyze_entropy(c->p + off, (size_t)len, &k);
    if (raw)
        *raw = h;
    return trawl_analyze_entropy_corrected(h, k, len);
}

/* The ranges code_entropy will measure, so the window pass histograms them. */
static void register_ranges(poly_tstate *ts)
{
    const poly_image *img = &ts->img;
    ts->n_ranges = 0;
    for (size_t i = 0; i < img->n_sections && ts->n_ranges < POLY_MAX_RANGES; i++) {
        const poly_section *s = &img->sections[i];
        if (s->exec && s->size >= 512)
            ts->ranges[ts->n_ranges].offset = s->offset, ts->ranges[ts->n_ranges++].len = s->size;
    }
    for (size_t i = 0; !img->n_sections && i < img->n_segments && ts->n_ranges < POLY_MAX_RANGES;
         i++) {
        const poly_segment *s = &img->segments[i];
        if (s->type == ELF_PT_LOAD && s->x && s->filesz >= 512)
            ts->ranges[ts->n_ranges].offset = s->offset, ts->ranges[ts->n_ranges++].len = s->filesz;
    }
}

static int code_entropy(ctx *c)
{
    const poly_config *cfg = &c->st->cfg;
    const poly_image *img = &c->ts->img;
    double thr = cfg->section_entropy_threshold;
    for (size_t i = 0; i < img->n_sections; i++) {
        const poly_section *s = &img->sections[i];
        if (!s->exec || s->size < 512)
            continue;
        double raw, h = range_entropy(c, s->offset, s->size, &raw);
        if (h < thr)
            continue;
        trawl_violation *v = det_violation(
            c->out, "high_entropy_code", 0.6 + 0.3 * ramp(h, thr, 8.0),
            "%s: executable section '%s' has the entropy of compressed or encrypted bytes",
            c->where, s->name);
        if (!v || det_evidence(v,
                               "section '%s' at 0x%" PRIx64 ", %" PRIu64
                               " bytes: %.3f bits/byte (%.3f bias-corrected; threshold %.2f)",
                               s->name, s->offset, s->size, raw, h, thr))
            return -1;
    }
    if (img->n_sections)
        return 0;
    for (size_t i = 0; i < img->n_segments; i++) {
        const poly_segment *s = &img->segments[i];
        if (s->type != ELF_PT_LOAD || !s->x || s->filesz < 512)
            continue;
        double raw, h = range_entropy(c, s->offset, s->filesz, &raw);
        if (h < thr)
            continue;
        trawl_violation *v = det_violation(
            c->out, "high_entropy_code", 0.6 + 0.3 * ramp(h, thr, 8.0),
            "%s: executable segment %zu has the entropy of compressed or encrypted bytes", c->where,
            i);
        if (!v || det_evidence(v,
                               "PT_LOAD r%sx at 0x%" PRIx64 ", %" PRIu64
                               " bytes: %.3f bits/byte (%.3f bias-corrected; threshold %.2f)",
                               s->w ? "w" : "-", s->offset, s->filesz, raw, h, thr))
            return -1;
    }
    return 0;
}

static int entropy_rules(ctx *c, bool exe)
{
    const poly_config *cfg = &c->st->cfg;
    unsigned k;
    uint64_t whole[256];
    trawl_analyze_window_stats w;
    register_ranges(c->ts);
    trawl_analyze_entropy_request rq = {.corrected = true,
                                        .threshold = cfg->window_entropy_threshold,
                                        .whole = whole,
                                        .ranges = c->ts->ranges,
                                        .nranges = c->ts->n_ranges};
    if (trawl_analyze_entropy_scan(c->st->scanner, c->p, c->n, &rq, &w, NULL) != TRAWL_OK)
        return -1;
    double raw = trawl_analyze_entropy_hist(whole, c->n, &k);
    double h = trawl_analyze_entropy_corrected(raw, k, c->n);
    double thr = cfg->entropy_threshold;
    trawl_violation *v = NULL;
    if ((double)c->n >= cfg->min_entropy_bytes && h >= thr) {
        double t = ramp(h, thr, 8.0);
        v = exe ? det_violation(c->out, "packed_executable", 0.7 + 0.2 * t,
                                "%s: the whole executable has the entropy of compressed or "
                                "encrypted bytes",
                                c->where)
                : det_violation(c->out, "high_entropy", 0.5 + 0.3 * t,
                                "%s: high entropy: compressed, encrypted or random bytes",
                                c->where);
        if (!v || det_evidence(v,
                               "entropy %.3f bits/byte over %zu bytes (%.3f bias-corrected, %u "
                               "distinct byte values; threshold %.2f)",
                               raw, c->n, h, k, thr))
            return -1;
    } else if (!exe && w.above && c->n > POLY_WINDOW) {
        v = det_violation(c->out, "high_entropy_region", 0.35,
                          "%s: a region has the entropy of compressed or encrypted bytes",
                          c->where);
        if (!v || det_evidence(v, "whole input: %.3f bits/byte (%.3f bias-corrected)", raw, h))
            return -1;
    }
    if (v && c->ts->chance &&
        det_evidence(v,
                     "%" PRIu64 " shellcode-like byte sequences amid random-looking bytes "
                     "ignored as chance matches",
                     c->ts->chance))
        return -1;
    if (v && w.count > 1 &&
        det_evidence(v,
                     "%u-byte windows every %u bytes: max %.3f bits/byte at offset 0x%" PRIx64
                     "; %" PRIu64 " of %" PRIu64 " windows at or above %.2f (first at 0x%" PRIx64
                     ")",
                     POLY_WINDOW, POLY_STRIDE, w.max, w.max_offset, w.above, w.count,
                     cfg->window_entropy_threshold, w.first_above))
        return -1;
    return exe ? code_entropy(c) : 0;
}

/* ---- structure -------------------------------------------------------------------- */

static const char *fmt_name(poly_format f, int bits)
{
    if (f == POLY_FMT_ELF)
        return bits == 64 ? "ELF64" : "ELF32";
    return bits == 64 ? "PE32+" : "PE32";
}

static int entry_rules(ctx *c)
{
    const poly_image *img = &c->ts->img;
    if (!img->has_entry || (img->fmt == POLY_FMT_ELF && img->type != 2 && img->type != 3))
        return 0;
    const char *why = NULL;
    double conf = 0;
    if (img->fmt == POLY_FMT_ELF && img->n_segments && img->entry_segment < 0)
        why = "in no loadable segment", conf = 0.65;
    else if (img->fmt == POLY_FMT_ELF && img->entry_segment >= 0 &&
             !img->segments[img->entry_segment].x)
        why = "in a segment that is not executable", conf = 0.65;
    else if (img->n_sections && img->entry_section < 0)
        why = "outside every section", conf = img->fmt == POLY_FMT_PE ? 0.65 : 0.55;
    else if (img->entry_section >= 0 && !img->sections[img->entry_section].exec)
        why = "in a section that is not executable", conf = 0.6;
    else if (img->fmt == POLY_FMT_PE && img->entry_section >= 0 &&
             !img->sections[img->entry_section].code)
        why = "outside the code: in an executable section not marked as code", conf = 0.55;
    else if (img->fmt == POLY_FMT_PE && img->n_sections >= 2 &&
             img->entry_section == (int)img->n_sections - 1)
        why = "in the last section (where packers and file infectors append their stub)",
        conf = 0.45;
    if (!why)
        return 0;
    trawl_violation *v = det_violation(c->out, "entry_point_anomaly", conf,
                                       "%s: the entry point lies %s", c->where, why);
    if (!v)
        return -1;
    const char *sec = img->entry_section >= 0 ? img->sections[img->entry_section].name : "(none)";
    return det_evidence(v, "%s entry point %s 0x%" PRIx64 ", section %s",
                        fmt_name(img->fmt, img->bits), img->fmt == POLY_FMT_PE ? "RVA" : "address",
                        img->entry, sec);
}

static int wx_rules(ctx *c)
{
    const poly_image *img = &c->ts->img;
    trawl_violation *v = NULL;
    for (size_t i = 0; i < img->n_sections; i++) {
        const poly_section *s = &img->sections[i];
        if (!s->exec || !s->write)
            continue;
        if (!v && !(v = det_violation(c->out, "wx_section", 0.6,
                                      "%s: a section is both writable and executable "
                                      "(code that rewrites itself or is unpacked in place)",
                                      c->where)))
            return -1;
        if (det_evidence(v, "section '%s' flags W+X, raw data at 0x%" PRIx64 ", %" PRIu64 " bytes",
                         s->name, s->offset, s->size))
            return -1;
    }
    v = NULL;
    trawl_violation *stack = NULL;
    for (size_t i = 0; i < img->n_segments; i++) {
        const poly_segment *s = &img->segments[i];
        if (s->type == ELF_PT_GNU_STACK && s->x && !stack) {
            if (!(stack =
                      det_violation(c->out, "executable_stack", 0.3,
                                    "%s: PT_GNU_STACK asks for an executable stack", c->where)) ||
                det_evidence(stack, "program header %zu: PT_GNU_STACK flags %s%s%s", i,
                             s->r ? "R" : "", s->w ? "W" : "", "X"))
                return -1;
        }
        if (s->type != ELF_PT_LOAD || !s->w || !s->x)
            continue;
        if (!v && !(v = det_violation(c->out, "wx_segment", 0.6,
                                      "%s: a loadable segment is both writable and executable",
                                      c->where)))
            return -1;
        if (det_evidence(v,
                         "program header %zu: PT_LOAD RWX, file 0x%" PRIx64 "+%" PRIu64
                         ", vaddr 0x%" PRIx64 "+%" PRIu64,
                         i, s->offset, s->filesz, s->vaddr, s->memsz))
            return -1;
    }
    return 0;
}

static int layout_rules(ctx *c)
{
    const poly_config *cfg = &c->st->cfg;
    const poly_image *img = &c->ts->img;
    trawl_violation *v;
    if (img->fmt == POLY_FMT_ELF && img->n_segments && !img->n_sections_declared &&
        (img->type == 2 || img->type == 3)) {
        v = det_violation(c->out, "missing_section_table", 0.35,
                          "%s: ELF with program headers but no section headers (packers and "
                          "sstrip remove them)",
                          c->where);
        if (!v || det_evidence(v, "e_shnum = 0, %zu program headers", img->n_segments_declared))
            return -1;
    }
    uint64_t end = img->end;
    uint64_t stop = c->n;
    if (img->cert_offset >= end && img->cert_offset < stop &&
        img->cert_offset + img->cert_size >= stop)
        stop = img->cert_offset; /* an Authenticode signature is not an overlay */
    if (!c->cut && stop > end && (double)(stop - end) >= cfg->overlay_min_bytes) {
        double raw, h = range_entropy(c, end, stop - end, &raw);
        bool high = h >= cfg->entropy_threshold;
        v = det_violation(c->out, "overlay", high ? 0.45 : 0.3,
                          "%s: %" PRIu64 " bytes follow the last byte the headers describe%s",
                          c->where, stop - end, high ? ", with high entropy" : "");
        if (!v || det_evidence(v,
                               "overlay at 0x%" PRIx64 ", %" PRIu64
                               " bytes, %.3f bits/byte (%.3f bias-corrected)",
                               end, stop - end, raw, h))
            return -1;
    }
    if (img->problem && !c->cut) {
        v = det_violation(c->out, "structure_anomaly", 0.25, "%s: malformed %s headers", c->where,
                          fmt_name(img->fmt, img->bits));
        if (!v || det_evidence(v, "%s (at 0x%" PRIx64 ")", img->problem, img->problem_offset))
            return -1;
    }
    return 0;
}

/* ---- code idioms ------------------------------------------------------------------ */

static double idiom_conf(poly_idiom id, uint64_t len, int bits)
{
    switch (id) {
    case POLY_SC_GETPC_CALL:
        /* x86-64 addresses data RIP-relative and needs no GetPC: in 64-bit
         * code call/pop is mostly a chance alignment (e.g. c6 83 e8 00 00 00
         * 00 5b is movb $0,0xe8(%rbx); pop %rbx). */
        return bits == 64 ? 0.3 : 0.45;
    case POLY_SC_GETPC_FNSTENV:
    case POLY_SC_GETPC_JCP:
        return 0.6;
    case POLY_SC_XOR:
        return 0.65;
    case POLY_SC_XOR_X64:
        return 0.8;
    case POLY_SC_NOP:
        return len >= 256 ? 0.45 : 0.35;
    case POLY_SC_NOP_POLY:
        return 0.45;
    default:
        return 0.4;
    }
}

static const char *idiom_text(poly_idiom id)
{
    switch (id) {
    case POLY_SC_GETPC_CALL:
        return "GetPC: call $+5; pop";
    case POLY_SC_GETPC_FNSTENV:
        return "GetPC: fnstenv [esp-0Ch]";
    case POLY_SC_GETPC_JCP:
        return "GetPC: jmp/call/pop";
    case POLY_SC_XOR:
    case POLY_SC_XOR_X64:
        return "XOR decoder loop";
    case POLY_SC_NOP:
        return "NOP sled";
    case POLY_SC_NOP_POLY:
        return "sled of one-byte NOP equivalents";
    default:
        return "shellcode idiom";
    }
}

static bool is_getpc(poly_idiom id)
{
    return id == POLY_SC_GETPC_CALL || id == POLY_SC_GETPC_FNSTENV || id == POLY_SC_GETPC_JCP;
}

static bool is_decoder(poly_idiom id)
{
    return id == POLY_SC_XOR || id == POLY_SC_XOR_X64;
}

static int xor_exe_rules(ctx *c, uint64_t stub_off, bool have_stub)
{
    poly_xor_hit x;
    bool found = false;
    if (c->ts->img.fmt == POLY_FMT_NONE && poly_xor_elf_at(c->p, c->n, 0, &x))
        found = true;
    /* A dropper's payload follows its decoder: try the next 1 KiB. */
    for (uint64_t o = stub_off; have_stub && !found && o < stub_off + 1024 && o < c->n; o++)
        found = poly_xor_elf_at(c->p, c->n, o, &x);
    if (!found)
        return 0;
    char key[3 * POLY_XOR_MAX_KEY + 1];
    size_t k = 0;
    for (size_t i = 0; i < x.key_len; i++)
        k += (size_t)snprintf(key + k, 3, "%02x", x.key[i]);
    trawl_violation *v =
        det_violation(c->out, "xor_encoded_executable", x.offset == 0 && !have_stub ? 0.8 : 0.9,
                      "%s: an ELF executable hidden under a repeating XOR key", c->where);
    if (!v ||
        det_evidence(v,
                     "bytes at 0x%" PRIx64 " decode with the %zu-byte key %s to an ELF%d header "
                     "(e_machine %u) whose magic, class, version and table sizes agree",
                     x.offset, x.key_len, key, x.bits, x.machine))
        return -1;
    return 0;
}

static int code_rules(ctx *c)
{
    const poly_state *st = c->st;
    poly_tstate *ts = c->ts;
    bool getpc = false, decoder = false, sled = false;
    uint64_t getpc_off = 0, dec_off = 0, sled_end = 0, dec_end = 0;
    for (size_t id = POLY_SC_GETPC_CALL; id <= POLY_SC_NOP_POLY; id++) {
        trawl_violation *v = NULL;
        for (size_t i = 0; i < ts->n_hits; i++) {
            const poly_hit *h = &ts->hits[i];
            if (st->kind[h->pattern] != POLY_K_SC || st->idiom[h->pattern] != id)
                continue;
            if (is_getpc((poly_idiom)id) && (!getpc || h->offset < getpc_off))
                getpc = true, getpc_off = h->offset;
            if (is_decoder((poly_idiom)id) && !decoder)
                decoder = true, dec_off = h->offset, dec_end = h->aux + 2;
            if (id == POLY_SC_NOP || id == POLY_SC_NOP_POLY)
                sled = true, sled_end = h->offset + h->length;
            if (!v) {
                uint64_t total = 0;
                for (size_t p = 0; p < st->npat; p++)
                    if (st->kind[p] == POLY_K_SC && st->idiom[p] == id)
                        total += ts->count[p];
                v = det_violation(
                    c->out, id == POLY_SC_NOP || id == POLY_SC_NOP_POLY ? "nop_sled" : "shellcode",
                    idiom_conf((poly_idiom)id, h->length, ts->img.bits), "%s: %s (%" PRIu64 "x)",
                    c->where, idiom_text((poly_idiom)id), total);
                if (!v)
                    return -1;
            }
            char hex[64];
            hex16(hex, c->p, c->n, h->offset, h->length);
            int r = is_decoder((poly_idiom)id)
                        ? det_evidence(v, "rule sc.%s at 0x%" PRIx64 ": %s; loop back at 0x%zx",
                                       st->label[h->pattern], h->offset, hex, h->aux)
                        : det_evidence(v, "rule sc.%s at 0x%" PRIx64 ", %" PRIu64 " bytes: %s",
                                       st->label[h->pattern], h->offset, h->length, hex);
            if (r)
                return -1;
        }
    }
    uint64_t lo = getpc_off < dec_off ? getpc_off : dec_off;
    uint64_t hi = getpc_off < dec_off ? dec_off : getpc_off;
    bool stub = getpc && decoder && hi - lo <= 256;
    if (stub || (sled && (getpc || decoder) && (getpc ? getpc_off : dec_off) >= sled_end &&
                 (getpc ? getpc_off : dec_off) - sled_end <= 64)) {
        trawl_violation *v =
            det_violation(c->out, "shellcode_decoder", 0.85, "%s: %s", c->where,
                          stub ? "a GetPC idiom next to an XOR decoder loop: a self-decrypting stub"
                               : "a NOP sled leading into GetPC/decoder code");
        if (!v || det_evidence(v, "GetPC at 0x%" PRIx64 ", decoder at 0x%" PRIx64 "%s", getpc_off,
                               dec_off, sled ? ", after a sled" : ""))
            return -1;
    }
    return xor_exe_rules(c, decoder ? dec_end : getpc_off, decoder || getpc);
}

/* ---- entry ------------------------------------------------------------------------ */

int poly_static(const poly_state *st, poly_tstate *ts, const uint8_t *p, size_t n, bool cut,
                const char *where, trawl_detector_result *out, trawl_error *err)
{
    ctx c = {st, ts, p, n, where, out, cut, 0, 0, {0}};
    c.loop = poly_loop_tail_next(p, n, 0, &c.loop_forms);
    ts->n_hits = 0;
    ts->sled_end[0] = ts->sled_end[1] = 0;
    ts->chance = 0;
    memset(ts->count, 0, st->npat * sizeof *ts->count);
    bool exe = poly_elf_parse(p, n, &ts->img) || poly_pe_parse(p, n, &ts->img);
    trawl_status s = trawl_scan(st->db, ts->scratch, p, n, 0, on_match, &c, err);
    if (s != TRAWL_OK)
        return -1;
    loops_until(&c, UINT64_MAX);
    int r = entropy_rules(&c, exe);
    if (!r)
        r = packer_rules(&c, exe, err);
    if (!r && exe)
        r = entry_rules(&c);
    if (!r && exe)
        r = wx_rules(&c);
    if (!r && exe)
        r = layout_rules(&c);
    if (!r)
        r = code_rules(&c);
    if (r && (!err || err->status == TRAWL_OK))
        trawl__fail(err, TRAWL_ENOMEM, "out of memory");
    return r;
}
