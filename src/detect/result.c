/* result.c -- severities, violations, reports and their JSON form. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "detect/detector.h"

trawl_severity trawl_severity_from_confidence(double c)
{
    if (c >= 0.9)
        return TRAWL_SEVERITY_CRITICAL;
    if (c >= 0.7)
        return TRAWL_SEVERITY_HIGH;
    if (c >= 0.5)
        return TRAWL_SEVERITY_MEDIUM;
    return TRAWL_SEVERITY_LOW;
}

const char *trawl_severity_name(trawl_severity s)
{
    static const char *const names[] = {"low", "medium", "high", "critical"};
    return (unsigned)s < 4 ? names[s] : "unknown";
}

TRAWL__PRINTF(1, 0) static char *vformat(const char *fmt, va_list ap)
{
    /* Evidence lines are short: one formatting pass into the stack, a
     * second only for a line that does not fit. */
    char buf[512];
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    char *s = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (s && (size_t)n < sizeof buf)
        memcpy(s, buf, (size_t)n + 1);
    else if (s)
        vsnprintf(s, (size_t)n + 1, fmt, ap2);
    va_end(ap2);
    return s;
}

trawl_violation *det_violation(trawl_detector_result *r, const char *category, double confidence,
                               const char *fmt, ...)
{
    if (r->n_violations == r->cap_) {
        size_t cap = r->cap_ ? r->cap_ * 2 : 4;
        trawl_violation *v = realloc(r->violations, cap * sizeof(*v));
        if (!v)
            return NULL;
        r->violations = v;
        r->cap_ = cap;
    }
    if (!(confidence >= 0)) /* also NaN */
        confidence = 0;
    if (confidence > 1)
        confidence = 1;
    va_list ap;
    va_start(ap, fmt);
    char *desc = vformat(fmt, ap);
    va_end(ap);
    if (!desc)
        return NULL;
    trawl_violation *v = &r->violations[r->n_violations++];
    memset(v, 0, sizeof(*v));
    v->detector = r->detector;
    v->category = category;
    v->confidence = confidence;
    v->severity = trawl_severity_from_confidence(confidence);
    v->description = desc;
    if (confidence > r->threat_score)
        r->threat_score = confidence;
    return v;
}

int det_evidence(trawl_violation *v, const char *fmt, ...)
{
    char **e = realloc(v->evidence, (v->n_evidence + 1) * sizeof(*e));
    if (!e)
        return -1;
    v->evidence = e;
    va_list ap;
    va_start(ap, fmt);
    char *s = vformat(fmt, ap);
    va_end(ap);
    if (!s)
        return -1;
    e[v->n_evidence++] = s;
    return 0;
}

void det_result_clear(trawl_detector_result *r)
{
    for (size_t i = 0; i < r->n_violations; i++) {
        trawl_violation *v = &r->violations[i];
        free(v->description);
        for (size_t k = 0; k < v->n_evidence; k++)
            free(v->evidence[k]);
        free(v->evidence);
    }
    free(r->violations);
    const char *name = r->detector;
    memset(r, 0, sizeof(*r));
    r->detector = name;
}

void trawl_detect_report_free(trawl_detect_report *r)
{
    if (!r)
        return;
    for (int i = 0; i < TRAWL_DET_COUNT; i++)
        det_result_clear(&r->results[i]);
    free(r);
}

static cJSON *violation_json(const trawl_violation *v)
{
    cJSON *o = cJSON_CreateObject();
    cJSON *ev = cJSON_CreateArray();
    if (!o || !ev) {
        cJSON_Delete(o);
        cJSON_Delete(ev);
        return NULL;
    }
    cJSON_AddStringToObject(o, "detector", v->detector);
    cJSON_AddStringToObject(o, "category", v->category);
    cJSON_AddStringToObject(o, "severity", trawl_severity_name(v->severity));
    cJSON_AddNumberToObject(o, "confidence", v->confidence);
    cJSON_AddStringToObject(o, "description", v->description);
    for (size_t i = 0; i < v->n_evidence; i++)
        cJSON_AddItemToArray(ev, cJSON_CreateString(v->evidence[i]));
    cJSON_AddItemToObject(o, "evidence", ev);
    return o;
}

char *trawl_detect_report_json(const trawl_detect_report *r)
{
    cJSON *root = cJSON_CreateObject();
    cJSON *dets = cJSON_CreateObject();
    if (!root || !dets) {
        cJSON_Delete(root);
        cJSON_Delete(dets);
        return NULL;
    }
    cJSON_AddNumberToObject(root, "threat_score", r->threat_score);
    for (unsigned i = 0; i < TRAWL_DET_COUNT; i++) {
        if (!(r->ran & (1u << i)))
            continue;
        const trawl_detector_result *d = &r->results[i];
        cJSON *o = cJSON_CreateObject();
        cJSON *vs = cJSON_CreateArray();
        if (!o || !vs) {
            cJSON_Delete(o);
            cJSON_Delete(vs);
            continue;
        }
        cJSON_AddNumberToObject(o, "threat_score", d->threat_score);
        for (size_t k = 0; k < d->n_violations; k++)
            cJSON_AddItemToArray(vs, violation_json(&d->violations[k]));
        cJSON_AddItemToObject(o, "violations", vs);
        cJSON_AddItemToObject(dets, trawl_detector_name(1u << i), o);
    }
    cJSON_AddItemToObject(root, "detectors", dets);
    cJSON_AddNumberToObject(root, "latency_us", (double)r->latency_us);
    char *s = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    return s;
}
