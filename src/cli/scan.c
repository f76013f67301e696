/* scan.c -- `trawl scan`: search files or stdin for binary patterns. */
#include "scan.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char usage_text[] =
    "usage: trawl scan [-e PATTERN]... [-r RULEFILE]... [OPTIONS] [FILE... | -]\n"
    "\n"
    "Search bytes for binary patterns. Patterns use the regex-style byte syntax\n"
    "(\\xNN, ., ??, \\x?A, [..], {n,m}, *, +, ?, ( | ), ^, $) or, when they start\n"
    "with '{', YARA hex syntax ({ AA ?? A? [2-4] ( FF | FE ) ~00 }).\n"
    "See docs/pattern-syntax.md.\n"
    "\n"
    "  -e, --pattern PATTERN   a pattern (repeatable); named by its 0-based index\n"
    "  -r, --rules FILE        a rule file: 'name: pattern' per line (repeatable)\n"
    "  -i, --ignore-case       ASCII letters in -e patterns match either case\n"
    "  -F, --literal           -e patterns are literal text, not syntax\n"
    "  -d, --database FILE     load a compiled database (from --save)\n"
    "      --save FILE         compile the patterns, save the database, exit\n"
    "      --overlap           report every start offset, longest match from each\n"
    "      --json              one JSON object per match (JSON Lines)\n"
    "  -c, --count             print only the number of matches per input\n"
    "      --no-data           leave the matched bytes out of the output\n"
    "      --window SIZE       stream window for pipes (default 8M; k/M/G suffixes)\n"
    "      --frames SPEC       cut each file into units (KIND[,option[=value]]...) and\n"
    "                          scan each unit's value on its own (docs/cli.md)\n"
    "      --max-rules-size SIZE  largest rule file read (default 16M); a larger one\n"
    "                          is refused, never truncated\n"
    "      --max-complexity N  positions matching more than one byte, repeats\n"
    "                          expanded, over all patterns (default 65536; one\n"
    "                          pattern: 4096, unbounded repeats: 64; see\n"
    "                          docs/pattern-syntax.md, Limits)\n"
    "      --no-cache          compile the patterns even when a compiled copy is\n"
    "                          cached (also TRAWL_NO_CACHE=1)\n"
    "  -h, --help              this text\n"
    "\n"
    "Reads stdin when FILE is '-' or absent. Regular files are mapped and scanned\n"
    "as one block; pipes are streamed in bounded memory. Pattern sets that take\n"
    "a while to compile are cached in $XDG_CACHE_HOME/trawl (~/.cache/trawl).\n"
    "Exit status: 0 a match was found, 1 no match, 2 error.\n";

static void print_pattern_id(FILE *out, const trawl_pattern_db *db, uint32_t id, bool json)
{
    trawl_pattern_info info;
    if (trawl_pattern_info_get(db, id, &info) == TRAWL_OK && info.name) {
        if (json)
            cli_json_string(out, info.name);
        else
            fputs(info.name, out);
    } else {
        fprintf(out, "%" PRIu32, id);
    }
}

int scan_on_match(const trawl_match *m, void *user)
{
    out_ctx *c = user;
    c->matches++;
    if (c->o->count)
        return 0;
    uint64_t offset = m->offset + (c->in_unit ? c->unit_at : 0);
    if (c->o->json) {
        fputs("{\"file\":", stdout);
        cli_json_string(stdout, c->file);
        printf(",\"offset\":%" PRIu64 ",\"length\":%" PRIu64, offset, m->length);
        if (c->in_unit)
            printf(",\"record\":%" PRIu64, c->unit_index);
        fputs(",\"pattern\":", stdout);
        print_pattern_id(stdout, c->db, m->pattern, true);
        if (!c->o->no_data) {
            fputs(",\"data\":\"", stdout);
            cli_hex(stdout, m->data, (size_t)m->length);
            fputc('"', stdout);
        }
        fputs("}\n", stdout);
        return 0;
    }
    char id[64];
    trawl_pattern_info info;
    if (trawl_pattern_info_get(c->db, m->pattern, &info) == TRAWL_OK && info.name)
        snprintf(id, sizeof id, "%s", info.name);
    else
        snprintf(id, sizeof id, "%" PRIu32, m->pattern);
    printf("%s:%-10" PRIu64 " len %-6" PRIu64 " %-16s", c->file, offset, m->length, id);
    if (c->in_unit)
        printf(" record %-6" PRIu64, c->unit_index);
    if (!c->o->no_data) {
        fputs(" ", stdout);
        size_t n = m->length > 32 ? 32 : (size_t)m->length;
        cli_hex(stdout, m->data, n);
        if (m->length > 32)
            fputs("...", stdout);
    }
    fputc('\n', stdout);
    return 0;
}

static trawl_status stream_fd(const trawl_pattern_db *db, trawl_scratch *s, int fd,
                              const scan_opts *o, out_ctx *c, trawl_error *err)
{
    trawl_stream *st;
    trawl_status rc =
        trawl_stream_open(db, o->overlap ? TRAWL_SCAN_OVERLAP : 0, (size_t)o->window, &st, err);
    if (rc != TRAWL_OK)
        return rc;
    size_t cap = 1 << 20;
    uint8_t *buf = malloc(cap);
    if (!buf) {
        trawl_stream_free(st);
        return TRAWL_ENOMEM;
    }
    bool progress = isatty(STDERR_FILENO);
    uint64_t total = 0, next_report = 256u << 20;
    for (;;) {
        ssize_t r = read(fd, buf, cap);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            snprintf(err->message, sizeof err->message, "read: %s", strerror(errno));
            err->status = rc = TRAWL_EIO;
            break;
        }
        if (r == 0) {
            rc = trawl_stream_close(st, s, scan_on_match, c, err);
            break;
        }
        rc = trawl_stream_write(st, s, buf, (size_t)r, scan_on_match, c, err);
        if (rc != TRAWL_OK)
            break;
        total += (uint64_t)r;
        if (progress && total >= next_report) {
            fprintf(stderr, "\rtrawl scan: %s: %" PRIu64 " MiB", c->file, total >> 20);
            next_report += 256u << 20;
        }
    }
    if (progress && total >= (256u << 20))
        fputc('\n', stderr);
    free(buf);
    trawl_stream_free(st);
    return rc;
}

static trawl_status cli_fail_msg(trawl_error *err, const char *msg)
{
    snprintf(err->message, sizeof err->message, "%s", msg);
    return err->status = TRAWL_EINVAL;
}

/* The compiled patterns. A set scanned only as blocks (mapped files,
 * --frames) is compiled for block scans only, about half the compile; the
 * stream database is compiled when an input turns out to need it. */
typedef struct scan_db {
    trawl_pattern_set *set; /* NULL when loaded with -d */
    trawl_pattern_db *db;
    trawl_scratch *scratch;
    bool block_only;
    const char *cache_dir;
} scan_db;

static int compile_db(scan_db *d)
{
    trawl_error err;
    trawl_pattern_db *db;
    if (trawl_pattern_compile_cached(d->set, d->block_only ? TRAWL_COMPILE_BLOCK_ONLY : 0,
                                     d->cache_dir, &db, NULL, &err) != TRAWL_OK ||
        trawl_scratch_alloc(db, &d->scratch, &err) != TRAWL_OK) {
        cli_report("scan", NULL, &err);
        return -1;
    }
    trawl_pattern_db_free(d->db);
    d->db = db;
    return 0;
}

/* True when every input is a regular file that one block scan covers. */
static bool all_blocks(char **files, int n)
{
    for (int i = 0; i < n; i++) {
        struct stat st;
        if (!strcmp(files[i], "-") || stat(files[i], &st) != 0 || !S_ISREG(st.st_mode) ||
            (uint64_t)st.st_size > UINT32_MAX)
            return false;
    }
    return n > 0;
}

static int scan_input(scan_db *d, const char *path, const scan_opts *o, bool many, uint64_t *found)
{
    cli_input in;
    if (cli_input_open(path, &in) != 0)
        return -1;
    if (!in.data && d->block_only) { /* a file that would not map, say */
        d->block_only = false;
        if (compile_db(d) != 0) {
            cli_input_close(&in);
            return -1;
        }
    }
    const trawl_pattern_db *db = d->db;
    trawl_scratch *s = d->scratch;
    out_ctx c = {.o = o, .db = db, .file = strcmp(path, "-") ? path : "(stdin)"};
    trawl_error err;
    trawl_error_clear(&err);
    trawl_status rc;
    if ((o->frames.framer || o->frames.pcap) && !in.data)
        rc = cli_fail_msg(&err, "--frames needs a regular file, not a pipe");
    else if (o->frames.framer || o->frames.pcap)
        rc = scan_frames(db, s, &in, o, &c, &err);
    else if (in.data)
        rc = trawl_scan(db, s, in.data, in.len, o->overlap ? TRAWL_SCAN_OVERLAP : 0, scan_on_match,
                        &c, &err);
    else
        rc = stream_fd(db, s, in.fd, o, &c, &err);
    cli_input_close(&in);
    if (o->count) {
        if (o->json) {
            fputs("{\"file\":", stdout);
            cli_json_string(stdout, c.file);
            printf(",\"count\":%" PRIu64 "}\n", c.matches);
        } else if (many) {
            printf("%s:%" PRIu64 "\n", c.file, c.matches);
        } else {
            printf("%" PRIu64 "\n", c.matches);
        }
    }
    *found += c.matches;
    if (c.fault)
        return -1;
    if (rc != TRAWL_OK) {
        fflush(stdout);
        cli_report("scan", c.file, &err);
        return -1;
    }
    return 0;
}

static int save_db(const trawl_pattern_db *db, const char *path)
{
    uint8_t *bytes;
    size_t n;
    trawl_error err;
    if (trawl_pattern_db_serialize(db, &bytes, &n, &err) != TRAWL_OK) {
        cli_report("scan", NULL, &err);
        return CLI_ERROR;
    }
    FILE *f = fopen(path, "wb");
    bool ok = f && fwrite(bytes, 1, n, f) == n;
    if (f && fclose(f) != 0)
        ok = false;
    free(bytes);
    if (!ok) {
        cli_errorf("scan", "%s: %s", path, strerror(errno));
        return CLI_ERROR;
    }
    fprintf(stderr, "trawl scan: saved %zu patterns to %s (%zu bytes)\n",
            trawl_pattern_db_count(db), path, n);
    return 0;
}

static int load_db(const char *path, trawl_pattern_db **db)
{
    char *bytes;
    size_t n;
    if (cli_read_all("scan", path, (size_t)1 << 32, "a database", &bytes, &n) != 0)
        return -1;
    trawl_error err;
    trawl_status st = trawl_pattern_db_deserialize((const uint8_t *)bytes, n, db, &err);
    free(bytes);
    if (st != TRAWL_OK) {
        cli_report("scan", path, &err);
        return -1;
    }
    return 0;
}

int cli_scan(int argc, char **argv)
{
    static const struct option longopts[] = {{"pattern", required_argument, NULL, 'e'},
                                             {"rules", required_argument, NULL, 'r'},
                                             {"ignore-case", no_argument, NULL, 'i'},
                                             {"literal", no_argument, NULL, 'F'},
                                             {"database", required_argument, NULL, 'd'},
                                             {"save", required_argument, NULL, 'S'},
                                             {"overlap", no_argument, NULL, 'O'},
                                             {"json", no_argument, NULL, 'J'},
                                             {"count", no_argument, NULL, 'c'},
                                             {"no-data", no_argument, NULL, 'N'},
                                             {"window", required_argument, NULL, 'W'},
                                             {"help", no_argument, NULL, 'h'},
                                             {"frames", required_argument, NULL, 'T'},
                                             {"no-cache", no_argument, NULL, 'C'},
                                             {"max-rules-size", required_argument, NULL, 'Z'},
                                             {"max-complexity", required_argument, NULL, 'X'},
                                             {NULL, 0, NULL, 0}};
    scan_opts o = {0};
    const char **exprs = calloc((size_t)argc, sizeof(*exprs));
    const char **rules = calloc((size_t)argc, sizeof(*rules));
    size_t nexpr = 0, nrules = 0;
    const char *db_path = NULL, *save_path = NULL, *frames_spec = NULL;
    bool nocase = false, literal = false, no_cache = false;
    uint64_t max_rules_size = (uint64_t)16 << 20, max_complexity = TRAWL_PATTERN_MAX_SET_WIDE;
    int rc = CLI_ERROR, opt;
    scan_db d = {0};
    trawl_error err;
    if (!exprs || !rules) {
        cli_errorf("scan", "out of memory");
        goto out;
    }
    optind = 1;
    while ((opt = getopt_long(argc, argv, "e:r:iFd:ch", longopts, NULL)) != -1) {
        switch (opt) {
        case 'e':
            exprs[nexpr++] = optarg;
            break;
        case 'r':
            rules[nrules++] = optarg;
            break;
        case 'i':
            nocase = true;
            break;
        case 'F':
            literal = true;
            break;
        case 'd':
            db_path = optarg;
            break;
        case 'S':
            save_path = optarg;
            break;
        case 'O':
            o.overlap = true;
            break;
        case 'J':
            o.json = true;
            break;
        case 'c':
            o.count = true;
            break;
        case 'N':
            o.no_data = true;
            break;
        case 'W':
            if (!cli_parse_size(optarg, &o.window) || o.window > ((uint64_t)1 << 40)) {
                cli_errorf("scan", "--window: not a size: '%s'", optarg);
                goto out;
            }
            break;
        case 'T':
            frames_spec = optarg; /* parsed after this loop: it uses getopt too */
            break;
        case 'Z':
        case 'X': {
            uint64_t v;
            if (!cli_parse_size(optarg, &v) || v == 0 || v > ((uint64_t)1 << 40)) {
                cli_errorf("scan", "--%s: expected a positive size, got '%s'",
                           opt == 'Z' ? "max-rules-size" : "max-complexity", optarg);
                goto out;
            }
            *(opt == 'Z' ? &max_rules_size : &max_complexity) = v;
            break;
        }
        case 'C':
            no_cache = true;
            break;
        case 'h':
            fputs(usage_text, stdout);
            rc = 0;
            goto out;
        default:
            fputs(usage_text, stderr);
            goto out;
        }
    }
    int first_file = optind;
    if (frames_spec) {
        if (cli_frame_spec(frames_spec, &o.frames) != 0)
            goto out;
    }
    if (db_path && (nexpr || nrules)) {
        cli_errorf("scan", "--database cannot be combined with -e or -r");
        goto out;
    }
    if (!db_path && !nexpr && !nrules) {
        cli_errorf("scan", "no patterns: give -e PATTERN, -r RULEFILE or -d DATABASE");
        fputs(usage_text, stderr);
        goto out;
    }
    int nfiles = argc - first_file;
    if (db_path) {
        if (load_db(db_path, &d.db) != 0)
            goto out;
        if (trawl_scratch_alloc(d.db, &d.scratch, &err) != TRAWL_OK) {
            cli_report("scan", NULL, &err);
            goto out;
        }
    } else {
        if (trawl_pattern_set_new(&d.set) != TRAWL_OK) {
            cli_errorf("scan", "out of memory");
            goto out;
        }
        trawl_pattern_limits lim = {.max_set_wide = (size_t)max_complexity};
        trawl_pattern_set_limits(d.set, &lim);
        for (size_t i = 0; i < nexpr; i++) {
            trawl_pattern_syntax syn = literal ? TRAWL_SYNTAX_LITERAL : TRAWL_SYNTAX_AUTO;
            if (trawl_pattern_set_add(d.set, exprs[i], strlen(exprs[i]), syn,
                                      nocase ? TRAWL_PATTERN_NOCASE : 0, NULL, &err) != TRAWL_OK) {
                char what[64];
                snprintf(what, sizeof what, "pattern %zu", i);
                err.index = -1;
                cli_report("scan", what, &err);
                goto out;
            }
        }
        for (size_t i = 0; i < nrules; i++) {
            char *text;
            size_t n;
            if (cli_read_all("scan", rules[i], (size_t)max_rules_size, "--max-rules-size", &text,
                             &n) != 0)
                goto out;
            trawl_status st = trawl_pattern_set_add_rules(d.set, text, n, &err);
            free(text);
            if (st != TRAWL_OK) {
                err.index = -1;
                cli_report("scan", rules[i], &err);
                goto out;
            }
        }
        d.cache_dir = cli_cache_dir(no_cache);
        d.block_only = !save_path && (frames_spec || all_blocks(argv + first_file, nfiles));
        if (compile_db(&d) != 0)
            goto out;
    }
    if (save_path) {
        rc = save_db(d.db, save_path);
        goto out;
    }
    uint64_t found = 0;
    bool failed = false;
    if (nfiles == 0)
        failed = scan_input(&d, "-", &o, false, &found) != 0;
    for (int i = first_file; i < argc; i++)
        if (scan_input(&d, argv[i], &o, nfiles > 1, &found) != 0)
            failed = true;
    rc = failed ? CLI_ERROR : found ? CLI_FOUND : CLI_NONE;
out:
    if (fflush(stdout) != 0 && rc != CLI_ERROR) {
        cli_errorf("scan", "writing output: %s", strerror(errno));
        rc = CLI_ERROR;
    }
    trawl_scratch_free(d.scratch);
    trawl_framer_free(o.frames.framer);
    trawl_pattern_db_free(d.db);
    trawl_pattern_set_free(d.set);
    free(exprs);
    free(rules);
    return rc;
}
