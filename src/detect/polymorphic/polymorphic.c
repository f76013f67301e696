/* polymorphic/polymorphic.c -- the polymorphic detector: packed, encrypted or
 * self-modifying code in bytes, and the behaviour such code shows.
 *
 * create() compiles rules/packers.rules once (shared, read-only) and sorts
 * its patterns by the prefix of their names; each thread has scratch for
 * the database and room for one parsed image. run() judges in->data, each
 * readable file in in->files, then the behaviour inputs, and finally adds a
 * "combined" violation when independent families of evidence agree. */
#include <stdio.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "detect/polymorphic/poly_detect.h"
#include "common/embedded.h"

static const char SECTION[] = "polymorphic";

static const struct {
    const char *label;
    poly_idiom idiom;
} idioms[] = {
    {"getpc_call", POLY_SC_GETPC_CALL},       {"getpc_call64", POLY_SC_GETPC_CALL},
    {"getpc_fnstenv", POLY_SC_GETPC_FNSTENV}, {"getpc_jmp_call_pop", POLY_SC_GETPC_JCP},
    {"xor_decoder_x64", POLY_SC_XOR_X64},     {"nop_sled", POLY_SC_NOP},
    {"nop_sled_poly", POLY_SC_NOP_POLY},
};

static void poly_destroy(void *state)
{
    poly_state *st = state;
    if (!st)
        return;
    trawl_pattern_db_free(st->db);
    trawl_analyze_entropy_scanner_free(st->scanner);
    free(st->kind);
    free(st->idiom);
    free(st->label);
    free(st);
}

static trawl_status read_config(const det_config *cfg, poly_config *c, trawl_error *err)
{
    static const struct {
        const char *key;
        double def;
        size_t off;
    } keys[] = {
        {"entropy_threshold", 7.2, offsetof(poly_config, entropy_threshold)},
        {"window_entropy_threshold", 7.6, offsetof(poly_config, window_entropy_threshold)},
        {"section_entropy_threshold", 7.0, offsetof(poly_config, section_entropy_threshold)},
        {"min_entropy_bytes", 256, offsetof(poly_config, min_entropy_bytes)},
        {"overlay_min_bytes", 1024, offsetof(poly_config, overlay_min_bytes)},
        {"max_file_bytes", 64.0 * 1024 * 1024, offsetof(poly_config, max_file_bytes)},
    };
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        double *d = (double *)((char *)c + keys[i].off);
        trawl_status s = det_config_double(cfg, SECTION, keys[i].key, keys[i].def, d, err);
        if (s != TRAWL_OK)
            return s;
        if (!(*d >= 0) || (i < 3 && *d > 8))
            return trawl__fail(err, TRAWL_EINVAL, "[%s] %s: out of range", SECTION, keys[i].key);
    }
    return TRAWL_OK;
}

/* Reads each pattern's kind and label from its name ("sec.upx"). */
static trawl_status classify(poly_state *st, trawl_error *err)
{
    /* After the database's patterns: the XOR-loop forms, found by
     * poly_loop_tail_next (packers.rules says why). */
    size_t ndb = trawl_pattern_db_count(st->db);
    st->npat = ndb + POLY_LOOP_FORMS;
    st->loop_pat = (uint32_t)ndb;
    st->kind = calloc(st->npat, 1);
    st->idiom = calloc(st->npat, 1);
    st->label = calloc(st->npat, sizeof *st->label);
    if (!st->kind || !st->idiom || !st->label)
        return trawl__fail(err, TRAWL_ENOMEM, "out of memory");
    for (size_t f = 0; f < POLY_LOOP_FORMS; f++) {
        st->kind[ndb + f] = POLY_K_SC;
        st->idiom[ndb + f] = POLY_SC_XOR;
        st->label[ndb + f] = poly_loop_label[f];
    }
    for (size_t i = 0; i < ndb; i++) {
        trawl_pattern_info info;
        trawl_pattern_info_get(st->db, i, &info);
        const char *nm = info.name ? info.name : "";
        const char *dot = strchr(nm, '.');
        size_t k = dot ? (size_t)(dot - nm) : 0;
        if (k == 3 && !memcmp(nm, "sec", 3))
            st->kind[i] = POLY_K_SEC;
        else if (k == 2 && !memcmp(nm, "ep", 2))
            st->kind[i] = POLY_K_EP;
        else if (k == 3 && !memcmp(nm, "sig", 3))
            st->kind[i] = POLY_K_SIG;
        else if (k == 2 && !memcmp(nm, "sc", 2))
            st->kind[i] = POLY_K_SC;
        else
            return trawl__fail_at(err, TRAWL_EFORMAT, -1, (int64_t)i,
                                  "packers.rules: rule '%s' has no sec./ep./sig./sc. prefix", nm);
        st->label[i] = dot + 1;
        if (st->kind[i] == POLY_K_SC && !strncmp(st->label[i], "xor_loop", 8))
            return trawl__fail_at(err, TRAWL_EFORMAT, -1, (int64_t)i,
                                  "packers.rules: sc.%s: the XOR-loop forms are built in",
                                  st->label[i]);
        for (size_t j = 0; j < sizeof idioms / sizeof idioms[0]; j++)
            if (!strcmp(st->label[i], idioms[j].label))
                st->idiom[i] = (uint8_t)idioms[j].idiom;
    }
    return TRAWL_OK;
}

static trawl_status poly_create(const det_config *cfg, void **state, trawl_error *err)
{
    *state = NULL;
    poly_state *st = calloc(1, sizeof *st);
    if (!st)
        return trawl__fail(err, TRAWL_ENOMEM, "out of memory");
    trawl_status s = read_config(cfg, &st->cfg, err);
    const emb_rule_pack *pack = emb_rules_find("packers");
    if (s == TRAWL_OK && !pack)
        s = trawl__fail(err, TRAWL_EINVAL, "rule pack 'packers' is not built in");
    trawl_pattern_set *set = NULL;
    if (s == TRAWL_OK)
        s = trawl_pattern_set_new(&set);
    if (s == TRAWL_OK)
        s = trawl_pattern_set_add_rules(set, pack->text, pack->len, err);
    if (s == TRAWL_OK)
        s = det_compile(cfg, set, 0, &st->db, err);
    trawl_pattern_set_free(set);
    if (s == TRAWL_OK)
        s = classify(st, err);
    if (s == TRAWL_OK)
        s = trawl_analyze_entropy_scanner_new(POLY_WINDOW, POLY_STRIDE, &st->scanner, err);
    if (s != TRAWL_OK) {
        poly_destroy(st);
        return s;
    }
    *state = st;
    return TRAWL_OK;
}

static void poly_thread_free(void *tstate)
{
    poly_tstate *ts = tstate;
    if (!ts)
        return;
    trawl_scratch_free(ts->scratch);
    free(ts->count);
    free(ts);
}

static trawl_status poly_thread_new(void *state, void **tstate, trawl_error *err)
{
    poly_state *st = state;
    *tstate = NULL;
    poly_tstate *ts = calloc(1, sizeof *ts);
    if (!ts || !(ts->count = calloc(st->npat, sizeof *ts->count))) {
        poly_thread_free(ts);
        return trawl__fail(err, TRAWL_ENOMEM, "out of memory");
    }
    trawl_status s = trawl_scratch_alloc(st->db, &ts->scratch, err);
    if (s != TRAWL_OK) {
        poly_thread_free(ts);
        return s;
    }
    *tstate = ts;
    return TRAWL_OK;
}

/* Reads at most max bytes of a regular file; *size is the file's size
 * (larger than *n when the read was cut at max). NULL when unreadable. */
static uint8_t *slurp(const char *path, size_t max, size_t *n, uint64_t *size)
{
    /* Only regular files: a FIFO or a device named in a request must not
     * block or stream forever (a FIFO the command line already read would
     * block a reopening fopen() for good). */
    char why[128];
    struct stat st;
    int fd = det_open_file(path, false, why, sizeof(why));
    FILE *f = fd >= 0 && fstat(fd, &st) == 0 ? fdopen(fd, "rb") : NULL;
    if (!f) {
        if (fd >= 0)
            close(fd);
        return NULL;
    }
    *size = (uint64_t)st.st_size;
    size_t cap = 1 << 16, len = 0;
    uint8_t *buf = malloc(cap);
    while (buf) {
        if (len == cap) {
            if (cap >= max)
                break;
            cap = cap * 2 > max ? max : cap * 2;
            uint8_t *nb = realloc(buf, cap);
            if (!nb) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
        }
        size_t got = fread(buf + len, 1, cap - len, f);
        len += got;
        if (got == 0)
            break;
    }
    fclose(f);
    *n = len;
    return buf;
}

/* Families of evidence; a violation's category names its family. */
static int family(const char *cat)
{
    static const char *const fam[][8] = {
        {"high_entropy", "packed_executable", "high_entropy_code", "high_entropy_region"},
        {"packer_signature"},
        {"wx_section", "wx_segment", "entry_point_anomaly", "overlay", "missing_section_table",
         "executable_stack", "structure_anomaly"},
        {"shellcode", "shellcode_decoder", "xor_encoded_executable", "nop_sled"},
        {"fileless_execution", "process_injection", "unpack_and_execute", "anti_debug_or_injection",
         "wx_memory", "self_modifying_code", "evasion"},
    };
    for (int f = 0; f < 5; f++)
        for (int i = 0; i < 8 && fam[f][i]; i++)
            if (!strcmp(fam[f][i], cat))
                return f;
    return -1;
}

/* Independent families that each reached medium on their own strengthen
 * one another: noisy-OR over the strongest violation of each. Families
 * below 0.5 do not count, so weak hints never add up to a finding. */
static int combine(trawl_detector_result *out)
{
    static const char *const fam_names[] = {"entropy", "packer", "structure", "code", "behaviour"};
    double best[5] = {0};
    size_t which[5] = {0};
    for (size_t i = 0; i < out->n_violations; i++) {
        int f = family(out->violations[i].category);
        if (f >= 0 && out->violations[i].confidence > best[f]) {
            best[f] = out->violations[i].confidence;
            which[f] = i;
        }
    }
    int k = 0;
    double miss = 1;
    for (int f = 0; f < 5; f++)
        if (best[f] >= 0.5) {
            k++;
            miss *= 1 - best[f];
        }
    if (k < 2)
        return 0;
    double c = 1 - miss;
    if (c > 0.99)
        c = 0.99;
    trawl_violation *v =
        det_violation(out, "combined", c, "%d independent kinds of evidence agree", k);
    if (!v)
        return -1;
    for (int f = 0; f < 5; f++)
        if (best[f] >= 0.5 && det_evidence(v, "%s: %s (%.2f)", fam_names[f],
                                           out->violations[which[f]].category, best[f]))
            return -1;
    return 0;
}

static trawl_status poly_run(void *state, void *tstate, const trawl_detect_input *in,
                             trawl_detector_result *out, trawl_error *err)
{
    const poly_state *st = state;
    poly_tstate *ts = tstate;
    if (in->data && in->data_len &&
        poly_static(st, ts, in->data, in->data_len, false, "data", out, err))
        goto fail;
    for (size_t i = 0; i < in->n_files; i++) {
        size_t n = 0;
        uint64_t size = 0;
        uint8_t *p =
            in->files[i] ? slurp(in->files[i], (size_t)st->cfg.max_file_bytes, &n, &size) : NULL;
        if (!p)
            continue; /* absent or unreadable: other detectors judge the name */
        bool cut = size > n;
        int r = n ? poly_static(st, ts, p, n, cut, in->files[i], out, err) : 0;
        free(p);
        if (r)
            goto fail;
        /* Said once per file, as a finding of no weight: the verdict covers
         * only the bytes that were read. */
        if (cut && !det_violation(out, "partial_read", 0.0,
                                  "%s: only the first %zu of %" PRIu64
                                  " bytes were judged (max_file_bytes)",
                                  in->files[i], n, size))
            goto oom;
    }
    if (poly_behavior(in, out) || combine(out))
        goto oom;
    return TRAWL_OK;
oom:
    trawl__fail(err, TRAWL_ENOMEM, "out of memory");
fail:
    return err && err->status != TRAWL_OK ? err->status : TRAWL_ENOMEM;
}

const detector_ops det_polymorphic_ops = {
    .name = "polymorphic",
    .bit = TRAWL_DET_POLYMORPHIC,
    .create = poly_create,
    .destroy = poly_destroy,
    .thread_new = poly_thread_new,
    .thread_free = poly_thread_free,
    .run = poly_run,
};
