/* fuzzy.c -- `trawl fuzzy`: approximate byte search over files or a pipe,
 * with the library's exact, non-overlapping results (docs/fuzzy.md). */
#include "cli.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <trawl/fuzzy.h>

enum { MAX_PATTERNS = 64, READ_CHUNK = 1 << 16 };

static const char fuzzy_usage[] =
    "usage: trawl fuzzy -p PATTERN [-p PATTERN...] -k N [OPTIONS] [FILE... | -]\n"
    "\n"
    "Finds windows within edit distance N of PATTERN. Matches do not overlap:\n"
    "the best similarity wins, then the leftmost, then the longest.\n"
    "\n"
    "  -p, --pattern P       hex (AABB??C?), escapes (\\xAA\\x??ELF) or YARA hex\n"
    "                        without jumps ({ AA ?? B? }); NAME=P names it\n"
    "  -k, --max-distance N  largest edit distance (N < pattern length)\n"
    "      --hamming         substitutions only (windows of the pattern's length)\n"
    "      --no-substitute   --no-insert   --no-delete   disable an operation\n"
    "      --min-similarity F  keep matches with 1 - d/max(m,len) >= F (0..1)\n"
    "      --json            one JSON object per match (JSON Lines)\n"
    "      --align           show which pattern positions were edited\n"
    "      --count           print the number of matches per file\n"
    "  -h, --help            this text\n"
    "\n"
    "Exit status: 0 a match was found, 1 none, 2 error.\n";

typedef struct fuzzy_opts {
    bool json, align, count;
    char *const *given; /* given[i]: pattern i's name from NAME=P, else NULL */
    trawl_fuzzy_db *db;
    const char *file;
    uint64_t matches;
    trawl_fuzzy_edit *edits;
    size_t edits_cap;
} fuzzy_opts;

static const char *op_name(trawl_fuzzy_op op)
{
    static const char *const names[] = {"match", "substitute", "insert", "delete"};
    return names[op];
}

static void print_pattern_byte(FILE *out, const trawl_fuzzy_edit *e)
{
    static const char hx[] = "0123456789abcdef";
    char b[3] = {(e->pattern_mask & 0xF0) ? hx[e->pattern_value >> 4] : '?',
                 (e->pattern_mask & 0x0F) ? hx[e->pattern_value & 15] : '?', 0};
    fputs(b, out);
}

static void print_edits(fuzzy_opts *o, const trawl_fuzzy_match *m)
{
    size_t n = 0;
    unsigned d = 0;
    if (trawl_fuzzy_align(o->db, m->pattern, m->bytes, m->length, o->edits, o->edits_cap, &n, &d,
                          NULL) != TRAWL_OK)
        n = 0;
    bool first = true;
    if (o->json)
        fputs(",\"edits\":[", stdout);
    for (size_t i = 0; i < n; i++) {
        const trawl_fuzzy_edit *e = &o->edits[i];
        if (e->op == TRAWL_FUZZY_OP_MATCH)
            continue;
        if (o->json) {
            printf("%s{\"op\":\"%s\",\"pattern_pos\":%d,\"data_pos\":%d", first ? "" : ",",
                   op_name(e->op), e->pattern_pos, e->data_pos);
            if (e->pattern_pos >= 0) {
                fputs(",\"pattern\":\"", stdout);
                print_pattern_byte(stdout, e);
                fputc('"', stdout);
            }
            if (e->data_pos >= 0)
                printf(",\"byte\":\"%02x\"", e->data_byte);
            fputc('}', stdout);
        } else {
            printf("    %-10s", op_name(e->op));
            if (e->pattern_pos >= 0) {
                printf(" pattern[%d]=", e->pattern_pos);
                print_pattern_byte(stdout, e);
            }
            if (e->data_pos >= 0)
                printf(" data[%d]=%02x", e->data_pos, e->data_byte);
            fputc('\n', stdout);
        }
        first = false;
    }
    if (o->json)
        fputc(']', stdout);
}

/* The same shapes as `trawl scan` (docs/cli.md): text
 *   FILE:OFFSET  len LENGTH  PATTERN  dist D  sim S  HEX (32 bytes, then ...)
 * and JSON {"file","offset","length","pattern","distance","similarity",
 * "data"}, where the pattern is its name when it was given one, else its
 * 0-based index. */
static void print_pattern(const fuzzy_opts *o, const trawl_fuzzy_match *m, bool json)
{
    if (m->pattern < MAX_PATTERNS && o->given[m->pattern]) {
        if (json)
            cli_json_string(stdout, m->name);
        else
            printf("%-16s", m->name);
    } else {
        printf(json ? "%u" : "%-16u", m->pattern);
    }
}

static int on_match(const trawl_fuzzy_match *m, void *ud)
{
    fuzzy_opts *o = ud;
    o->matches++;
    if (o->count)
        return 0;
    if (o->json) {
        fputs("{\"file\":", stdout);
        cli_json_string(stdout, o->file);
        printf(",\"offset\":%llu,\"length\":%zu,\"pattern\":", (unsigned long long)m->offset,
               m->length);
        print_pattern(o, m, true);
        printf(",\"distance\":%u,\"similarity\":%.6g,\"data\":\"", m->distance, m->similarity);
        cli_hex(stdout, m->bytes, m->length);
        fputc('"', stdout);
        if (o->align)
            print_edits(o, m);
        fputs("}\n", stdout);
        return 0;
    }
    printf("%s:%-10llu len %-6zu ", o->file, (unsigned long long)m->offset, m->length);
    print_pattern(o, m, false);
    printf(" dist %-3u sim %.4f ", m->distance, m->similarity);
    cli_hex(stdout, m->bytes, m->length > 32 ? 32 : m->length);
    if (m->length > 32)
        fputs("...", stdout);
    fputc('\n', stdout);
    if (o->align)
        print_edits(o, m);
    return 0;
}

static int scan_input(fuzzy_opts *o, trawl_fuzzy_stream *s, const char *path)
{
    cli_input in;
    if (cli_input_open(path, &in) != 0)
        return -1;
    o->file = !strcmp(path, "-") ? "(stdin)" : path;
    trawl_error err;
    trawl_error_clear(&err);
    trawl_status st = TRAWL_OK;
    if (in.data) {
        st = trawl_fuzzy_scan(s, in.data, in.len, on_match, o, &err);
    } else {
        static uint8_t buf[READ_CHUNK];
        trawl_fuzzy_stream_reset(s);
        ssize_t r;
        while (!st && (r = read(in.fd, buf, sizeof(buf))) > 0)
            st = trawl_fuzzy_stream_write(s, buf, (size_t)r, on_match, o, &err);
        if (!st && r < 0) {
            cli_errorf("fuzzy", "%s: read error", path);
            cli_input_close(&in);
            return -1;
        }
        if (!st)
            st = trawl_fuzzy_stream_finish(s, on_match, o, &err);
    }
    cli_input_close(&in);
    if (st) {
        cli_report("fuzzy", path, &err);
        return -1;
    }
    return 0;
}

static bool parse_uint(const char *s, unsigned *out)
{
    uint64_t v;
    if (!cli_parse_size(s, &v) || v > 1u << 30 || strpbrk(s, "kKmMgG"))
        return false;
    *out = (unsigned)v;
    return true;
}

int cli_fuzzy(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"pattern", required_argument, NULL, 'p'},
        {"max-distance", required_argument, NULL, 'k'},
        {"hamming", no_argument, NULL, 'H'},
        {"no-substitute", no_argument, NULL, 'S'},
        {"no-insert", no_argument, NULL, 'I'},
        {"no-delete", no_argument, NULL, 'D'},
        {"min-similarity", required_argument, NULL, 'm'},
        {"json", no_argument, NULL, 'j'},
        {"align", no_argument, NULL, 'a'},
        {"count", no_argument, NULL, 'c'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    trawl_fuzzy_spec specs[MAX_PATTERNS];
    char *names[MAX_PATTERNS] = {0};
    size_t np = 0;
    unsigned k = 0, flags = 0;
    bool have_k = false;
    trawl_fuzzy_mode mode = TRAWL_FUZZY_LEVENSHTEIN;
    double min_sim = 0;
    fuzzy_opts o = {.given = names};
    int c, rc = CLI_ERROR;
    optind = 1;
    while ((c = getopt_long(argc, argv, "p:k:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'p':
            if (np == MAX_PATTERNS) {
                cli_errorf("fuzzy", "at most %d patterns", MAX_PATTERNS);
                goto out;
            }
            specs[np] = (trawl_fuzzy_spec){NULL, optarg, 0, 0, 0, 0};
            {
                char *eq = strchr(optarg, '=');
                if (eq && eq != optarg && optarg[0] != '{' && !strchr(optarg, '\\') &&
                    strspn(optarg, "0123456789abcdefABCDEF? \t") < (size_t)(eq - optarg)) {
                    names[np] = strndup(optarg, (size_t)(eq - optarg));
                    specs[np].name = names[np];
                    specs[np].pattern = eq + 1;
                }
            }
            np++;
            break;
        case 'k':
            if (!parse_uint(optarg, &k)) {
                cli_errorf("fuzzy", "-k needs a non-negative integer, not '%s'", optarg);
                goto out;
            }
            have_k = true;
            break;
        case 'H':
            mode = TRAWL_FUZZY_HAMMING;
            break;
        case 'S':
            flags |= TRAWL_FUZZY_NO_SUBSTITUTE;
            break;
        case 'I':
            flags |= TRAWL_FUZZY_NO_INSERT;
            break;
        case 'D':
            flags |= TRAWL_FUZZY_NO_DELETE;
            break;
        case 'm': {
            char *end;
            min_sim = strtod(optarg, &end);
            if (*end || end == optarg || !(min_sim >= 0 && min_sim <= 1)) {
                cli_errorf("fuzzy", "--min-similarity needs a number in [0, 1], not '%s'", optarg);
                goto out;
            }
            break;
        }
        case 'j':
            o.json = true;
            break;
        case 'a':
            o.align = true;
            break;
        case 'c':
            o.count = true;
            break;
        case 'h':
            fputs(fuzzy_usage, stdout);
            rc = 0;
            goto out;
        default:
            fputs(fuzzy_usage, stderr);
            goto out;
        }
    }
    if (np == 0 || !have_k) {
        cli_errorf("fuzzy", "%s", np == 0 ? "no pattern (-p)" : "no maximum distance (-k)");
        fputs(fuzzy_usage, stderr);
        goto out;
    }
    size_t maxm = 0;
    for (size_t i = 0; i < np; i++) {
        specs[i].max_distance = k;
        specs[i].mode = mode;
        specs[i].flags = flags;
        specs[i].min_similarity = min_sim;
    }
    trawl_error err;
    trawl_error_clear(&err);
    if (trawl_fuzzy_compile(specs, np, &o.db, &err) != TRAWL_OK) {
        cli_report("fuzzy", "bad pattern", &err);
        goto out;
    }
    for (size_t i = 0; i < np; i++)
        if (trawl_fuzzy_db_pattern_length(o.db, i) > maxm)
            maxm = trawl_fuzzy_db_pattern_length(o.db, i);
    o.edits_cap = 2 * maxm + k + 1;
    o.edits = malloc(o.edits_cap * sizeof(*o.edits));
    trawl_fuzzy_stream *s = NULL;
    if (!o.edits || trawl_fuzzy_stream_open(o.db, &s, &err) != TRAWL_OK) {
        cli_errorf("fuzzy", "out of memory");
        goto out;
    }
    bool failed = false;
    char *stdin_only[] = {"-"};
    char **files = optind < argc ? argv + optind : stdin_only;
    int nfiles = optind < argc ? argc - optind : 1;
    for (int i = 0; i < nfiles; i++) {
        uint64_t before = o.matches;
        if (scan_input(&o, s, files[i]) != 0) {
            failed = true;
            continue;
        }
        if (o.count && o.json) {
            fputs("{\"file\":", stdout);
            cli_json_string(stdout, o.file);
            printf(",\"count\":%llu}\n", (unsigned long long)(o.matches - before));
        } else if (o.count && nfiles > 1) { /* as trawl scan -c */
            printf("%s:%llu\n", o.file, (unsigned long long)(o.matches - before));
        } else if (o.count) {
            printf("%llu\n", (unsigned long long)(o.matches - before));
        }
    }
    trawl_fuzzy_stream_free(s);
    rc = failed ? CLI_ERROR : o.matches ? CLI_FOUND : CLI_NONE;
out:
    for (size_t i = 0; i < np; i++)
        free(names[i]);
    free(o.edits);
    trawl_fuzzy_db_free(o.db);
    return rc;
}

static const char similar_usage[] =
    "usage: trawl similar -L LEN -k N [--hamming] [--json] [LIMITS] FILE | -\n"
    "\n"
    "Lists every pair of LEN-byte windows (a < b, overlapping ones included)\n"
    "within edit distance N of each other (Hamming distance with --hamming).\n"
    "Uses pigeonhole seeds of LEN/(N+1) bytes: fast on data without long\n"
    "repeats; repetitive data (padding, erased flash) has quadratically many\n"
    "pairs. Memory: the input plus 12 bytes per input byte, whatever the data.\n"
    "\n"
    "  -L, --length LEN      window length\n"
    "  -k, --max-distance N  largest distance (N < LEN)\n"
    "      --hamming         substitutions only\n"
    "      --json            {\"a\":OFF,\"b\":OFF,\"distance\":N} per pair\n"
    "      --max-input SIZE  largest input (default 256M; k/M/G suffixes)\n"
    "      --max-pairs N     stop with exit 2 after N pairs (default 10000000)\n"
    "      --max-checks N    stop with exit 2 after N window pairs verified\n"
    "                        (default 1000000000)\n"
    "  -h, --help            this text\n"
    "\n"
    "Exit status: 0 a pair was found, 1 none, 2 error.\n";

typedef struct similar_opts {
    bool json;
    uint64_t pairs;
} similar_opts;

static int on_pair(const trawl_fuzzy_pair *p, void *ud)
{
    similar_opts *o = ud;
    o->pairs++;
    if (o->json)
        printf("{\"a\":%llu,\"b\":%llu,\"distance\":%u}\n", (unsigned long long)p->a,
               (unsigned long long)p->b, p->distance);
    else
        printf("%llu %llu %u\n", (unsigned long long)p->a, (unsigned long long)p->b, p->distance);
    return 0;
}

int cli_similar(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"length", required_argument, NULL, 'L'},
        {"max-distance", required_argument, NULL, 'k'},
        {"hamming", no_argument, NULL, 'H'},
        {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        {"max-input", required_argument, NULL, 'I'},
        {"max-pairs", required_argument, NULL, 'P'},
        {"max-checks", required_argument, NULL, 'C'},
        {NULL, 0, NULL, 0},
    };
    uint64_t max_input = (uint64_t)256 << 20;
    trawl_fuzzy_similar_limits lim = {.max_pairs = 10000000, .max_checks = 1000000000};
    unsigned L = 0, k = 0;
    bool have_l = false, have_k = false;
    trawl_fuzzy_mode mode = TRAWL_FUZZY_LEVENSHTEIN;
    similar_opts o = {0};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "L:k:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'L':
            if (!parse_uint(optarg, &L)) {
                cli_errorf("similar", "-L needs a positive integer, not '%s'", optarg);
                return CLI_ERROR;
            }
            have_l = true;
            break;
        case 'k':
            if (!parse_uint(optarg, &k)) {
                cli_errorf("similar", "-k needs a non-negative integer, not '%s'", optarg);
                return CLI_ERROR;
            }
            have_k = true;
            break;
        case 'H':
            mode = TRAWL_FUZZY_HAMMING;
            break;
        case 'j':
            o.json = true;
            break;
        case 'I':
        case 'P':
        case 'C': {
            uint64_t v;
            if (!cli_parse_size(optarg, &v) || !v) {
                cli_errorf("similar", "--%s needs a positive number, not '%s'",
                           c == 'I'   ? "max-input"
                           : c == 'P' ? "max-pairs"
                                      : "max-checks",
                           optarg);
                return CLI_ERROR;
            }
            *(c == 'I' ? &max_input : c == 'P' ? &lim.max_pairs : &lim.max_checks) = v;
            break;
        }
        case 'h':
            fputs(similar_usage, stdout);
            return 0;
        default:
            fputs(similar_usage, stderr);
            return CLI_ERROR;
        }
    }
    if (!have_l || !have_k || argc - optind != 1) {
        cli_errorf("similar", "%s",
                   !have_l   ? "no window length (-L)"
                   : !have_k ? "no maximum distance (-k)"
                             : "exactly one FILE (or -) is needed");
        fputs(similar_usage, stderr);
        return CLI_ERROR;
    }
    char *text;
    size_t n;
    if (cli_read_all("similar", argv[optind], (size_t)max_input, "--max-input", &text, &n) != 0)
        return CLI_ERROR;
    trawl_error err;
    trawl_error_clear(&err);
    trawl_status st =
        trawl_fuzzy_similar_ex((const uint8_t *)text, n, L, k, mode, &lim, on_pair, &o, &err);
    free(text);
    if (st) {
        fflush(stdout);
        cli_errorf("similar", "%s: %s%s", strcmp(argv[optind], "-") ? argv[optind] : "(stdin)",
                   err.message,
                   st != TRAWL_ELIMIT                 ? ""
                   : strstr(err.message, "max_pairs") ? " (--max-pairs)"
                                                      : " (--max-checks)");
        return CLI_ERROR;
    }
    return o.pairs ? CLI_FOUND : CLI_NONE;
}
