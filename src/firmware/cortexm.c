/* cortexm.c -- the Cortex-M report: vector table, base, the addresses the
 * code uses (thumb.c), and the family whose map names most of them.
 *
 * Family choice: each family's map is tried on the distinct addresses
 * (bit-band aliases translated for the families whose cores have them:
 * STM32F1/F4/L4); an address in peripheral space that the map names counts
 * for it, one it does not name counts against it; the Cortex-M core blocks
 * count for none. Maps with large blocks (nRF52's 4 KiB, RP2040's 16 KiB)
 * name almost any address near 0x40000000, so the load address picks the
 * candidates first, as the parts' memory maps fix it: flash at 0x08000000
 * is STM32's, XIP flash at 0x10000000 RP2040's, flash at 0 nRF52's and SAM
 * D21's. Among the candidates the map that names the most wins (fewest
 * unnamed on a tie); when no candidate names anything, every map competes. */
#include "firmware/fw_int.h"

#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "firmware/periph.h"

const fw_periph *trawl__fw_periph_find(const fw_family *f, uint32_t a)
{
    size_t lo = 0, hi = f->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (f->p[mid].hi <= a)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < f->n && f->p[lo].lo <= a && a < f->p[lo].hi ? &f->p[lo] : NULL;
}

const char *trawl_fw_family_name(size_t i)
{
    size_t n = 0;
    while (trawl__fw_families[n].name)
        n++;
    return i + 1 < n ? trawl__fw_families[i + 1].name : NULL;
}

const char *trawl_fw_family_source(const char *family)
{
    for (const fw_family *f = trawl__fw_families; family && f->name; f++)
        if (!strcmp(f->name, family))
            return f->source;
    return NULL;
}

static const fw_family *family_named(const char *name)
{
    for (const fw_family *f = trawl__fw_families + 1; name && f->name; f++)
        if (!strcmp(f->name, name))
            return f;
    return NULL;
}

static bool has_bitband(const fw_family *f)
{
    return !strcmp(f->name, "stm32f1") || !strcmp(f->name, "stm32f4") ||
           !strcmp(f->name, "stm32l4");
}

/* The address as family f sees it; *bit = the bit-band bit or -1. */
static uint32_t translate(const fw_family *f, uint32_t a, int *bit)
{
    *bit = -1;
    if (f && has_bitband(f) && a >= 0x42000000u && a < 0x44000000u) {
        uint32_t o = a - 0x42000000u;
        *bit = (int)((o >> 2) & 31);
        return 0x40000000u + ((o >> 5) & ~3u);
    }
    return a;
}

static int cmp_use(const void *x, const void *y)
{
    const fw_use *a = x, *b = y;
    if (a->addr != b->addr)
        return a->addr < b->addr ? -1 : 1;
    return a->off < b->off ? -1 : a->off > b->off;
}

static void score(const fw_family *f, const fw_use *u, size_t n, trawl_fw_family_score *s)
{
    const fw_family *core = &trawl__fw_families[0];
    s->name = f->name;
    s->named = s->unnamed = 0;
    for (size_t i = 0; i < n; i++) {
        if (i && u[i].addr == u[i - 1].addr)
            continue;
        int bit;
        uint32_t a = translate(f, u[i].addr, &bit);
        if (trawl__fw_periph_find(core, a))
            continue;
        if (trawl__fw_periph_find(f, a))
            s->named++;
        else
            s->unnamed++;
    }
}

static bool better(const trawl_fw_family_score *a, const trawl_fw_family_score *b)
{
    if (a->named != b->named)
        return a->named > b->named;
    return a->unnamed < b->unnamed;
}

/* Whether the load address allows family f (see the file comment). */
static bool base_allows(uint32_t base, const char *f)
{
    if (base >= 0x08000000u && base < 0x08200000u)
        return !strncmp(f, "stm32", 5);
    if (base >= 0x10000000u && base < 0x11000000u)
        return !strcmp(f, "rp2040");
    if (base < 0x00200000u)
        return !strcmp(f, "nrf52") || !strcmp(f, "samd21");
    return true;
}

/* The best score among the candidates (all when restrict is false); -1. */
static int pick(const trawl_fw_cortexm_report *r, bool restrict_base)
{
    int best = -1;
    for (size_t i = 0; i < r->n_scores; i++) {
        if (restrict_base && !base_allows(r->base, r->scores[i].name))
            continue;
        if (best < 0 || better(&r->scores[i], &r->scores[best]))
            best = (int)i;
    }
    return best >= 0 && r->scores[best].named > 0 ? best : -1;
}

/* Builds accesses and peripherals for family f (NULL: core blocks only). */
static trawl_status build(trawl_fw_cortexm_report *r, const fw_family *f, const fw_use *u, size_t n)
{
    const fw_family *core = &trawl__fw_families[0];
    r->accesses = calloc(n ? n : 1, sizeof(*r->accesses));
    r->periphs = calloc(n ? n : 1, sizeof(*r->periphs));
    if (!r->accesses || !r->periphs)
        return TRAWL_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        int bit;
        uint32_t a = translate(f, u[i].addr, &bit);
        trawl_fw_access *x = r->n_accesses ? &r->accesses[r->n_accesses - 1] : NULL;
        if (!x || x->address != a || x->bitband_bit != bit) {
            x = &r->accesses[r->n_accesses++];
            *x = (trawl_fw_access){a, 0, 0, u[i].off, -1, bit};
        }
        x->kinds |= u[i].kind;
        x->count++;
        x->first = u[i].off < x->first ? u[i].off : x->first;
    }
    /* bit-band translation can reorder: the peripherals are found per access */
    for (size_t i = 0; i < r->n_accesses; i++) {
        trawl_fw_access *x = &r->accesses[i];
        const fw_family *fam = core;
        const fw_periph *p = trawl__fw_periph_find(core, x->address);
        if (!p && f) {
            fam = f;
            p = trawl__fw_periph_find(f, x->address);
        }
        if (!p)
            continue;
        size_t k = 0;
        while (k < r->n_periphs && strcmp(r->periphs[k].name, p->name))
            k++;
        trawl_fw_periph *q = &r->periphs[k];
        if (k == r->n_periphs) {
            r->n_periphs++;
            *q = (trawl_fw_periph){p->name, fam->name, p->base, 0, 0, 0, 0, x->first};
        }
        x->periph = (int)k;
        q->registers++;
        q->first = x->first < q->first ? x->first : q->first;
    }
    for (size_t i = 0; i < n; i++) {
        int bit;
        uint32_t a = translate(f, u[i].addr, &bit);
        for (size_t k = 0; k < r->n_accesses; k++) {
            trawl_fw_access *x = &r->accesses[k];
            if (x->address != a || x->bitband_bit != bit || x->periph < 0)
                continue;
            trawl_fw_periph *q = &r->periphs[x->periph];
            q->reads += u[i].kind == TRAWL_FW_READ;
            q->writes += u[i].kind == TRAWL_FW_WRITE;
            q->refs += u[i].kind == TRAWL_FW_REF;
            break;
        }
    }
    return TRAWL_OK;
}

static int cmp_access(const void *x, const void *y)
{
    const trawl_fw_access *a = x, *b = y;
    if (a->address != b->address)
        return a->address < b->address ? -1 : 1;
    return a->bitband_bit - b->bitband_bit;
}

static trawl_status choose_family(trawl_fw_cortexm_report *r, const trawl_fw_cortexm_opts *o,
                                  const fw_use *u, size_t n, const fw_family **out,
                                  trawl_error *err)
{
    *out = NULL;
    if (o && o->family) {
        *out = family_named(o->family);
        if (!*out)
            return trawl__fail(err, TRAWL_EINVAL, "firmware: unknown family '%s'", o->family);
    }
    for (const fw_family *f = trawl__fw_families + 1; f->name && r->n_scores < 16; f++)
        score(f, u, n, &r->scores[r->n_scores++]);
    bool restricted = true;
    int best = pick(r, true);
    if (best < 0) {
        restricted = false;
        best = pick(r, false);
    }
    if (!*out && best >= 0) {
        *out = family_named(r->scores[best].name);
        for (size_t i = 0; i < r->n_scores; i++)
            if ((int)i != best && (!restricted || base_allows(r->base, r->scores[i].name)) &&
                r->scores[i].named == r->scores[best].named &&
                r->scores[i].unnamed == r->scores[best].unnamed)
                r->family_ambiguous = true;
    }
    return TRAWL_OK;
}

typedef struct thumb_ranges {
    int arm_thumb;
    fw_range *r;
    size_t n, cap;
    bool nomem;
} thumb_ranges;

static int on_window(const trawl_fw_window *w, void *ud)
{
    thumb_ranges *t = ud;
    if (w->arch != t->arm_thumb)
        return 0;
    if (t->n && t->r[t->n - 1].hi >= w->offset) {
        uint64_t hi = w->offset + w->length;
        t->r[t->n - 1].hi = hi > t->r[t->n - 1].hi ? hi : t->r[t->n - 1].hi;
        return 0;
    }
    if (t->n == t->cap) {
        size_t cap = t->cap ? 2 * t->cap : 16;
        fw_range *g = realloc(t->r, cap * sizeof(*g));
        if (!g) {
            t->nomem = true;
            return 1;
        }
        t->r = g;
        t->cap = cap;
    }
    t->r[t->n++] = (fw_range){w->offset, w->offset + w->length};
    return 0;
}

/* The arm-thumb windows of the image by the model; t->n == 0 and no
 * arm-thumb in the model: the whole image. */
static trawl_status code_ranges(const trawl_fw_model *m, const uint8_t *d, size_t len,
                                thumb_ranges *t, trawl_error *err)
{
    t->arm_thumb = trawl_fw_model_arch_find(m, "arm-thumb");
    if (t->arm_thumb < 0)
        return trawl__fail(err, TRAWL_EINVAL, "firmware: the model has no arm-thumb");
    trawl_status s = trawl_fw_arch_scan(m, d, len, NULL, on_window, t, err);
    if (t->nomem)
        return trawl__fail(err, TRAWL_ENOMEM, "firmware: out of memory");
    return s;
}

trawl_status trawl_fw_cortexm_analyze(const uint8_t *data, size_t len,
                                      const trawl_fw_cortexm_opts *opts,
                                      trawl_fw_cortexm_report **out, trawl_error *err)
{
    if (!out || (!data && len))
        return trawl__fail(err, TRAWL_EINVAL, "firmware: NULL argument");
    *out = NULL;
    if (len > UINT32_MAX)
        return trawl__fail(err, TRAWL_ELIMIT, "firmware: a Cortex-M image is at most 4 GiB");
    trawl_fw_cortexm_report *r = calloc(1, sizeof(*r));
    if (!r)
        return trawl__fail(err, TRAWL_ENOMEM, "firmware: out of memory");
    uint32_t lo = 0, hi = 0;
    trawl__fw_find_vectors(data, len, &r->vectors, &lo, &hi);
    trawl_status s = TRAWL_OK;
    if (opts && opts->base_given) {
        r->base = opts->base;
        r->base_how = "given";
    } else if (!trawl__fw_estimate_base(data, len, &r->vectors, lo, hi, &r->base, &r->base_how,
                                        &r->base_votes)) {
        s = trawl__fail(err, TRAWL_ENOMEM, "firmware: out of memory");
    }
    fw_uses u = {0};
    uint64_t skip_lo = r->vectors.found ? r->vectors.offset : 0;
    uint64_t skip_hi = r->vectors.found ? skip_lo + 4ull * r->vectors.entries : 0;
    thumb_ranges t = {0};
    if (s == TRAWL_OK && opts && opts->model)
        s = code_ranges(opts->model, data, len, &t, err);
    /* with a model and no Thumb window there is nothing to disassemble */
    bool none = opts && opts->model && t.n == 0;
    if (s == TRAWL_OK && !none)
        s = trawl__fw_thumb_uses(data, len, r->base, skip_lo, skip_hi, t.r, t.n, &u, err);
    free(t.r);
    r->instructions = u.instructions;
    r->code_bytes = u.code_bytes;
    const fw_family *f = NULL;
    if (s == TRAWL_OK) {
        if (u.n)
            qsort(u.u, u.n, sizeof(*u.u), cmp_use);
        s = choose_family(r, opts, u.u, u.n, &f, err);
    }
    if (s == TRAWL_OK && build(r, f, u.u, u.n) != TRAWL_OK)
        s = trawl__fail(err, TRAWL_ENOMEM, "firmware: out of memory");
    free(u.u);
    if (s != TRAWL_OK) {
        trawl_fw_cortexm_report_free(r);
        return s;
    }
    qsort(r->accesses, r->n_accesses, sizeof(*r->accesses), cmp_access);
    if (f) {
        r->family = f->name;
        r->family_source = f->source;
    }
    *out = r;
    return TRAWL_OK;
}

void trawl_fw_cortexm_report_free(trawl_fw_cortexm_report *r)
{
    if (!r)
        return;
    free(r->accesses);
    free(r->periphs);
    free(r);
}
