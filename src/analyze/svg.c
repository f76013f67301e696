/* svg.c -- trawl's own small SVG writer: an entropy-over-offset plot with
 * the regions shaded, and a dendrogram of a linkage matrix. Plain SVG 1.1
 * text (rect, line, polyline, text), no scripts and no external
 * references, so any viewer or rsvg-convert renders it. Numbers are
 * printed with a fixed precision so that the same input gives the same
 * file byte for byte. */
#include "analyze/analyze_int.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

typedef struct svg {
    FILE *f;
    bool failed;
} svg;

static void put(svg *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(svg *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (vfprintf(s->f, fmt, ap) < 0)
        s->failed = true;
    va_end(ap);
}

/* Text content, XML-escaped; bytes outside printable ASCII become '?' so
 * that the file stays valid UTF-8 whatever a label holds. */
static void text(svg *s, double x, double y, const char *anchor, int size, double rotate,
                 const char *str)
{
    put(s, "<text x=\"%.2f\" y=\"%.2f\" font-size=\"%d\" text-anchor=\"%s\"", x, y, size, anchor);
    if (rotate != 0)
        put(s, " transform=\"rotate(%.0f %.2f %.2f)\"", rotate, x, y);
    put(s, ">");
    for (const unsigned char *c = (const unsigned char *)str; *c; c++) {
        switch (*c) {
        case '<':
            put(s, "&lt;");
            break;
        case '>':
            put(s, "&gt;");
            break;
        case '&':
            put(s, "&amp;");
            break;
        default:
            put(s, "%c", *c >= 0x20 && *c < 0x7F ? *c : '?');
        }
    }
    put(s, "</text>\n");
}

static void open_doc(svg *s, int w, int h, const char *title)
{
    put(s, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    put(s,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"%d\" height=\"%d\" "
        "viewBox=\"0 0 %d %d\" font-family=\"sans-serif\">\n",
        w, h, w, h);
    put(s, "<rect x=\"0\" y=\"0\" width=\"%d\" height=\"%d\" fill=\"white\"/>\n", w, h);
    if (title)
        text(s, w / 2.0, 22, "middle", 15, 0, title);
}

static trawl_status close_doc(svg *s, trawl_error *err)
{
    put(s, "</svg>\n");
    if (fflush(s->f) != 0 || ferror(s->f))
        s->failed = true;
    return s->failed ? trawl__fail(err, TRAWL_EIO, "writing the SVG: %s", strerror(errno))
                     : TRAWL_OK;
}

/* A readable step for an axis spanning `range`: 1, 2 or 5 times a power
 * of ten, about `ticks` of them. */
static double nice_step(double range, int ticks)
{
    double raw = range / ticks, p = pow(10, floor(log10(raw)));
    double m = raw / p;
    return (m < 1.5 ? 1 : m < 3.5 ? 2 : m < 7.5 ? 5 : 10) * p;
}

/* ---- entropy plot --------------------------------------------------------------- */

static const char *const region_fill[] = {"#d9d9d9", "#b3de69", "#ffffb3", "#bebada",
                                          "#80b1d3", "#fdb462", "#fb8072"};

trawl_status trawl_analyze_svg_entropy(FILE *out, const trawl_analyze_entropy_plot *pl,
                                       trawl_error *err)
{
    if (!out || !pl || (!pl->values && pl->nvalues) || (!pl->regions && pl->nregions) ||
        (pl->nvalues && !pl->scanner))
        return trawl__fail(err, TRAWL_EINVAL, "NULL argument");
    const int W = 960, H = 400, L = 60, R = 20, T = 40, B = 80;
    const double pw = W - L - R, ph = H - T - B;
    const double span = pl->n ? (double)pl->n : 1;
    svg s = {out, false};
    open_doc(&s, W, H, pl->title);
#define X(off)  (L + pw * (double)(off) / span)
#define Y(bits) (T + ph * (1 - (bits) / 8.0))
    for (size_t i = 0; i < pl->nregions; i++) {
        const trawl_analyze_region *r = &pl->regions[i];
        unsigned c = (unsigned)r->cls <= TRAWL_ANALYZE_RANDOM ? (unsigned)r->cls : 0;
        put(&s,
            "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" fill=\"%s\" "
            "fill-opacity=\"0.7\"><title>%s %llu+%llu</title></rect>\n",
            X(r->offset), (double)T, X(r->offset + r->len) - X(r->offset), ph, region_fill[c],
            trawl_analyze_region_name(r->cls), (unsigned long long)r->offset,
            (unsigned long long)r->len);
    }
    /* axes, grid, ticks */
    for (int b = 0; b <= 8; b += 2) {
        put(&s,
            "<line x1=\"%d\" y1=\"%.2f\" x2=\"%d\" y2=\"%.2f\" stroke=\"#999\" "
            "stroke-width=\"0.5\"/>\n",
            L, Y(b), W - R, Y(b));
        char lab[8];
        snprintf(lab, sizeof lab, "%d", b);
        text(&s, L - 6, Y(b) + 4, "end", 11, 0, lab);
    }
    text(&s, 16, T + ph / 2, "middle", 12, -90, "entropy (bits/byte)");
    double st = nice_step(span, 8);
    for (double o = 0; o <= span; o += st) {
        put(&s, "<line x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\" stroke=\"#333\"/>\n", X(o),
            T + ph, X(o), T + ph + 5);
        char lab[32];
        snprintf(lab, sizeof lab, "%.0f", o);
        text(&s, X(o), T + ph + 18, "middle", 11, 0, lab);
    }
    text(&s, L + pw / 2, T + ph + 36, "middle", 12, 0, "offset (bytes)");
    put(&s,
        "<rect x=\"%d\" y=\"%d\" width=\"%.2f\" height=\"%.2f\" fill=\"none\" stroke=\"#333\"/>\n",
        L, T, pw, ph);
    /* the curve: each window at its middle */
    if (pl->nvalues) {
        put(&s, "<polyline fill=\"none\" stroke=\"#1f4e99\" stroke-width=\"1.2\" points=\"");
        for (size_t i = 0; i < pl->nvalues; i++) {
            uint64_t len, at = trawl_analyze_entropy_window_offset(pl->scanner, pl->n, i, &len);
            double v = pl->values[i] < 0 ? 0 : pl->values[i] > 8 ? 8 : pl->values[i];
            put(&s, "%.2f,%.2f ", X((double)at + len / 2.0), Y(v));
        }
        put(&s, "\"/>\n");
    }
    /* legend: the classes present */
    double lx = L;
    for (unsigned c = 0; c <= TRAWL_ANALYZE_RANDOM; c++) {
        bool seen = false;
        for (size_t i = 0; i < pl->nregions && !seen; i++)
            seen = (unsigned)pl->regions[i].cls == c;
        if (!seen)
            continue;
        put(&s,
            "<rect x=\"%.2f\" y=\"%d\" width=\"12\" height=\"12\" fill=\"%s\" stroke=\"#666\"/>\n",
            lx, H - 24, region_fill[c]);
        const char *name = trawl_analyze_region_name((trawl_analyze_region_class)c);
        text(&s, lx + 16, H - 13, "start", 11, 0, name);
        lx += 28 + 7.0 * (double)strlen(name);
    }
#undef X
#undef Y
    return close_doc(&s, err);
}

/* ---- dendrogram --------------------------------------------------------------- */

static const char *const palette[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                                      "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};

trawl_status trawl_analyze_svg_dendrogram(FILE *out, const trawl_analyze_dendrogram_plot *pl,
                                          trawl_error *err)
{
    if (!out || !pl || (pl->n > 1 && !pl->Z))
        return trawl__fail(err, TRAWL_EINVAL, "NULL argument");
    const size_t n = pl->n;
    if (n == 0)
        return trawl__fail(err, TRAWL_EINVAL, "no items");
    if (n > 1) {
        trawl_status st = trawl__an_check_linkage(pl->Z, n, err);
        if (st)
            return st;
    }
    const bool labels = pl->leaf_labels && n <= 400;
    const int W = n > 100 ? 1200 : 960, H = 500, L = 60, R = 20, T = 40, B = labels ? 110 : 40;
    const double pw = W - L - R, ph = H - T - B;
    /* leaf order: depth first from the root, left child first (SciPy's) */
    double *x = malloc((2 * n - 1) * sizeof(*x));
    size_t *stack = malloc(2 * n * sizeof(*stack));
    size_t *order = malloc(n * sizeof(*order));
    int32_t *col = malloc((2 * n - 1) * sizeof(*col)); /* flat cluster of a node, -1 mixed */
    if (!x || !stack || !order || !col) {
        free(x);
        free(stack);
        free(order);
        free(col);
        return trawl__fail(err, TRAWL_ENOMEM, "out of memory");
    }
    size_t top = 0, nl = 0;
    stack[top++] = 2 * n - 2;
    while (top) {
        size_t id = stack[--top];
        if (id < n) {
            order[nl++] = id;
            continue;
        }
        stack[top++] = (size_t)pl->Z[4 * (id - n) + 1];
        stack[top++] = (size_t)pl->Z[4 * (id - n)];
    }
    double hmax = n > 1 ? pl->Z[4 * (n - 2) + 2] : 1;
    if (!(hmax > 0))
        hmax = 1;
    for (size_t i = 0; i < n; i++)
        x[order[i]] = L + pw * ((double)i + 0.5) / (double)n;
    for (size_t i = 0; i < n; i++)
        col[i] = pl->clusters ? pl->clusters[i] : -1;
    svg s = {out, false};
    open_doc(&s, W, H, pl->title);
#define Y(d) (T + ph * (1 - (d) / hmax))
    for (size_t k = 0; k + 1 < n; k++) {
        size_t a = (size_t)pl->Z[4 * k], b = (size_t)pl->Z[4 * k + 1];
        double d = pl->Z[4 * k + 2];
        double ya = a < n ? Y(0) : Y(pl->Z[4 * (a - n) + 2]);
        double yb = b < n ? Y(0) : Y(pl->Z[4 * (b - n) + 2]);
        x[n + k] = (x[a] + x[b]) / 2;
        col[n + k] = col[a] == col[b] ? col[a] : -1;
        const char *c = col[n + k] >= 0 ? palette[col[n + k] % 10] : "#555";
        put(&s,
            "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"1\" "
            "points=\"%.2f,%.2f %.2f,%.2f %.2f,%.2f %.2f,%.2f\"/>\n",
            c, x[a], ya, x[a], Y(d), x[b], Y(d), x[b], yb);
    }
    if (pl->cut > 0 && pl->cut <= hmax)
        put(&s,
            "<line x1=\"%d\" y1=\"%.2f\" x2=\"%d\" y2=\"%.2f\" stroke=\"#d62728\" "
            "stroke-dasharray=\"6,4\"/>\n",
            L, Y(pl->cut), W - R, Y(pl->cut));
    double st = nice_step(hmax, 5);
    for (double d = 0; d <= hmax * 1.0001; d += st) {
        char lab[32];
        snprintf(lab, sizeof lab, "%.3g", d);
        text(&s, L - 6, Y(d) + 4, "end", 11, 0, lab);
        put(&s, "<line x1=\"%d\" y1=\"%.2f\" x2=\"%d\" y2=\"%.2f\" stroke=\"#333\"/>\n", L - 4,
            Y(d), L, Y(d));
    }
    text(&s, 16, T + ph / 2, "middle", 12, -90,
         pl->distance_label ? pl->distance_label : "distance");
    for (size_t i = 0; labels && i < n; i++)
        text(&s, x[order[i]] + 3, T + ph + 8, "end", n > 60 ? 7 : 10, -90,
             pl->leaf_labels[order[i]] ? pl->leaf_labels[order[i]] : "");
#undef Y
    free(x);
    free(stack);
    free(order);
    free(col);
    return close_doc(&s, err);
}
