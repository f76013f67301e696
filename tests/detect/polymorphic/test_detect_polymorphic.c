/* test_detect_poly.c -- the polymorphic detector: the cases (random
 * bytes, the syscall trace, two W+X regions, a machine ELF clean vs the same
 * bytes XOR-encoded, UPX markers, a hand-built PE32), a false-positive sweep
 * over the machine's binaries, the parsers on real and malformed headers,
 * and configuration errors. */
#include "testutil.h"

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <trawl/trawl.h>

#include <trawl/analyze.h>

#include "detect/polymorphic/poly.h"

/* ---- helpers ---------------------------------------------------------------- */

typedef struct fixture {
    trawl_detect_engine *e;
    trawl_detect_ctx *c;
} fixture;

static fixture *fx;

static int setup(void **state)
{
    (void)state;
    fx = calloc(1, sizeof *fx);
    trawl_error err;
    if (!fx || trawl_detect_engine_new(NULL, 0, &fx->e, &err) != TRAWL_OK ||
        trawl_detect_ctx_new(fx->e, &fx->c, &err) != TRAWL_OK)
        return -1;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    trawl_detect_ctx_free(fx->c);
    trawl_detect_engine_free(fx->e);
    free(fx);
    return 0;
}

static trawl_detect_report *run_input(const trawl_detect_input *in)
{
    trawl_detect_report *r = NULL;
    trawl_error err;
    assert_int_equal(trawl_detect_run(fx->e, fx->c, in, TRAWL_DET_POLYMORPHIC, &r, &err), TRAWL_OK);
    return r;
}

static trawl_detect_report *run_bytes(const uint8_t *p, size_t n)
{
    trawl_detect_input in;
    memset(&in, 0, sizeof in);
    in.data = (uint8_t *)p;
    in.data_len = n;
    return run_input(&in);
}

static const trawl_detector_result *poly(const trawl_detect_report *r)
{
    return &r->results[2];
}

static const trawl_violation *find(const trawl_detect_report *r, const char *cat)
{
    const trawl_detector_result *d = poly(r);
    for (size_t i = 0; i < d->n_violations; i++)
        if (!strcmp(d->violations[i].category, cat))
            return &d->violations[i];
    return NULL;
}

static bool evidence_has(const trawl_violation *v, const char *needle)
{
    for (size_t i = 0; v && i < v->n_evidence; i++)
        if (strstr(v->evidence[i], needle))
            return true;
    return false;
}

static uint8_t *read_file(const char *path, size_t max, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    uint8_t *p = malloc(max);
    *n = p ? fread(p, 1, max, f) : 0;
    fclose(f);
    return p;
}

static uint8_t *machine_elf(size_t *n)
{
    uint8_t *p = read_file("/bin/true", 1 << 22, n);
    if (!p || *n < 64 ||
        memcmp(p,
               "\x7f"
               "ELF",
               4)) {
        free(p);
        p = read_file("/proc/self/exe", 1 << 26, n);
    }
    assert_non_null(p);
    assert_memory_equal(p,
                        "\x7f"
                        "ELF",
                        4);
    return p;
}

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
    put16(p, (uint16_t)v);
    put16(p + 2, (uint16_t)(v >> 16));
}

static void put64(uint8_t *p, uint64_t v)
{
    put32(p, (uint32_t)v);
    put32(p + 4, (uint32_t)(v >> 32));
}

static void random_fill(uint8_t *p, size_t n, uint64_t seed)
{
    tu_rng r;
    tu_seed(&r, seed);
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)tu_next(&r);
}

/* ---- the cases -------------------------------------------------------- */

static void test_random_bytes_high_entropy(void **state)
{
    (void)state;
    uint8_t buf[1000];
    random_fill(buf, sizeof buf, 0x5eed);
    trawl_detect_report *r = run_bytes(buf, sizeof buf);
    const trawl_violation *v = find(r, "high_entropy");
    assert_non_null(v);
    assert_true(v->confidence >= 0.5);
    assert_true(poly(r)->threat_score >= 0.5);
    assert_true(evidence_has(v, "over 1000 bytes"));
    assert_true(evidence_has(v, "bias-corrected"));
    trawl_detect_report_free(r);

    /* 1000 bytes of text are not: about 4.3 bits/byte. */
    char text[1001];
    const char *s = "the quick brown fox jumps over the lazy dog, again and again. ";
    for (size_t i = 0; i < 1000; i++)
        text[i] = s[i % strlen(s)];
    r = run_bytes((const uint8_t *)text, 1000);
    assert_null(find(r, "high_entropy"));
    assert_true(poly(r)->threat_score < 0.5);
    trawl_detect_report_free(r);

    /* Below min_entropy_bytes (256) the estimate is too noisy to judge. */
    r = run_bytes(buf, 200);
    assert_null(find(r, "high_entropy"));
    trawl_detect_report_free(r);
}

static void test_syscalls(void **state)
{
    (void)state;
    char *sys[] = {"mprotect", "mmap", "execve", "ptrace", "fork"};
    trawl_detect_input in;
    memset(&in, 0, sizeof in);
    in.syscalls = sys;
    in.n_syscalls = 5;
    trawl_detect_report *r = run_input(&in);
    const trawl_violation *u = find(r, "unpack_and_execute");
    const trawl_violation *p = find(r, "anti_debug_or_injection");
    assert_non_null(u);
    assert_non_null(p);
    assert_true(u->confidence >= 0.5 && u->confidence < 0.7);
    assert_true(p->confidence >= 0.7); /* ptrace together with fork */
    assert_true(evidence_has(p, "'ptrace' at index 3"));
    assert_true(evidence_has(p, "'fork' at index 4"));
    assert_true(poly(r)->threat_score >= 0.7);
    trawl_detect_report_free(r);

    /* What every program does is not flagged. */
    char *benign[] = {"read", "mmap", "write", "close", "openat"};
    in.syscalls = benign;
    r = run_input(&in);
    assert_int_equal(poly(r)->n_violations, 0);
    trawl_detect_report_free(r);

    char *fileless[] = {"memfd_create", "write", "execveat"};
    in.syscalls = fileless;
    in.n_syscalls = 3;
    r = run_input(&in);
    assert_non_null(find(r, "fileless_execution"));
    trawl_detect_report_free(r);
}

static void test_wx_memory(void **state)
{
    (void)state;
    trawl_memory_region mem[3] = {{0x400000, 0x1000, "r-x"},
                                  {0x7f0000000000, 0x10000, "rwx"},
                                  {0x7f0000100000, 0x2000, "rwxp"}};
    trawl_detect_input in;
    memset(&in, 0, sizeof in);
    in.memory = mem;
    in.n_memory = 3;
    trawl_detect_report *r = run_input(&in);
    const trawl_violation *v = find(r, "wx_memory");
    assert_non_null(v);
    assert_true(v->confidence >= 0.7);
    assert_true(evidence_has(v, "memory[1]: 0x7f0000000000"));
    assert_true(evidence_has(v, "memory[2]"));
    trawl_detect_report_free(r);

    /* One W+X region is what a JIT has: reported, below medium. */
    in.n_memory = 2;
    r = run_input(&in);
    v = find(r, "wx_memory");
    assert_non_null(v);
    assert_true(v->confidence < 0.5);
    trawl_detect_report_free(r);

    in.n_memory = 1;
    r = run_input(&in);
    assert_null(find(r, "wx_memory"));
    trawl_detect_report_free(r);
}

static void test_behavior_events(void **state)
{
    (void)state;
    char *ev[] = {"file_open", "Write-Then-Execute"};
    trawl_detect_input in;
    memset(&in, 0, sizeof in);
    in.behavior = ev;
    in.n_behavior = 2;
    trawl_detect_report *r = run_input(&in);
    const trawl_violation *v = find(r, "self_modifying_code");
    assert_non_null(v);
    assert_true(evidence_has(v, "behavior[1]"));
    assert_int_equal(poly(r)->n_violations, 1);
    trawl_detect_report_free(r);
}

static void test_machine_elf_clean(void **state)
{
    (void)state;
    size_t n;
    uint8_t *p = machine_elf(&n);
    trawl_detect_report *r = run_bytes(p, n);
    assert_true(poly(r)->threat_score < 0.5);
    trawl_detect_report_free(r);
    free(p);
}

static void xor_key(uint8_t *p, size_t n, const uint8_t *key, size_t kl)
{
    for (size_t i = 0; i < n; i++)
        p[i] ^= key[i % kl];
}

static void test_machine_elf_xor_encoded(void **state)
{
    (void)state;
    size_t n;
    uint8_t *p = machine_elf(&n);
    unsigned k0;
    double h0 = trawl_analyze_entropy(p, n, &k0);
    static const uint8_t key4[] = {0x5a, 0xc3, 0x19, 0x7e};
    xor_key(p, n, key4, 4);
    unsigned k1;
    double h1 = trawl_analyze_entropy(p, n, &k1);
    /* The honest finding: a short XOR key barely raises the entropy (5.0 ->
     * 6.2 bits/byte for /bin/true), so entropy cannot be what flags it. */
    printf("    [xor] %zu bytes: entropy %.3f plain, %.3f XOR-encoded (4-byte key)\n", n, h0, h1);
    assert_true(h1 < 7.2);
    trawl_detect_report *r = run_bytes(p, n);
    assert_null(find(r, "high_entropy"));
    const trawl_violation *v = find(r, "xor_encoded_executable");
    assert_non_null(v);
    assert_true(v->confidence >= 0.8);
    assert_true(evidence_has(v, "4-byte key 5ac3197e"));
    assert_true(evidence_has(v, "at 0x0 "));
    assert_true(poly(r)->threat_score >= 0.5);
    trawl_detect_report_free(r);

    /* A 16-byte key, the longest solved. */
    xor_key(p, n, key4, 4);
    uint8_t key16[16];
    for (int i = 0; i < 16; i++)
        key16[i] = (uint8_t)(0x91 + 7 * i);
    xor_key(p, n, key16, 16);
    r = run_bytes(p, n);
    v = find(r, "xor_encoded_executable");
    assert_non_null(v);
    assert_true(evidence_has(v, "16-byte key"));
    trawl_detect_report_free(r);
    free(p);
}

/* A 32-bit jmp/call/pop XOR decoder that decodes `len` bytes after it with
 * a 4-byte key, as a dropper would prepend (27 bytes):
 *   0: eb 14          jmp short 22
 *   2: 5e             pop esi                ; esi = payload
 *   3: 31 c9          xor ecx, ecx
 *   5: 66 b9 NN NN    mov cx, dwords
 *   9: 81 36 KKKKKKKK xor dword [esi], key
 *  15: 83 c6 04       add esi, 4
 *  18: e2 f5          loop 9
 *  20: eb 05          jmp short 27           ; run the payload
 *  22: e8 e7 ff ff ff call 2                 ; pushes the payload address */
static size_t decoder_stub(uint8_t *o, const uint8_t key[4], size_t len)
{
    static const uint8_t head[] = {0xeb, 0x14, 0x5e, 0x31, 0xc9, 0x66, 0xb9};
    memcpy(o, head, sizeof head);
    put16(o + 7, (uint16_t)((len + 3) / 4));
    o[9] = 0x81;
    o[10] = 0x36;
    memcpy(o + 11, key, 4);
    static const uint8_t tail[] = {0x83, 0xc6, 0x04, 0xe2, 0xf5, 0xeb,
                                   0x05, 0xe8, 0xe7, 0xff, 0xff, 0xff};
    memcpy(o + 15, tail, sizeof tail);
    return 27;
}

static void test_dropper_with_decoder_stub(void **state)
{
    (void)state;
    size_t n;
    uint8_t *elf = machine_elf(&n);
    static const uint8_t key[] = {0x13, 0x37, 0xbe, 0xef};
    uint8_t *p = malloc(n + 64);
    assert_non_null(p);
    size_t s = decoder_stub(p, key, n);
    memcpy(p + s, elf, n);
    xor_key(p + s, n, key, 4);
    trawl_detect_report *r = run_bytes(p, n + s);
    const trawl_violation *v = find(r, "shellcode_decoder");
    assert_non_null(v);
    assert_true(v->confidence >= 0.8);
    const trawl_violation *x = find(r, "xor_encoded_executable");
    assert_non_null(x);
    assert_true(evidence_has(x, "at 0x1b "));
    assert_true(evidence_has(x, "key 1337beef"));
    const trawl_violation *sc = find(r, "shellcode");
    assert_non_null(sc);
    assert_true(poly(r)->threat_score >= 0.85);
    trawl_detect_report_free(r);

    /* The same stub behind a NOP sled, in front of random bytes. */
    uint8_t blob[600];
    memset(blob, 0x90, 200);
    size_t k = decoder_stub(blob + 200, key, 300);
    random_fill(blob + 200 + k, sizeof blob - 200 - k, 9);
    r = run_bytes(blob, sizeof blob);
    v = find(r, "nop_sled");
    assert_non_null(v);
    assert_true(evidence_has(v, "at 0x0, 200 bytes"));
    assert_non_null(find(r, "shellcode_decoder"));
    trawl_detect_report_free(r);
    free(p);
    free(elf);
}

static void test_shellcode_idioms(void **state)
{
    (void)state;
    /* fnstenv GetPC (shikata_ga_nai's opening) among text. */
    uint8_t buf[256];
    memset(buf, 'A', sizeof buf);
    memcpy(buf + 40, "\xd9\xee\xd9\x74\x24\xf4\x5b", 7);
    trawl_detect_report *r = run_bytes(buf, sizeof buf);
    const trawl_violation *v = find(r, "shellcode");
    assert_non_null(v);
    assert_true(evidence_has(v, "getpc_fnstenv at 0x2a"));
    trawl_detect_report_free(r);

    /* xor byte [esi], 0x5a; inc esi; loop: the classic single-byte decoder. */
    memset(buf, 'A', sizeof buf);
    memcpy(buf + 10, "\x31\xc9\xb1\x40\x80\x36\x5a\x46\xe2\xfa", 10);
    r = run_bytes(buf, sizeof buf);
    v = find(r, "shellcode");
    assert_non_null(v);
    assert_true(evidence_has(v, "at 0xe: 80 36 5a 46 e2 fa"));
    trawl_detect_report_free(r);

    /* Amid random bytes the same stub is taken for a chance match (a real
     * stub is preceded by code, a sled or the start of the input); after
     * ordinary text it is found. */
    static uint8_t big[8192];
    random_fill(big, sizeof big, 21);
    memcpy(big + 5000, "\x80\x36\x5a\x46\xe2\xfa", 6);
    r = run_bytes(big, sizeof big);
    assert_null(find(r, "shellcode"));
    assert_true(evidence_has(find(r, "high_entropy"), "1 shellcode-like byte sequences"));
    trawl_detect_report_free(r);
    for (size_t i = 0; i < 5000; i++)
        big[i] = (uint8_t) "mov the bytes along, nothing to see here. "[i % 42];
    r = run_bytes(big, sizeof big);
    v = find(r, "shellcode");
    assert_non_null(v);
    assert_true(evidence_has(v, "at 0x1388: 80 36 5a 46 e2 fa"));
    trawl_detect_report_free(r);

    /* xor byte [eax], 0xaa; sub eax, -1; loop: the sub eax form of the
     * detector's own loop-tail finder, reported as sc.xor_loop_sub_eax. */
    memset(buf, 'A', sizeof buf);
    memcpy(buf + 30, "\x80\x30\xaa\x2d\xff\xff\xff\xff\xe2\xf6", 10);
    r = run_bytes(buf, sizeof buf);
    v = find(r, "shellcode");
    assert_non_null(v);
    assert_true(evidence_has(v, "rule sc.xor_loop_sub_eax at 0x1e: 80 30 aa 2d ff ff ff ff e2 f6"));
    trawl_detect_report_free(r);
    buf[37] = 0x7f; /* sub eax, +imm32 does not move a pointer back */
    r = run_bytes(buf, sizeof buf);
    assert_null(find(r, "shellcode"));
    trawl_detect_report_free(r);

    /* The same bytes with the loop jumping forward are not a loop. */
    memset(buf, 'A', sizeof buf);
    memcpy(buf + 10, "\x31\xc9\xb1\x40\x80\x36\x5a\x46\xe2\xfa", 10);
    buf[19] = 0x06;
    r = run_bytes(buf, sizeof buf);
    assert_null(find(r, "shellcode"));
    trawl_detect_report_free(r);
}

/* poly_loop_tail_next finds exactly what the five regexes it replaces
 * (packers.rules) find through trawl's own pattern engine: random bytes with
 * planted loop tails and near misses, every length up to 80, and the edges
 * of the 32-byte steps. */
static int collect_start(const trawl_match *m, void *user)
{
    uint64_t *v = user;
    if (v[0] < 4095)
        v[1 + v[0]++] = m->offset;
    return 0;
}

static void test_loop_tail_finder_matches_regexes(void **state)
{
    (void)state;
    static const char *const re[POLY_LOOP_FORMS] = {
        "[\\x40-\\x47][\\xE0-\\xE2][\\x80-\\xFF]", "\\xFF[\\xC0-\\xC7][\\xE0-\\xE2][\\x80-\\xFF]",
        "\\x83[\\xC0-\\xC7][\\x01-\\x7F][\\xE0-\\xE2][\\x80-\\xFF]",
        "\\x83[\\xE8-\\xEF][\\x80-\\xFF][\\xE0-\\xE2][\\x80-\\xFF]",
        "\\x2D...[\\x80-\\xFF][\\xE0-\\xE2][\\x80-\\xFF]"};
    trawl_pattern_db *db[POLY_LOOP_FORMS];
    trawl_scratch *sc[POLY_LOOP_FORMS] = {NULL};
    trawl_error err;
    for (int f = 0; f < POLY_LOOP_FORMS; f++) {
        assert_int_equal(trawl_pattern_compile_one(re[f], TRAWL_SYNTAX_REGEX, 0, &db[f], &err),
                         TRAWL_OK);
        assert_int_equal(trawl_scratch_alloc(db[f], &sc[f], &err), TRAWL_OK);
    }
    tu_rng rng;
    tu_seed(&rng, 0x2D);
    static uint8_t buf[20000];
    static uint64_t want[4096], got[4096];
    static const uint8_t advances[][5] = {
        {0x41}, {0xFF, 0xC3}, {0x83, 0xC6, 0x04}, {0x83, 0xEE, 0xFC}, {0x2D, 1, 2, 3, 0xFF}};
    size_t found = 0;
    for (int iter = 0; iter < 300; iter++) {
        size_t n = iter < 80 ? (size_t)iter : 1 + tu_below(&rng, sizeof buf);
        for (size_t i = 0; i < n; i++)
            buf[i] = (uint8_t)tu_next(&rng);
        /* Plant advances + loops, each byte sometimes just off its range. */
        for (unsigned k = tu_below(&rng, 60); k > 0 && n >= 7; k--) {
            unsigned f = tu_below(&rng, POLY_LOOP_FORMS);
            size_t back = poly_loop_back[f], at = tu_below(&rng, (uint32_t)(n - back - 1));
            memcpy(buf + at, advances[f], back);
            if (tu_below(&rng, 4) == 0)
                buf[at + tu_below(&rng, (uint32_t)back)] ^= (uint8_t)(1u << tu_below(&rng, 8));
            buf[at + back] = (uint8_t)(0xDF + tu_below(&rng, 5));
            buf[at + back + 1] = (uint8_t)(0x78 + tu_below(&rng, 0x88));
        }
        for (int f = 0; f < POLY_LOOP_FORMS; f++) {
            want[0] = 0;
            assert_int_equal(trawl_scan(db[f], sc[f], buf, n, 0, collect_start, want, &err),
                             TRAWL_OK);
            /* The finder reports every tail; a pattern's matches do not
             * overlap, and the detector keeps the leftmost the same way. */
            size_t k = 0, end = 0;
            unsigned forms;
            for (size_t q = poly_loop_tail_next(buf, n, 0, &forms); q < n;
                 q = poly_loop_tail_next(buf, n, q + 1, &forms)) {
                assert_true(forms != 0);
                if (forms >> f & 1 && q - poly_loop_back[f] >= end) {
                    got[k++] = q - poly_loop_back[f];
                    end = q + 2;
                }
            }
            assert_int_equal(k, want[0]);
            for (size_t i = 0; i < k; i++)
                assert_int_equal(got[i], want[1 + i]);
            found += k;
        }
    }
    printf("# %zu loop tails found alike by the finder and the regexes\n", found);
    for (int f = 0; f < POLY_LOOP_FORMS; f++) {
        trawl_scratch_free(sc[f]);
        trawl_pattern_db_free(db[f]);
    }
}

/* ---- synthetic executables ------------------------------------------------------- */

/* ELF64 with two PT_LOAD segments, no section headers, "UPX!" after the
 * program headers and 16 KiB of random (compressed-looking) bytes: the
 * layout UPX gives a packed ELF. */
static size_t upx_like_elf(uint8_t *p, size_t cap)
{
    size_t n = 0x4000 + 0x100;
    assert_true(cap >= n);
    memset(p, 0, n);
    memcpy(p,
           "\x7f"
           "ELF\x02\x01\x01",
           7);
    put16(p + 16, 2);  /* ET_EXEC */
    put16(p + 18, 62); /* x86-64 */
    put32(p + 20, 1);
    put64(p + 24, 0x400000 + 0x100); /* entry */
    put64(p + 32, 64);               /* phoff */
    put16(p + 52, 64);
    put16(p + 54, 56);
    put16(p + 56, 2);
    put16(p + 58, 64);
    uint8_t *ph = p + 64;
    put32(ph, 1);
    put32(ph + 4, 5); /* R+X */
    put64(ph + 16, 0x400000);
    put64(ph + 32, n);
    put64(ph + 40, n);
    ph += 56;
    put32(ph, 1);
    put32(ph + 4, 6); /* R+W */
    put64(ph + 8, 0);
    put64(ph + 16, 0x600000);
    put64(ph + 32, 0);
    put64(ph + 40, 0x10000);
    memcpy(p + 0xb4, "UPX!", 4);
    random_fill(p + 0x100, n - 0x100, 77);
    return n;
}

static void test_upx_markers_elf(void **state)
{
    (void)state;
    static uint8_t p[0x5000];
    size_t n = upx_like_elf(p, sizeof p);
    poly_image img;
    assert_true(poly_elf_parse(p, n, &img));
    assert_int_equal(img.n_segments, 2);
    assert_int_equal(img.n_sections_declared, 0);
    trawl_detect_report *r = run_bytes(p, n);
    const trawl_violation *v = find(r, "packer_signature");
    assert_non_null(v);
    assert_true(strstr(v->description, "upx") != NULL);
    assert_true(v->confidence >= 0.75);
    assert_true(evidence_has(v, "sig.upx) at offset 0xb4, inside the headers"));
    assert_non_null(find(r, "missing_section_table"));
    assert_non_null(find(r, "high_entropy_code"));
    assert_non_null(find(r, "combined"));
    assert_true(poly(r)->threat_score >= 0.9);
    trawl_detect_report_free(r);

    /* "UPX!" in a text file is a mention, not a packer header. */
    const char *t = "Pack it with UPX! It is small.";
    r = run_bytes((const uint8_t *)t, strlen(t));
    v = find(r, "packer_signature");
    assert_non_null(v);
    assert_true(v->confidence < 0.5);
    trawl_detect_report_free(r);
}

typedef struct pe_sec {
    const char *name;
    uint32_t vaddr, vsize, raw_off, raw_size, chars;
} pe_sec;

/* A minimal valid PE32: DOS header, PE signature, COFF header, a 224-byte
 * optional header with 16 data directories, the section table, and raw
 * section data at FileAlignment 0x200. */
static size_t build_pe32(uint8_t *p, size_t cap, const pe_sec *s, int ns, uint32_t entry)
{
    size_t n = 0x200 + 0x200 * (size_t)ns;
    assert_true(cap >= n);
    memset(p, 0, n);
    p[0] = 'M';
    p[1] = 'Z';
    put32(p + 0x3c, 0x40);
    memcpy(p + 0x40, "PE\0\0", 4);
    uint8_t *c = p + 0x44;
    put16(c, 0x14c);
    put16(c + 2, (uint16_t)ns);
    put16(c + 16, 224);
    put16(c + 18, 0x0102);
    uint8_t *o = c + 20;
    put16(o, 0x10b);
    put32(o + 16, entry);
    put32(o + 20, 0x1000);
    put32(o + 28, 0x400000);
    put32(o + 32, 0x1000);
    put32(o + 36, 0x200);
    put32(o + 56, 0x1000 * (uint32_t)(ns + 1));
    put32(o + 60, 0x200);
    put16(o + 68, 3);
    put32(o + 92, 16);
    uint8_t *t = o + 224;
    for (int i = 0; i < ns; i++, t += 40) {
        memcpy(t, s[i].name, strlen(s[i].name));
        put32(t + 8, s[i].vsize);
        put32(t + 12, s[i].vaddr);
        put32(t + 16, s[i].raw_size);
        put32(t + 20, s[i].raw_off);
        put32(t + 36, s[i].chars);
    }
    /* Some ordinary-looking x86 code: push ebp; mov ebp, esp; ...; ret. */
    static const uint8_t code[] = {0x55, 0x89, 0xe5, 0x83, 0xec, 0x10, 0x8b, 0x45,
                                   0x08, 0x01, 0xc0, 0x89, 0xec, 0x5d, 0xc3, 0x90};
    for (size_t i = 0x200; i < n; i++)
        p[i] = code[i % sizeof code];
    return n;
}

static void test_pe32_rwx_entry_outside_code(void **state)
{
    (void)state;
    static uint8_t p[0x1000];
    pe_sec bad[] = {{".text", 0x1000, 0x200, 0x200, 0x200, 0x60000020},
                    {".data", 0x2000, 0x200, 0x400, 0x200, 0xE0000040}};
    size_t n = build_pe32(p, sizeof p, bad, 2, 0x2010);
    poly_image img;
    assert_true(poly_pe_parse(p, n, &img));
    assert_int_equal(img.bits, 32);
    assert_int_equal(img.n_sections, 2);
    assert_string_equal(img.sections[1].name, ".data");
    assert_int_equal(img.entry_section, 1);
    assert_true(img.entry_mapped);
    assert_int_equal(img.entry_offset, 0x410);
    trawl_detect_report *r = run_bytes(p, n);
    const trawl_violation *wx = find(r, "wx_section");
    const trawl_violation *ep = find(r, "entry_point_anomaly");
    assert_non_null(wx);
    assert_non_null(ep);
    assert_true(evidence_has(wx, "section '.data' flags W+X"));
    assert_true(evidence_has(ep, "RVA 0x2010, section .data"));
    assert_true(strstr(ep->description, "not marked as code") != NULL); /* .data is RWX */
    assert_true(poly(r)->threat_score >= 0.5);
    trawl_detect_report_free(r);

    /* Entry point outside every section. */
    n = build_pe32(p, sizeof p, bad, 2, 0x9000);
    r = run_bytes(p, n);
    ep = find(r, "entry_point_anomaly");
    assert_non_null(ep);
    assert_true(strstr(ep->description, "outside every section") != NULL);
    trawl_detect_report_free(r);

    /* The same file laid out honestly is clean. */
    pe_sec good[] = {{".text", 0x1000, 0x200, 0x200, 0x200, 0x60000020},
                     {".data", 0x2000, 0x200, 0x400, 0x200, 0xC0000040}};
    n = build_pe32(p, sizeof p, good, 2, 0x1000);
    r = run_bytes(p, n);
    assert_int_equal(poly(r)->n_violations, 0);
    trawl_detect_report_free(r);
}

static void test_pe32_upx_sections(void **state)
{
    (void)state;
    static uint8_t p[0x1000];
    pe_sec s[] = {{"UPX0", 0x1000, 0x10000, 0, 0, 0xE0000080},
                  {"UPX1", 0x11000, 0x200, 0x200, 0x200, 0xE0000040},
                  {".rsrc", 0x12000, 0x200, 0x400, 0x200, 0xC0000040}};
    size_t n = build_pe32(p, sizeof p, s, 3, 0x11010);
    memcpy(p + 0x210, "\x60\xbe\x00\x10\x41\x00\x8d\xbe\x00\x00\xff\xff\x57", 13);
    memcpy(p + 0x1e0, "3.96\0UPX!", 9);
    trawl_detect_report *r = run_bytes(p, n);
    const trawl_violation *v = find(r, "packer_signature");
    assert_non_null(v);
    assert_true(v->confidence >= 0.9);
    assert_true(evidence_has(v, "section named 'UPX0'"));
    assert_true(evidence_has(v, "section named 'UPX1'"));
    assert_true(evidence_has(v, "entry-point stub (rule ep.upx) at file offset 0x210"));
    assert_true(evidence_has(v, "rule sig.upx) at offset 0x1e5"));
    trawl_detect_report_free(r);
}

/* ---- parsers ------------------------------------------------------------------- */

static void test_elf_parser_machine(void **state)
{
    (void)state;
    size_t n;
    uint8_t *p = machine_elf(&n);
    poly_image img;
    assert_true(poly_elf_parse(p, n, &img));
    assert_null(img.problem);
    assert_true(img.n_sections > 10);
    bool text = false;
    for (size_t i = 0; i < img.n_sections; i++)
        if (!strcmp(img.sections[i].name, ".text"))
            text = img.sections[i].exec && !img.sections[i].write;
    assert_true(text);
    assert_true(img.has_entry);
    assert_true(img.entry_section >= 0);
    assert_string_equal(img.sections[img.entry_section].name, ".text");
    assert_true(img.entry_mapped);
    assert_int_equal(img.end, n); /* the section header table ends the file */
    assert_false(poly_pe_parse(p, n, &img));
    free(p);
}

static void test_elf_parser_big_endian_32(void **state)
{
    (void)state;
    /* ELF32 MSB, one PT_LOAD RWX, two sections (.text and .shstrtab). */
    uint8_t p[0x200];
    memset(p, 0, sizeof p);
    memcpy(p,
           "\x7f"
           "ELF\x01\x02\x01",
           7);
    uint8_t h[] = {0, 2,    0, 8, 0, 0, 0, 1,  0, 0,  0x10, 0x40, 0, 0,  0, 52, 0, 0,
                   0, 0x80, 0, 0, 0, 0, 0, 52, 0, 32, 0,    1,    0, 40, 0, 3,  0, 2};
    memcpy(p + 16, h, sizeof h);
    uint8_t ph[] = {0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0x10, 0, 0, 0, 0x10, 0,
                    0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0,    7, 0, 0, 0x10, 0};
    memcpy(p + 52, ph, sizeof ph);
    uint8_t sh1[] = {0, 0, 0,    1,    0, 0, 0, 1,    0, 0, 0, 6,
                     0, 0, 0x10, 0x40, 0, 0, 0, 0x40, 0, 0, 0, 0x20};
    memcpy(p + 0x80 + 40, sh1, sizeof sh1);
    uint8_t sh2[] = {0, 0, 0, 7, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0x00, 0, 0, 0, 0x11};
    memcpy(p + 0x80 + 80, sh2, sizeof sh2);
    memcpy(p + 0x100, "\0.text\0.shstrtab\0", 17);
    poly_image img;
    assert_true(poly_elf_parse(p, sizeof p, &img));
    assert_true(img.big_endian);
    assert_int_equal(img.bits, 32);
    assert_int_equal(img.machine, 8);
    assert_int_equal(img.entry, 0x1040);
    assert_int_equal(img.n_segments, 1);
    assert_true(img.segments[0].w && img.segments[0].x);
    assert_int_equal(img.n_sections, 2);
    assert_string_equal(img.sections[0].name, ".text");
    assert_string_equal(img.sections[1].name, ".shstrtab");
    assert_int_equal(img.entry_section, 0);
    assert_null(img.problem);
}

static void test_malformed_headers(void **state)
{
    (void)state;
    size_t n;
    uint8_t *p = machine_elf(&n);
    poly_image img;
    /* Program header table far past the end. */
    uint8_t hdr[64];
    memcpy(hdr, p, 64);
    put64(hdr + 32, 0xfffffffffffff000ull);
    assert_true(poly_elf_parse(hdr, sizeof hdr, &img));
    assert_non_null(img.problem);
    assert_int_equal(img.n_segments, 0);
    /* Truncated file header. */
    assert_true(poly_elf_parse(p, 40, &img));
    assert_string_equal(img.problem, "file header truncated");
    /* Random corruption of the first 4 KiB never reads out of bounds (ASan
     * checks) and never hangs. */
    tu_rng r;
    tu_seed(&r, 1234);
    size_t m = n < 4096 ? n : 4096;
    uint8_t *q = malloc(m);
    for (int it = 0; it < 3000; it++) {
        memcpy(q, p, m);
        for (int k = 0; k < 8; k++)
            q[tu_below(&r, (uint32_t)m)] = (uint8_t)tu_next(&r);
        size_t len = 16 + tu_below(&r, (uint32_t)(m - 16));
        poly_elf_parse(q, len, &img);
        assert_true(img.n_sections <= POLY_MAX_SECTIONS && img.n_segments <= POLY_MAX_SEGMENTS);
        assert_true(img.end <= len);
        trawl_detect_report *rep = run_bytes(q, len);
        trawl_detect_report_free(rep);
    }
    /* PE: e_lfanew beyond the file, and a section count over 96. */
    uint8_t pe[0x400];
    pe_sec s[] = {{".text", 0x1000, 0x200, 0x200, 0x200, 0x60000020}};
    size_t pn = build_pe32(pe, sizeof pe, s, 1, 0x1000);
    put32(pe + 0x3c, 0x10000);
    assert_false(poly_pe_parse(pe, pn, &img));
    put32(pe + 0x3c, 0x40);
    put16(pe + 0x46, 500);
    assert_true(poly_pe_parse(pe, pn, &img));
    assert_non_null(img.problem);
    assert_true(img.n_sections <= 96);
    free(q);
    free(p);
}

/* The entropy measures and the window scan are tested with trawl/analyze.h
 * (tests/analyze/test_analyze_windows.c), with the detector's geometry among
 * others. */

/* ---- false positives ------------------------------------------------------------- */

static size_t sweep_dir(const char *dir, size_t want, double *max, char *worst, size_t *seen)
{
    struct dirent **names;
    int nn = scandir(dir, &names, NULL, alphasort);
    size_t done = 0;
    for (int i = 0; i < nn; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]->d_name);
        struct stat st;
        if (done < want && stat(path, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 1024 &&
            st.st_size < (32 << 20) && (i % 7 == 0)) {
            size_t n;
            uint8_t *p = read_file(path, (size_t)st.st_size, &n);
            if (p && n >= 64 &&
                !memcmp(p,
                        "\x7f"
                        "ELF",
                        4)) {
                trawl_detect_report *r = run_bytes(p, n);
                double s = poly(r)->threat_score;
                if (s > *max) {
                    *max = s;
                    snprintf(worst, 4096, "%s", path);
                }
                assert_true(s < 0.5);
                trawl_detect_report_free(r);
                done++;
            }
            free(p);
        }
        free(names[i]);
    }
    free(names);
    *seen += done;
    return done;
}

static void test_false_positives_machine_binaries(void **state)
{
    (void)state;
    double max = 0;
    char worst[4096] = "(none)";
    size_t seen = 0;
    size_t a = sweep_dir("/usr/bin", 40, &max, worst, &seen);
    size_t b = sweep_dir("/usr/lib/x86_64-linux-gnu", 40, &max, worst, &seen);
    printf("    [fp] %zu binaries from /usr/bin, %zu libraries: max threat_score %.2f (%s)\n", a, b,
           max, worst);
    assert_true(seen >= 20);
    assert_true(max < 0.5);
}

/* ---- inputs, config, errors ----------------------------------------------------- */

static void test_files_input(void **state)
{
    (void)state;
    char path[] = "/tmp/trawl-poly-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    uint8_t buf[4000];
    random_fill(buf, sizeof buf, 11);
    FILE *f = fdopen(fd, "wb");
    fwrite(buf, 1, sizeof buf, f);
    fclose(f);
    char *files[] = {path, "/nonexistent/trawl/file", "/dev/zero"};
    trawl_detect_input in;
    memset(&in, 0, sizeof in);
    in.files = files;
    in.n_files = 3;
    trawl_detect_report *r = run_input(&in);
    const trawl_violation *v = find(r, "high_entropy");
    assert_non_null(v);
    assert_true(strstr(v->description, path) != NULL);
    trawl_detect_report_free(r);
    remove(path);
}

static void test_config(void **state)
{
    (void)state;
    trawl_detect_engine *e = NULL;
    trawl_error err;
    const char *bad = "[polymorphic]\nentropy_threshold = 9\n";
    assert_int_equal(trawl_detect_engine_new(bad, strlen(bad), &e, &err), TRAWL_EINVAL);
    assert_non_null(strstr(err.message, "entropy_threshold"));
    const char *nan = "[polymorphic]\nwindow_entropy_threshold = high\n";
    assert_int_equal(trawl_detect_engine_new(nan, strlen(nan), &e, &err), TRAWL_EINVAL);

    /* A lower threshold flags text-like data that the default lets pass. */
    const char *low = "[polymorphic]\nentropy_threshold = 4.0\n";
    assert_int_equal(trawl_detect_engine_new(low, strlen(low), &e, &err), TRAWL_OK);
    trawl_detect_ctx *c;
    assert_int_equal(trawl_detect_ctx_new(e, &c, &err), TRAWL_OK);
    char text[1000];
    for (size_t i = 0; i < sizeof text; i++)
        text[i] = (char)('a' + (i * 7) % 26);
    trawl_detect_input in;
    memset(&in, 0, sizeof in);
    in.data = (uint8_t *)text;
    in.data_len = sizeof text;
    trawl_detect_report *r;
    assert_int_equal(trawl_detect_run(e, c, &in, TRAWL_DET_POLYMORPHIC, &r, &err), TRAWL_OK);
    assert_non_null(find(r, "high_entropy"));
    trawl_detect_report_free(r);
    trawl_detect_ctx_free(c);
    trawl_detect_engine_free(e);

    const char *off = "[polymorphic]\nenabled = false\n";
    assert_int_equal(trawl_detect_engine_new(off, strlen(off), &e, &err), TRAWL_OK);
    assert_false(trawl_detect_engine_enabled(e) & TRAWL_DET_POLYMORPHIC);
    trawl_detect_engine_free(e);
}

static void test_empty_input(void **state)
{
    (void)state;
    trawl_detect_input in;
    memset(&in, 0, sizeof in);
    trawl_detect_report *r = run_input(&in);
    assert_int_equal(poly(r)->n_violations, 0);
    assert_true(poly(r)->threat_score == 0);
    trawl_detect_report_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random_bytes_high_entropy),
        cmocka_unit_test(test_syscalls),
        cmocka_unit_test(test_wx_memory),
        cmocka_unit_test(test_behavior_events),
        cmocka_unit_test(test_machine_elf_clean),
        cmocka_unit_test(test_machine_elf_xor_encoded),
        cmocka_unit_test(test_dropper_with_decoder_stub),
        cmocka_unit_test(test_shellcode_idioms),
        cmocka_unit_test(test_upx_markers_elf),
        cmocka_unit_test(test_pe32_rwx_entry_outside_code),
        cmocka_unit_test(test_pe32_upx_sections),
        cmocka_unit_test(test_elf_parser_machine),
        cmocka_unit_test(test_elf_parser_big_endian_32),
        cmocka_unit_test(test_malformed_headers),
        cmocka_unit_test(test_loop_tail_finder_matches_regexes),
        cmocka_unit_test(test_false_positives_machine_binaries),
        cmocka_unit_test(test_files_input),
        cmocka_unit_test(test_config),
        cmocka_unit_test(test_empty_input),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
