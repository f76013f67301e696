/* engine.c -- the detection engine: configure the detectors once, run them
 * per request with per-thread contexts, time the run and each detector. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "detect/batch.h"
#include "detect/detector.h"

static const char *const det_names[TRAWL_DET_COUNT] = {
    "prompt_injection", "shadow_ai", "polymorphic", "synthetic_media", "ai_vs_ai",
};

#define ENGINE_MAGIC 0x74726465u /* "trde" */

struct trawl_detect_engine {
    uint32_t magic;
    unsigned enabled;
    void *state[TRAWL_DET_COUNT];
};

struct trawl_detect_ctx {
    const trawl_detect_engine *engine;
    void *tstate[TRAWL_DET_COUNT];
};

const char *trawl_detector_name(unsigned bit)
{
    for (unsigned i = 0; i < TRAWL_DET_COUNT; i++)
        if (bit == 1u << i)
            return det_names[i];
    return NULL;
}

trawl_status trawl_detector_mask_parse(const char *list, unsigned *mask, trawl_error *err)
{
    trawl_error_clear(err);
    *mask = 0;
    for (const char *p = list; p && *p;) {
        const char *comma = strchr(p, ',');
        size_t n = comma ? (size_t)(comma - p) : strlen(p);
        unsigned bit = 0;
        for (unsigned i = 0; i < TRAWL_DET_COUNT; i++)
            if (strlen(det_names[i]) == n && !memcmp(det_names[i], p, n))
                bit = 1u << i;
        if (!bit) {
            trawl__fail(err, TRAWL_EINVAL, "unknown detector '%.*s'", (int)n, p);
            if (err)
                err->column = (int)(p - list) + 1;
            return TRAWL_EINVAL;
        }
        *mask |= bit;
        p = comma ? comma + 1 : p + n;
    }
    return TRAWL_OK;
}

void trawl_detect_engine_free(trawl_detect_engine *e)
{
    if (!e)
        return;
    for (unsigned i = 0; i < TRAWL_DET_COUNT; i++)
        if (e->state[i] && det_all[i])
            det_all[i]->destroy(e->state[i]);
    e->magic = 0;
    free(e);
}

trawl_status trawl_detect_engine_new(const char *config, size_t config_len,
                                     trawl_detect_engine **out, trawl_error *err)
{
    return trawl_detect_engine_new_cached(config, config_len, NULL, out, err);
}

trawl_status trawl_detect_engine_new_cached(const char *config, size_t config_len,
                                            const char *cache_dir, trawl_detect_engine **out,
                                            trawl_error *err)
{
    trawl_error_clear(err);
    *out = NULL;
    det_config *cfg = NULL;
    trawl_status st = det_config_parse(config ? config : "", config ? config_len : 0, &cfg, err);
    if (st != TRAWL_OK)
        return st;
    det_config_set_cache_dir(cfg, cache_dir);
    trawl_detect_engine *e = calloc(1, sizeof(*e));
    if (!e) {
        det_config_free(cfg);
        return trawl__fail(err, TRAWL_ENOMEM, "out of memory");
    }
    e->magic = ENGINE_MAGIC;
    for (unsigned i = 0; i < TRAWL_DET_COUNT && st == TRAWL_OK; i++) {
        bool on;
        st = det_config_bool(cfg, det_names[i], "enabled", det_all[i] != NULL, &on, err);
        if (st != TRAWL_OK || !on)
            continue;
        if (!det_all[i]) {
            st = trawl__fail(err, TRAWL_EUNSUPPORTED, "detector %s is not available in this build",
                             det_names[i]);
            break;
        }
        st = det_all[i]->create(cfg, &e->state[i], err);
        if (st == TRAWL_OK)
            e->enabled |= 1u << i;
    }
    det_config_free(cfg);
    if (st != TRAWL_OK) {
        trawl_detect_engine_free(e);
        return st;
    }
    *out = e;
    return TRAWL_OK;
}

void *trawl__detect_engine_state(const trawl_detect_engine *e, unsigned i)
{
    return e && e->magic == ENGINE_MAGIC && i < TRAWL_DET_COUNT ? e->state[i] : NULL;
}

void *trawl__detect_ctx_tstate(trawl_detect_ctx *c, const trawl_detect_engine *e, unsigned i)
{
    return c && c->engine == e && i < TRAWL_DET_COUNT ? c->tstate[i] : NULL;
}

unsigned trawl_detect_engine_enabled(const trawl_detect_engine *e)
{
    return e ? e->enabled : 0;
}

void trawl_detect_ctx_free(trawl_detect_ctx *c)
{
    if (!c)
        return;
    for (unsigned i = 0; i < TRAWL_DET_COUNT; i++)
        if (c->tstate[i] && det_all[i] && det_all[i]->thread_free)
            det_all[i]->thread_free(c->tstate[i]);
    free(c);
}

trawl_status trawl_detect_ctx_new(const trawl_detect_engine *e, trawl_detect_ctx **out,
                                  trawl_error *err)
{
    trawl_error_clear(err);
    *out = NULL;
    if (!e || e->magic != ENGINE_MAGIC)
        return trawl__fail(err, TRAWL_EINVAL, "invalid engine");
    trawl_detect_ctx *c = calloc(1, sizeof(*c));
    if (!c)
        return trawl__fail(err, TRAWL_ENOMEM, "out of memory");
    c->engine = e;
    for (unsigned i = 0; i < TRAWL_DET_COUNT; i++) {
        if (!(e->enabled & (1u << i)) || !det_all[i]->thread_new)
            continue;
        trawl_status st = det_all[i]->thread_new(e->state[i], &c->tstate[i], err);
        if (st != TRAWL_OK) {
            trawl_detect_ctx_free(c);
            return st;
        }
    }
    *out = c;
    return TRAWL_OK;
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

trawl_status trawl_detect_run(trawl_detect_engine *e, trawl_detect_ctx *c,
                              const trawl_detect_input *in, unsigned mask,
                              trawl_detect_report **out, trawl_error *err)
{
    trawl_error_clear(err);
    *out = NULL;
    if (!e || e->magic != ENGINE_MAGIC || !c || c->engine != e || !in)
        return trawl__fail(err, TRAWL_EINVAL, "invalid argument");
    uint64_t t0 = now_ns();
    trawl_detect_report *r = calloc(1, sizeof(*r));
    if (!r)
        return trawl__fail(err, TRAWL_ENOMEM, "out of memory");
    for (unsigned i = 0; i < TRAWL_DET_COUNT; i++)
        r->results[i].detector = det_names[i];
    unsigned run = mask & e->enabled;
    for (unsigned i = 0; i < TRAWL_DET_COUNT; i++) {
        if (!(run & (1u << i)))
            continue;
        uint64_t d0 = now_ns();
        trawl_status st = det_all[i]->run(e->state[i], c->tstate[i], in, &r->results[i], err);
        r->results[i].latency_ns = now_ns() - d0;
        if (st != TRAWL_OK) {
            trawl_detect_report_free(r);
            return st;
        }
        r->ran |= 1u << i;
        if (r->results[i].threat_score > r->threat_score)
            r->threat_score = r->results[i].threat_score;
    }
    r->latency_us = (now_ns() - t0) / 1000;
    *out = r;
    return TRAWL_OK;
}
