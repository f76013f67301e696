/* analyze.c -- `trawl analyze`: entropy, n-grams, repeats, columns and
 * header signatures, alignment; clustering is in analyze_cluster.c and the
 * message inputs in analyze_input.c (docs/analyze.md). */
#include "analyze.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_MAX_INPUT ((uint64_t)4 << 30)

static const char analyze_usage[] =
    "usage: trawl analyze COMMAND [OPTIONS] INPUT...\n"
    "\n"
    "Measures bytes and messages.\n"
    "\n"
    "  entropy   whole-input entropy and chi-square, sliding windows, regions (--svg)\n"
    "  ngrams    the most frequent n-grams across messages\n"
    "  repeats   maximal repeated substrings (suffix array), periods, delimiters\n"
    "  columns   statistics per offset across messages, consensus, header signatures\n"
    "  align     Needleman-Wunsch alignment of two messages\n"
    "  cluster   k-means, hierarchical (single ... ward) or DBSCAN clustering of\n"
    "            messages or feature vectors (--svg draws the dendrogram)\n"
    "\n"
    "Messages: each INPUT file whole, or --frames SPEC (as `trawl scan`; also pcap,\n"
    "pcap,flows), or --hex-lines. `trawl analyze COMMAND --help` for each command.\n"
    "Exit status: 0 results, 1 nothing found, 2 error.\n";

static int usage_error(const char *cmd, const char *usage, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int usage_error(const char *cmd, const char *usage, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "trawl analyze %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n\n%s", usage);
    return CLI_ERROR;
}

/* ---- entropy ------------------------------------------------------------------------ */

static const char entropy_usage[] =
    "usage: trawl analyze entropy [OPTIONS] FILE... | -\n"
    "\n"
    "Shannon entropy (bits per byte) of each input, chi-square against uniform\n"
    "bytes, entropy over sliding windows, and regions by kind of bytes.\n"
    "\n"
    "  -w, --window N     window size in bytes (default 1024; k, M suffixes)\n"
    "  -s, --step N       distance between windows (default: the window)\n"
    "      --corrected    Miller-Madow-correct each window's entropy\n"
    "      --windows      print every window (offset, entropy)\n"
    "      --regions      cut the input into regions: padding, text, low-entropy,\n"
    "                     binary, code-like, compressed, random (each with its rule)\n"
    "      --svg FILE     write an entropy-over-offset plot, regions shaded\n"
    "      --json         JSON Lines: one object per input, window and region\n"
    "      --max-input N  bytes read from a pipe at most (default 4G)\n"
    "  -h, --help         this text\n";

typedef struct ent_opts {
    uint64_t window, step, max_input;
    bool corrected, windows, regions, json;
    const char *svg;
} ent_opts;

static int entropy_one(const char *path, const ent_opts *o, trawl_analyze_entropy_scanner *sc)
{
    cli_input in;
    uint8_t *owned;
    if (an_read_whole("entropy", path, o->max_input, &in, &owned) != 0)
        return CLI_ERROR;
    const char *name = strcmp(path, "-") ? path : "(stdin)";
    int rc = 0;
    uint64_t hist[256];
    uint64_t nw = trawl_analyze_entropy_window_count(sc, in.len);
    double *vals = malloc((nw ? nw : 1) * sizeof(double));
    trawl_analyze_region *reg = NULL;
    size_t nreg = 0;
    trawl_error err;
    trawl_error_clear(&err);
    trawl_analyze_entropy_request rq = {
        .corrected = o->corrected, .threshold = INFINITY, .values = vals, .cap = nw, .whole = hist};
    trawl_analyze_window_stats ws;
    if (!vals || trawl_analyze_entropy_scan(sc, in.data, in.len, &rq, &ws, &err) != TRAWL_OK ||
        ((o->regions || o->svg) && trawl_analyze_regions(in.data, in.len, (size_t)o->window, &reg,
                                                         &nreg, &err) != TRAWL_OK)) {
        cli_report("analyze entropy", name, &err);
        rc = CLI_ERROR;
        goto out;
    }
    unsigned distinct;
    double h = trawl_analyze_entropy_hist(hist, in.len, &distinct);
    double chi = trawl_analyze_chi_square(hist, in.len), pv = trawl_analyze_chi_square_p(chi, 255);
    double mean = 0, mn = INFINITY;
    for (uint64_t i = 0; i < nw; i++) {
        mean += vals[i];
        mn = vals[i] < mn ? vals[i] : mn;
    }
    mean = nw ? mean / (double)nw : 0;
    if (o->json) {
        fputs("{\"file\":", stdout);
        cli_json_string(stdout, name);
        printf(
            ",\"bytes\":%zu,\"entropy\":%.6f,\"distinct\":%u,\"chi_square\":%.3f,\"p_value\":%.6g"
            ",\"window\":%" PRIu64 ",\"step\":%" PRIu64 ",\"windows\":%" PRIu64
            ",\"window_min\":%.6f,\"window_mean\":%.6f,\"window_max\":%.6f"
            ",\"window_max_offset\":%" PRIu64 "}\n",
            in.len, h, distinct, chi, pv, o->window, o->step, nw, nw ? mn : 0, mean, ws.max,
            ws.max_offset);
    } else {
        printf("%s: %zu bytes, entropy %.4f bits/byte, %u distinct values, chi-square %.1f "
               "(p %.3g)\n",
               name, in.len, h, distinct, chi, pv);
        if (nw)
            printf("  %" PRIu64 " windows of %" PRIu64 " bytes every %" PRIu64
                   ": min %.3f, mean %.3f, max %.3f at %" PRIu64 "\n",
                   nw, o->window, o->step, mn, mean, ws.max, ws.max_offset);
    }
    for (uint64_t i = 0; o->windows && i < nw; i++) {
        uint64_t len, at = trawl_analyze_entropy_window_offset(sc, in.len, i, &len);
        if (o->json) {
            fputs("{\"file\":", stdout);
            cli_json_string(stdout, name);
            printf(",\"window\":%" PRIu64 ",\"offset\":%" PRIu64 ",\"length\":%" PRIu64
                   ",\"entropy\":%.6f}\n",
                   i, at, len, vals[i]);
        } else {
            printf("  %12" PRIu64 " %8" PRIu64 " %.4f\n", at, len, vals[i]);
        }
    }
    if (o->regions && !o->json && nreg)
        printf("  %12s %12s %-11s %7s %9s  %s\n", "offset", "length", "class", "entropy", "chi2 p",
               "rule");
    for (size_t i = 0; o->regions && i < nreg; i++) {
        const trawl_analyze_region *r = &reg[i];
        if (o->json) {
            fputs("{\"file\":", stdout);
            cli_json_string(stdout, name);
            printf(",\"region\":%zu,\"offset\":%" PRIu64 ",\"length\":%" PRIu64
                   ",\"class\":\"%s\",\"entropy\":%.6f,\"chi_square\":%.3f,\"p_value\":%.6g"
                   ",\"printable\":%.4f",
                   i, r->offset, r->len, trawl_analyze_region_name(r->cls), r->entropy,
                   r->chi_square, r->p_value, r->printable);
            if (r->cls == TRAWL_ANALYZE_PADDING)
                printf(",\"fill\":\"%02x\"", r->fill);
            fputs(",\"rule\":", stdout);
            cli_json_string(stdout, r->rule);
            fputs("}\n", stdout);
        } else {
            printf("  %12" PRIu64 " %12" PRIu64 " %-11s %7.3f %9.3g  %s\n", r->offset, r->len,
                   trawl_analyze_region_name(r->cls), r->entropy, r->p_value, r->rule);
        }
    }
    if (o->svg) {
        FILE *f = strcmp(o->svg, "-") ? fopen(o->svg, "w") : stdout;
        if (!f) {
            cli_errorf("analyze entropy", "%s: %s", o->svg, strerror(errno));
            rc = CLI_ERROR;
            goto out;
        }
        char title[512];
        snprintf(title, sizeof title, "%s: entropy over %" PRIu64 "-byte windows", name, o->window);
        trawl_analyze_entropy_plot pl = {.title = title,
                                         .n = in.len,
                                         .scanner = sc,
                                         .values = vals,
                                         .nvalues = (size_t)nw,
                                         .regions = reg,
                                         .nregions = nreg};
        trawl_status st = trawl_analyze_svg_entropy(f, &pl, &err);
        if (f != stdout && fclose(f) != 0 && st == TRAWL_OK)
            st = TRAWL_EIO;
        if (st != TRAWL_OK) {
            cli_errorf("analyze entropy", "%s: cannot write the SVG", o->svg);
            rc = CLI_ERROR;
        }
    }
out:
    free(vals);
    trawl_analyze_regions_free(reg);
    if (owned) {
        free(owned);
        in.data = NULL;
    }
    cli_input_close(&in);
    return rc;
}

static int cmd_entropy(int argc, char **argv)
{
    static const struct option lo[] = {
        {"window", required_argument, NULL, 'w'}, {"step", required_argument, NULL, 's'},
        {"corrected", no_argument, NULL, 'C'},    {"windows", no_argument, NULL, 'W'},
        {"regions", no_argument, NULL, 'R'},      {"svg", required_argument, NULL, 'S'},
        {"json", no_argument, NULL, 'J'},         {"max-input", required_argument, NULL, 'M'},
        {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0}};
    ent_opts o = {.window = 1024, .max_input = DEFAULT_MAX_INPUT};
    int c;
    while ((c = getopt_long(argc, argv, "w:s:h", lo, NULL)) != -1) {
        switch (c) {
        case 'w':
            if (!an_parse_u64(optarg, &o.window) || o.window == 0)
                return usage_error("entropy", entropy_usage, "bad --window '%s'", optarg);
            break;
        case 's':
            if (!an_parse_u64(optarg, &o.step) || o.step == 0)
                return usage_error("entropy", entropy_usage, "bad --step '%s'", optarg);
            break;
        case 'C':
            o.corrected = true;
            break;
        case 'W':
            o.windows = true;
            break;
        case 'R':
            o.regions = true;
            break;
        case 'S':
            o.svg = optarg;
            break;
        case 'J':
            o.json = true;
            break;
        case 'M':
            if (!an_parse_u64(optarg, &o.max_input) || o.max_input == 0)
                return usage_error("entropy", entropy_usage, "bad --max-input '%s'", optarg);
            break;
        case 'h':
            fputs(entropy_usage, stdout);
            return 0;
        default:
            fputs(entropy_usage, stderr);
            return CLI_ERROR;
        }
    }
    if (optind >= argc)
        return usage_error("entropy", entropy_usage, "no input");
    if (!o.step)
        o.step = o.window;
    if (o.svg && argc - optind > 1)
        return usage_error("entropy", entropy_usage, "--svg draws one input");
    trawl_analyze_entropy_scanner *sc;
    trawl_error err;
    trawl_error_clear(&err);
    if (trawl_analyze_entropy_scanner_new((size_t)o.window, (size_t)o.step, &sc, &err)) {
        cli_report("analyze entropy", NULL, &err);
        return CLI_ERROR;
    }
    int rc = 0;
    for (int i = optind; i < argc && rc == 0; i++)
        rc = entropy_one(argv[i], &o, sc);
    trawl_analyze_entropy_scanner_free(sc);
    return rc;
}

/* ---- messages options shared by ngrams, columns, align ---------------------------- */

enum { OPT_FRAMES = 1000, OPT_HEX, OPT_JSON, OPT_MAXIN };

#define MSG_OPTIONS                                                                                \
    {"frames", required_argument, NULL, OPT_FRAMES}, {"hex-lines", no_argument, NULL, OPT_HEX},    \
        {"json", no_argument, NULL, OPT_JSON}, {"max-input", required_argument, NULL, OPT_MAXIN},  \
    {                                                                                              \
        "help", no_argument, NULL, 'h'                                                             \
    }

#define MSG_HELP                                                                                   \
    "      --frames SPEC  messages are the units of a framer (as `trawl scan`:\n"                  \
    "                     tlv,..., records,size=N, packets,..., delimited,...), or the\n"          \
    "                     payloads of a capture: pcap (one per packet), pcap,flows\n"              \
    "                     (one per direction of a flow: protocol and ports)\n"                     \
    "      --hex-lines    messages are lines of hex\n"                                             \
    "      --json         JSON Lines\n"                                                            \
    "      --max-input N  bytes read from a pipe at most (default 4G)\n"                           \
    "  -h, --help         this text\n"

/* Handles a shared option; 1 when it was one, -1 on a bad value. */
static int msg_option(int c, an_load_opts *lo, bool *json)
{
    switch (c) {
    case OPT_FRAMES:
        lo->frames = optarg;
        return 1;
    case OPT_HEX:
        lo->hex_lines = true;
        return 1;
    case OPT_JSON:
        *json = true;
        return 1;
    case OPT_MAXIN:
        return an_parse_u64(optarg, &lo->max_input) && lo->max_input ? 1 : -1;
    default:
        return 0;
    }
}

/* ---- ngrams --------------------------------------------------------------------------- */

static const char ngrams_usage[] =
    "usage: trawl analyze ngrams [OPTIONS] FILE... | -\n"
    "\n"
    "The most frequent n-grams across the messages (an n-gram never spans two),\n"
    "counted exactly, with how many messages hold each and its first place.\n"
    "\n"
    "  -n N               n-gram size, 1 to 16 (default 2)\n"
    "      --top K        how many (default 20)\n"
    "      --max-memory N bound on the counting table (default 1G)\n" MSG_HELP;

static int cmd_ngrams(int argc, char **argv)
{
    static const struct option lo[] = {{"top", required_argument, NULL, 't'},
                                       {"max-memory", required_argument, NULL, 'm'},
                                       MSG_OPTIONS,
                                       {NULL, 0, NULL, 0}};
    an_load_opts ld = {.max_input = DEFAULT_MAX_INPUT};
    bool json = false;
    uint64_t n = 2, top = 20, maxmem = (uint64_t)1 << 30;
    int c;
    while ((c = getopt_long(argc, argv, "n:h", lo, NULL)) != -1) {
        int r = msg_option(c, &ld, &json);
        if (r < 0)
            return usage_error("ngrams", ngrams_usage, "bad value '%s'", optarg);
        if (r)
            continue;
        if (c == 'n' && an_parse_u64(optarg, &n) && n >= 1 && n <= 16)
            continue;
        if (c == 't' && an_parse_u64(optarg, &top))
            continue;
        if (c == 'm' && an_parse_u64(optarg, &maxmem))
            continue;
        if (c == 'h') {
            fputs(ngrams_usage, stdout);
            return 0;
        }
        if (c == 'n' || c == 't' || c == 'm')
            return usage_error("ngrams", ngrams_usage, "bad value '%s'", optarg);
        fputs(ngrams_usage, stderr);
        return CLI_ERROR;
    }
    if (optind >= argc)
        return usage_error("ngrams", ngrams_usage, "no input");
    an_msgs m;
    if (an_load("analyze ngrams", argv + optind, (size_t)(argc - optind), &ld, &m) != 0) {
        an_free(&m);
        return CLI_ERROR;
    }
    trawl_analyze_ngram_opts o = {.n = (unsigned)n, .top = (size_t)top, .max_bytes = maxmem};
    trawl_analyze_ngram_result res;
    trawl_error err;
    trawl_error_clear(&err);
    int rc = 0;
    if (trawl_analyze_ngrams(m.m, m.n, &o, &res, &err) != TRAWL_OK) {
        cli_report("analyze ngrams", NULL, &err);
        an_free(&m);
        return CLI_ERROR;
    }
    if (!json)
        printf("%" PRIu64 " %u-grams in %zu messages, %" PRIu64 " distinct\n%6s %10s %8s  %-*s "
               "%s\n",
               res.total, o.n, m.n, res.distinct, "rank", "count", "messages", (int)(2 * n), "hex",
               "first");
    for (size_t i = 0; i < res.count; i++) {
        const trawl_analyze_ngram *g = &res.grams[i];
        if (json) {
            printf("{\"rank\":%zu,\"n\":%u,\"hex\":\"", i + 1, g->n);
            cli_hex(stdout, g->bytes, g->n);
            printf("\",\"count\":%" PRIu64 ",\"messages\":%" PRIu64 ",\"first_message\":%" PRIu64
                   ",\"first_offset\":%" PRIu64,
                   g->count, g->messages, g->first_message, g->first_offset);
            an_src_json(stdout, &m, (size_t)g->first_message);
            fputs("}\n", stdout);
        } else {
            printf("%6zu %10" PRIu64 " %8" PRIu64 "  ", i + 1, g->count, g->messages);
            cli_hex(stdout, g->bytes, g->n);
            printf(" ");
            an_src_text(stdout, &m, (size_t)g->first_message);
            printf("+%" PRIu64 "  ", g->first_offset);
            an_ascii(stdout, g->bytes, g->n);
            fputc('\n', stdout);
        }
    }
    rc = res.count ? 0 : CLI_NONE;
    trawl_analyze_ngram_result_free(&res);
    an_free(&m);
    return rc;
}

/* ---- repeats ------------------------------------------------------------------------- */

static const char repeats_usage[] =
    "usage: trawl analyze repeats [OPTIONS] FILE | -\n"
    "\n"
    "Maximal repeated substrings of one input from its suffix array: no\n"
    "one-byte extension on either side keeps all their places. Also candidate\n"
    "record sizes (gaps between the occurrences of the repeats covering the most\n"
    "bytes) and candidate delimiters (bytes and pairs spaced regularly).\n"
    "\n"
    "  -l, --min-length N  shortest repeat (default 4)\n"
    "      --top K         how many (default 20)\n"
    "      --order O       length (default), count or coverage (length x count)\n"
    "      --offsets N     offsets shown per repeat (default 8; all in --json)\n"
    "      --max-memory N  bound (12 bytes per input byte; default 8G)\n"
    "      --json          JSON Lines\n"
    "      --max-input N   bytes read from a pipe at most (default 4G)\n"
    "  -h, --help          this text\n";

static int cmd_repeats(int argc, char **argv)
{
    static const struct option lo[] = {{"min-length", required_argument, NULL, 'l'},
                                       {"top", required_argument, NULL, 't'},
                                       {"order", required_argument, NULL, 'o'},
                                       {"offsets", required_argument, NULL, 'O'},
                                       {"max-memory", required_argument, NULL, 'm'},
                                       {"json", no_argument, NULL, 'J'},
                                       {"max-input", required_argument, NULL, 'M'},
                                       {"help", no_argument, NULL, 'h'},
                                       {NULL, 0, NULL, 0}};
    uint64_t minlen = 4, top = 20, shown = 8, maxmem = (uint64_t)8 << 30, maxin = DEFAULT_MAX_INPUT;
    trawl_analyze_repeat_order order = TRAWL_ANALYZE_BY_LENGTH;
    bool json = false;
    int c;
    while ((c = getopt_long(argc, argv, "l:h", lo, NULL)) != -1) {
        bool ok = true;
        switch (c) {
        case 'l':
            ok = an_parse_u64(optarg, &minlen) && minlen >= 1 && minlen < UINT32_MAX;
            break;
        case 't':
            ok = an_parse_u64(optarg, &top);
            break;
        case 'O':
            ok = an_parse_u64(optarg, &shown);
            break;
        case 'm':
            ok = an_parse_u64(optarg, &maxmem);
            break;
        case 'M':
            ok = an_parse_u64(optarg, &maxin) && maxin;
            break;
        case 'o':
            if (!strcmp(optarg, "length"))
                order = TRAWL_ANALYZE_BY_LENGTH;
            else if (!strcmp(optarg, "count"))
                order = TRAWL_ANALYZE_BY_COUNT;
            else if (!strcmp(optarg, "coverage"))
                order = TRAWL_ANALYZE_BY_COVERAGE;
            else
                ok = false;
            break;
        case 'J':
            json = true;
            break;
        case 'h':
            fputs(repeats_usage, stdout);
            return 0;
        default:
            fputs(repeats_usage, stderr);
            return CLI_ERROR;
        }
        if (!ok)
            return usage_error("repeats", repeats_usage, "bad value '%s'", optarg);
    }
    if (argc - optind != 1)
        return usage_error("repeats", repeats_usage, "one input, please");
    const char *path = argv[optind], *name = strcmp(path, "-") ? path : "(stdin)";
    cli_input in;
    uint8_t *owned;
    if (an_read_whole("analyze repeats", path, maxin, &in, &owned) != 0)
        return CLI_ERROR;
    trawl_analyze_repeat_opts o = {
        .min_length = (uint32_t)minlen, .top = (size_t)top, .order = order, .max_bytes = maxmem};
    trawl_analyze_repeat_result res;
    trawl_analyze_delimiter *del = NULL;
    size_t ndel = 0;
    trawl_error err;
    trawl_error_clear(&err);
    int rc = 0;
    if (trawl_analyze_repeats(in.data, in.len, &o, &res, &err) != TRAWL_OK ||
        trawl_analyze_delimiters(in.data, in.len, 5, &del, &ndel, &err) != TRAWL_OK) {
        cli_report("analyze repeats", name, &err);
        rc = CLI_ERROR;
        goto out;
    }
    if (!json)
        printf("%s: %zu bytes, %" PRIu64 " maximal repeats of %" PRIu64 "+ bytes\n%6s %8s %8s  "
               "%s\n",
               name, in.len, res.total, minlen, "rank", "length", "count", "offsets / bytes");
    for (size_t i = 0; i < res.count; i++) {
        const trawl_analyze_repeat *r = &res.repeats[i];
        size_t show = r->length < 32 ? r->length : 32;
        if (json) {
            fputs("{\"file\":", stdout);
            cli_json_string(stdout, name);
            printf(",\"rank\":%zu,\"length\":%u,\"count\":%" PRIu64 ",\"offsets\":[", i + 1,
                   r->length, r->count);
            for (uint64_t k = 0; k < r->count; k++)
                printf("%s%" PRIu64, k ? "," : "", r->offsets[k]);
            fputs("],\"hex\":\"", stdout);
            cli_hex(stdout, in.data + r->offsets[0], r->length);
            fputs("\"}\n", stdout);
            continue;
        }
        printf("%6zu %8u %8" PRIu64 "  ", i + 1, r->length, r->count);
        for (uint64_t k = 0; k < r->count && k < shown; k++)
            printf("%s%" PRIu64, k ? "," : "", r->offsets[k]);
        if (r->count > shown)
            printf(",...");
        printf("\n%25s", "");
        cli_hex(stdout, in.data + r->offsets[0], show);
        printf("%s  ", show < r->length ? "..." : "");
        an_ascii(stdout, in.data + r->offsets[0], show);
        fputc('\n', stdout);
    }
    for (size_t i = 0; i < res.nperiods; i++) {
        const trawl_analyze_period *p = &res.periods[i];
        if (json) {
            fputs("{\"file\":", stdout);
            cli_json_string(stdout, name);
            printf(",\"period\":%" PRIu64 ",\"support\":%" PRIu64 ",\"aligned\":%" PRIu64 "}\n",
                   p->period, p->support, p->aligned);
        } else {
            if (i == 0)
                printf("candidate periods (gap: support, repeats aligned to it)\n");
            printf("  %8" PRIu64 ": %" PRIu64 ", %" PRIu64 "\n", p->period, p->support, p->aligned);
        }
    }
    for (size_t i = 0; i < ndel; i++) {
        const trawl_analyze_delimiter *d = &del[i];
        if (json) {
            fputs("{\"file\":", stdout);
            cli_json_string(stdout, name);
            fputs(",\"delimiter\":\"", stdout);
            cli_hex(stdout, d->bytes, d->len);
            printf("\",\"count\":%" PRIu64 ",\"mean_gap\":%.2f,\"cv\":%.4f,\"score\":%.2f}\n",
                   d->count, d->mean_gap, d->cv, d->score);
        } else {
            if (i == 0)
                printf("candidate delimiters (count, mean gap, CV of the gaps)\n");
            printf("  %-4s", "");
            cli_hex(stdout, d->bytes, d->len);
            printf("%*s %8" PRIu64 " %10.1f %6.3f\n", d->len == 1 ? 2 : 0, "", d->count,
                   d->mean_gap, d->cv);
        }
    }
    rc = res.count ? 0 : CLI_NONE;
out:
    trawl_analyze_repeat_result_free(&res);
    trawl_analyze_delimiters_free(del);
    if (owned) {
        free(owned);
        in.data = NULL;
    }
    cli_input_close(&in);
    return rc;
}

/* ---- columns -------------------------------------------------------------------------- */

static const char columns_usage[] =
    "usage: trawl analyze columns [OPTIONS] FILE... | -\n"
    "\n"
    "Statistics of each offset across the messages (how many reach it, entropy,\n"
    "distinct values, the most common byte), the consensus pattern (YARA hex,\n"
    "?? where the messages differ; `trawl scan -e` accepts it), and header\n"
    "signatures: prefixes shared by groups of messages.\n"
    "\n"
    "      --width N      offsets shown (default 64; 0: the longest message)\n"
    "      --min-prefix N shortest header signature (default 2)\n"
    "      --min-support N  fewest messages sharing one (default 2)\n" MSG_HELP;

static int cmd_columns(int argc, char **argv)
{
    static const struct option lo[] = {{"width", required_argument, NULL, 'w'},
                                       {"min-prefix", required_argument, NULL, 'p'},
                                       {"min-support", required_argument, NULL, 's'},
                                       MSG_OPTIONS,
                                       {NULL, 0, NULL, 0}};
    an_load_opts ld = {.max_input = DEFAULT_MAX_INPUT};
    bool json = false;
    uint64_t width = 64, minp = 2, mins = 2;
    int c;
    while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
        int r = msg_option(c, &ld, &json);
        if (r < 0)
            return usage_error("columns", columns_usage, "bad value '%s'", optarg);
        if (r)
            continue;
        uint64_t *dst = c == 'w' ? &width : c == 'p' ? &minp : c == 's' ? &mins : NULL;
        if (dst && an_parse_u64(optarg, dst))
            continue;
        if (c == 'h') {
            fputs(columns_usage, stdout);
            return 0;
        }
        if (dst)
            return usage_error("columns", columns_usage, "bad value '%s'", optarg);
        fputs(columns_usage, stderr);
        return CLI_ERROR;
    }
    if (optind >= argc)
        return usage_error("columns", columns_usage, "no input");
    an_msgs m;
    if (an_load("analyze columns", argv + optind, (size_t)(argc - optind), &ld, &m) != 0) {
        an_free(&m);
        return CLI_ERROR;
    }
    trawl_analyze_consensus_result cs;
    trawl_analyze_prefix *pre = NULL;
    size_t npre = 0;
    trawl_error err;
    trawl_error_clear(&err);
    if (trawl_analyze_consensus(m.m, m.n, NULL, 0, &cs, &err) != TRAWL_OK ||
        trawl_analyze_prefixes(m.m, m.n, (size_t)minp, (size_t)mins, &pre, &npre, &err) !=
            TRAWL_OK) {
        cli_report("analyze columns", NULL, &err);
        an_free(&m);
        return CLI_ERROR;
    }
    size_t show = width && width < cs.len ? (size_t)width : cs.len;
    if (json) {
        printf("{\"messages\":%zu,\"longest\":%zu,\"shortest\":%zu,\"pattern\":", m.n, cs.len,
               cs.common);
        if (cs.pattern)
            cli_json_string(stdout, cs.pattern);
        else
            fputs("null", stdout);
        printf(",\"fixed\":%zu}\n", cs.fixed);
    } else {
        printf("%zu messages, %zu to %zu bytes; consensus over the first %zu bytes (%zu fixed):\n"
               "  %s\n",
               m.n, cs.common, cs.len, cs.common, cs.fixed, cs.pattern ? cs.pattern : "(none)");
        printf("%8s %8s %8s %8s %6s %8s\n", "offset", "count", "entropy", "distinct", "mode",
               "mode%");
    }
    for (size_t i = 0; i < show; i++) {
        const trawl_analyze_column *col = &cs.columns[i];
        double share = col->count ? 100.0 * (double)col->mode_count / (double)col->count : 0;
        if (json)
            printf("{\"offset\":%zu,\"count\":%" PRIu64 ",\"entropy\":%.6f,\"distinct\":%u,"
                   "\"mode\":\"%02x\",\"mode_count\":%" PRIu64 ",\"min\":\"%02x\",\"max\":\"%02x\"}"
                   "\n",
                   i, col->count, col->entropy, col->distinct, col->mode, col->mode_count, col->min,
                   col->max);
        else
            printf("%8zu %8" PRIu64 " %8.3f %8u     %02x %7.1f%%\n", i, col->count, col->entropy,
                   col->distinct, col->mode, share);
    }
    if (!json && npre)
        printf("header signatures (prefixes shared by %" PRIu64 "+ messages):\n%8s %8s  %s\n", mins,
               "messages", "length", "prefix");
    for (size_t i = 0; i < npre && i < 20; i++) {
        const trawl_analyze_prefix *p = &pre[i];
        size_t sh = p->length < 32 ? p->length : 32;
        if (json) {
            printf("{\"prefix\":\"");
            cli_hex(stdout, p->bytes, p->length);
            printf("\",\"length\":%zu,\"support\":%zu,\"first\":%zu}\n", p->length, p->support,
                   p->first);
        } else {
            printf("%8zu %8zu  ", p->support, p->length);
            cli_hex(stdout, p->bytes, sh);
            printf("%s\n", sh < p->length ? "..." : "");
        }
    }
    int rc = m.n ? 0 : CLI_NONE;
    trawl_analyze_consensus_free(&cs);
    trawl_analyze_prefixes_free(pre);
    an_free(&m);
    return rc;
}

/* ---- align -------------------------------------------------------------------------------- */

static const char align_usage[] =
    "usage: trawl analyze align [OPTIONS] INPUT...\n"
    "\n"
    "Needleman-Wunsch global alignment of two messages (the first two, or those\n"
    "chosen with -a and -b), scored as Netzob scores (match 10, mismatch -10,\n"
    "gap 0) unless told otherwise. Prints the score, the similarity\n"
    "score / (match x longer length) and the aligned bytes (-- for a gap).\n"
    "\n"
    "  -a I, -b J         indexes of the two messages (default 0 and 1)\n"
    "      --match S --mismatch S --gap S   the scores\n" MSG_HELP;

static int cmd_align(int argc, char **argv)
{
    static const struct option lo[] = {{"match", required_argument, NULL, 'm'},
                                       {"mismatch", required_argument, NULL, 'x'},
                                       {"gap", required_argument, NULL, 'g'},
                                       MSG_OPTIONS,
                                       {NULL, 0, NULL, 0}};
    an_load_opts ld = {.max_input = DEFAULT_MAX_INPUT};
    bool json = false;
    trawl_analyze_scoring sc = trawl_analyze_scoring_netzob();
    uint64_t ia = 0, ib = 1;
    int c;
    while ((c = getopt_long(argc, argv, "a:b:h", lo, NULL)) != -1) {
        int r = msg_option(c, &ld, &json);
        if (r < 0)
            return usage_error("align", align_usage, "bad value '%s'", optarg);
        if (r)
            continue;
        char *end = NULL;
        long v = optarg ? strtol(optarg, &end, 10) : 0;
        bool num = optarg && *optarg && end && !*end && v > -1000000 && v < 1000000;
        if ((c == 'a' || c == 'b') && an_parse_u64(optarg, c == 'a' ? &ia : &ib))
            continue;
        if ((c == 'm' || c == 'x' || c == 'g') && num) {
            *(c == 'm' ? &sc.match : c == 'x' ? &sc.mismatch : &sc.gap) = (int)v;
            continue;
        }
        if (c == 'h') {
            fputs(align_usage, stdout);
            return 0;
        }
        if (c == 'a' || c == 'b' || c == 'm' || c == 'x' || c == 'g')
            return usage_error("align", align_usage, "bad value '%s'", optarg);
        fputs(align_usage, stderr);
        return CLI_ERROR;
    }
    if (optind >= argc)
        return usage_error("align", align_usage, "no input");
    an_msgs m;
    if (an_load("analyze align", argv + optind, (size_t)(argc - optind), &ld, &m) != 0) {
        an_free(&m);
        return CLI_ERROR;
    }
    if (ia >= m.n || ib >= m.n) {
        cli_errorf("analyze align", "%zu message%s: no message %" PRIu64, m.n, m.n == 1 ? "" : "s",
                   ia >= m.n ? ia : ib);
        an_free(&m);
        return CLI_ERROR;
    }
    const trawl_span *a = &m.m[ia], *b = &m.m[ib];
    trawl_analyze_alignment al;
    trawl_error err;
    trawl_error_clear(&err);
    if (trawl_analyze_align(a->ptr, a->len, b->ptr, b->len, &sc, &al, &err) != TRAWL_OK) {
        cli_report("analyze align", NULL, &err);
        an_free(&m);
        return CLI_ERROR;
    }
    size_t L = a->len > b->len ? a->len : b->len;
    double sim = L ? (double)(al.score > 0 ? al.score : 0) / ((double)sc.match * (double)L) : 1;
    if (json) {
        printf("{\"a\":%" PRIu64 ",\"b\":%" PRIu64 ",\"score\":%" PRId64 ",\"similarity\":%.6f,"
               "\"columns\":%zu,\"matches\":%zu,\"mismatches\":%zu,\"gaps\":%zu,\"a_aligned\":\"",
               ia, ib, al.score, sim, al.len, al.matches, al.mismatches, al.gaps);
    } else {
        printf("score %" PRId64 ", similarity %.4f: %zu columns, %zu matches, %zu mismatches, "
               "%zu gaps\n",
               al.score, sim, al.len, al.matches, al.mismatches, al.gaps);
    }
    for (int side = 0; side < 2; side++) {
        const int32_t *pos = side ? al.b_pos : al.a_pos;
        const trawl_span *s = side ? b : a;
        if (!json)
            fputs(side ? "b " : "a ", stdout);
        for (size_t k = 0; k < al.len; k++) {
            if (pos[k] < 0)
                fputs("--", stdout);
            else
                printf("%02x", s->ptr[pos[k]]);
        }
        if (json)
            fputs(side ? "\"" : "\",\"b_aligned\":\"", stdout);
        else
            fputc('\n', stdout);
    }
    if (json)
        fputs("}\n", stdout);
    else {
        fputs("  ", stdout);
        for (size_t k = 0; k < al.len; k++) {
            bool eq =
                al.a_pos[k] >= 0 && al.b_pos[k] >= 0 && a->ptr[al.a_pos[k]] == b->ptr[al.b_pos[k]];
            fputs(eq ? "||" : "  ", stdout);
        }
        fputc('\n', stdout);
    }
    trawl_analyze_alignment_free(&al);
    an_free(&m);
    return 0;
}

/* ---- dispatch ----------------------------------------------------------------------------- */

int cli_analyze(int argc, char **argv)
{
    if (argc < 2) {
        fputs(analyze_usage, stderr);
        return CLI_ERROR;
    }
    const char *sub = argv[1];
    if (!strcmp(sub, "-h") || !strcmp(sub, "--help") || !strcmp(sub, "help")) {
        fputs(analyze_usage, stdout);
        return 0;
    }
    static const struct {
        const char *name;
        int (*run)(int, char **);
    } subs[] = {{"entropy", cmd_entropy}, {"ngrams", cmd_ngrams}, {"repeats", cmd_repeats},
                {"columns", cmd_columns}, {"align", cmd_align},   {"cluster", an_cluster}};
    for (size_t i = 0; i < sizeof subs / sizeof subs[0]; i++)
        if (!strcmp(sub, subs[i].name)) {
            optind = 1;
            return subs[i].run(argc - 1, argv + 1);
        }
    fprintf(stderr, "trawl analyze: unknown command '%s'\n\n%s", sub, analyze_usage);
    return CLI_ERROR;
}
