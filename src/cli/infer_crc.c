/* infer_crc.c -- `trawl infer crc`: recover the checksum that messages
 * carry (CRC parameters, sums, XOR, Fletcher, Adler), at a given place or
 * found at the start or end of every message. */
#include "infer_cli.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static const char usage_text[] =
    "usage: trawl infer crc [--frames SPEC] [--at OFFSET] [--size N] [--le]\n"
    "                       [--from N] [--to OFFSET] [--kinds K,K...] [--json] FILE|-\n"
    "\n"
    "Recover the checksum algorithm of messages that carry one: CRC (width, poly,\n"
    "init, refin, refout, xorout, as the RevEng catalogue writes them), sums,\n"
    "ones'-complement sum, XOR, Fletcher, Adler. Input as for `trawl infer` (capture,\n"
    "hex lines, JSON lines, or --frames SPEC).\n"
    "\n"
    "Without --at, every message's end and then start is tried for a checksum of\n"
    "4, 2 or 1 bytes in either byte order, covering the bytes from --from (tried\n"
    "0..8 when not given) up to it.\n"
    "  --at OFFSET     the checksum starts at OFFSET (negative: from the end)\n"
    "  --size N        its size in bytes: 1, 2, 4 or 8 (with --at: default 2)\n"
    "  --le            it is stored little endian (default big endian)\n"
    "  --from N        the covered bytes start N bytes into the message\n"
    "  --to OFFSET     and end before OFFSET (negative: from the end; default: at the\n"
    "                  checksum when it is at the end, the message's end otherwise)\n"
    "  --kinds LIST    families to try: crc,sum,ones-sum,xor,fletcher,adler (default all)\n"
    "  --json          one JSON object\n"
    "\n"
    "At least two messages with different checksums are needed; eight or more of two\n"
    "or more lengths, with two of one length, pin every CRC parameter.\n"
    "Exit status: 0 found, 1 none fits, 2 error.\n";

static bool parse_long(const char *s, long lo, long hi, long *out)
{
    char *end;
    long v = strtol(s, &end, 0);
    if (!*s || *end || v < lo || v > hi)
        return false;
    *out = v;
    return true;
}

static bool parse_kinds(const char *s, unsigned *mask)
{
    char buf[256];
    if (strlen(s) >= sizeof buf)
        return false;
    strcpy(buf, s);
    *mask = 0;
    char *save = NULL;
    for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        int k;
        for (k = 0; k < TRAWL_CHECK_KIND_COUNT; k++)
            if (!strcmp(t, trawl_check_kind_name((trawl_check_kind)k)))
                break;
        if (k == TRAWL_CHECK_KIND_COUNT)
            return false;
        *mask |= 1u << k;
    }
    return *mask != 0;
}

static int report(const trawl_check_place *pl, const trawl_check_algo *a, bool json, size_t n)
{
    char d[200];
    trawl_check_describe(a, d, sizeof d);
    if (json) {
        printf("{\"messages\":%zu,\"offset\":%d,\"size\":%u,\"byte_order\":\"%s\",\"from\":%u,"
               "\"to\":%d,\"kind\":\"%s\",\"algorithm\":",
               n, pl->offset, pl->size, pl->big_endian ? "big" : "little", pl->from, pl->to,
               trawl_check_kind_name(a->kind));
        cli_json_string(stdout, d);
        if (a->kind == TRAWL_CHECK_CRC) {
            int hx = (int)(a->crc.width + 3) / 4;
            printf(",\"width\":%u,\"poly\":\"0x%0*llx\",\"init\":\"0x%0*llx\",\"refin\":%s,"
                   "\"refout\":%s,\"xorout\":\"0x%0*llx\",\"check\":\"0x%0*llx\"",
                   a->crc.width, hx, (unsigned long long)a->crc.poly, hx,
                   (unsigned long long)a->crc.init, a->crc.refin ? "true" : "false",
                   a->crc.refout ? "true" : "false", hx, (unsigned long long)a->crc.xorout, hx,
                   (unsigned long long)trawl_crc_compute(&a->crc, (const uint8_t *)"123456789", 9));
        }
        printf("}\n");
        return 0;
    }
    printf("%s\n", d);
    printf("at offset %d, %u byte%s, %s endian, covering byte %u ", pl->offset, pl->size,
           pl->size == 1 ? "" : "s", pl->big_endian ? "big" : "little", pl->from);
    if (pl->to == 0)
        printf("up to the checksum (%zu messages)\n", n);
    else
        printf("up to offset %d (%zu messages)\n", pl->to, n);
    if (a->kind == TRAWL_CHECK_CRC)
        printf("check value over \"123456789\": 0x%0*llx\n", (int)(a->crc.width + 3) / 4,
               (unsigned long long)trawl_crc_compute(&a->crc, (const uint8_t *)"123456789", 9));
    return 0;
}

int cli_infer_crc(int argc, char **argv)
{
    enum { O_FRAMES = 256, O_AT, O_SIZE, O_LE, O_FROM, O_TO, O_KINDS, O_JSON };
    static const struct option opts[] = {{"frames", required_argument, NULL, O_FRAMES},
                                         {"at", required_argument, NULL, O_AT},
                                         {"size", required_argument, NULL, O_SIZE},
                                         {"le", no_argument, NULL, O_LE},
                                         {"from", required_argument, NULL, O_FROM},
                                         {"to", required_argument, NULL, O_TO},
                                         {"kinds", required_argument, NULL, O_KINDS},
                                         {"json", no_argument, NULL, O_JSON},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *frames = NULL;
    long at = 0, size = 0, from = -1, to = 0;
    bool have_at = false, le = false, json = false;
    unsigned kinds = 0;
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        bool ok = true;
        switch (c) {
        case O_FRAMES:
            frames = optarg;
            break;
        case O_AT:
            ok = parse_long(optarg, -65536, 65536, &at);
            have_at = true;
            break;
        case O_SIZE:
            ok = parse_long(optarg, 1, 8, &size) &&
                 (size == 1 || size == 2 || size == 4 || size == 8);
            break;
        case O_LE:
            le = true;
            break;
        case O_FROM:
            ok = parse_long(optarg, 0, 65536, &from);
            break;
        case O_TO:
            ok = parse_long(optarg, -65536, 65536, &to);
            break;
        case O_KINDS:
            ok = parse_kinds(optarg, &kinds);
            break;
        case O_JSON:
            json = true;
            break;
        case 'h':
            fputs(usage_text, stdout);
            return 0;
        default:
            fputs("(see `trawl infer crc --help`)\n", stderr);
            return CLI_ERROR;
        }
        if (!ok) {
            cli_errorf("infer crc", "bad value for --%s: '%s'", opts[c - O_FRAMES].name, optarg);
            return CLI_ERROR;
        }
    }
    if (optind != argc - 1) {
        cli_errorf("infer crc", "expected one FILE (see `trawl infer crc --help`)");
        return CLI_ERROR;
    }
    infer_msgs m;
    if (infer_load("infer crc", argv[optind], frames, &m) != 0)
        return CLI_ERROR;
    trawl_span *sp = malloc((m.n ? m.n : 1) * sizeof(*sp));
    trawl_check_sample *s = malloc((m.n ? m.n : 1) * sizeof(*s));
    int rc = CLI_ERROR;
    if (!sp || !s)
        goto out;
    for (size_t i = 0; i < m.n; i++)
        sp[i] = m.m[i].data;
    trawl_check_place pl = {0};
    trawl_check_algo a;
    bool found = false;
    trawl_error err;
    trawl_error_clear(&err);
    if (!have_at) {
        trawl_check_locate_opts lo = {.kinds = kinds};
        if (size)
            lo.sizes = (unsigned)size;
        if (from >= 0)
            lo.max_skip = (unsigned)from; /* tried 0..from; exact below */
        if (trawl_check_locate(sp, m.n, &lo, &pl, &a, &found, &err) != TRAWL_OK) {
            cli_report("infer crc", argv[optind], &err);
            goto out;
        }
    } else {
        if (!size)
            size = 2;
        pl = (trawl_check_place){(int32_t)at, (unsigned)size, !le, from < 0 ? 0 : (uint32_t)from,
                                 (int32_t)to};
        for (size_t i = 0; i < m.n; i++) {
            size_t len = sp[i].len;
            long off = at >= 0 ? at : (long)len + at;
            long lo = from < 0 ? 0 : from;
            long hi = to > 0 ? to : to < 0 ? (long)len + to : at < 0 ? off : (long)len;
            if (off < 0 || off + size > (long)len || lo > hi || hi > (long)len ||
                (lo < off + size && hi > off)) {
                cli_errorf("infer crc", "message %zu (%zu bytes) has no room for that place", i,
                           len);
                goto out;
            }
            uint64_t v = 0;
            for (long k = 0; k < size; k++)
                v |= (uint64_t)sp[i].ptr[off + k] << (8 * (le ? k : size - 1 - k));
            s[i] = (trawl_check_sample){{sp[i].ptr + lo, (size_t)(hi - lo)}, v};
        }
        if (trawl_check_recover(s, m.n, 8 * (unsigned)size, kinds, &a, &found, &err) != TRAWL_OK) {
            cli_report("infer crc", argv[optind], &err);
            goto out;
        }
    }
    if (!found) {
        fprintf(stderr, "trawl infer crc: no checksum fits all %zu messages\n", m.n);
        rc = CLI_NONE;
        goto out;
    }
    rc = report(&pl, &a, json, m.n);
out:
    free(sp);
    free(s);
    infer_msgs_free(&m);
    return rc;
}
