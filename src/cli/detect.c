/* detect.c -- `trawl detect`: run the threat detectors on one input object
 * and print the report, as JSON or as an aligned table.
 *
 *   trawl detect [--only NAME,NAME] [--config FILE] [--json] INPUT.json|-
 *   trawl detect [OPTIONS] prompt TEXT|-
 *   trawl detect [OPTIONS] file PATH
 *   trawl detect [OPTIONS] pcap PATH
 *   trawl detect [OPTIONS] --jsonl FILE|-     (one input object per line)
 *
 * Exit status differs from scan's on purpose (the contract): 0 no
 * threat, 1 threat found (threat_score >= 0.5), 2 error. Detectors missing
 * from this build, or disabled by the configuration, are not run; --only
 * naming one says so on stderr. */
#include "cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

enum { DET_CLEAN = 0, DET_THREAT = 1, DET_ERROR = 2 };

#define THREAT_THRESHOLD 0.5
#define MAX_JSON         ((size_t)512 << 20) /* an input object, data_base64 included */
#define MAX_FILE         ((size_t)256 << 20) /* bytes of `detect file` */
#define MAX_PROMPT       ((size_t)64 << 20)  /* `detect prompt -` */
#define MAX_CONFIG       ((size_t)1 << 20)

static const char usage_text[] =
    "usage: trawl detect [--only NAME,NAME] [--config FILE] [--json] INPUT.json|-\n"
    "       trawl detect [OPTIONS] prompt TEXT|-\n"
    "       trawl detect [OPTIONS] file PATH\n"
    "       trawl detect [OPTIONS] pcap PATH\n"
    "       trawl detect [OPTIONS] --jsonl FILE|-\n"
    "\n"
    "Runs the threat detectors on one input object (docs/detect.md lists its\n"
    "fields, chat \"messages\" among them) and prints what they found. The\n"
    "input must be exactly one JSON object: trailing content, a duplicate key\n"
    "or an unknown key is an error (exit 2).\n"
    "\n"
    "  prompt TEXT|-   the input is {\"prompt\": TEXT} (\"-\": read it from stdin)\n"
    "  file PATH       {\"files\": [PATH]}: the detectors read the file (each up to its\n"
    "                  max_file_bytes); a pipe or - is read as data (at most 256 MiB)\n"
    "  pcap PATH       {\"pcaps\": [PATH]}\n"
    "  --jsonl FILE|-  one input object per line; one report per line, in input\n"
    "                  order, {\"line\":N,...}; a line that does not parse gets\n"
    "                  {\"line\":N,\"error\":...} and the rest go on\n"
    "  --threads N     workers for --jsonl (default: one per CPU)\n"
    "\n"
    "  --only LIST     run only these detectors: prompt_injection, shadow_ai,\n"
    "                  polymorphic, synthetic_media, ai_vs_ai\n"
    "  --config FILE   detector configuration (docs/detect.md)\n"
    "  --json          print the report as one JSON object\n"
    "  --allow-unknown-keys  ignore keys the input object does not define\n"
    "                  (default: an error naming the key)\n"
    "  --no-cache      compile the rule packs even when compiled copies are cached\n"
    "                  in $XDG_CACHE_HOME/trawl (also TRAWL_NO_CACHE=1)\n"
    "  -h, --help      this text\n"
    "\n"
    "Exit status: 0 no threat, 1 threat found (threat_score >= 0.5), 2 error\n"
    "(with --jsonl: 2 when any line failed, else 1 when any line was a threat).\n";

typedef struct opts {
    unsigned mask;
    const char *config;
    bool json, no_cache;
    bool allow_unknown;
    const char *mode; /* NULL, "prompt", "file", "pcap" */
    const char *arg;
    const char *jsonl; /* --jsonl FILE|- */
    int threads;
} opts;

__attribute__((format(printf, 1, 2))) static int usage_error(const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "trawl detect: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n(see `trawl detect --help`)\n");
    return DET_ERROR;
}

/* Reads a whole file ("-" = stdin) into a NUL-terminated malloc'd buffer of
 * at most max bytes. Prints the reason and returns NULL on failure. */
static char *slurp(const char *path, size_t max, size_t *len)
{
    FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
    if (!f) {
        cli_errorf("detect", "%s: %s", path, strerror(errno));
        return NULL;
    }
    size_t cap = 0, n = 0;
    char *buf = NULL;
    const char *why = NULL;
    for (;;) {
        if (n + 1 >= cap) {
            size_t ncap = cap ? cap * 2 : (size_t)1 << 16;
            char *b = realloc(buf, ncap);
            if (!b) {
                why = "out of memory";
                break;
            }
            buf = b;
            cap = ncap;
        }
        size_t got = fread(buf + n, 1, cap - 1 - n, f);
        n += got;
        if (n > max) {
            why = "too large";
            break;
        }
        if (got == 0) {
            if (ferror(f))
                why = "read error";
            break;
        }
    }
    if (f != stdin)
        fclose(f);
    if (why) {
        if (n > max)
            cli_errorf("detect", "%s: larger than %zu MiB", path, max >> 20);
        else
            cli_errorf("detect", "%s: %s", path, why);
        free(buf);
        return NULL;
    }
    buf[n] = 0;
    *len = n;
    return buf;
}

static int parse_args(int argc, char **argv, opts *o)
{
    memset(o, 0, sizeof(*o));
    o->mask = TRAWL_DET_ALL;
    const char *pos[3];
    int npos = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            fputs(usage_text, stdout);
            return -1;
        } else if (!strcmp(a, "--json")) {
            o->json = true;
        } else if (!strcmp(a, "--allow-unknown-keys")) {
            o->allow_unknown = true;
        } else if (!strcmp(a, "--no-cache")) {
            o->no_cache = true;
        } else if (!strcmp(a, "--jsonl") || !strcmp(a, "--threads")) {
            if (i + 1 >= argc)
                return usage_error("%s needs a value", a);
            const char *v = argv[++i];
            if (a[2] == 'j') {
                o->jsonl = v;
                continue;
            }
            char *end;
            long n = strtol(v, &end, 10);
            if (*end || n < 1 || n > 64)
                return usage_error("--threads: 1 to 64, not '%s'", v);
            o->threads = (int)n;
        } else if (!strcmp(a, "--only") || !strcmp(a, "--config")) {
            if (i + 1 >= argc)
                return usage_error("%s needs a value", a);
            if (a[2] == 'c') {
                o->config = argv[++i];
                continue;
            }
            trawl_error err;
            if (trawl_detector_mask_parse(argv[++i], &o->mask, &err) != TRAWL_OK)
                return usage_error("--only: %s", err.message);
            if (!o->mask)
                return usage_error("--only: empty list");
        } else if (!strncmp(a, "--only=", 7) || !strncmp(a, "--config=", 9)) {
            char *v = strchr(a, '=') + 1;
            if (a[2] == 'c') {
                o->config = v;
                continue;
            }
            trawl_error err;
            if (trawl_detector_mask_parse(v, &o->mask, &err) != TRAWL_OK)
                return usage_error("--only: %s", err.message);
            if (!o->mask)
                return usage_error("--only: empty list");
        } else if (a[0] == '-' && a[1] && strcmp(a, "-")) {
            return usage_error("unknown option '%s'", a);
        } else if (npos < 3) {
            pos[npos++] = a;
        } else {
            return usage_error("too many arguments");
        }
    }
    if (o->jsonl) {
        if (npos)
            return usage_error("--jsonl takes no other input");
    } else if (npos == 1) {
        o->arg = pos[0];
    } else if (npos == 2 &&
               (!strcmp(pos[0], "prompt") || !strcmp(pos[0], "file") || !strcmp(pos[0], "pcap"))) {
        o->mode = pos[0];
        o->arg = pos[1];
    } else if (npos == 0) {
        return usage_error("missing INPUT.json (or prompt TEXT, file PATH, pcap PATH)");
    } else {
        return usage_error("expected INPUT.json, or prompt TEXT, file PATH, pcap PATH");
    }
    return 0;
}

/* A regular file we can open; prints why not when it exists but cannot be
 * read (a missing file is the detectors' "cannot read" too, so it is an
 * error here rather than a silent clean). */
static bool regular_file(const char *path)
{
    struct stat st;
    return strcmp(path, "-") && stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static char **one_string(const char *s)
{
    char **v = calloc(1, sizeof(char *));
    if (v && !(v[0] = strdup(s))) {
        free(v);
        v = NULL;
    }
    return v;
}

/* Builds the input object for the chosen form. NULL after printing why. */
static trawl_detect_input *make_input(const opts *o)
{
    size_t len = 0;
    if (!o->mode) {
        char *json = slurp(o->arg, MAX_JSON, &len);
        if (!json)
            return NULL;
        trawl_detect_input *in = NULL;
        trawl_error err;
        unsigned flags = o->allow_unknown ? TRAWL_INPUT_ALLOW_UNKNOWN_KEYS : 0;
        if (trawl_detect_input_parse_opts(json, len, flags, &in, &err) != TRAWL_OK)
            cli_report("detect", strcmp(o->arg, "-") ? o->arg : "(stdin)", &err);
        free(json);
        return in;
    }
    trawl_detect_input *in = calloc(1, sizeof(*in));
    if (!in) {
        cli_errorf("detect", "out of memory");
        return NULL;
    }
    bool ok = true;
    if (!strcmp(o->mode, "prompt")) {
        in->prompt = strcmp(o->arg, "-") ? strdup(o->arg) : slurp("-", MAX_PROMPT, &len);
        ok = in->prompt != NULL;
        if (ok)
            in->prompt_len = strcmp(o->arg, "-") ? strlen(in->prompt) : len;
    } else if (!strcmp(o->mode, "file") && regular_file(o->arg)) {
        /* The detectors read a named file themselves (each up to its
         * max_file_bytes, saying so when that cuts it); giving its bytes as
         * data as well would judge them twice. */
        ok = (in->files = one_string(o->arg)) != NULL;
        in->n_files = ok;
    } else if (!strcmp(o->mode, "file")) { /* stdin, a pipe: its bytes are the data */
        in->data = (uint8_t *)slurp(o->arg, MAX_FILE, &len);
        in->data_len = len;
        ok = in->data != NULL;
    } else {
        ok = (in->pcaps = one_string(o->arg)) != NULL;
        in->n_pcaps = ok;
    }
    if (!ok) {
        trawl_detect_input_free(in);
        return NULL;
    }
    return in;
}

/* ---- the table ------------------------------------------------------------- */

static void print_table(const trawl_detect_report *r)
{
    int wd = (int)strlen("DETECTOR"), wc = (int)strlen("CATEGORY");
    size_t total = 0;
    for (unsigned i = 0; i < TRAWL_DET_COUNT; i++)
        for (size_t k = 0; k < r->results[i].n_violations; k++) {
            const trawl_violation *v = &r->results[i].violations[k];
            int d = (int)strlen(v->detector), c = (int)strlen(v->category);
            wd = d > wd ? d : wd;
            wc = c > wc ? c : wc;
            total++;
        }
    if (total) {
        printf("%-*s  %-8s  %-4s  %-*s  %s\n", wd, "DETECTOR", "SEVERITY", "CONF", wc, "CATEGORY",
               "DESCRIPTION / EVIDENCE");
        int indent = wd + 2 + 8 + 2 + 4 + 2 + wc + 2;
        for (unsigned i = 0; i < TRAWL_DET_COUNT; i++)
            for (size_t k = 0; k < r->results[i].n_violations; k++) {
                const trawl_violation *v = &r->results[i].violations[k];
                printf("%-*s  %-8s  %.2f  %-*s  %s\n", wd, v->detector,
                       trawl_severity_name(v->severity), v->confidence, wc, v->category,
                       v->description);
                for (size_t e = 0; e < v->n_evidence; e++)
                    printf("%*s  - %s\n", indent, "", v->evidence[e]);
            }
        printf("\n");
    }
    printf("threat_score %.2f: %s; ran", r->threat_score,
           r->threat_score >= THREAT_THRESHOLD ? "THREAT"
           : total                             ? "below threshold"
                                               : "clean");
    const char *sep = " ";
    for (unsigned i = 0; i < TRAWL_DET_COUNT; i++)
        if (r->ran & (1u << i)) {
            printf("%s%s", sep, trawl_detector_name(1u << i));
            sep = ", ";
        }
    if (!r->ran)
        printf(" nothing");
    printf("; %llu us\n", (unsigned long long)r->latency_us);
}

/* Warns about requested detectors that will not run. */
static unsigned runnable(const trawl_detect_engine *e, unsigned mask, bool explicit_only)
{
    unsigned on = trawl_detect_engine_enabled(e);
    for (unsigned i = 0; explicit_only && i < TRAWL_DET_COUNT; i++)
        if ((mask & (1u << i)) && !(on & (1u << i)))
            cli_errorf("detect",
                       "detector %s is not available in this build or is disabled; "
                       "not run",
                       trawl_detector_name(1u << i));
    return mask & on;
}

int cli_detect(int argc, char **argv)
{
    opts o;
    int rc = parse_args(argc, argv, &o);
    if (rc)
        return rc < 0 ? DET_CLEAN : rc;
    char *cfg = NULL;
    size_t cfg_len = 0;
    if (o.config && !(cfg = slurp(o.config, MAX_CONFIG, &cfg_len)))
        return DET_ERROR;
    trawl_detect_engine *e = NULL;
    trawl_detect_ctx *c = NULL;
    trawl_detect_input *in = NULL;
    trawl_detect_report *r = NULL;
    trawl_error err;
    rc = DET_ERROR;
    if (trawl_detect_engine_new_cached(cfg, cfg_len, cli_cache_dir(o.no_cache), &e, &err) !=
        TRAWL_OK) {
        cli_report("detect", o.config ? o.config : "engine", &err);
        goto out;
    }
    unsigned mask = runnable(e, o.mask, o.mask != TRAWL_DET_ALL);
    if (!mask) {
        cli_errorf("detect", "none of the requested detectors can run");
        goto out;
    }
    if (o.jsonl) {
        rc = cli_detect_jsonl(e, mask, o.allow_unknown ? TRAWL_INPUT_ALLOW_UNKNOWN_KEYS : 0,
                              o.jsonl, o.threads);
        goto out;
    }
    if (!(in = make_input(&o)))
        goto out;
    if (trawl_detect_ctx_new(e, &c, &err) != TRAWL_OK ||
        trawl_detect_run(e, c, in, mask, &r, &err) != TRAWL_OK) {
        cli_report("detect", NULL, &err);
        goto out;
    }
    if (o.json) {
        char *s = trawl_detect_report_json(r);
        if (!s) {
            cli_errorf("detect", "out of memory");
            goto out;
        }
        puts(s);
        free(s);
    } else {
        print_table(r);
    }
    if (fflush(stdout) != 0) {
        cli_errorf("detect", "write error: %s", strerror(errno));
        goto out;
    }
    rc = r->threat_score >= THREAT_THRESHOLD ? DET_THREAT : DET_CLEAN;
out:
    trawl_detect_report_free(r);
    trawl_detect_input_free(in);
    trawl_detect_ctx_free(c);
    trawl_detect_engine_free(e);
    free(cfg);
    return rc;
}
