/* bench_frame.c -- framing throughput: trawl's buffer iterator and streaming
 * reader against the straightforward Python `struct` loop a user would write,
 * on the same bytes in the same run.
 *
 * Workloads (BENCH_MIB MiB each, default 256):
 *   tlv-fixed   "01 04 AA BB CC DD" repeated          (1-byte type, 1-byte length)
 *   tlv-mixed   random types, lengths 0..1000         (1-byte type, 2-byte BE length)
 *   records     128-byte records
 *   packets     ">HH" headers, length in field 1, bodies 0..1500 bytes
 *   lines       text lines of 0..120 bytes ending in \n
 * Python runs on the first PY_MIB (default 8) MiB of the same data: at a few
 * MB/s the whole corpus would take minutes, and MB/s does not depend on it.
 * The figure for the Python tool (6.6 MB/s on TLV) is printed too. */
#include "benchutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <trawl/frame.h>
#include <unistd.h>

#define PYTHON_TOOL_MBPS 6.6

typedef struct corpus {
    uint8_t *p;
    size_t n;
} corpus;

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;

static uint32_t rnd(uint32_t below)
{
    uint64_t x = rng_state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    rng_state = x;
    return (uint32_t)((x * 0x2545F4914F6CDD1Dull) >> 32) % below;
}

/* Fills up to cap with whole units from gen; returns the bytes used. */
static corpus make(size_t cap, size_t (*gen)(uint8_t *p, size_t room))
{
    corpus c = {malloc(cap), 0};
    if (!c.p) {
        fprintf(stderr, "bench_frame: out of memory\n");
        exit(1);
    }
    size_t k;
    while ((k = gen(c.p + c.n, cap - c.n)) > 0)
        c.n += k;
    return c;
}

static size_t gen_tlv_fixed(uint8_t *p, size_t room)
{
    if (room < 6)
        return 0;
    memcpy(p, "\x01\x04\xAA\xBB\xCC\xDD", 6);
    return 6;
}

static size_t gen_tlv_mixed(uint8_t *p, size_t room)
{
    size_t v = rnd(1001);
    if (room < 3 + v)
        return 0;
    p[0] = (uint8_t)rnd(256);
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)v;
    memset(p + 3, 0x5A, v);
    return 3 + v;
}

static size_t gen_record(uint8_t *p, size_t room)
{
    if (room < 128)
        return 0;
    memset(p, (int)rnd(256), 128);
    return 128;
}

static size_t gen_packet(uint8_t *p, size_t room)
{
    size_t v = rnd(1501);
    if (room < 4 + v)
        return 0;
    p[0] = 0xBE;
    p[1] = 0xEF;
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
    memset(p + 4, 0x33, v);
    return 4 + v;
}

static size_t gen_line(uint8_t *p, size_t room)
{
    size_t v = rnd(121);
    if (room < v + 1)
        return 0;
    for (size_t i = 0; i < v; i++)
        p[i] = (uint8_t)('a' + rnd(26));
    p[v] = '\n';
    return v + 1;
}

typedef struct result {
    double mbps, recs_per_s;
    uint64_t units;
} result;

/* batch = 0: one trawl_frame_iter_next call per unit; else batches of 256. */
static result time_iter(const trawl_framer *f, const corpus *c, int batch)
{
    trawl_frame_iter *it;
    if (trawl_frame_iter_new(f, 0, &it, NULL) != TRAWL_OK)
        exit(1);
    int runs = bu_runs();
    double secs[1000];
    uint64_t units = 0, sum = 0;
    static trawl_frame_unit us[256];
    for (int r = 0; r < runs; r++) {
        trawl_frame_fault flt;
        double t0 = bu_now();
        trawl_frame_iter_reset(it, c->p, c->n);
        units = 0;
        if (batch) {
            size_t k;
            while ((k = trawl_frame_iter_next_batch(it, us, 256)) > 0) {
                units += k;
                for (size_t i = 0; i < k; i++)
                    sum += us[i].value.len;
            }
        } else {
            while (trawl_frame_iter_next(it, &us[0], &flt) == TRAWL_FRAME_UNIT) {
                units++;
                sum += us[0].value.len;
            }
        }
        secs[r] = bu_now() - t0;
    }
    trawl_frame_iter_free(it);
    if (sum == 42)
        puts("");
    double t = bu_median(secs, runs);
    return (result){c->n / t / 1e6, units / t, units};
}

typedef struct mem_src {
    const corpus *c;
    size_t pos;
} mem_src;

static ssize_t mem_read(void *ud, uint8_t *buf, size_t cap)
{
    mem_src *s = ud;
    size_t k = cap < 65536 ? cap : 65536; /* what a pipe delivers */
    if (k > s->c->n - s->pos)
        k = s->c->n - s->pos;
    memcpy(buf, s->c->p + s->pos, k);
    s->pos += k;
    return (ssize_t)k;
}

static result time_reader(const trawl_framer *f, const corpus *c)
{
    int runs = bu_runs();
    double secs[1000];
    uint64_t units = 0, sum = 0;
    for (int r = 0; r < runs; r++) {
        mem_src src = {c, 0};
        trawl_frame_reader *rd;
        if (trawl_frame_reader_new(f, mem_read, &src, 1 << 20, 0, &rd, NULL) != TRAWL_OK)
            exit(1);
        trawl_frame_unit u;
        trawl_frame_fault flt;
        double t0 = bu_now();
        units = 0;
        while (trawl_frame_reader_next(rd, &u, &flt) == TRAWL_FRAME_UNIT) {
            units++;
            sum += u.value.len;
        }
        secs[r] = bu_now() - t0;
        trawl_frame_reader_free(rd);
    }
    if (sum == 42)
        puts("");
    double t = bu_median(secs, runs);
    return (result){c->n / t / 1e6, units / t, units};
}

/* The Python loops, one per workload: what a user writes with `struct`. */
static const char *const py_loops[] = {
    /* tlv-fixed and tlv-mixed differ only in the length width */
    "pos=0;n=len(d);out=[]\n"
    "while pos+1+LW<=n:\n"
    "    t=d[pos]; l=struct.unpack_from(LF,d,pos+1)[0]\n"
    "    if pos+1+LW+l>n: break\n"
    "    out.append((pos,t,d[pos+1+LW:pos+1+LW+l])); pos+=1+LW+l\n",
    "pos=0;n=len(d);out=[]\n"
    "while pos+128<=n:\n"
    "    out.append((pos,d[pos:pos+128])); pos+=128\n",
    "pos=0;n=len(d);out=[]\n"
    "while pos+4<=n:\n"
    "    a,l=struct.unpack_from('>HH',d,pos)\n"
    "    if pos+4+l>n: break\n"
    "    out.append((pos,d[pos:pos+4+l])); pos+=4+l\n",
    "out=[]; pos=0\n"
    "for m in d.split(b'\\n'):\n"
    "    out.append((pos,m)); pos+=len(m)+1\n",
};

/* Runs one Python loop over c[0..py_bytes); returns its MB/s or 0. */
static double python_mbps(const corpus *c, size_t py_bytes, int loop, const char *lw,
                          const char *lf)
{
    if (access("/usr/bin/python3", X_OK) != 0)
        return 0;
    char path[] = "/tmp/trawl-bench-frame-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0)
        return 0;
    size_t n = py_bytes < c->n ? py_bytes : c->n;
    if (write(fd, c->p, n) != (ssize_t)n) {
        close(fd);
        unlink(path);
        return 0;
    }
    close(fd);
    char script[2048];
    snprintf(script, sizeof(script),
             "import struct,sys,time\nd=open('%s','rb').read()\nLW=%s;LF='%s'\n"
             "t0=time.perf_counter()\n%st=time.perf_counter()-t0\nprint(len(d)/t/1e6)\n",
             path, lw, lf, py_loops[loop]);
    char cmd[4096];
    snprintf(cmd, sizeof(cmd), "/usr/bin/python3 -c \"$(cat <<'PYEOF'\n%s\nPYEOF\n)\"", script);
    FILE *p = popen(cmd, "r");
    double mbps = 0;
    if (p) {
        if (fscanf(p, "%lf", &mbps) != 1)
            mbps = 0;
        pclose(p);
    }
    unlink(path);
    return mbps;
}

static void report(const char *name, const trawl_framer *f, const corpus *c, int loop,
                   const char *lw, const char *lf, size_t py_bytes)
{
    char note[160];
    result one = time_iter(f, c, 0);
    snprintf(note, sizeof(note), "%.1f M units/s, %llu units, next() per unit",
             one.recs_per_s / 1e6, (unsigned long long)one.units);
    bu_report(name, "trawl iterator", one.mbps, 0, note);
    result it = time_iter(f, c, 1);
    snprintf(note, sizeof(note), "%.1f M units/s, next_batch(256), 0 B allocated per unit",
             it.recs_per_s / 1e6);
    bu_report(name, "trawl iterator batch", it.mbps, 0, note);
    double before = bu_peak_rss_mib();
    result rd = time_reader(f, c);
    snprintf(note, sizeof(note), "%.1f M units/s, 1 MiB window, peak RSS +%.1f MiB",
             rd.recs_per_s / 1e6, bu_peak_rss_mib() - before);
    bu_report(name, "trawl reader", rd.mbps, 0, note);
    double py = python_mbps(c, py_bytes, loop, lw, lf);
    if (py > 0)
        bu_report(name, "python struct loop", py, it.mbps, "on the first PY_MIB MiB");
    else
        bu_report(name, "python struct loop", 0, 0, "skipped: /usr/bin/python3 not found");
}

int main(void)
{
    size_t n = bu_corpus_bytes(256);
    const char *pm = getenv("PY_MIB");
    size_t py_bytes = (size_t)(pm && atol(pm) > 0 ? atol(pm) : 8) << 20;
    printf("framing, %zu MiB per workload, median of %d runs; targets: TLV >= 2000 MB/s "
           "(>= 300x Python), records >= 10000 MB/s, reader memory constant\n",
           n >> 20, bu_runs());
    trawl_framer *f;

    corpus c = make(n, gen_tlv_fixed);
    trawl_frame_tlv_opts t11 = {.type_size = 1, .length_size = 1};
    trawl_frame_tlv_new(&t11, &f, NULL);
    report("tlv-fixed", f, &c, 0, "1", ">B", py_bytes);
    bu_report("tlv-fixed", "python tool (issue 4)", PYTHON_TOOL_MBPS, time_iter(f, &c, 1).mbps,
              "reference figure, not measured here");
    trawl_framer_free(f);
    free(c.p);

    c = make(n, gen_tlv_mixed);
    trawl_frame_tlv_opts t12 = {.type_size = 1, .length_size = 2};
    trawl_frame_tlv_new(&t12, &f, NULL);
    report("tlv-mixed", f, &c, 0, "2", ">H", py_bytes);
    trawl_framer_free(f);
    free(c.p);

    c = make(n, gen_record);
    trawl_frame_records_new(128, &f, NULL);
    report("records", f, &c, 1, "0", "", py_bytes);
    trawl_framer_free(f);
    free(c.p);

    c = make(n, gen_packet);
    trawl_frame_packet_opts po = {.header = ">HH", .length_field = 1};
    trawl_frame_packets_new(&po, &f, NULL);
    report("packets", f, &c, 2, "0", "", py_bytes);
    trawl_framer_free(f);
    free(c.p);

    c = make(n, gen_line);
    trawl_frame_delim_opts dl = {(const uint8_t *)"\n", 1, 0};
    trawl_frame_delim_new(&dl, &f, NULL);
    report("lines", f, &c, 3, "0", "", py_bytes);
    trawl_framer_free(f);
    free(c.p);
    return 0;
}
