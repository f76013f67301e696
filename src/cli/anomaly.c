/* anomaly.c -- `trawl anomaly`: learn a baseline from captures, framed
 * messages or numeric series, save it, and report what departs from it,
 * each anomaly with its value, baseline statistic, threshold, method, time,
 * channel and index (docs/anomaly.md). */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <trawl/anomaly.h>

static const char anomaly_usage[] =
    "usage: trawl anomaly [OPTIONS] --learn BASELINE INPUT...\n"
    "       trawl anomaly [OPTIONS] --baseline BASELINE INPUT...\n"
    "       trawl anomaly [OPTIONS] --train TRAIN INPUT...\n"
    "       trawl anomaly [OPTIONS] --online INPUT...\n"
    "\n"
    "Learns what normal looks like and reports what departs from it. INPUT is a\n"
    "pcap/pcapng capture (per flow direction: timing, rate, sequence, field\n"
    "values), a byte stream cut with --frames, or with --series a CSV or JSON\n"
    "Lines table of numbers.\n"
    "\n"
    "  --learn FILE       learn from the inputs, write the baseline to FILE\n"
    "  --baseline FILE    test the inputs against a saved baseline\n"
    "  --train FILE       learn from FILE, then test the inputs (one run)\n"
    "  --online           learn while testing; each channel's first --warmup\n"
    "                     samples (default 30) are only learned\n"
    "  --frames SPEC      messages cut by a framer (`trawl frame` kinds, e.g.\n"
    "                     tlv,type-size=2); time is the message index\n"
    "  --series           the inputs are CSV / JSON Lines tables\n"
    "  --time COL         the time column of a table (default: the row number)\n"
    "  --column COL       a value column (repeatable; default: every other one)\n"
    "  --methods LIST     zscore,mzscore,iqr,ewma,cusum,rate,timing,sequence,value\n"
    "                     or all (default)\n"
    "  --z F --mz F --iqr-k F --ewma-lambda F --ewma-l F --cusum-k F --cusum-h F\n"
    "                     thresholds (defaults 3, 3.5, 1.5, 0.2, 3, 0.5, 5)\n"
    "  --rate-window S    seconds per rate window (default 1)\n"
    "  --min-samples N    baseline samples a channel needs to judge (default 8)\n"
    "  --columns          per byte column instead of per inferred field\n"
    "  --stats            print the baseline's channels (count, mean, std, median,\n"
    "                     MAD, quartiles; poll periods and jitter are the iat ones)\n"
    "  --json             one JSON object per anomaly (JSON Lines)\n"
    "  --svg FILE         write a timeline of the anomalies as SVG\n"
    "  -h, --help         this text\n"
    "\n"
    "Exit status: 0 anomalies were found, 1 none, 2 error.\n";

enum { MODE_NONE, MODE_LEARN, MODE_BASELINE, MODE_TRAIN, MODE_ONLINE };

typedef struct owned_msgs {
    trawl_anom_msg *m;
    uint8_t **bufs;
    size_t n, cap;
    char **flows;
    size_t n_flows;
    struct an_cli *sink; /* detection: each message is tested as it is read, not kept */
    const char *path;
} owned_msgs;

typedef struct svg_mark {
    double time;
    int method;
    char *title;
} svg_mark;

typedef struct an_cli an_cli;
static int on_anomaly(const trawl_anomaly *a, void *ud);
static void note_time(an_cli *c, double t);

struct an_cli {
    int mode;
    const char *model_path, *train_path, *frames, *time_col, *svg;
    const char *cols[256];
    size_t n_cols;
    bool series, json, stats;
    trawl_anom_params p;
    trawl_anom_model *model;
    uint64_t found;
    svg_mark *marks;
    size_t n_marks, cap_marks;
    double t_min, t_max;
    bool have_t;
};

/* ---- reading inputs ------------------------------------------------------------ */

static const char *flow_name(owned_msgs *o, const char *name)
{
    for (size_t i = 0; i < o->n_flows; i++)
        if (!strcmp(o->flows[i], name))
            return o->flows[i];
    char **g = realloc(o->flows, (o->n_flows + 1) * sizeof(char *));
    if (!g)
        return NULL;
    o->flows = g;
    return (o->flows[o->n_flows] = strdup(name)) ? o->flows[o->n_flows++] : NULL;
}

/* Detection streams: the message is tested at once (chunked detection
 * equals one call), so memory does not grow with the input. */
static int sink(owned_msgs *o, const uint8_t *p, size_t n, const char *flow, uint16_t sp,
                uint16_t dp, double t, uint64_t index)
{
    const char *fl = flow_name(o, flow);
    if (!fl) {
        cli_errorf("anomaly", "out of memory");
        return -1;
    }
    trawl_anom_msg m = {{p, n}, fl, sp, dp, t, index};
    trawl_error err;
    note_time(o->sink, t);
    if (trawl_anom_detect_msgs(o->sink->model, &m, 1, on_anomaly, o->sink, &err) != TRAWL_OK) {
        cli_report("anomaly", o->path, &err);
        return -2;
    }
    return 0;
}

static int push(owned_msgs *o, const uint8_t *p, size_t n, const char *flow, uint16_t sp,
                uint16_t dp, double t, uint64_t index)
{
    if (o->sink)
        return sink(o, p, n, flow, sp, dp, t, index);
    if (o->n == o->cap) {
        size_t cap = o->cap ? o->cap * 2 : 256;
        trawl_anom_msg *g = realloc(o->m, cap * sizeof(*g));
        uint8_t **b = g ? realloc(o->bufs, cap * sizeof(*b)) : NULL;
        if (g)
            o->m = g;
        if (!b)
            return -1;
        o->bufs = b;
        o->cap = cap;
    }
    uint8_t *copy = malloc(n ? n : 1);
    const char *fl = flow_name(o, flow);
    if (!copy || !fl) {
        free(copy);
        return -1;
    }
    memcpy(copy, p, n);
    o->bufs[o->n] = copy;
    o->m[o->n] = (trawl_anom_msg){{copy, n}, fl, sp, dp, t, index};
    o->n++;
    return 0;
}

static void owned_free(owned_msgs *o)
{
    for (size_t i = 0; i < o->n; i++)
        free(o->bufs[i]);
    for (size_t i = 0; i < o->n_flows; i++)
        free(o->flows[i]);
    free(o->bufs);
    free(o->m);
    free(o->flows);
    memset(o, 0, sizeof(*o));
}

static int read_pcap(const char *path, owned_msgs *o)
{
    trawl_frame_pcap *cap;
    trawl_error err;
    trawl_error_clear(&err);
    trawl_status st0;
    if (!strcmp(path, "-")) {
        /* libpcap reads a capture from a pipe too; it takes the FILE */
        int fd = dup(STDIN_FILENO);
        FILE *fp = fd >= 0 ? fdopen(fd, "rb") : NULL;
        if (!fp && fd >= 0)
            close(fd);
        st0 = fp ? trawl_frame_pcap_open(fp, &cap, &err) : TRAWL_EIO;
    } else {
        st0 = trawl_frame_pcap_open_path(path, &cap, &err);
    }
    if (st0 != TRAWL_OK) {
        cli_report("anomaly", path, &err);
        return -1;
    }
    trawl_frame_packet pkt;
    trawl_frame_fault f;
    trawl_frame_step st;
    int rc = 0;
    while (rc == 0 && (st = trawl_frame_pcap_next(cap, &pkt, &f)) == TRAWL_FRAME_UNIT) {
        if (!pkt.l4.has_payload || pkt.l4.payload.len == 0)
            continue;
        /* a direction of a service: the client's ephemeral port (the higher
         * one) is '*', so that a poller's successive connections make one
         * flow */
        char flow[64];
        const char *proto = pkt.l4.proto == 6 ? "tcp" : "udp";
        uint16_t sp = pkt.l4.src_port, dp = pkt.l4.dst_port;
        if (sp > dp)
            snprintf(flow, sizeof(flow), "%s *>%u", proto, dp);
        else
            snprintf(flow, sizeof(flow), "%s %u>*", proto, sp);
        double t = (double)pkt.ts_sec + pkt.ts_nsec / 1e9;
        int pr = push(o, pkt.l4.payload.ptr, pkt.l4.payload.len, flow, pkt.l4.src_port,
                      pkt.l4.dst_port, t, pkt.index);
        if (pr != 0) {
            if (pr == -1)
                cli_errorf("anomaly", "out of memory");
            rc = -1;
        }
    }
    if (rc == 0 && st == TRAWL_FRAME_FAULT) {
        trawl_frame_fault_to_error(&f, &err);
        cli_report("anomaly", path, &err);
        rc = -1;
    }
    trawl_frame_pcap_free(cap);
    return rc;
}

static int read_frames(const char *path, const char *spec, owned_msgs *o)
{
    cli_frames fs;
    if (cli_frame_spec(spec, &fs) != 0)
        return -1;
    trawl_framer *fr = fs.framer;
    bool resync = fs.resync;
    if (!fr) { /* pcap: the capture is read per flow by read_pcap */
        cli_errorf("anomaly", "--frames pcap: give the capture itself as the input");
        return -1;
    }
    cli_input in;
    int rc = cli_input_open(path, &in);
    trawl_frame_reader *r = NULL;
    trawl_frame_iter *it = NULL;
    trawl_error err;
    unsigned flags = resync ? TRAWL_FRAME_RESYNC : 0;
    if (rc == 0 &&
        (in.data ? trawl_frame_iter_new(fr, flags, &it, &err)
                 : trawl_frame_reader_new_fd(fr, in.fd, 0, flags, &r, &err)) != TRAWL_OK) {
        cli_report("anomaly", path, &err);
        rc = -1;
    }
    if (it)
        trawl_frame_iter_reset(it, in.data, in.len);
    trawl_frame_unit u;
    trawl_frame_fault f;
    for (trawl_frame_step st; rc == 0;) {
        st = it ? trawl_frame_iter_next(it, &u, &f) : trawl_frame_reader_next(r, &u, &f);
        if (st == TRAWL_FRAME_END)
            break;
        if (st == TRAWL_FRAME_FAULT) {
            trawl_frame_fault_to_error(&f, &err);
            cli_report("anomaly", path, &err);
            if (!resync)
                rc = -1;
            continue;
        }
        int pr = push(o, u.data.ptr, u.data.len, "stream", 0, 0, (double)u.index, u.index);
        if (pr != 0) {
            if (pr == -1)
                cli_errorf("anomaly", "out of memory");
            rc = -1;
        }
    }
    trawl_frame_iter_free(it);
    trawl_frame_reader_free(r);
    trawl_framer_free(fr);
    cli_input_close(&in);
    return rc;
}

static int read_msgs(an_cli *c, const char *path, owned_msgs *o)
{
    return c->frames ? read_frames(path, c->frames, o) : read_pcap(path, o);
}

/* The whole of an input, copied (the caller frees it); NULL on error
 * (printed). */
static char *slurp_text(const char *path, size_t *n)
{
    cli_input in;
    if (cli_input_open(path, &in) != 0)
        return NULL;
    bool owned;
    uint8_t *p = cli_input_read_all(&in, (size_t)1 << 30, n, &owned);
    char *text = p && !owned ? malloc(*n ? *n : 1) : (char *)p;
    if (p && !owned && text)
        memcpy(text, p, *n);
    if (!text)
        cli_errorf("anomaly", "%s: %s", path, strerror(errno));
    cli_input_close(&in);
    return text;
}

static trawl_anom_table *read_table(an_cli *c, const char *path)
{
    size_t n;
    char *text = slurp_text(path, &n);
    if (!text)
        return NULL;
    trawl_anom_table *t = NULL;
    trawl_error err;
    trawl_error_clear(&err);
    if (trawl_anom_table_parse(text, n, c->time_col, c->n_cols ? c->cols : NULL, c->n_cols, &t,
                               &err) != TRAWL_OK)
        cli_report("anomaly", path, &err);
    free(text);
    return t;
}

/* ---- output ---------------------------------------------------------------------- */

static void json_num(double v)
{
    if (isfinite(v))
        printf("%.10g", v);
    else
        fputs("null", stdout);
}

static void add_mark(an_cli *c, const trawl_anomaly *a)
{
    if (!c->svg)
        return;
    if (c->n_marks == c->cap_marks) {
        size_t cap = c->cap_marks ? c->cap_marks * 2 : 64;
        svg_mark *g = realloc(c->marks, cap * sizeof(*g));
        if (!g)
            return;
        c->marks = g;
        c->cap_marks = cap;
    }
    char buf[512];
    snprintf(buf, sizeof(buf), "%s %s, %s, #%llu: %s", trawl_anom_method_name(a->method), a->what,
             a->channel, (unsigned long long)a->index, a->detail);
    c->marks[c->n_marks++] = (svg_mark){a->time, (int)a->method, strdup(buf)};
}

static int on_anomaly(const trawl_anomaly *a, void *ud)
{
    an_cli *c = ud;
    c->found++;
    add_mark(c, a);
    if (c->json) {
        printf("{\"method\":\"%s\",\"what\":\"%s\",\"channel\":", trawl_anom_method_name(a->method),
               a->what);
        cli_json_string(stdout, a->channel);
        printf(",\"time\":%.9f,\"index\":%llu,\"value\":", a->time, (unsigned long long)a->index);
        json_num(a->value);
        fputs(",\"baseline\":", stdout);
        json_num(a->baseline);
        fputs(",\"spread\":", stdout);
        json_num(a->spread);
        fputs(",\"threshold\":", stdout);
        json_num(a->threshold);
        fputs(",\"score\":", stdout);
        json_num(a->score);
        fputs(",\"detail\":", stdout);
        cli_json_string(stdout, a->detail);
        fputs("}\n", stdout);
    } else {
        printf("%.6f #%-6llu %-8s %-17s %s: %s\n", a->time, (unsigned long long)a->index,
               trawl_anom_method_name(a->method), a->what, a->channel, a->detail);
    }
    return 0;
}

static void print_stats(const trawl_anom_model *m)
{
    trawl_anom_channel_info ci;
    printf("%-48s %8s %12s %12s %12s %12s %12s %12s\n", "CHANNEL", "N", "MEAN", "STD", "MEDIAN",
           "MAD", "Q1", "Q3");
    for (size_t i = 0; trawl_anom_channel(m, i, &ci); i++) {
        if (ci.distinct && isnan(ci.mean)) {
            printf("%-48s %8llu %u distinct values\n", ci.name, (unsigned long long)ci.n,
                   ci.distinct);
            continue;
        }
        printf("%-48s %8llu %12.6g %12.6g %12.6g %12.6g %12.6g %12.6g\n", ci.name,
               (unsigned long long)ci.n, ci.mean, ci.std, ci.median, ci.mad, ci.q1, ci.q3);
    }
}

static void svg_text(FILE *f, const char *s)
{
    for (; *s; s++) {
        if (*s == '<')
            fputs("&lt;", f);
        else if (*s == '>')
            fputs("&gt;", f);
        else if (*s == '&')
            fputs("&amp;", f);
        else if (*s == '"')
            fputs("&quot;", f);
        else
            fputc(*s, f);
    }
}

/* A timeline: one row per method, a mark per anomaly (its sentence as the
 * tooltip), the time axis under it. */
static int write_svg(an_cli *c)
{
    FILE *f = fopen(c->svg, "w");
    if (!f) {
        cli_errorf("anomaly", "%s: %s", c->svg, strerror(errno));
        return -1;
    }
    const int W = 960, left = 90, right = 20, row = 26, top = 30;
    int rows = TRAWL_ANOM_METHOD_COUNT_, H = top + rows * row + 50;
    double t0 = c->have_t ? c->t_min : 0, t1 = c->have_t ? c->t_max : 1;
    if (t1 <= t0)
        t1 = t0 + 1;
    fprintf(f,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
            "font-family=\"sans-serif\" font-size=\"12\">\n<rect width=\"100%%\" height=\"100%%\" "
            "fill=\"white\"/>\n<text x=\"%d\" y=\"18\" font-weight=\"bold\">trawl anomaly: %llu "
            "anomalies over %.6g s</text>\n",
            W, H, left, (unsigned long long)c->found, t1 - t0);
    for (int r = 0; r < rows; r++) {
        int y = top + r * row + row / 2;
        fprintf(f,
                "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%s</text>\n<line x1=\"%d\" y1=\"%d\" "
                "x2=\"%d\" y2=\"%d\" stroke=\"#ddd\"/>\n",
                left - 8, y + 4, trawl_anom_method_name((trawl_anom_method)r), left, y, W - right,
                y);
    }
    static const char *const colour[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                                         "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22"};
    for (size_t i = 0; i < c->n_marks; i++) {
        const svg_mark *k = &c->marks[i];
        double x = left + (k->time - t0) / (t1 - t0) * (W - left - right);
        int y = top + k->method * row + row / 2;
        fprintf(f, "<circle cx=\"%.1f\" cy=\"%d\" r=\"5\" fill=\"%s\" fill-opacity=\"0.7\"><title>",
                x, y, colour[k->method % 9]);
        svg_text(f, k->title ? k->title : "");
        fputs("</title></circle>\n", f);
    }
    int ya = top + rows * row + 8;
    fprintf(f, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"black\"/>\n", left, ya,
            W - right, ya);
    for (int k = 0; k <= 4; k++) {
        double x = left + k * (W - left - right) / 4.0;
        fprintf(f,
                "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"black\"/>\n<text "
                "x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">+%.4g s</text>\n",
                x, ya, x, ya + 5, x, ya + 20, k * (t1 - t0) / 4);
    }
    fputs("</svg>\n", f);
    return fclose(f) == 0 ? 0 : -1;
}

static void note_time(an_cli *c, double t)
{
    if (!c->have_t || t < c->t_min)
        c->t_min = t;
    if (!c->have_t || t > c->t_max)
        c->t_max = t;
    c->have_t = true;
}

/* ---- running ----------------------------------------------------------------------- */

static int learn_series(an_cli *c, const char *path)
{
    trawl_anom_table *t = read_table(c, path);
    if (!t)
        return -1;
    trawl_error err;
    double tm, v;
    for (size_t col = 0; col < trawl_anom_table_columns(t); col++)
        for (size_t r = 0; r < trawl_anom_table_rows(t); r++)
            if (trawl_anom_table_get(t, r, col, &tm, &v) &&
                trawl_anom_learn_value(c->model, trawl_anom_table_column(t, col), tm, v, &err)) {
                cli_report("anomaly", path, &err);
                trawl_anom_table_free(t);
                return -1;
            }
    trawl_anom_table_free(t);
    return 0;
}

static int detect_series(an_cli *c, const char *path)
{
    trawl_anom_table *t = read_table(c, path);
    if (!t)
        return -1;
    trawl_error err;
    double tm, v;
    /* in time order, every column at each row */
    for (size_t r = 0; r < trawl_anom_table_rows(t); r++)
        for (size_t col = 0; col < trawl_anom_table_columns(t); col++)
            if (trawl_anom_table_get(t, r, col, &tm, &v)) {
                note_time(c, tm);
                if (trawl_anom_detect_value(c->model, trawl_anom_table_column(t, col), tm, r, v,
                                            on_anomaly, c, &err) != TRAWL_OK) {
                    cli_report("anomaly", path, &err);
                    trawl_anom_table_free(t);
                    return -1;
                }
            }
    trawl_anom_table_free(t);
    return 0;
}

static int learn_inputs(an_cli *c, char **paths, int n)
{
    trawl_error err;
    if (c->series) {
        for (int i = 0; i < n; i++)
            if (learn_series(c, paths[i]) != 0)
                return -1;
        return 0;
    }
    owned_msgs o = {0};
    int rc = 0;
    for (int i = 0; i < n && rc == 0; i++)
        rc = read_msgs(c, paths[i], &o);
    if (rc == 0 && trawl_anom_learn_msgs(c->model, o.m, o.n, &err) != TRAWL_OK) {
        cli_report("anomaly", "learning", &err);
        rc = -1;
    }
    owned_free(&o);
    return rc;
}

static int detect_inputs(an_cli *c, char **paths, int n)
{
    trawl_error err;
    for (int i = 0; i < n; i++) {
        if (c->series) {
            if (detect_series(c, paths[i]) != 0)
                return -1;
            continue;
        }
        owned_msgs o = {0};
        o.sink = c;
        o.path = paths[i];
        int rc = read_msgs(c, paths[i], &o);
        if (rc == 0 && trawl_anom_flush(c->model, on_anomaly, c, &err)) {
            cli_report("anomaly", paths[i], &err);
            rc = -1;
        }
        owned_free(&o);
        if (rc)
            return rc;
    }
    return 0;
}

static int load_baseline(an_cli *c)
{
    size_t n;
    char *text = slurp_text(c->model_path, &n);
    if (!text)
        return -1;
    trawl_error err;
    trawl_error_clear(&err);
    trawl_status s = trawl_anom_load(text, n, &c->p, &c->model, &err);
    free(text);
    if (s != TRAWL_OK) {
        cli_report("anomaly", c->model_path, &err);
        return -1;
    }
    return 0;
}

static int save_baseline(an_cli *c)
{
    FILE *f = fopen(c->model_path, "w");
    trawl_error err;
    if (!f) {
        cli_errorf("anomaly", "%s: %s", c->model_path, strerror(errno));
        return -1;
    }
    trawl_status s = trawl_anom_save(c->model, f, &err);
    if (fclose(f) != 0 && s == TRAWL_OK) {
        cli_errorf("anomaly", "%s: %s", c->model_path, strerror(errno));
        return -1;
    }
    if (s != TRAWL_OK) {
        cli_report("anomaly", c->model_path, &err);
        return -1;
    }
    return 0;
}

static int run(an_cli *c, char **inputs, int n)
{
    trawl_error err;
    if (c->mode == MODE_BASELINE)
        return load_baseline(c);
    if (trawl_anom_new(&c->p, &c->model, &err) != TRAWL_OK) {
        cli_report("anomaly", "parameters", &err);
        return -1;
    }
    if (c->mode == MODE_ONLINE)
        return 0;
    char *train = (char *)c->train_path;
    if (learn_inputs(c, c->mode == MODE_TRAIN ? &train : inputs, c->mode == MODE_TRAIN ? 1 : n))
        return -1;
    if (trawl_anom_finish(c->model, &err) != TRAWL_OK) {
        cli_report("anomaly", "baseline", &err);
        return -1;
    }
    return 0;
}

static bool parse_double(const char *s, double *out)
{
    char *e;
    errno = 0;
    *out = strtod(s, &e);
    return !errno && e != s && !*e && isfinite(*out);
}

static int parse_opt(an_cli *c, int o, const char *arg)
{
    double v;
    unsigned long u;
    char *e;
    trawl_error err;
    switch (o) {
    case 'L':
        c->mode = MODE_LEARN;
        c->model_path = arg;
        return 0;
    case 'B':
        c->mode = MODE_BASELINE;
        c->model_path = arg;
        return 0;
    case 'T':
        c->mode = MODE_TRAIN;
        c->train_path = arg;
        return 0;
    case 'O':
        c->mode = MODE_ONLINE;
        c->p.online = true;
        return 0;
    case 'F':
        c->frames = arg;
        return 0;
    case 'S':
        c->series = true;
        return 0;
    case 't':
        c->time_col = arg;
        return 0;
    case 'c':
        if (c->n_cols == 256)
            return -1;
        c->cols[c->n_cols++] = arg;
        return 0;
    case 'M':
        if (trawl_anom_methods_parse(arg, &c->p.methods, &err) != TRAWL_OK) {
            cli_report("anomaly", "--methods", &err);
            return -1;
        }
        return 0;
    case 'C':
        c->p.columns = true;
        return 0;
    case 's':
        c->stats = true;
        return 0;
    case 'j':
        c->json = true;
        return 0;
    case 'V':
        c->svg = arg;
        return 0;
    case 'w':
    case 'N':
        errno = 0;
        u = strtoul(arg, &e, 10);
        if (errno || e == arg || *e || u > 1000000) {
            cli_errorf("anomaly", "bad number '%s'", arg);
            return -1;
        }
        *(o == 'w' ? &c->p.warmup : &c->p.min_samples) = (unsigned)u;
        return 0;
    default:
        if (!parse_double(arg, &v) || v <= 0) {
            cli_errorf("anomaly", "bad threshold '%s' (a positive number)", arg);
            return -1;
        }
        double *f[] = {&c->p.z,      &c->p.mz,      &c->p.iqr_k,   &c->p.ewma_lambda,
                       &c->p.ewma_l, &c->p.cusum_k, &c->p.cusum_h, &c->p.rate_window};
        *f[o - '1'] = v;
        return 0;
    }
}

int cli_anomaly(int argc, char **argv)
{
    static const struct option longs[] = {{"learn", required_argument, 0, 'L'},
                                          {"baseline", required_argument, 0, 'B'},
                                          {"train", required_argument, 0, 'T'},
                                          {"online", no_argument, 0, 'O'},
                                          {"frames", required_argument, 0, 'F'},
                                          {"series", no_argument, 0, 'S'},
                                          {"time", required_argument, 0, 't'},
                                          {"column", required_argument, 0, 'c'},
                                          {"methods", required_argument, 0, 'M'},
                                          {"z", required_argument, 0, '1'},
                                          {"mz", required_argument, 0, '2'},
                                          {"iqr-k", required_argument, 0, '3'},
                                          {"ewma-lambda", required_argument, 0, '4'},
                                          {"ewma-l", required_argument, 0, '5'},
                                          {"cusum-k", required_argument, 0, '6'},
                                          {"cusum-h", required_argument, 0, '7'},
                                          {"rate-window", required_argument, 0, '8'},
                                          {"warmup", required_argument, 0, 'w'},
                                          {"min-samples", required_argument, 0, 'N'},
                                          {"columns", no_argument, 0, 'C'},
                                          {"stats", no_argument, 0, 's'},
                                          {"json", no_argument, 0, 'j'},
                                          {"svg", required_argument, 0, 'V'},
                                          {"help", no_argument, 0, 'h'},
                                          {0, 0, 0, 0}};
    an_cli c = {0};
    int o;
    optind = 1;
    while ((o = getopt_long(argc, argv, "h", longs, NULL)) != -1) {
        if (o == 'h') {
            fputs(anomaly_usage, stdout);
            return 0;
        }
        if (o == '?' || parse_opt(&c, o, optarg) != 0) {
            if (o == '?')
                fputs(anomaly_usage, stderr);
            return CLI_ERROR;
        }
    }
    if (c.mode == MODE_NONE || optind >= argc) {
        cli_errorf("anomaly", "give --learn, --baseline, --train or --online, and an input");
        return CLI_ERROR;
    }
    if (c.series && c.frames) {
        cli_errorf("anomaly", "--series and --frames exclude each other");
        return CLI_ERROR;
    }
    /* the framer spec is parsed with getopt too: keep our own index */
    int first = optind;
    int rc = run(&c, argv + first, argc - first);
    if (rc == 0 && c.mode == MODE_LEARN)
        rc = save_baseline(&c);
    if (rc == 0 && c.stats)
        print_stats(c.model);
    if (rc == 0 && c.mode != MODE_LEARN)
        rc = detect_inputs(&c, argv + first, argc - first);
    if (rc == 0 && c.svg)
        rc = write_svg(&c);
    for (size_t i = 0; i < c.n_marks; i++)
        free(c.marks[i].title);
    free(c.marks);
    trawl_anom_free(c.model);
    if (rc != 0)
        return CLI_ERROR;
    if (c.mode == MODE_LEARN)
        return CLI_FOUND;
    return c.found ? CLI_FOUND : CLI_NONE;
}
