/* result.c -- severities, violations, reports and their JSON form. */
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

static void line_put(det_line *l, const char *s, size_t n)
{
    if (l->failed)
        return;
    if (l->len + n + 1 > l->cap) {
        size_t cap = l->cap ? l->cap : 256;
        while (cap < l->len + n + 1)
            cap *= 2;
        char *p = realloc(l->s, cap);
        if (!p) {
            l->failed = 1;
            return;
        }
        l->s = p;
        l->cap = cap;
    }
    memcpy(l->s + l->len, s, n);
    l->len += n;
    l->s[l->len] = 0;
}

void det_line_str(det_line *l, const char *s)
{
    line_put(l, s, strlen(s));
}

/* x in decimal at dst (at least 20 bytes; not terminated); the length. */
static size_t u64_text(char *dst, uint64_t x)
{
    char t[20];
    size_t n = 0;
    do
        t[n++] = (char)('0' + x % 10);
    while ((x /= 10) != 0);
    for (size_t i = 0; i < n; i++)
        dst[i] = t[n - 1 - i];
    return n;
}

void det_line_u64(det_line *l, uint64_t x)
{
    char b[20];
    line_put(l, b, u64_text(b, x));
}

void det_line_fixed2(det_line *l, double x)
{
    /* Hundredths by integer arithmetic below 1e13 (rule weights, scores,
     * the terms of a logit): h = |x| * 100 stays under 2^53, where its ulp
     * is at most 1/8, and fma gives the exact residual of that product, so
     * the rounding is printf's (the binary value to nearest, ties to even)
     * even where the product itself was rounded onto a half. Anything else
     * (huge, infinite, NaN) through printf. */
    double ax = fabs(x);
    if (ax < 1e13) {
        double h = ax * 100, err = fma(ax, 100, -h), k = nearbyint(h);
        if (h - k == 0.5 && err > 0)
            k += 1;
        else if (h - k == -0.5 && err < 0)
            k -= 1;
        uint64_t q = (uint64_t)k;
        char b[3] = {'.', (char)('0' + q / 10 % 10), (char)('0' + q % 10)};
        if (signbit(x))
            line_put(l, "-", 1);
        det_line_u64(l, q / 100);
        line_put(l, b, 3);
        return;
    }
    char b[DBL_MAX_10_EXP + 8]; /* the longest %.2f: 309 digits, sign, point, two */
    int n = snprintf(b, sizeof b, "%.2f", x);
    line_put(l, b, n > 0 ? (size_t)n : 0);
}

int det_evidence_line(trawl_violation *v, det_line *l)
{
    char **e = l->failed || !l->s ? NULL : realloc(v->evidence, (v->n_evidence + 1) * sizeof(*e));
    if (!e) {
        free(l->s);
        memset(l, 0, sizeof(*l));
        return -1;
    }
    v->evidence = e;
    e[v->n_evidence++] = l->s;
    memset(l, 0, sizeof(*l));
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

/* ---- the report as JSON --------------------------------------------------- *
 * Written directly, not through a cJSON tree (the service prints one report
 * per request): the same text cJSON_PrintUnformatted would give, byte for
 * byte — numbers by cJSON's rule, strings escaped as cJSON escapes them. */

/* A JSON string: '"', '\\' and the short escapes, other bytes below 0x20 as
 * \u00XX, everything else as it is (cJSON's choice). NULL prints "". */
static void jw_str(det_line *w, const char *s)
{
    line_put(w, "\"", 1);
    const char *run = s;
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        line_put(w, run, (size_t)(s - run));
        char e[8];
        switch (c) {
        case '"':
            det_line_str(w, "\\\"");
            break;
        case '\\':
            det_line_str(w, "\\\\");
            break;
        case '\b':
            det_line_str(w, "\\b");
            break;
        case '\f':
            det_line_str(w, "\\f");
            break;
        case '\n':
            det_line_str(w, "\\n");
            break;
        case '\r':
            det_line_str(w, "\\r");
            break;
        case '\t':
            det_line_str(w, "\\t");
            break;
        default:
            snprintf(e, sizeof e, "\\u%04x", c);
            det_line_str(w, e);
            break;
        }
        run = s + 1;
    }
    if (run)
        line_put(w, run, (size_t)(s - run));
    line_put(w, "\"", 1);
}

/* A number as cJSON prints it: null for NaN and infinities; an integer in
 * int range as %d; else %1.15g, or %1.17g when 15 digits do not read back. */
static void jw_num(det_line *w, double d)
{
    char b[32];
    if (isnan(d) || isinf(d)) {
        det_line_str(w, "null");
        return;
    }
    int as_int = d >= INT_MAX ? INT_MAX : d <= (double)INT_MIN ? INT_MIN : (int)d;
    double a = fabs(d), k = nearbyint(a * 1e6);
    if (d == (double)as_int) { /* what "%d" prints, without printf */
        char *p = b;
        if (as_int < 0)
            *p++ = '-';
        p += u64_text(p, as_int < 0 ? (uint64_t)0 - (uint64_t)(int64_t)as_int : (uint64_t)as_int);
        *p = 0;
    } else if (a >= 1e-4 && a < 1e9 && k / 1e6 == a) {
        /* The double nearest a decimal of at most six places (scores such
         * as 0.85 or 0.123456): %1.15g prints that decimal, which reads
         * back, so cJSON would print it; written without printf. */
        uint64_t q = (uint64_t)k, fp = q % 1000000;
        char *p = b;
        if (d < 0)
            *p++ = '-';
        p += u64_text(p, q / 1000000);
        *p++ = '.';
        for (uint64_t div = 100000; fp; div /= 10) {
            *p++ = (char)('0' + fp / div);
            fp %= div;
        }
        *p = 0;
    } else {
        snprintf(b, sizeof b, "%1.15g", d);
        double back = strtod(b, NULL);
        double big = fabs(back) > fabs(d) ? fabs(back) : fabs(d);
        if (!(fabs(back - d) <= big * DBL_EPSILON))
            snprintf(b, sizeof b, "%1.17g", d);
    }
    det_line_str(w, b);
}

static void violation_json(det_line *w, const trawl_violation *v)
{
    det_line_str(w, "{\"detector\":");
    jw_str(w, v->detector);
    det_line_str(w, ",\"category\":");
    jw_str(w, v->category);
    det_line_str(w, ",\"severity\":");
    jw_str(w, trawl_severity_name(v->severity));
    det_line_str(w, ",\"confidence\":");
    jw_num(w, v->confidence);
    det_line_str(w, ",\"description\":");
    jw_str(w, v->description);
    det_line_str(w, ",\"evidence\":[");
    for (size_t i = 0; i < v->n_evidence; i++) {
        if (i)
            line_put(w, ",", 1);
        jw_str(w, v->evidence[i]);
    }
    det_line_str(w, "]}");
}

char *trawl_detect_report_json(const trawl_detect_report *r)
{
    det_line w = {0}; /* the report is one growing line */
    det_line_str(&w, "{\"threat_score\":");
    jw_num(&w, r->threat_score);
    det_line_str(&w, ",\"detectors\":{");
    bool first = true;
    for (unsigned i = 0; i < TRAWL_DET_COUNT; i++) {
        if (!(r->ran & (1u << i)))
            continue;
        const trawl_detector_result *d = &r->results[i];
        if (!first)
            line_put(&w, ",", 1);
        first = false;
        jw_str(&w, trawl_detector_name(1u << i));
        det_line_str(&w, ":{\"threat_score\":");
        jw_num(&w, d->threat_score);
        det_line_str(&w, ",\"violations\":[");
        for (size_t k = 0; k < d->n_violations; k++) {
            if (k)
                line_put(&w, ",", 1);
            violation_json(&w, &d->violations[k]);
        }
        det_line_str(&w, "]}");
    }
    det_line_str(&w, "},\"latency_us\":");
    jw_num(&w, (double)r->latency_us);
    line_put(&w, "}", 1);
    if (w.failed) {
        free(w.s);
        return NULL;
    }
    return w.s;
}
