/* train_fwarch.c -- trains the firmware architecture model
 * (src/firmware/fw_int.h has the format) from the corpus that
 * tools/fwarch/corpus.sh builds, and reports its accuracy on the held-out
 * split.
 *
 *   train_fwarch CORPUS_DIR OUT.tmodel
 *
 * CORPUS_DIR/ARCH/train/ holds the .bin files that train architecture ARCH;
 * CORPUS_DIR/ARCH/test/ those held out (the split is by library or source module, made by
 * corpus.sh). CORPUS_DIR/data/{train,test}/ hold bytes that are not code.
 *
 * Model: for each architecture, P(cur | prev) = (n(prev,cur) + A * P(cur)) /
 * (n(prev) + A), with P(cur) = (n(cur) + 1/2) / (N + 128) and A = 16 fixed
 * beforehand (not tuned on the held-out split), stored as -log2 P * SCALE in
 * a byte. The "Unknown" rule (a window is code when the best model's
 * cross-entropy is at most MAX_BITS and beats the runner-up's by the margin:
 * on code one model fits far better than the others, on data all fit about
 * equally badly) takes its margin from the TRAINING windows only: the
 * smallest margin that lets at most 0.5 % of the data-train windows (and of
 * generated random, zero and 0xff windows) pass as code.
 *
 * Then the model is loaded through the library, exactly as trawl loads it,
 * and every 4 KiB window of the held-out split is classified: accuracy per
 * architecture (a window called Unknown counts as wrong), the confusion
 * matrix, and the share of held-out data windows wrongly called code.
 *
 * Deterministic: same corpus, same bytes out. Not part of the library or of
 * `make check`: `make fwmodel` runs it. */
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <trawl/firmware.h>

#define A        16.0
#define SCALE    16
#define MAX_BITS 8.0
#define WINDOW   4096u
#define DATA_FPR 0.005
#define MAX_WIN  200000

static const struct {
    const char *name, *desc;
    unsigned endian, bits;
} ARCHES[] = {
    {"x86_64", "x86-64", 1, 64},
    {"aarch64", "AArch64 (ARMv8-A, A64)", 1, 64},
    {"arm32", "ARM A32 (ARM state)", 1, 32},
    {"arm-thumb", "ARM Thumb/Thumb-2 (Cortex-M)", 1, 32},
    {"avr", "AVR (8-bit, 16-bit LE opcodes)", 1, 8},
    {"riscv64", "RISC-V RV64GC", 1, 64},
    {"mips", "MIPS32 big-endian", 2, 32},
    {"mipsel", "MIPS32 little-endian", 1, 32},
    {"powerpc", "PowerPC 32-bit big-endian", 2, 32},
    {"xtensa", "Xtensa LX106 (ESP8266)", 1, 32},
};
#define NARCH (sizeof(ARCHES) / sizeof(ARCHES[0]))

typedef struct blob {
    char name[256];
    uint8_t *p;
    size_t n;
} blob;

typedef struct blobs {
    blob *b;
    size_t n;
} blobs;

static int cmp_name(const void *a, const void *b)
{
    return strcmp(((const blob *)a)->name, ((const blob *)b)->name);
}

/* Every *.bin of dir, sorted by name (readdir order is not stable). */
static blobs load_dir(const char *dir)
{
    blobs out = {0};
    DIR *d = opendir(dir);
    if (!d)
        return out;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t l = strlen(e->d_name);
        if (l < 5 || strcmp(e->d_name + l - 4, ".bin"))
            continue;
        char path[1024];
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        FILE *f = fopen(path, "rb");
        if (!f)
            continue;
        fseek(f, 0, SEEK_END);
        long sz = ftell(f);
        fseek(f, 0, SEEK_SET);
        blob b = {{0}, malloc(sz > 0 ? (size_t)sz : 1), sz > 0 ? (size_t)sz : 0};
        snprintf(b.name, sizeof(b.name), "%s", e->d_name);
        if (!b.p || fread(b.p, 1, b.n, f) != b.n) {
            fprintf(stderr, "train_fwarch: cannot read %s\n", path);
            exit(2);
        }
        fclose(f);
        out.b = realloc(out.b, (out.n + 1) * sizeof(blob));
        out.b[out.n++] = b;
    }
    closedir(d);
    qsort(out.b, out.n, sizeof(blob), cmp_name);
    return out;
}

static void put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

/* The model file for the given counts and rule. */
static uint8_t *build(double *const counts[NARCH], uint32_t min_margin, uint32_t max_bits,
                      size_t *len)
{
    size_t n = 32 + NARCH * (64 + 65536);
    uint8_t *f = calloc(1, n);
    memcpy(f, "TFWARCH", 8);
    put32(f + 8, 1);
    put32(f + 12, NARCH);
    put32(f + 16, SCALE);
    put32(f + 20, min_margin);
    put32(f + 24, max_bits);
    for (size_t a = 0; a < NARCH; a++) {
        uint8_t *d = f + 32 + a * 64;
        memcpy(d, ARCHES[a].name, strlen(ARCHES[a].name));
        memcpy(d + 16, ARCHES[a].desc, strlen(ARCHES[a].desc));
        d[56] = (uint8_t)ARCHES[a].endian;
        d[57] = (uint8_t)ARCHES[a].bits;
        const double *c = counts[a];
        double uni[256] = {0}, total = 0, row[256] = {0};
        for (unsigned p = 0; p < 256; p++)
            for (unsigned q = 0; q < 256; q++) {
                uni[q] += c[p * 256 + q];
                row[p] += c[p * 256 + q];
                total += c[p * 256 + q];
            }
        uint8_t *t = f + 32 + NARCH * 64 + a * 65536;
        for (unsigned p = 0; p < 256; p++)
            for (unsigned q = 0; q < 256; q++) {
                double p1 = (uni[q] + 0.5) / (total + 128.0);
                double pr = (c[p * 256 + q] + A * p1) / (row[p] + A);
                double cost = -log2(pr) * SCALE;
                t[p * 256 + q] = (uint8_t)(cost > 255 ? 255 : lround(cost));
            }
    }
    *len = n;
    return f;
}

typedef struct wins {
    trawl_fw_window *w;
    size_t n;
} wins;

static int collect(const trawl_fw_window *w, void *ud)
{
    wins *ws = ud;
    /* full windows on the 4 KiB grid only: the scan's extra last window
     * overlaps the one before and would count those bytes twice */
    if (w->length == WINDOW && w->offset % WINDOW == 0 && ws->n < MAX_WIN)
        ws->w[ws->n++] = *w;
    return 0;
}

static wins windows_of(const trawl_fw_model *m, const uint8_t *p, size_t n)
{
    static trawl_fw_window buf[MAX_WIN];
    wins ws = {buf, 0};
    trawl_fw_arch_opts o = {WINDOW, WINDOW};
    trawl_error err;
    if (n >= WINDOW && trawl_fw_arch_scan(m, p, n, &o, collect, &ws, &err) != TRAWL_OK) {
        fprintf(stderr, "train_fwarch: scan: %s\n", err.message);
        exit(2);
    }
    return ws;
}

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint8_t next_byte(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint8_t)(rng >> 24);
}

/* Generated non-code: random bytes, zeros, 0xff. */
static blob synthetic(int kind, size_t n)
{
    blob b = {{0}, malloc(n), n};
    for (size_t i = 0; i < n; i++)
        b.p[i] = kind == 0 ? next_byte() : kind == 1 ? 0x00 : 0xff;
    snprintf(b.name, sizeof(b.name), "%s", kind == 0 ? "random" : kind == 1 ? "zeros" : "ff");
    return b;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: train_fwarch CORPUS_DIR OUT.tmodel\n");
        return 2;
    }
    const char *dir = argv[1];
    char path[1024];
    blobs train[NARCH], test[NARCH];
    double *counts[NARCH];
    for (size_t a = 0; a < NARCH; a++) {
        snprintf(path, sizeof(path), "%s/%s/train", dir, ARCHES[a].name);
        train[a] = load_dir(path);
        snprintf(path, sizeof(path), "%s/%s/test", dir, ARCHES[a].name);
        test[a] = load_dir(path);
        if (!train[a].n || !test[a].n) {
            fprintf(stderr, "train_fwarch: %s: no train or no test units in %s\n", ARCHES[a].name,
                    dir);
            return 2;
        }
        counts[a] = calloc(65536, sizeof(double));
        size_t bytes = 0;
        for (size_t u = 0; u < train[a].n; u++) {
            const blob *b = &train[a].b[u];
            for (size_t i = 1; i < b->n; i++)
                counts[a][b->p[i - 1] * 256 + b->p[i]] += 1;
            bytes += b->n;
        }
        size_t tbytes = 0;
        for (size_t u = 0; u < test[a].n; u++)
            tbytes += test[a].b[u].n;
        printf("corpus %-10s train %8zu bytes in %2zu units, held out %8zu bytes in %2zu units\n",
               ARCHES[a].name, bytes, train[a].n, tbytes, test[a].n);
    }
    snprintf(path, sizeof(path), "%s/data/train", dir);
    blobs dtrain = load_dir(path);
    snprintf(path, sizeof(path), "%s/data/test", dir);
    blobs dtest = load_dir(path);
    dtrain.b = realloc(dtrain.b, (dtrain.n + 3) * sizeof(blob));
    for (int k = 0; k < 3; k++)
        dtrain.b[dtrain.n++] = synthetic(k, k == 0 ? 1u << 20 : 64u << 10);
    dtest.b = realloc(dtest.b, (dtest.n + 3) * sizeof(blob));
    for (int k = 0; k < 3; k++)
        dtest.b[dtest.n++] = synthetic(k, k == 0 ? 1u << 20 : 64u << 10);

    /* Pass 1: every window is code; read each training window's margin. */
    size_t flen;
    uint8_t *file = build(counts, 0, 16000, &flen);
    trawl_fw_model *m;
    trawl_error err;
    if (trawl_fw_model_load(file, flen, &m, &err) != TRAWL_OK) {
        fprintf(stderr, "train_fwarch: own model rejected: %s\n", err.message);
        return 2;
    }
    double *dgain = malloc(MAX_WIN * sizeof(double));
    size_t nd = 0;
    for (size_t u = 0; u < dtrain.n; u++) {
        wins ws = windows_of(m, dtrain.b[u].p, dtrain.b[u].n);
        for (size_t i = 0; i < ws.n && nd < MAX_WIN; i++)
            dgain[nd++] = ws.w[i].bits <= MAX_BITS ? ws.w[i].runner_bits - ws.w[i].bits : -99;
    }
    qsort(dgain, nd, sizeof(double), cmp_double);
    double margin = dgain[nd - 1 - (size_t)floor(DATA_FPR * (double)nd)];
    uint32_t margin_milli = margin > 0 ? (uint32_t)ceil(margin * 1000.0 + 1e-9) : 0;
    printf("\nunknown rule: code when bits <= %.1f and runner-up - bits >= %.3f (from %zu "
           "data-train windows, at most %.1f %% pass)\n",
           MAX_BITS, margin_milli / 1000.0, nd, DATA_FPR * 100);
    trawl_fw_model_free(m);
    free(file);

    /* Pass 2: the model as shipped, on the held-out split. */
    file = build(counts, margin_milli, (uint32_t)(MAX_BITS * 1000), &flen);
    if (trawl_fw_model_load(file, flen, &m, &err) != TRAWL_OK) {
        fprintf(stderr, "train_fwarch: own model rejected: %s\n", err.message);
        return 2;
    }
    FILE *dump = getenv("FWARCH_DUMP") ? fopen(getenv("FWARCH_DUMP"), "w") : NULL;
    for (size_t a = 0; dump && a < NARCH; a++)
        for (size_t u = 0; u < test[a].n; u++) {
            wins ws = windows_of(m, test[a].b[u].p, test[a].b[u].n);
            for (size_t i = 0; i < ws.n; i++)
                fprintf(dump, "code %s %s %.3f %.3f %.3f\n", ARCHES[a].name, test[a].b[u].name,
                        ws.w[i].entropy, ws.w[i].bits, ws.w[i].runner_bits);
        }
    for (int t = 0; dump && t < 2; t++) {
        blobs *ds = t ? &dtest : &dtrain;
        for (size_t u = 0; u < ds->n; u++) {
            wins ws = windows_of(m, ds->b[u].p, ds->b[u].n);
            for (size_t i = 0; i < ws.n; i++)
                fprintf(dump, "data %s %s %.3f %.3f %.3f\n", t ? "test" : "train", ds->b[u].name,
                        ws.w[i].entropy, ws.w[i].bits, ws.w[i].runner_bits);
        }
    }
    if (dump)
        fclose(dump);
    static uint64_t confusion[NARCH][NARCH + 1];
    printf("\nheld-out accuracy, 4 KiB windows (Unknown counts as wrong):\n");
    printf("%-10s %7s %8s %8s %8s\n", "arch", "windows", "correct", "unknown", "accuracy");
    double worst = 1;
    uint64_t all = 0, all_ok = 0;
    for (size_t a = 0; a < NARCH; a++) {
        uint64_t n = 0, ok = 0, unk = 0;
        for (size_t u = 0; u < test[a].n; u++) {
            wins ws = windows_of(m, test[a].b[u].p, test[a].b[u].n);
            for (size_t i = 0; i < ws.n; i++) {
                int g = ws.w[i].arch;
                n++;
                ok += g == (int)a;
                unk += g < 0;
                confusion[a][g < 0 ? NARCH : (size_t)g]++;
            }
        }
        double acc = n ? (double)ok / (double)n : 0;
        worst = acc < worst ? acc : worst;
        all += n;
        all_ok += ok;
        printf("%-10s %7llu %8llu %8llu %7.2f%%\n", ARCHES[a].name, (unsigned long long)n,
               (unsigned long long)ok, (unsigned long long)unk, 100 * acc);
    }
    printf("%-10s %7llu %8llu %8s %7.2f%%   (worst architecture %.2f%%)\n", "all",
           (unsigned long long)all, (unsigned long long)all_ok, "",
           100.0 * (double)all_ok / (double)all, 100 * worst);
    printf("\nconfusion (rows: truth, columns: answer; ? = Unknown):\n%-10s", "");
    for (size_t g = 0; g < NARCH; g++)
        printf(" %6.6s", ARCHES[g].name);
    printf(" %6s\n", "?");
    for (size_t a = 0; a < NARCH; a++) {
        printf("%-10s", ARCHES[a].name);
        for (size_t g = 0; g <= NARCH; g++)
            printf(" %6llu", (unsigned long long)confusion[a][g]);
        printf("\n");
    }
    printf("\nheld-out data called code (should be none):\n");
    for (size_t u = 0; u < dtest.n; u++) {
        wins ws = windows_of(m, dtest.b[u].p, dtest.b[u].n);
        size_t code = 0;
        for (size_t i = 0; i < ws.n; i++)
            code += ws.w[i].arch >= 0;
        printf("  %-22s %5zu windows, %4zu called code (%.2f%%)\n", dtest.b[u].name, ws.n, code,
               ws.n ? 100.0 * (double)code / (double)ws.n : 0.0);
    }
    trawl_fw_model_free(m);
    FILE *f = fopen(argv[2], "wb");
    if (!f || fwrite(file, 1, flen, f) != flen || fclose(f) != 0) {
        fprintf(stderr, "train_fwarch: cannot write %s\n", argv[2]);
        return 2;
    }
    printf("\nwrote %s (%zu bytes)\n", argv[2], flen);
    return 0;
}
