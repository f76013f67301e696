/* bench_firmware.c -- `trawl firmware` speed: architecture identification
 * (4 KiB windows, every model at once) on the machine's shared libraries
 * (x86-64 code and data) and on random bytes, and the Cortex-M peripheral
 * scan (vector table, base search, Capstone Thumb sweep with value
 * tracking) of a 1 MiB ARM Thumb image: BENCH_FW_IMAGE when set (bench/run.sh
 * links newlib's Thumb libc and libm into one with arm-none-eabi-gcc), else
 * skipped with a message.
 *
 * The peer is cpu_rec, whose authors publish about 60 s per MB for its
 * sliding-window KL classifier (analysis-anchors.md); it is Python with a
 * corpus of its own and is not packaged in Debian, so it is not run here:
 * the ratio printed is against that published figure (0.0167 MB/s). */
#include <stdio.h>
#include <stdlib.h>

#include <trawl/firmware.h>

#include "benchutil.h"

#define CPU_REC_MBPS (1.0 / 60.0)

static double time_identify(const trawl_fw_model *m, const uint8_t *p, size_t n, int runs,
                            uint64_t *code)
{
    double t[32];
    for (int r = 0; r < runs; r++) {
        trawl_fw_arch_report *rep;
        double t0 = bu_now();
        if (trawl_fw_arch_identify(m, p, n, NULL, &rep, NULL) != TRAWL_OK) {
            fprintf(stderr, "bench_firmware: identify failed\n");
            exit(1);
        }
        t[r] = bu_now() - t0;
        *code = rep->code_windows;
        trawl_fw_arch_report_free(rep);
    }
    return bu_median(t, runs);
}

static uint8_t *read_file(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long sz = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *p = malloc(sz > 0 ? (size_t)sz : 1);
    if (!p || fread(p, 1, (size_t)sz, f) != (size_t)sz) {
        free(p);
        fclose(f);
        return NULL;
    }
    fclose(f);
    *n = (size_t)sz;
    return p;
}

int main(void)
{
    int runs = bu_runs();
    if (runs > 32)
        runs = 32;
    trawl_fw_model *m;
    if (trawl_fw_model_builtin(&m, NULL) != TRAWL_OK) {
        fprintf(stderr, "bench_firmware: no model\n");
        return 1;
    }
    size_t n = bu_corpus_bytes(64);
    uint8_t *libs = bu_shared_lib_corpus(n);
    uint8_t *rnd = bu_random_bytes(n, 42);
    char note[128];
    uint64_t code;
    double s = time_identify(m, libs, n, runs, &code);
    double mbps = n / 1e6 / s;
    snprintf(note, sizeof(note), "%zu MiB of shared libraries, %llu code windows", n >> 20,
             (unsigned long long)code);
    bu_report("arch identify (libs)", "trawl", mbps, 0, note);
    bu_report("arch identify (libs)", "cpu_rec", CPU_REC_MBPS, mbps,
              "its authors' ~60 s per MB, not run here");
    s = time_identify(m, rnd, n, runs, &code);
    snprintf(note, sizeof(note), "%zu MiB random, %llu code windows", n >> 20,
             (unsigned long long)code);
    bu_report("arch identify (random)", "trawl", n / 1e6 / s, 0, note);
    free(libs);
    free(rnd);

    const char *img = getenv("BENCH_FW_IMAGE");
    size_t in = 0;
    uint8_t *p = img ? read_file(img, &in) : NULL;
    if (!p) {
        printf("peripheral scan: skipped (BENCH_FW_IMAGE not set or unreadable; bench/run.sh "
               "builds it with arm-none-eabi-gcc)\n");
    } else {
        double t[32];
        size_t periphs = 0;
        uint64_t insns = 0;
        trawl_fw_cortexm_opts o = {0};
        o.model = m;
        for (int r = 0; r < runs; r++) {
            trawl_fw_cortexm_report *rep;
            double t0 = bu_now();
            if (trawl_fw_cortexm_analyze(p, in, &o, &rep, NULL) != TRAWL_OK) {
                fprintf(stderr, "bench_firmware: cortexm failed\n");
                return 1;
            }
            t[r] = bu_now() - t0;
            periphs = rep->n_periphs;
            insns = rep->instructions;
            trawl_fw_cortexm_report_free(rep);
        }
        double sec = bu_median(t, runs);
        snprintf(note, sizeof(note), "%.2f MiB image, %llu instructions, %zu peripherals, %.1f ms",
                 in / 1048576.0, (unsigned long long)insns, periphs, sec * 1e3);
        bu_report("cortex-m peripheral scan", "trawl", in / 1e6 / sec, 0, note);
        free(p);
    }
    trawl_fw_model_free(m);
    return 0;
}
