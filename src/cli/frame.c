/* frame.c -- `trawl frame KIND [OPTIONS] FILE|-`: cut a byte stream into
 * units and print one line (or JSON object) per unit.
 *
 * A mapped file goes through the buffer iterator; a pipe through the
 * streaming reader, whose window is sized from --max-size. Both print the
 * same thing. Exit: 0 clean input, 3 malformed input (every complete unit
 * is printed first, then the error), 2 usage or I/O error. */
#include "frame.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static const char usage_text[] =
    "usage: trawl frame tlv [--type-size N] [--length-size N] [--little-endian]\n"
    "                       [--length-includes-header] [--containers T,T...] [--ber]\n"
    "                       [--max-depth N] [--max-size N] [COMMON] FILE|-\n"
    "       trawl frame records --size N [COMMON] FILE|-\n"
    "       trawl frame packets --header FORMAT --length-field I [--length-includes-header]\n"
    "                           [--adjust N] [--max-size N] [COMMON] FILE|-\n"
    "       trawl frame lines [--delimiter HEX] [--max-size N] [COMMON] FILE|-\n"
    "       trawl frame pcap [--payload] [COMMON] FILE\n"
    "\n"
    "Cut bytes into units and print one per line: index, offset, length, kind-specific\n"
    "fields and the bytes in hex.\n"
    "\n"
    "tlv      type-length-value records; type and length fields of 1, 2 or 4 bytes\n"
    "         (default 1 and 1), big endian unless --little-endian. --ber reads a\n"
    "         BER/DER definite length instead of a fixed length field (constructed\n"
    "         types, bit 0x20, are then containers). --containers lists types whose\n"
    "         value holds nested records (decimal or 0x hex), printed after their\n"
    "         container with their depth, up to --max-depth (default 32).\n"
    "records  fixed-size records of --size bytes; a partial last record is an error.\n"
    "packets  length-prefixed packets: --header is a struct format (byte order < > !,\n"
    "         codes x b B h H i I q Q s with counts, e.g. '>HH'); --length-field is the\n"
    "         index of the length among its values (pads x do not count); the packet\n"
    "         is length + header (or length alone with --length-includes-header)\n"
    "         + --adjust bytes.\n"
    "lines    messages ending at --delimiter (hex, default 0a); the last message may\n"
    "         lack one. The delimiter is not part of value or length.\n"
    "pcap     packets of a pcap or pcapng file (libpcap), with timestamps. --payload\n"
    "         prints only packets with a TCP or UDP payload, and that payload (no IP or\n"
    "         TCP reassembly).\n"
    "\n"
    "COMMON\n"
    "  --json           one JSON object per unit: {\"index\",\"offset\",\"length\",...,\"value\"}\n"
    "  --no-data        leave the bytes out\n"
    "  --count          print only the number of units (and errors)\n"
    "  --resync         after malformed bytes, skip ahead until a unit decodes again and\n"
    "                   go on (default: stop at the first error)\n"
    "  --max-size N     largest unit (k/m/g suffixes); larger ones are errors\n"
    "  --window N       streaming window for pipes (default max(1m, 2 x max-size))\n"
    "  -h, --help       this text\n"
    "\n"
    "Errors in the input end the output with\n"
    "  {\"error\":\"truncated-value\",\"offset\":N,\"index\":N}   (or a text line)\n"
    "kinds: truncated-header truncated-value length-below-header packet-too-large\n"
    "record-too-large short-tail bad-length bad-capture.\n"
    "Exit status: 0 clean input, 3 malformed input, 2 usage or I/O error.\n";

__attribute__((format(printf, 1, 2))) static int usage_error(const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "trawl frame: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n(see `trawl frame --help`)\n");
    return CLI_ERROR;
}

static bool parse_uint(const char *s, uint64_t max, uint64_t *out)
{
    if (!s || !*s || *s == '-')
        return false;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 0);
    if (errno || *end || v > max)
        return false;
    *out = v;
    return true;
}

static bool parse_containers(const char *s, frame_args *a)
{
    char buf[4096];
    if (strlen(s) >= sizeof(buf))
        return false;
    strcpy(buf, s);
    char *save = NULL;
    for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        if (a->n_containers == TRAWL_FRAME_MAX_CONTAINERS ||
            !parse_uint(t, UINT64_MAX, &a->containers[a->n_containers]))
            return false;
        a->n_containers++;
    }
    return a->n_containers > 0;
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static bool parse_hex(const char *s, uint8_t *out, size_t cap, size_t *n)
{
    *n = 0;
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
        s += 2;
    while (*s) {
        if (*s == ' ') {
            s++;
            continue;
        }
        int hi = hexval(s[0]), lo = hi < 0 ? -1 : hexval(s[1]);
        if (lo < 0 || *n == cap)
            return false;
        out[(*n)++] = (uint8_t)(hi << 4 | lo);
        s += 2;
    }
    return *n > 0;
}

static int parse_kind(const char *k, frame_args *a)
{
    static const char *const names[] = {"tlv", "records", "packets", "lines", "pcap"};
    for (int i = 0; i < 5; i++)
        if (!strcmp(k, names[i])) {
            a->kind = (enum kind)i;
            a->kind_name = names[i];
            return 0;
        }
    return -1;
}

enum {
    O_TYPE_SIZE = 256,
    O_LENGTH_SIZE,
    O_LITTLE,
    O_INCLUDES,
    O_CONTAINERS,
    O_BER,
    O_MAX_DEPTH,
    O_SIZE,
    O_HEADER,
    O_LENGTH_FIELD,
    O_ADJUST,
    O_DELIM,
    O_MAX_SIZE,
    O_PAYLOAD,
    O_JSON,
    O_NO_DATA,
    O_COUNT,
    O_RESYNC,
    O_WINDOW
};

static const struct option options[] = {
    {"type-size", required_argument, NULL, O_TYPE_SIZE},
    {"length-size", required_argument, NULL, O_LENGTH_SIZE},
    {"little-endian", no_argument, NULL, O_LITTLE},
    {"length-includes-header", no_argument, NULL, O_INCLUDES},
    {"containers", required_argument, NULL, O_CONTAINERS},
    {"ber", no_argument, NULL, O_BER},
    {"max-depth", required_argument, NULL, O_MAX_DEPTH},
    {"size", required_argument, NULL, O_SIZE},
    {"header", required_argument, NULL, O_HEADER},
    {"length-field", required_argument, NULL, O_LENGTH_FIELD},
    {"adjust", required_argument, NULL, O_ADJUST},
    {"delimiter", required_argument, NULL, O_DELIM},
    {"max-size", required_argument, NULL, O_MAX_SIZE},
    {"payload", no_argument, NULL, O_PAYLOAD},
    {"json", no_argument, NULL, O_JSON},
    {"no-data", no_argument, NULL, O_NO_DATA},
    {"count", no_argument, NULL, O_COUNT},
    {"resync", no_argument, NULL, O_RESYNC},
    {"window", required_argument, NULL, O_WINDOW},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* Options that only mean something for some kinds. */
static bool allowed(int opt, enum kind k)
{
    switch (opt) {
    case O_TYPE_SIZE:
    case O_LENGTH_SIZE:
    case O_LITTLE:
    case O_CONTAINERS:
    case O_BER:
    case O_MAX_DEPTH:
        return k == K_TLV;
    case O_INCLUDES:
        return k == K_TLV || k == K_PACKETS;
    case O_SIZE:
        return k == K_RECORDS;
    case O_HEADER:
    case O_LENGTH_FIELD:
    case O_ADJUST:
        return k == K_PACKETS;
    case O_DELIM:
        return k == K_LINES;
    case O_MAX_SIZE:
        return k != K_RECORDS && k != K_PCAP;
    case O_PAYLOAD:
        return k == K_PCAP;
    case O_RESYNC:
    case O_WINDOW:
        return k != K_PCAP;
    default:
        return true;
    }
}

static int apply_option(int c, const char *arg, frame_args *a)
{
    uint64_t v;
    char *end;
    switch (c) {
    case O_TYPE_SIZE:
    case O_LENGTH_SIZE:
        if (!parse_uint(arg, 4, &v) || (v != 1 && v != 2 && v != 4))
            return usage_error("field sizes are 1, 2 or 4, not '%s'", arg);
        *(c == O_TYPE_SIZE ? &a->type_size : &a->length_size) = (unsigned)v;
        return 0;
    case O_LITTLE:
        a->little = true;
        return 0;
    case O_INCLUDES:
        a->includes = true;
        return 0;
    case O_BER:
        a->ber = true;
        return 0;
    case O_CONTAINERS:
        return parse_containers(arg, a) ? 0 : usage_error("bad --containers list '%s'", arg);
    case O_MAX_DEPTH:
        if (!parse_uint(arg, TRAWL_FRAME_MAX_DEPTH, &v) || v == 0)
            return usage_error("--max-depth must be 1 to 64, not '%s'", arg);
        a->max_depth = (unsigned)v;
        return 0;
    case O_SIZE:
        if (!cli_parse_size(arg, &a->size) || a->size == 0)
            return usage_error("bad --size '%s'", arg);
        return 0;
    case O_HEADER:
        a->header = arg;
        return 0;
    case O_LENGTH_FIELD:
        if (!parse_uint(arg, TRAWL_STRUCT_MAX_FIELDS, &v))
            return usage_error("bad --length-field '%s'", arg);
        a->length_field = (long)v;
        return 0;
    case O_ADJUST:
        errno = 0;
        a->adjust = strtoll(arg, &end, 0);
        if (errno || *end || !*arg)
            return usage_error("bad --adjust '%s'", arg);
        return 0;
    case O_DELIM:
        if (!parse_hex(arg, a->delim, sizeof(a->delim), &a->delim_len))
            return usage_error("--delimiter takes 1 to 64 bytes in hex, not '%s'", arg);
        return 0;
    case O_MAX_SIZE:
        if (!cli_parse_size(arg, &a->max_size))
            return usage_error("bad --max-size '%s'", arg);
        return 0;
    case O_WINDOW:
        if (!cli_parse_size(arg, &a->window) || a->window > ((uint64_t)1 << 34))
            return usage_error("bad --window '%s'", arg);
        return 0;
    case O_PAYLOAD:
        a->payload = true;
        return 0;
    case O_JSON:
        a->json = true;
        return 0;
    case O_NO_DATA:
        a->no_data = true;
        return 0;
    case O_COUNT:
        a->count = true;
        return 0;
    case O_RESYNC:
        a->resync = true;
        return 0;
    default:
        return usage_error("%s", "unknown option");
    }
}

static const char *opt_name(int c)
{
    for (const struct option *o = options; o->name; o++)
        if (o->val == c)
            return o->name;
    return "?";
}

/* Returns -1 after printing help (exit 0), 0 when parsed, CLI_ERROR on bad use. */
static int parse_args(int argc, char **argv, frame_args *a)
{
    memset(a, 0, sizeof(*a));
    a->type_size = a->length_size = 1;
    a->length_field = -1;
    a->delim[0] = '\n';
    a->delim_len = 1;
    if (argc < 2)
        return usage_error("%s", "which kind: tlv, records, packets, lines or pcap?");
    if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
        fputs(usage_text, stdout);
        return -1;
    }
    if (parse_kind(argv[1], a) != 0)
        return usage_error("unknown kind '%s' (tlv, records, packets, lines, pcap)", argv[1]);
    optind = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc - 1, argv + 1, "h", options, NULL)) != -1) {
        if (c == 'h') {
            fputs(usage_text, stdout);
            return -1;
        }
        if (c == '?')
            return usage_error("unknown option or missing argument in '%s'", argv[optind]);
        if (!allowed(c, a->kind))
            return usage_error("--%s does not apply to this kind", opt_name(c));
        int r = apply_option(c, optarg, a);
        if (r)
            return r;
    }
    if (optind + 1 != argc - 1)
        return usage_error("%s", "expected exactly one FILE (or - for stdin)");
    a->path = argv[optind + 1];
    if (a->kind == K_RECORDS && !a->size)
        return usage_error("%s", "records needs --size N");
    if (a->kind == K_PACKETS && (!a->header || a->length_field < 0))
        return usage_error("%s", "packets needs --header FORMAT and --length-field I");
    if (a->kind == K_PCAP && !strcmp(a->path, "-"))
        return usage_error("%s", "pcap needs a file, not a pipe (record offsets need seeking)");
    return 0;
}

static int build_framer(const frame_args *a, trawl_framer **f)
{
    trawl_error err;
    trawl_error_clear(&err);
    trawl_status s = TRAWL_EINVAL;
    if (a->kind == K_TLV) {
        trawl_frame_tlv_opts o = {.type_size = a->type_size,
                                  .length_size = a->length_size,
                                  .little_endian = a->little,
                                  .length_includes_header = a->includes,
                                  .ber = a->ber,
                                  .ber_constructed = a->ber,
                                  .containers = a->containers,
                                  .n_containers = a->n_containers,
                                  .max_depth = a->max_depth,
                                  .max_record = a->max_size};
        s = trawl_frame_tlv_new(&o, f, &err);
    } else if (a->kind == K_RECORDS) {
        s = trawl_frame_records_new(a->size, f, &err);
    } else if (a->kind == K_PACKETS) {
        trawl_frame_packet_opts o = {.header = a->header,
                                     .length_field = (unsigned)a->length_field,
                                     .length_includes_header = a->includes,
                                     .adjust = a->adjust,
                                     .max_size = a->max_size};
        s = trawl_frame_packets_new(&o, f, &err);
    } else if (a->kind == K_LINES) {
        trawl_frame_delim_opts o = {a->delim, a->delim_len, a->max_size};
        s = trawl_frame_delim_new(&o, f, &err);
    }
    if (s == TRAWL_OK)
        return 0;
    if (err.column > 0)
        fprintf(stderr, "trawl frame: --header '%s': %s\n", a->header, err.message);
    else
        fprintf(stderr, "trawl frame: %s\n", err.message);
    return CLI_ERROR;
}

static int run_pcap(frame_out *o)
{
    trawl_frame_pcap *p;
    trawl_error err;
    trawl_error_clear(&err);
    trawl_status s = trawl_frame_pcap_open_path(o->a->path, &p, &err);
    if (s == TRAWL_EIO || s == TRAWL_ENOMEM) { /* unreadable: a usage/I-O error, exit 2 */
        fprintf(stderr, "trawl frame: %s\n", err.message);
        return CLI_ERROR;
    }
    if (s != TRAWL_OK) { /* not a capture: malformed input at offset 0 */
        trawl_frame_fault f = {.kind = TRAWL_FRAME_BAD_CAPTURE};
        frame_out_fault(o, &f, err.message);
        return 0;
    }
    trawl_frame_packet pkt;
    trawl_frame_fault f;
    trawl_frame_step st;
    while ((st = trawl_frame_pcap_next(p, &pkt, &f)) != TRAWL_FRAME_END) {
        if (st == TRAWL_FRAME_UNIT)
            frame_out_packet(o, &pkt);
        else
            frame_out_fault(o, &f, trawl_frame_pcap_message(p));
    }
    trawl_frame_pcap_free(p);
    return 0;
}

/* Units come a batch at a time (the iterator's inlined path for fixed-width
 * TLV and records); --count only adds up the batch sizes. */
static int run_buffer(frame_out *o, const trawl_framer *f, const cli_input *in)
{
    enum { BATCH = 256 };
    trawl_frame_iter *it;
    trawl_frame_unit *units = malloc(BATCH * sizeof(*units));
    if (!units ||
        trawl_frame_iter_new(f, o->a->resync ? TRAWL_FRAME_RESYNC : 0, &it, NULL) != TRAWL_OK) {
        free(units);
        return CLI_ERROR;
    }
    trawl_frame_iter_reset(it, in->data, in->len);
    trawl_frame_fault flt;
    for (;;) {
        size_t k = trawl_frame_iter_next_batch(it, units, BATCH);
        if (o->a->count)
            o->units += k;
        else
            for (size_t i = 0; i < k; i++)
                frame_out_unit(o, &units[i]);
        if (k == BATCH)
            continue;
        trawl_frame_step st = trawl_frame_iter_next(it, &units[0], &flt);
        if (st == TRAWL_FRAME_END)
            break;
        if (st == TRAWL_FRAME_UNIT)
            frame_out_unit(o, &units[0]);
        else
            frame_out_fault(o, &flt, NULL);
    }
    trawl_frame_iter_free(it);
    free(units);
    return 0;
}

static int run_stream(frame_out *o, const trawl_framer *f, const cli_input *in)
{
    uint64_t window = o->a->window;
    if (!window) {
        window = (uint64_t)1 << 20;
        if (o->a->max_size && o->a->max_size <= ((uint64_t)1 << 33) && 2 * o->a->max_size > window)
            window = 2 * o->a->max_size;
        if (o->a->kind == K_RECORDS && o->a->size > window)
            window = o->a->size;
    }
    trawl_frame_reader *r;
    trawl_error err;
    trawl_error_clear(&err);
    if (trawl_frame_reader_new_fd(f, in->fd, (size_t)window, o->a->resync ? TRAWL_FRAME_RESYNC : 0,
                                  &r, &err) != TRAWL_OK) {
        fprintf(stderr, "trawl frame: %s\n", err.message);
        return CLI_ERROR;
    }
    trawl_frame_unit u;
    trawl_frame_fault flt;
    trawl_frame_step st;
    while ((st = trawl_frame_reader_next(r, &u, &flt)) != TRAWL_FRAME_END) {
        if (st == TRAWL_FRAME_UNIT)
            frame_out_unit(o, &u);
        else
            frame_out_fault(o, &flt, NULL);
    }
    trawl_frame_reader_free(r);
    return 0;
}

int cli_frame(int argc, char **argv)
{
    frame_args a;
    int r = parse_args(argc, argv, &a);
    if (r)
        return r < 0 ? 0 : r;
    frame_out o;
    if (frame_out_init(&o, &a, stdout) != 0) {
        fprintf(stderr, "trawl frame: out of memory\n");
        return CLI_ERROR;
    }
    if (a.kind == K_PCAP) {
        r = run_pcap(&o);
    } else {
        trawl_framer *f = NULL;
        if ((r = build_framer(&a, &f)) == 0) {
            o.hdr = trawl_framer_header(f);
            cli_input in;
            if (cli_input_open(a.path, &in) != 0) {
                r = CLI_ERROR;
            } else {
                r = in.data ? run_buffer(&o, f, &in) : run_stream(&o, f, &in);
                cli_input_close(&in);
            }
            trawl_framer_free(f);
        }
    }
    if (!r && a.count)
        frame_out_count(&o);
    frame_out_flush(&o, true);
    if (r)
        return r;
    if (o.write_error || fflush(stdout) != 0) {
        fprintf(stderr, "trawl frame: writing output: %s\n", strerror(errno));
        return CLI_ERROR;
    }
    if (o.io_error)
        return CLI_ERROR;
    return o.faults ? EXIT_MALFORMED : 0;
}

/* ---- framers for other commands (trawl scan --frames) ---------------------- */

int cli_frame_spec(const char *spec, cli_frames *out)
{
    /* KIND[,opt[=value]]... becomes: frame KIND --opt value ... (frames) */
    memset(out, 0, sizeof(*out));
    char *copy = strdup(spec);
    size_t n = 4;
    for (const char *p = spec; *p; p++)
        n += *p == ',' ? 2 : 0;
    char **argv = calloc(n + 2, sizeof(*argv));
    int rc = CLI_ERROR;
    if (!copy || !argv)
        goto out;
    int argc = 0;
    argv[argc++] = "frame";
    char *save = NULL;
    char *kind = strtok_r(copy, ",", &save);
    if (!kind) {
        usage_error("%s", "--frames: expected KIND[,option[=value]]...");
        goto out;
    }
    argv[argc++] = kind;
    /* The option strings live in one buffer. Each option of length L in the
     * spec (L >= 1, plus its comma) becomes "--" + L bytes + NUL, that is
     * L + 3 <= 2 (L + 1), so twice the spec's length always suffices. */
    char *opts = NULL;
    size_t optlen = strlen(spec) * 2 + 64;
    opts = malloc(optlen);
    if (!opts)
        goto out;
    size_t used = 0;
    for (char *o = strtok_r(NULL, ",", &save); o; o = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(o, '=');
        if (eq)
            *eq = 0;
        int w = snprintf(opts + used, optlen - used, "--%s", o);
        argv[argc++] = opts + used;
        used += (size_t)w + 1;
        if (eq)
            argv[argc++] = eq + 1;
    }
    argv[argc++] = "(frames)"; /* a path parse_args will not open */
    frame_args a;
    int r = parse_args(argc, argv, &a);
    if (r == 0 && a.kind == K_PCAP) {
        out->pcap = true;
        out->payload = a.payload;
        rc = 0;
    } else if (r == 0 && build_framer(&a, &out->framer) == 0) {
        out->resync = a.resync;
        rc = 0;
    }
    free(opts);
out:
    free(argv);
    free(copy);
    return rc;
}
