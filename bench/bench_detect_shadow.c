/* bench_detect_shadow.c -- latency per call of the shadow_ai detector,
 * through the public API (trawl_detect_run: input already parsed, report
 * built and freed), against the original Python system's target of 20 ms
 * per call.
 *
 * Workloads:
 *   urls100   100 realistic URLs: 30 to AI APIs (exact hosts, subdomains,
 *             wildcard hosts, API paths), 70 to ordinary sites, with query
 *             strings; two allowlist entries in the config
 *   mixed     the 100 URLs + 20 connections (ports) + 20 processes (names,
 *             GPU memory) + 10 model-ish file names that do not exist
 *             (name checks; open() fails) + a GGUF header in data
 *   pcap1k    a 1000-packet capture written to /tmp (DNS queries, TLS
 *             ClientHellos, HTTP requests; a third name AI hosts), read
 *             from disk on every call
 * Each is run BENCH_CALLS times (default 20000; pcap1k a tenth) after a
 * warm-up; the median and p99 of the per-call times are printed. BENCH_ONLY
 * names one workload to run (e.g. under callgrind). */
#include "benchutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <trawl/trawl.h>
#include <unistd.h>

#define ORIGINAL_TARGET_MS 20.0

static const char *const ai_urls[] = {
    "https://api.openai.com/v1/chat/completions",
    "https://api.openai.com/v1/embeddings",
    "https://unauthorized-api.openai.com/v1/chat/completions",
    "https://api.anthropic.com/v1/messages",
    "https://generativelanguage.googleapis.com/v1beta/models/gemini-1.5-pro:generateContent",
    "https://us-central1-aiplatform.googleapis.com/v1/projects/p/locations/us-central1/"
    "publishers/google/models/gemini-pro:streamGenerateContent",
    "https://myres.openai.azure.com/openai/deployments/gpt4/chat/"
    "completions?api-version=2024-02-01",
    "https://bedrock-runtime.us-east-1.amazonaws.com/model/anthropic.claude-3/invoke",
    "https://api.cohere.com/v1/chat",
    "https://api.mistral.ai/v1/chat/completions",
    "https://api.groq.com/openai/v1/chat/completions",
    "https://api.together.xyz/v1/completions",
    "https://api.fireworks.ai/inference/v1/chat/completions",
    "https://api.perplexity.ai/chat/completions",
    "https://api.deepseek.com/chat/completions",
    "https://api.x.ai/v1/chat/completions",
    "https://openrouter.ai/api/v1/chat/completions",
    "https://api-inference.huggingface.co/models/gpt2",
    "https://xyz.us-east-1.aws.endpoints.huggingface.cloud/",
    "https://api.replicate.com/v1/predictions",
    "https://api.cloudflare.com/client/v4/accounts/abc123/ai/run/@cf/meta/llama-3-8b-instruct",
    "https://chatgpt.com/backend-api/conversation",
    "https://claude.ai/api/organizations",
    "https://api.anthropic.com/v1/complete",
    "https://eu.api.openai.com/v1/responses",
    "https://integrate.api.nvidia.com/v1/chat/completions",
    "https://dashscope.aliyuncs.com/compatible-mode/v1/chat/completions",
    "https://api.voyageai.com/v1/embeddings",
    "https://gemini.google.com/app",
    "https://runtime.sagemaker.eu-west-1.amazonaws.com/endpoints/x/invocations",
};

static const char *const other_hosts[] = {
    "www.google.com",          "github.com",
    "api.github.com",          "slack.com",
    "files.slack.com",         "login.microsoftonline.com",
    "graph.microsoft.com",     "s3.amazonaws.com",
    "www.wikipedia.org",       "news.ycombinator.com",
    "registry.npmjs.org",      "pypi.org",
    "cdn.jsdelivr.net",        "fonts.googleapis.com",
    "storage.googleapis.com",  "zoom.us",
    "corp.example.com",        "intranet.corp.example.com",
    "openai.com.evil.example", "notopenai.com",
};

static char *urls[100];

static void make_urls(void)
{
    size_t k = 0;
    for (size_t i = 0; i < 30; i++)
        urls[k++] = strdup(ai_urls[i]);
    for (size_t i = 0; k < 100; i++) {
        char buf[256];
        snprintf(buf, sizeof(buf), "https://%s/path/%zu/index.html?utm_source=mail&id=%zu",
                 other_hosts[i % 20], i, i * 7919);
        urls[k++] = strdup(buf);
    }
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void measure(const char *name, trawl_detect_engine *e, trawl_detect_ctx *c,
                    trawl_detect_input *in, int calls)
{
    const char *only = getenv("BENCH_ONLY");
    if (only && strcmp(only, name))
        return;
    double *t = malloc(sizeof(double) * (size_t)calls);
    trawl_error err;
    trawl_detect_report *r;
    size_t viol = 0;
    for (int i = 0; i < calls / 10 + 1; i++) { /* warm-up */
        if (trawl_detect_run(e, c, in, TRAWL_DET_SHADOW_AI, &r, &err) != TRAWL_OK) {
            fprintf(stderr, "bench_detect_shadow: %s\n", err.message);
            exit(1);
        }
        viol = r->results[1].n_violations;
        trawl_detect_report_free(r);
    }
    for (int i = 0; i < calls; i++) {
        double t0 = bu_now();
        trawl_detect_run(e, c, in, TRAWL_DET_SHADOW_AI, &r, &err);
        trawl_detect_report_free(r);
        t[i] = bu_now() - t0;
    }
    qsort(t, (size_t)calls, sizeof(double), cmp);
    double med = t[calls / 2] * 1e6, p99 = t[(size_t)(calls * 0.99)] * 1e6;
    printf("%-8s %6d calls  %3zu violations  median %8.1f us  p99 %8.1f us  "
           "original target %.0f ms  -> %.0fx under (median), %.0fx (p99)\n",
           name, calls, viol, med, p99, ORIGINAL_TARGET_MS, ORIGINAL_TARGET_MS * 1000 / med,
           ORIGINAL_TARGET_MS * 1000 / p99);
    free(t);
}

/* ---- a capture ---------------------------------------------------------------------- */

static size_t dns_query(uint8_t *p, const char *name)
{
    memcpy(p, "\xab\xcd\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00", 12);
    size_t n = 12;
    for (const char *s = name; *s;) {
        const char *dot = strchr(s, '.');
        size_t l = dot ? (size_t)(dot - s) : strlen(s);
        p[n++] = (uint8_t)l;
        memcpy(p + n, s, l);
        n += l;
        s += l + (dot ? 1 : 0);
    }
    p[n++] = 0;
    memcpy(p + n, "\0\1\0\1", 4);
    return n + 4;
}

static size_t client_hello(uint8_t *p, const char *sni)
{
    size_t sl = strlen(sni), b = 0;
    uint8_t body[600];
    body[b++] = 3, body[b++] = 3;
    memset(body + b, 0x42, 32), b += 32;
    body[b++] = 32, memset(body + b, 0x24, 32), b += 32;
    body[b++] = 0, body[b++] = 8;
    memcpy(body + b, "\x13\x01\x13\x02\x13\x03\xc0\x2f", 8), b += 8;
    body[b++] = 1, body[b++] = 0;
    size_t ext = 4 + 5 + sl + 4 + 2 + 4 + 8;
    body[b++] = (uint8_t)(ext >> 8), body[b++] = (uint8_t)ext;
    memcpy(body + b, "\x00\x17\x00\x00", 4), b += 4;                 /* extended_master_secret */
    memcpy(body + b, "\x00\x0b\x00\x02\x01\x00", 6), b += 6;         /* ec_point_formats */
    memcpy(body + b, "\x00\x0a\x00\x04\x00\x02\x00\x1d", 8), b += 8; /* groups */
    body[b++] = 0, body[b++] = 0, body[b++] = (uint8_t)((5 + sl) >> 8),
    body[b++] = (uint8_t)(5 + sl), body[b++] = (uint8_t)((3 + sl) >> 8),
    body[b++] = (uint8_t)(3 + sl), body[b++] = 0, body[b++] = (uint8_t)(sl >> 8),
    body[b++] = (uint8_t)sl;
    memcpy(body + b, sni, sl), b += sl;
    size_t n = 0;
    p[n++] = 0x16, p[n++] = 3, p[n++] = 1, p[n++] = (uint8_t)((b + 4) >> 8),
    p[n++] = (uint8_t)(b + 4);
    p[n++] = 1, p[n++] = 0, p[n++] = (uint8_t)(b >> 8), p[n++] = (uint8_t)b;
    memcpy(p + n, body, b);
    return n + b;
}

static void packet(FILE *f, int udp, uint16_t dport, const uint8_t *pl, size_t n)
{
    uint8_t pk[2048];
    size_t l4 = udp ? 8 : 20, len = 14 + 20 + l4 + n;
    memset(pk, 0, len);
    memcpy(pk, "\x00\x11\x22\x33\x44\x55\x66\x77\x88\x99\xaa\xbb\x08\x00", 14);
    uint8_t *ip = pk + 14, *t = ip + 20;
    ip[0] = 0x45, ip[2] = (uint8_t)((20 + l4 + n) >> 8), ip[3] = (uint8_t)(20 + l4 + n);
    ip[8] = 64, ip[9] = udp ? 17 : 6;
    memcpy(ip + 12, "\x0a\x00\x00\x02\x0a\x00\x00\x01", 8);
    t[0] = 0xc3, t[1] = 0x50, t[2] = (uint8_t)(dport >> 8), t[3] = (uint8_t)dport;
    if (udp)
        t[4] = (uint8_t)((8 + n) >> 8), t[5] = (uint8_t)(8 + n);
    else
        t[12] = 0x50, t[13] = 0x18;
    memcpy(t + l4, pl, n);
    uint32_t rec[4] = {1700000000u, 0, (uint32_t)len, (uint32_t)len};
    fwrite(rec, 4, 4, f);
    fwrite(pk, 1, len, f);
}

static void make_pcap(const char *path)
{
    FILE *f = fopen(path, "wb");
    if (!f) {
        perror(path);
        exit(1);
    }
    uint32_t gh[6] = {0xa1b2c3d4u, 0x00040002u, 0, 0, 65535, 1};
    fwrite(gh, 4, 6, f);
    uint8_t p[1200];
    for (int i = 0; i < 1000; i++) {
        const char *h = i % 3 == 0 ? "api.openai.com" : other_hosts[i % 20];
        if (i % 4 == 0) {
            packet(f, 1, 53, p, dns_query(p, h));
        } else if (i % 4 == 1) {
            packet(f, 0, 443, p, client_hello(p, h));
        } else if (i % 4 == 2) {
            int n = snprintf((char *)p, sizeof(p),
                             "POST /v1/chat/completions HTTP/1.1\r\nHost: %s\r\nUser-Agent: "
                             "bench\r\nContent-Type: application/json\r\n\r\n{}",
                             i % 3 == 2 ? "api.mistral.ai" : h);
            packet(f, 0, 80, p, (size_t)n);
        } else {
            memset(p, 0x5a, 400); /* TCP data that is none of the three */
            packet(f, 0, 8443, p, 400);
        }
    }
    fclose(f);
}

int main(void)
{
    const char *cfg = "[shadow_ai]\nallow = .corp.example.com, api.github.com\n";
    trawl_detect_engine *e;
    trawl_detect_ctx *c;
    trawl_error err;
    if (trawl_detect_engine_new(cfg, strlen(cfg), &e, &err) != TRAWL_OK ||
        trawl_detect_ctx_new(e, &c, &err) != TRAWL_OK) {
        fprintf(stderr, "bench_detect_shadow: %s\n", err.message);
        return 1;
    }
    const char *env = getenv("BENCH_CALLS");
    int calls = env ? atoi(env) : 20000;
    if (calls < 100)
        calls = 100;
    make_urls();

    trawl_detect_input in;
    memset(&in, 0, sizeof(in));
    in.urls = urls;
    in.n_urls = 100;
    measure("urls100", e, c, &in, calls);

    trawl_connection conns[20];
    static const int ports[] = {443, 80, 5000, 11434, 8080, 22, 3306, 7860, 1234, 8443};
    for (int i = 0; i < 20; i++)
        conns[i] = (trawl_connection){i % 2 ? "127.0.0.1" : (char *)other_hosts[i], ports[i % 10]};
    trawl_process procs[20];
    static const char *const pnames[] = {"bash",         "sshd",     "ollama", "python3", "chrome",
                                         "llama-server", "postgres", "nginx",  "vllm",    "code"};
    for (int i = 0; i < 20; i++)
        procs[i] = (trawl_process){(char *)pnames[i % 10], 1000 + i, i == 3 ? 80.0 : -1};
    char *files[10] = {"/home/u/models/llama-7b.gguf",
                       "/srv/pytorch_model.bin",
                       "/data/model.safetensors",
                       "/tmp/report.pdf",
                       "/home/u/notes.txt",
                       "/opt/m/model.onnx",
                       "/var/lib/x/weights.pt",
                       "/home/u/a.npy",
                       "/etc/hosts.bak",
                       "/usr/share/dict/words.bin"};
    uint8_t gguf[24] = {'G', 'G', 'U', 'F', 3, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 5};
    in.connections = conns;
    in.n_connections = 20;
    in.processes = procs;
    in.n_processes = 20;
    in.files = files;
    in.n_files = 10;
    in.data = gguf;
    in.data_len = sizeof(gguf);
    measure("mixed", e, c, &in, calls);

    char path[] = "/tmp/bench-shadow-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0) {
        perror("mkstemp");
        return 1;
    }
    close(fd);
    make_pcap(path);
    char *pcaps[1] = {path};
    trawl_detect_input pin;
    memset(&pin, 0, sizeof(pin));
    pin.pcaps = pcaps;
    pin.n_pcaps = 1;
    measure("pcap1k", e, c, &pin, calls / 10);
    remove(path);

    printf("peak RSS %.1f MiB\n", bu_peak_rss_mib());
    for (int i = 0; i < 100; i++)
        free(urls[i]);
    trawl_detect_ctx_free(c);
    trawl_detect_engine_free(e);
    return 0;
}
