/* firmware.c -- `trawl firmware`: architecture of a raw image per window,
 * Cortex-M vector table / base / peripherals, SDK signatures
 * (docs/firmware.md). */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <trawl/firmware.h>

static const char firmware_usage[] =
    "usage: trawl firmware [arch|cortexm|sdk] [OPTIONS] FILE...\n"
    "       trawl firmware families\n"
    "\n"
    "Identifies a raw firmware image (no ELF header needed). Without an action\n"
    "all three run: the architecture; the Cortex-M analysis when the code is\n"
    "ARM Thumb or a vector table is found; the SDK signatures.\n"
    "\n"
    "  arch       architecture and byte order per window, and the code regions\n"
    "  cortexm    vector table, load address, peripherals the code touches\n"
    "  sdk        SDKs, frameworks and RTOSes (rules/firmware.rules)\n"
    "  families   the peripheral maps trawl has and where they come from\n"
    "\n"
    "  -w, --window N    bytes per window (default 4096, at least 256)\n"
    "  -s, --step N      bytes between windows (default: the window)\n"
    "      --windows     print every window, not only the regions\n"
    "      --base ADDR   the image's load address (default: estimated)\n"
    "      --family NAME name the peripherals with this family's map\n"
    "      --accesses    print every register address the code uses\n"
    "      --model FILE  architecture model instead of the built-in one\n"
    "      --rules FILE  SDK rules instead of the built-in pack\n"
    "      --json        one JSON object per line (JSON Lines)\n"
    "  -h, --help        this text\n"
    "\n"
    "Exit status: 0 something was identified (an architecture, a vector table\n"
    "or an SDK), 1 nothing (Unknown), 2 error.\n";

enum { DO_ARCH = 1, DO_CORTEXM = 2, DO_SDK = 4, MAX_INPUT = 1 << 30 };

typedef struct fw_cli {
    unsigned what;
    bool windows, accesses, json;
    trawl_fw_arch_opts ao;
    trawl_fw_cortexm_opts co;
    trawl_fw_model *model;
    trawl_fw_sdk_scanner *sdk;
    const char *file;
    bool found;
} fw_cli;

static void jhead(const fw_cli *c, const char *type)
{
    fputs("{\"file\":", stdout);
    cli_json_string(stdout, c->file);
    printf(",\"type\":\"%s\"", type);
}

static const char *endian_name(trawl_fw_endian e)
{
    return e == TRAWL_FW_LITTLE ? "little" : e == TRAWL_FW_BIG ? "big" : "none";
}

static const char *arch_name(const fw_cli *c, int a)
{
    trawl_fw_arch_info info;
    return a >= 0 && trawl_fw_model_arch(c->model, (size_t)a, &info) ? info.name : "unknown";
}

static int print_window(const trawl_fw_window *w, void *ud)
{
    const fw_cli *c = ud;
    const char *label = w->arch >= 0 ? arch_name(c, w->arch) : trawl_fw_kind_name(w->kind);
    if (c->json) {
        jhead(c, "window");
        printf(",\"offset\":%llu,\"length\":%u,\"arch\":", (unsigned long long)w->offset,
               w->length);
        cli_json_string(stdout, w->arch >= 0 ? label : "unknown");
        printf(",\"kind\":\"%s\",\"bits\":%.3f,\"runner_up\":\"%s\",\"runner_bits\":%.3f,"
               "\"entropy\":%.3f}\n",
               trawl_fw_kind_name(w->kind), w->bits, arch_name(c, w->runner_up), w->runner_bits,
               w->entropy);
    } else {
        printf("  window  0x%08llx %6u  %-10s %5.2f bits/byte (runner-up %s %.2f), entropy %.2f\n",
               (unsigned long long)w->offset, w->length, label, w->bits, arch_name(c, w->runner_up),
               w->runner_bits, w->entropy);
    }
    return 0;
}

static int run_arch(fw_cli *c, const uint8_t *p, size_t n, int *arch)
{
    trawl_error err;
    trawl_fw_arch_report *r;
    if (c->windows && trawl_fw_arch_scan(c->model, p, n, &c->ao, print_window, c, &err)) {
        cli_report("firmware", c->file, &err);
        return -1;
    }
    if (trawl_fw_arch_identify(c->model, p, n, &c->ao, &r, &err) != TRAWL_OK) {
        cli_report("firmware", c->file, &err);
        return -1;
    }
    trawl_fw_arch_info info = {0};
    bool have = r->arch >= 0 && trawl_fw_model_arch(c->model, (size_t)r->arch, &info);
    c->found |= have;
    if (c->json) {
        jhead(c, "arch");
        fputs(",\"arch\":", stdout);
        cli_json_string(stdout, have ? info.name : "unknown");
        if (have) {
            fputs(",\"description\":", stdout);
            cli_json_string(stdout, info.description);
            printf(",\"endian\":\"%s\",\"word_bits\":%u", endian_name(info.endian), info.word_bits);
        }
        printf(",\"share\":%.4f,\"windows\":%llu,\"code_windows\":%llu,\"votes\":{", r->share,
               (unsigned long long)r->windows, (unsigned long long)r->code_windows);
        bool first = true;
        for (size_t a = 0; a < trawl_fw_model_arch_count(c->model); a++)
            if (r->votes[a]) {
                printf("%s\"%s\":%llu", first ? "" : ",", arch_name(c, (int)a),
                       (unsigned long long)r->votes[a]);
                first = false;
            }
        fputs("}}\n", stdout);
        for (size_t i = 0; i < r->n_regions; i++) {
            const trawl_fw_region *g = &r->regions[i];
            jhead(c, "region");
            printf(",\"offset\":%llu,\"length\":%llu,\"arch\":\"%s\",\"kind\":\"%s\",\"windows\":%"
                   "u}\n",
                   (unsigned long long)g->offset, (unsigned long long)g->length,
                   arch_name(c, g->arch), trawl_fw_kind_name(g->kind), g->windows);
        }
    } else {
        if (have)
            printf("  architecture  %s (%s), %s-endian, %llu of %llu code windows (%.0f%%)\n",
                   info.name, info.description, endian_name(info.endian),
                   (unsigned long long)r->votes[r->arch], (unsigned long long)r->code_windows,
                   100 * r->share);
        else
            printf("  architecture  Unknown (no window is code of a known architecture)\n");
        printf("  windows       %llu: %llu code, %llu fill, %llu text, %llu random, %llu data\n",
               (unsigned long long)r->windows, (unsigned long long)r->kinds[TRAWL_FW_CODE],
               (unsigned long long)r->kinds[TRAWL_FW_FILL],
               (unsigned long long)r->kinds[TRAWL_FW_TEXT],
               (unsigned long long)r->kinds[TRAWL_FW_RANDOM],
               (unsigned long long)r->kinds[TRAWL_FW_DATA]);
        for (size_t i = 0; i < r->n_regions; i++) {
            const trawl_fw_region *g = &r->regions[i];
            printf("  region        0x%08llx-0x%08llx  %-10s %u window%s\n",
                   (unsigned long long)g->offset, (unsigned long long)(g->offset + g->length),
                   g->arch >= 0 ? arch_name(c, g->arch) : trawl_fw_kind_name(g->kind), g->windows,
                   g->windows == 1 ? "" : "s");
        }
    }
    *arch = r->arch;
    trawl_fw_arch_report_free(r);
    return 0;
}

static void kinds_text(unsigned k, char out[4])
{
    out[0] = (k & TRAWL_FW_READ) ? 'R' : '-';
    out[1] = (k & TRAWL_FW_WRITE) ? 'W' : '-';
    out[2] = (k & TRAWL_FW_REF) ? 'A' : '-';
    out[3] = 0;
}

static void cortexm_json(const fw_cli *c, const trawl_fw_cortexm_report *r)
{
    const trawl_fw_vectors *v = &r->vectors;
    jhead(c, "cortexm");
    printf(",\"vector_table\":%s", v->found ? "true" : "false");
    if (v->found)
        printf(",\"table_offset\":%llu,\"initial_sp\":%u,\"reset\":%u,\"entries\":%u,"
               "\"handlers\":%u,\"distinct_handlers\":%u",
               (unsigned long long)v->offset, v->initial_sp, v->reset, v->entries, v->handlers,
               v->distinct);
    printf(",\"base\":%u,\"base_how\":", r->base);
    cli_json_string(stdout, r->base_how);
    printf(",\"base_votes\":%u,\"family\":", r->base_votes);
    if (r->family) {
        cli_json_string(stdout, r->family);
        fputs(",\"family_source\":", stdout);
        cli_json_string(stdout, r->family_source);
    } else {
        fputs("null", stdout);
    }
    printf(",\"family_ambiguous\":%s,\"instructions\":%llu,\"scores\":{",
           r->family_ambiguous ? "true" : "false", (unsigned long long)r->instructions);
    for (size_t i = 0; i < r->n_scores; i++)
        printf("%s\"%s\":[%u,%u]", i ? "," : "", r->scores[i].name, r->scores[i].named,
               r->scores[i].unnamed);
    fputs("}}\n", stdout);
    for (size_t i = 0; i < r->n_periphs; i++) {
        const trawl_fw_periph *p = &r->periphs[i];
        jhead(c, "peripheral");
        fputs(",\"name\":", stdout);
        cli_json_string(stdout, p->name);
        printf(",\"family\":\"%s\",\"base\":%u,\"reads\":%u,\"writes\":%u,\"refs\":%u,"
               "\"registers\":%u,\"first\":%llu}\n",
               p->family, p->base, p->reads, p->writes, p->refs, p->registers,
               (unsigned long long)p->first);
    }
    for (size_t i = 0; c->accesses && i < r->n_accesses; i++) {
        const trawl_fw_access *a = &r->accesses[i];
        char k[4];
        kinds_text(a->kinds, k);
        jhead(c, "access");
        printf(",\"address\":%u,\"access\":\"%s\",\"count\":%u,\"first\":%llu,\"peripheral\":",
               a->address, k, a->count, (unsigned long long)a->first);
        if (a->periph >= 0)
            cli_json_string(stdout, r->periphs[a->periph].name);
        else
            fputs("null", stdout);
        printf(",\"bitband_bit\":%d}\n", a->bitband_bit);
    }
}

static void cortexm_text(const fw_cli *c, const trawl_fw_cortexm_report *r)
{
    const trawl_fw_vectors *v = &r->vectors;
    if (v->found)
        printf("  vector table  at 0x%llx: SP 0x%08x, reset 0x%08x, %u entries, %u handlers "
               "(%u distinct)\n",
               (unsigned long long)v->offset, v->initial_sp, v->reset, v->entries, v->handlers,
               v->distinct);
    else
        printf("  vector table  none found\n");
    printf("  base          0x%08x (%s, %u code pointers agree)\n", r->base, r->base_how,
           r->base_votes);
    if (r->family)
        printf("  family        %s%s\n                (%s)\n", r->family,
               r->family_ambiguous ? " (ambiguous: another map names as many)" : "",
               r->family_source);
    else
        printf("  family        none (no peripheral address the code uses is in a known map)\n");
    printf("  peripherals   %zu named, from %llu instructions\n", r->n_periphs,
           (unsigned long long)r->instructions);
    if (r->n_periphs)
        printf("    %-24s %-10s %5s %6s %4s %5s  %s\n", "NAME", "BASE", "READ", "WRITE", "REF",
               "REGS", "FIRST");
    for (size_t i = 0; i < r->n_periphs; i++) {
        const trawl_fw_periph *p = &r->periphs[i];
        printf("    %-24s 0x%08x %5u %6u %4u %5u  0x%llx\n", p->name, p->base, p->reads, p->writes,
               p->refs, p->registers, (unsigned long long)p->first);
    }
    for (size_t i = 0; c->accesses && i < r->n_accesses; i++) {
        const trawl_fw_access *a = &r->accesses[i];
        char k[4];
        kinds_text(a->kinds, k);
        printf("    access 0x%08x %s x%-4u first 0x%llx  %s", a->address, k, a->count,
               (unsigned long long)a->first, a->periph >= 0 ? r->periphs[a->periph].name : "-");
        if (a->periph >= 0)
            printf("+0x%x", a->address - r->periphs[a->periph].base);
        if (a->bitband_bit >= 0)
            printf(" (bit-band, bit %d)", a->bitband_bit);
        putchar('\n');
    }
}

/* only_if_table: print nothing unless a vector table is found (the
 * combined run on an image whose architecture is Unknown). */
static int run_cortexm(fw_cli *c, const uint8_t *p, size_t n, bool only_if_table)
{
    trawl_error err;
    trawl_fw_cortexm_report *r;
    c->co.model = c->model;
    if (trawl_fw_cortexm_analyze(p, n, &c->co, &r, &err) != TRAWL_OK) {
        cli_report("firmware", c->file, &err);
        return -1;
    }
    if (only_if_table && !r->vectors.found) {
        trawl_fw_cortexm_report_free(r);
        return 0;
    }
    c->found |= r->vectors.found || r->n_periphs > 0;
    if (c->json)
        cortexm_json(c, r);
    else
        cortexm_text(c, r);
    trawl_fw_cortexm_report_free(r);
    return 0;
}

static int run_sdk(fw_cli *c, const uint8_t *p, size_t n)
{
    trawl_error err;
    trawl_fw_sdk_report *r;
    if (trawl_fw_sdk_scan(c->sdk, p, n, &r, &err) != TRAWL_OK) {
        cli_report("firmware", c->file, &err);
        return -1;
    }
    c->found |= r->n_sdks > 0;
    if (c->json) {
        jhead(c, "sdk");
        fputs(",\"sdks\":[", stdout);
        for (size_t i = 0; i < r->n_sdks; i++)
            printf("%s{\"name\":\"%s\",\"weight\":%u,\"rules\":%u}", i ? "," : "", r->sdks[i].name,
                   r->sdks[i].weight, r->sdks[i].rules);
        fputs("]}\n", stdout);
        for (size_t i = 0; i < r->n_evidence; i++) {
            const trawl_fw_evidence *e = &r->evidence[i];
            jhead(c, "evidence");
            printf(",\"sdk\":\"%s\",\"rule\":\"%s\",\"weight\":%u,\"offset\":%llu,\"length\":%llu,"
                   "\"matches\":%u,\"data\":\"",
                   e->sdk, e->rule, e->weight, (unsigned long long)e->offset,
                   (unsigned long long)e->length, e->matches);
            cli_hex(stdout, p + e->offset, e->length > 64 ? 64 : (size_t)e->length);
            fputs("\"}\n", stdout);
        }
    } else {
        if (!r->n_sdks)
            printf("  sdk           Unknown (no signature set adds up)\n");
        for (size_t i = 0; i < r->n_sdks; i++)
            printf("  sdk           %s (weight %u from %u rule%s)\n", r->sdks[i].name,
                   r->sdks[i].weight, r->sdks[i].rules, r->sdks[i].rules == 1 ? "" : "s");
        for (size_t i = 0; i < r->n_evidence; i++) {
            const trawl_fw_evidence *e = &r->evidence[i];
            printf("    evidence    %s.%s (weight %u) at 0x%llx, %u match%s: ", e->sdk, e->rule,
                   e->weight, (unsigned long long)e->offset, e->matches,
                   e->matches == 1 ? "" : "es");
            cli_hex(stdout, p + e->offset, e->length > 24 ? 24 : (size_t)e->length);
            putchar('\n');
        }
    }
    trawl_fw_sdk_report_free(r);
    return 0;
}

static int run_file(fw_cli *c, const char *path)
{
    cli_input in;
    if (cli_input_open(path, &in) != 0)
        return -1;
    size_t n = 0;
    bool owned;
    uint8_t *p = cli_input_read_all(&in, MAX_INPUT, &n, &owned);
    if (!p) {
        cli_errorf("firmware", "%s: %s", path, strerror(errno));
        cli_input_close(&in);
        return -1;
    }
    c->file = path;
    if (!c->json)
        printf("%s: %zu bytes\n", path, n);
    int rc = 0, arch = -1;
    if (c->what & DO_ARCH)
        rc = run_arch(c, p, n, &arch);
    bool thumb = arch >= 0 && !strcmp(arch_name(c, arch), "arm-thumb");
    bool all = c->what == (DO_ARCH | DO_CORTEXM | DO_SDK);
    if (rc >= 0 && (c->what & DO_CORTEXM) && (!all || thumb || arch < 0))
        rc = run_cortexm(c, p, n, all && !thumb);
    if (rc >= 0 && (c->what & DO_SDK))
        rc = run_sdk(c, p, n);
    if (owned)
        free(p);
    cli_input_close(&in);
    return rc;
}

static int families(void)
{
    for (size_t i = 0; trawl_fw_family_name(i); i++)
        printf("%-8s %s\n", trawl_fw_family_name(i),
               trawl_fw_family_source(trawl_fw_family_name(i)));
    printf("%-8s %s\n", "cortex-m", trawl_fw_family_source("cortex-m"));
    return CLI_FOUND;
}

static int load_model_file(fw_cli *c, const char *path)
{
    cli_input in;
    if (cli_input_open(path, &in) != 0)
        return -1;
    size_t n;
    bool owned;
    uint8_t *p = cli_input_read_all(&in, MAX_INPUT, &n, &owned);
    trawl_error err;
    trawl_status s = p ? trawl_fw_model_load(p, n, &c->model, &err) : TRAWL_EIO;
    if (owned)
        free(p);
    cli_input_close(&in);
    if (s != TRAWL_OK) {
        if (s == TRAWL_EIO)
            cli_errorf("firmware", "%s: %s", path, strerror(errno));
        else
            cli_report("firmware", path, &err);
        return -1;
    }
    return 0;
}

static int load_rules_file(fw_cli *c, const char *path)
{
    cli_input in;
    if (cli_input_open(path, &in) != 0)
        return -1;
    size_t n;
    bool owned;
    uint8_t *p = cli_input_read_all(&in, MAX_INPUT, &n, &owned);
    trawl_error err;
    trawl_error_clear(&err);
    trawl_status s = p ? trawl_fw_sdk_scanner_new((const char *)p, n, &c->sdk, &err) : TRAWL_EIO;
    if (owned)
        free(p);
    cli_input_close(&in);
    if (s != TRAWL_OK) {
        cli_report("firmware", path, &err);
        return -1;
    }
    return 0;
}

static bool parse_u32(const char *s, uint32_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 0);
    if (errno || end == s || *end || v > UINT32_MAX)
        return false;
    *out = (uint32_t)v;
    return true;
}

int cli_firmware(int argc, char **argv)
{
    static const struct option longs[] = {{"window", required_argument, 0, 'w'},
                                          {"step", required_argument, 0, 's'},
                                          {"windows", no_argument, 0, 'W'},
                                          {"base", required_argument, 0, 'b'},
                                          {"family", required_argument, 0, 'f'},
                                          {"accesses", no_argument, 0, 'a'},
                                          {"model", required_argument, 0, 'm'},
                                          {"rules", required_argument, 0, 'r'},
                                          {"json", no_argument, 0, 'j'},
                                          {"help", no_argument, 0, 'h'},
                                          {0, 0, 0, 0}};
    fw_cli c = {0};
    c.what = DO_ARCH | DO_CORTEXM | DO_SDK;
    const char *model_path = NULL, *rules_path = NULL;
    int first = 1;
    if (argc > 1 && !strcmp(argv[1], "families"))
        return families();
    if (argc > 1 && argv[1][0] != '-') {
        const char *a = argv[1];
        c.what = !strcmp(a, "arch")      ? DO_ARCH
                 : !strcmp(a, "cortexm") ? DO_CORTEXM
                 : !strcmp(a, "sdk")     ? DO_SDK
                                         : c.what;
        first = c.what == (DO_ARCH | DO_CORTEXM | DO_SDK) ? 1 : 2;
    }
    optind = first;
    int o;
    uint64_t v;
    while ((o = getopt_long(argc, argv, "w:s:h", longs, NULL)) != -1) {
        switch (o) {
        case 'w':
        case 's':
            if (!cli_parse_size(optarg, &v) || v > UINT32_MAX) {
                cli_errorf("firmware", "bad %s '%s'", o == 'w' ? "window" : "step", optarg);
                return CLI_ERROR;
            }
            *(o == 'w' ? &c.ao.window : &c.ao.step) = (uint32_t)v;
            break;
        case 'W':
            c.windows = true;
            break;
        case 'b':
            if (!parse_u32(optarg, &c.co.base)) {
                cli_errorf("firmware", "bad base address '%s'", optarg);
                return CLI_ERROR;
            }
            c.co.base_given = true;
            break;
        case 'f':
            if (!trawl_fw_family_source(optarg) || !strcmp(optarg, "cortex-m")) {
                cli_errorf("firmware", "unknown family '%s' (see `trawl firmware families`)",
                           optarg);
                return CLI_ERROR;
            }
            c.co.family = optarg;
            break;
        case 'a':
            c.accesses = true;
            break;
        case 'm':
            model_path = optarg;
            break;
        case 'r':
            rules_path = optarg;
            break;
        case 'j':
            c.json = true;
            break;
        case 'h':
            fputs(firmware_usage, stdout);
            return 0;
        default:
            fputs(firmware_usage, stderr);
            return CLI_ERROR;
        }
    }
    if (optind >= argc) {
        fputs(firmware_usage, stderr);
        return CLI_ERROR;
    }
    trawl_error err;
    int rc = CLI_NONE;
    if ((c.what & (DO_ARCH | DO_CORTEXM)) &&
        (model_path ? load_model_file(&c, model_path)
                    : (trawl_fw_model_builtin(&c.model, &err) != TRAWL_OK
                           ? (cli_report("firmware", "model", &err), -1)
                           : 0)) != 0)
        rc = CLI_ERROR;
    if (rc != CLI_ERROR && (c.what & DO_SDK) &&
        (rules_path ? load_rules_file(&c, rules_path)
                    : (trawl_fw_sdk_scanner_new(NULL, 0, &c.sdk, &err) != TRAWL_OK
                           ? (cli_report("firmware", "rules", &err), -1)
                           : 0)) != 0)
        rc = CLI_ERROR;
    for (int i = optind; rc != CLI_ERROR && i < argc; i++)
        if (run_file(&c, argv[i]) < 0)
            rc = CLI_ERROR;
    if (rc != CLI_ERROR)
        rc = c.found ? CLI_FOUND : CLI_NONE;
    trawl_fw_model_free(c.model);
    trawl_fw_sdk_scanner_free(c.sdk);
    return rc;
}
