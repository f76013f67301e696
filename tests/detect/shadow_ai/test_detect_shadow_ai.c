/* test_detect_shadow.c -- the shadow_ai detector: the issue's cases, the URL
 * parser, the rule pack parser, model-file magics on generated files, the
 * DNS / TLS / HTTP parsers, a generated pcap, false positives and errors. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <trawl/trawl.h>

#include "detect/detector.h"
#include "common/embedded.h"
#include "detect/shadow_ai/shadow.h"

/* ---- helpers ------------------------------------------------------------------- */

static char tmpdir[64];

static int setup_tmp(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/trawl-shadow-XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown_tmp(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

static const char *tmp_path(const char *name)
{
    static char p[4][256];
    static int k;
    k = (k + 1) % 4;
    snprintf(p[k], sizeof(p[k]), "%s/%s", tmpdir, name);
    return p[k];
}

static void write_file(const char *path, const void *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, n, f), n);
    fclose(f);
}

/* Runs shadow_ai with config cfg ("" for defaults) on the JSON input. */
static trawl_detect_report *run_cfg(const char *cfg, const char *json)
{
    trawl_detect_engine *e;
    trawl_detect_ctx *c;
    trawl_detect_input *in;
    trawl_detect_report *r;
    trawl_error err;
    /* shadow_ai only: the prompt-injection pack's compile costs seconds */
    char text[4096];
    snprintf(text, sizeof text, "[prompt_injection]\nenabled = false\n%s", cfg);
    if (trawl_detect_engine_new(text, strlen(text), &e, &err) != TRAWL_OK)
        fail_msg("engine: %s", err.message);
    assert_int_equal(trawl_detect_ctx_new(e, &c, &err), TRAWL_OK);
    if (trawl_detect_input_parse(json, strlen(json), &in, &err) != TRAWL_OK)
        fail_msg("input: %s", err.message);
    if (trawl_detect_run(e, c, in, TRAWL_DET_SHADOW_AI, &r, &err) != TRAWL_OK)
        fail_msg("run: %s", err.message);
    assert_true(r->ran & TRAWL_DET_SHADOW_AI);
    trawl_detect_input_free(in);
    trawl_detect_ctx_free(c);
    trawl_detect_engine_free(e);
    return r;
}

static trawl_detect_report *run_json(const char *json)
{
    return run_cfg("", json);
}

static const trawl_detector_result *shadow(const trawl_detect_report *r)
{
    return &r->results[1];
}

/* The violation of category cat whose evidence contains needle (NULL: any). */
static const trawl_violation *find(const trawl_detect_report *r, const char *cat,
                                   const char *needle)
{
    const trawl_detector_result *d = shadow(r);
    for (size_t i = 0; i < d->n_violations; i++) {
        const trawl_violation *v = &d->violations[i];
        if (strcmp(v->category, cat))
            continue;
        if (!needle)
            return v;
        for (size_t k = 0; k < v->n_evidence; k++)
            if (strstr(v->evidence[k], needle))
                return v;
    }
    return NULL;
}

static void dump(const trawl_detect_report *r)
{
    char *s = trawl_detect_report_json(r);
    print_message("%s\n", s);
    free(s);
}

/* ---- the issue's cases ---------------------------------------------------------------- */

static void test_issue_urls(void **state)
{
    (void)state;
    trawl_detect_report *r =
        run_json("{\"urls\":[\"https://unauthorized-api.openai.com/v1/chat/completions\","
                 "\"https://api.anthropic.com/v1/messages\"]}");
    const trawl_violation *o = find(r, "ai_api_endpoint", "'unauthorized-api.openai.com'");
    const trawl_violation *a = find(r, "ai_api_endpoint", "'api.anthropic.com'");
    if (!o || !a)
        dump(r);
    assert_non_null(o);
    assert_non_null(a);
    assert_non_null(strstr(o->description, "openai"));
    /* subdomain of openai.com (0.7) + LLM API call path (0.1) */
    assert_true(o->confidence > 0.79 && o->confidence < 0.81);
    assert_int_equal(o->severity, TRAWL_SEVERITY_HIGH);
    assert_non_null(strstr(o->evidence[0], "is a subdomain of '.openai.com'"));
    assert_non_null(strstr(o->evidence[0], "path '/v1/chat/completions'"));
    /* exact API host (0.85) + API path (0.1) */
    assert_true(a->confidence > 0.94 && a->confidence < 0.96);
    assert_int_equal(a->severity, TRAWL_SEVERITY_CRITICAL);
    assert_true(shadow(r)->threat_score > 0.94);
    assert_int_equal(shadow(r)->n_violations, 2);
    trawl_detect_report_free(r);
}

static void test_allowlist(void **state)
{
    (void)state;
    const char *urls = "{\"urls\":[\"https://unauthorized-api.openai.com/v1/chat/completions\","
                       "\"https://api.anthropic.com/v1/messages\"]}";
    trawl_detect_report *r = run_cfg("[shadow_ai]\nallow = api.anthropic.com, .openai.com\n", urls);
    assert_int_equal(shadow(r)->n_violations, 0);
    assert_true(shadow(r)->threat_score == 0);
    trawl_detect_report_free(r);

    /* An exact entry does not cover the host's subdomains (the substring
     * allowlist of the original let unauthorized-api.openai.com through). */
    r = run_cfg("[shadow_ai]\nallow = api.openai.com, API.Anthropic.com.\n", urls);
    assert_int_equal(shadow(r)->n_violations, 1);
    assert_non_null(find(r, "ai_api_endpoint", "'unauthorized-api.openai.com'"));
    trawl_detect_report_free(r);

    /* A suffix entry covers the domain and names below it, on label
     * boundaries only. */
    r = run_cfg("[shadow_ai]\nallow = *.anthropic.com\n",
                "{\"hosts\":[\"api.anthropic.com\",\"anthropic.com\",\"xanthropic.com\"]}");
    assert_int_equal(shadow(r)->n_violations, 0);
    trawl_detect_report_free(r);
}

static void test_not_substring(void **state)
{
    (void)state;
    trawl_detect_report *r = run_json(
        "{\"urls\":[\"https://openai.com.evil.example/\",\"https://notopenai.com/v1/chat/"
        "completions\",\"https://evil.example/api.openai.com\",\"https://api.openai.com@evil."
        "example/v1/messages\",\"https://evil.example/?u=https://api.anthropic.com/\","
        "\"https://api.openai.co/\",\"https://example.com/#api.openai.com\",\"mailto:x@api.openai."
        "com\",\"data:text/plain,api.openai.com\",\"file:///home/u/api.openai.com\"],"
        "\"hosts\":[\"openai.com.evil.example\",\"evil-openai.com\",\"example.com\"]}");
    if (shadow(r)->n_violations)
        dump(r);
    assert_int_equal(shadow(r)->n_violations, 0);
    trawl_detect_report_free(r);

    /* ... while what clients would really reach is caught. */
    r = run_json("{\"urls\":[\"https://evil.example@API.OpenAI.com.:443/v1/models\","
                 "\"https://api%2eanthropic%2Ecom/v1/messages\",\"wss://api.openai.com/v1/"
                 "realtime\",\"HTTPS://api.mistral.ai\\\\v1\\\\chat\",\"//api.groq.com/openai\","
                 "\"api.deepseek.com/chat\",\"https://api.open\\tai.com/\","
                 "\"https://api\\u3002x\\uff0eai/\"]}");
    const char *hosts[] = {"'api.openai.com'", "'api.anthropic.com'", "'api.mistral.ai'",
                           "'api.groq.com'",   "'api.deepseek.com'",  "'api.x.ai'"};
    for (size_t i = 0; i < sizeof(hosts) / sizeof(hosts[0]); i++)
        if (!find(r, "ai_api_endpoint", hosts[i])) {
            dump(r);
            fail_msg("%s not flagged", hosts[i]);
        }
    /* Same host, several URLs: one violation, one evidence line each. */
    const trawl_violation *v = find(r, "ai_api_endpoint", "'api.openai.com'");
    assert_int_equal(v->n_evidence, 3);
    trawl_detect_report_free(r);
}

static void test_malformed_url(void **state)
{
    (void)state;
    trawl_detect_report *r =
        run_json("{\"urls\":[\"https://api.open ai.com/\",\"https://[::1/\",\"http://x:99999/\"]}");
    const trawl_detector_result *d = shadow(r);
    assert_int_equal(d->n_violations, 3);
    const trawl_violation *v = find(r, "malformed_url",
                                    "urls[0]: invalid character in host at "
                                    "byte 16");
    if (!v)
        dump(r);
    assert_non_null(v);
    assert_true(v->confidence > 0.29 && v->confidence < 0.31);
    assert_non_null(find(r, "malformed_url", "urls[1]: unterminated IPv6 literal at byte 8"));
    assert_non_null(find(r, "malformed_url", "urls[2]: port above 65535 at byte 9"));
    trawl_detect_report_free(r);
}

static void test_ports_processes_gpu(void **state)
{
    (void)state;
    trawl_detect_report *r = run_json(
        "{\"connections\":[{\"host\":\"127.0.0.1\",\"port\":5000},{\"host\":\"localhost\","
        "\"port\":11434},{\"host\":\"10.0.0.5\",\"port\":443},{\"host\":\"api.cohere.com\","
        "\"port\":443}],\"processes\":[{\"name\":\"/usr/local/bin/ollama\",\"pid\":7},"
        "{\"name\":\"LM Studio.exe\",\"pid\":8},{\"name\":\"llama-server-cuda\",\"pid\":9},"
        "{\"name\":\"python3\",\"pid\":10,\"gpu_memory_percent\":87.5},"
        "{\"name\":\"bash\",\"pid\":11,\"gpu_memory_percent\":10},"
        "{\"name\":\"jandal\",\"pid\":12}]}");
    const trawl_violation *p5000 = find(r, "local_model_server_port", "port 5000");
    if (!p5000)
        dump(r);
    assert_non_null(p5000);
    assert_non_null(strstr(p5000->description, "port 5000"));
    assert_non_null(strstr(p5000->evidence[0], "connections[0]: host '127.0.0.1' port 5000"));
    /* 5000 is Flask's default too: weak evidence on its own */
    assert_true(p5000->confidence > 0.34 && p5000->confidence < 0.36);
    const trawl_violation *ol = find(r, "local_model_server_port", "port 11434");
    assert_non_null(ol);
    assert_true(ol->confidence > p5000->confidence);
    assert_null(find(r, "local_model_server_port", "port 443"));
    assert_non_null(find(r, "ai_api_endpoint", "connections[3]: host 'api.cohere.com'"));

    const trawl_violation *po = find(r, "local_model_server_process", "pid 7 is 'ollama'");
    assert_non_null(po);
    assert_true(po->confidence > 0.79);
    assert_non_null(find(r, "local_model_server_process", "pid 8 is 'lm studio'"));
    const trawl_violation *pl =
        find(r, "local_model_server_process", "pid 9 starts with 'llama-server'");
    assert_non_null(pl);
    assert_true(pl->confidence < po->confidence);
    assert_null(find(r, "local_model_server_process", "pid 12"));

    const trawl_violation *g = find(r, "gpu_usage", "pid 10 gpu_memory_percent 87.5");
    assert_non_null(g);
    /* 0.5 + 0.4 * (87.5 - 50) / 50 = 0.8 */
    assert_true(g->confidence > 0.79 && g->confidence < 0.81);
    assert_null(find(r, "gpu_usage", "pid 11"));
    trawl_detect_report_free(r);

    r = run_cfg("[shadow_ai]\nallow_ports = 5000\nallow_processes = OLLAMA\n"
                "gpu_memory_percent = 90\n",
                "{\"connections\":[{\"host\":\"127.0.0.1\",\"port\":5000}],\"processes\":[{"
                "\"name\":\"ollama\"},{\"name\":\"python3\",\"gpu_memory_percent\":87.5}]}");
    assert_int_equal(shadow(r)->n_violations, 0);
    trawl_detect_report_free(r);
}

static void test_model_name_only(void **state)
{
    (void)state;
    trawl_detect_report *r = run_json("{\"files\":[\"/home/user/models/llama-7b.gguf\","
                                      "\"/home/user/notes.txt\",\"/srv/pytorch_model.bin\","
                                      "\"/srv/firmware.bin\"]}");
    const trawl_violation *v = find(r, "model_file", "files[0] name: file name ends in '.gguf'");
    if (!v)
        dump(r);
    assert_non_null(v);
    assert_non_null(strstr(v->description, "/home/user/models/llama-7b.gguf"));
    assert_non_null(strstr(v->evidence[0], "content not read: No such file or directory"));
    assert_true(v->confidence > 0.59 && v->confidence < 0.61);
    assert_non_null(find(r, "model_file", "files[2] name: '.bin' file named with 'model'"));
    assert_null(find(r, "model_file", "files[1]"));
    assert_null(find(r, "model_file", "files[3]"));
    assert_int_equal(shadow(r)->n_violations, 2);
    trawl_detect_report_free(r);
}

/* ---- model magics on generated files -------------------------------------------------- */

typedef struct blob {
    uint8_t b[512];
    size_t n;
} blob;

static void put(blob *x, const void *p, size_t n)
{
    memcpy(x->b + x->n, p, n);
    x->n += n;
}

static void put_le(blob *x, uint64_t v, int bytes)
{
    for (int i = 0; i < bytes; i++)
        x->b[x->n++] = (uint8_t)(v >> (8 * i));
}

static void zip_entry(blob *x, const char *name, const char *data)
{
    put(x, "PK\x03\x04", 4);
    put_le(x, 20, 2); /* version */
    put_le(x, 0, 2);  /* flags */
    put_le(x, 0, 2);  /* stored */
    put_le(x, 0, 4);  /* time, date */
    put_le(x, 0, 4);  /* crc */
    put_le(x, strlen(data), 4);
    put_le(x, strlen(data), 4);
    put_le(x, strlen(name), 2);
    put_le(x, 0, 2);
    put(x, name, strlen(name));
    put(x, data, strlen(data));
}

typedef struct mcase {
    const char *file, *format, *needle;
    blob x;
} mcase;

static void mcase_set(mcase *c, const char *file, const char *format, const char *needle)
{
    c->file = file;
    c->format = format;
    c->needle = needle;
    c->x.n = 0;
}

static void test_model_magic_files(void **state)
{
    (void)state;
    mcase t[12];
    memset(t, 0, sizeof(t));
    size_t n = 0;

    mcase_set(&t[n], "m.dat", "GGUF", "version 3, 2 tensors, 5 metadata keys");
    put(&t[n].x, "GGUF", 4), put_le(&t[n].x, 3, 4), put_le(&t[n].x, 2, 8), put_le(&t[n].x, 5, 8);
    n++;
    mcase_set(&t[n], "old.dat", "GGML", "legacy magic 'ggjt' (u32 LE) at offset 0, version 3");
    put(&t[n].x, "tjgg", 4), put_le(&t[n].x, 3, 4);
    n++;
    const char *st = "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}";
    mcase_set(&t[n], "st.dat", "safetensors", "dtype shape data_offsets");
    put_le(&t[n].x, strlen(st), 8), put(&t[n].x, st, strlen(st)), put(&t[n].x, "\0\0\x80?", 4);
    n++;
    /* ONNX: ir_version 8, producer_name "pytorch", opset_import {version 17} */
    mcase_set(&t[n], "m.onnx.dat", "ONNX", "producer 'pytorch', opset_import");
    put(&t[n].x,
        "\x08\x08\x12\x07pytorch\x1a\x03"
        "2.1\x42\x02\x10\x11",
        20);
    n++;
    mcase_set(&t[n], "ckpt.dat", "PyTorch", "entry 'archive/data.pkl'");
    zip_entry(&t[n].x, "archive/data.pkl", "\x80\x02}q\x00.");
    zip_entry(&t[n].x, "archive/version", "3\n");
    n++;
    mcase_set(&t[n], "legacy.dat", "PyTorch", "legacy torch.save");
    put(&t[n].x, "\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19.", 15);
    n++;
    mcase_set(&t[n], "obj.dat", "pickle", "pickle protocol 4 at offset 0");
    put(&t[n].x, "\x80\x04\x95\x10\x00\x00\x00\x00\x00\x00\x00}\x94.", 14);
    n++;
    mcase_set(&t[n], "m.tfl.dat", "TFLite", "'TFL3' at offset 4, root table offset 28");
    put_le(&t[n].x, 28, 4), put(&t[n].x, "TFL3", 4), put(&t[n].x, "\0\0\0\0\0\0\0\0", 8),
        put(&t[n].x, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 20);
    n++;
    mcase_set(&t[n], "plain.h5.dat", "HDF5", "HDF5 signature at offset 0");
    put(&t[n].x, "\x89HDF\r\n\x1a\n\0\0\0\0", 12);
    n++;
    mcase_set(&t[n], "k.dat", "Keras", "keras_version");
    put(&t[n].x, "\x89HDF\r\n\x1a\n\0\0\0\0model_config\0keras_version\0", 40);
    n++;
    mcase_set(&t[n], "arr.dat", "NumPy", "format 1.0, header dict with 'descr'");
    put(&t[n].x,
        "\x93NUMPY\x01\x00\x76\x00{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", 68);
    n++;
    mcase_set(&t[n], "k3.dat", "Keras", "config.json and model.weights.h5");
    zip_entry(&t[n].x, "metadata.json", "{}");
    zip_entry(&t[n].x, "config.json", "{}");
    zip_entry(&t[n].x, "model.weights.h5", "x");
    n++;

    char json[4096] = "{\"files\":[";
    for (size_t i = 0; i < n; i++) {
        write_file(tmp_path(t[i].file), t[i].x.b, t[i].x.n);
        snprintf(json + strlen(json), sizeof(json) - strlen(json), "%s\"%s\"", i ? "," : "",
                 tmp_path(t[i].file));
    }
    strcat(json, "]}");
    trawl_detect_report *r = run_json(json);
    for (size_t i = 0; i < n; i++) {
        char needle[64];
        snprintf(needle, sizeof(needle), "files[%zu] content", i);
        const trawl_violation *v = find(r, "model_file", needle);
        if (!v) {
            dump(r);
            fail_msg("%s not identified", t[i].file);
        }
        char fmt[64];
        snprintf(fmt, sizeof(fmt), "(%s)", t[i].format);
        if (!strstr(v->description, fmt) || !strstr(v->evidence[0], t[i].needle)) {
            dump(r);
            fail_msg("%s: got '%s' / '%s'", t[i].file, v->description, v->evidence[0]);
        }
    }
    /* Strong formats score higher than formats that also hold other data. */
    assert_true(find(r, "model_file", "files[0] content")->confidence > 0.9);
    assert_true(find(r, "model_file", "files[8] content")->confidence < 0.5);
    trawl_detect_report_free(r);

    /* The same bytes as data_base64. */
    r = run_json("{\"data_base64\":\"R0dVRgMAAAACAAAAAAAAAAUAAAAAAAAA\"}");
    const trawl_violation *d = find(r, "model_data", "data (24 bytes): magic 'GGUF' at offset 0");
    assert_non_null(d);
    assert_true(d->confidence > 0.9);
    trawl_detect_report_free(r);
}

static void test_model_false_positives(void **state)
{
    (void)state;
    uint8_t rnd[4096];
    tu_rng g;
    tu_seed(&g, 7);
    for (size_t i = 0; i < sizeof(rnd); i++)
        rnd[i] = (uint8_t)tu_next(&g);
    write_file(tmp_path("random.dat"), rnd, sizeof(rnd));
    const char *png = "\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
    write_file(tmp_path("image.png"), png, 16);
    const char *text = "hello, this is not a model\n";
    write_file(tmp_path("fake.gguf"), text, strlen(text));
    /* a zip that is not a model (an ordinary document) */
    blob z = {{0}, 0};
    zip_entry(&z, "word/document.xml", "<w/>");
    write_file(tmp_path("doc.docx"), z.b, z.n);
    /* 8 bytes of length then '{' but no safetensors keys */
    const char *js = "\x05\0\0\0\0\0\0\0{\"a\":1}";
    write_file(tmp_path("j.dat"), js, 15);
    char json[1024];
    snprintf(json, sizeof(json), "{\"files\":[\"%s\",\"%s\",\"%s\",\"%s\",\"%s\",\"%s\"]}",
             tmp_path("random.dat"), tmp_path("image.png"), tmp_path("fake.gguf"),
             tmp_path("doc.docx"), tmp_path("j.dat"), tmpdir);
    trawl_detect_report *r = run_json(json);
    /* Only the misnamed text file, by name, with the confidence halved. */
    assert_int_equal(shadow(r)->n_violations, 1);
    const trawl_violation *v = find(r, "model_file", "files[2] name");
    assert_non_null(v);
    assert_non_null(strstr(v->evidence[0], "no known model magic, confidence halved"));
    assert_true(v->confidence > 0.29 && v->confidence < 0.31);
    trawl_detect_report_free(r);

    shadow_model_hit h;
    for (size_t n = 0; n < 64; n++)
        assert_false(shadow_model_magic((const uint8_t *)"", 0, 0, &h) && n == 0);
    assert_false(shadow_model_magic((const uint8_t *)"\x08", 1, 1, &h));
    assert_false(shadow_model_magic((const uint8_t *)"\x08\x05\xff\xff", 4, 4, &h));
}

/* Special files are never read: a FIFO would block, a device may act on
 * open. They are judged by name. */
static void test_model_special_files(void **state)
{
    (void)state;
    const char *fifo = tmp_path("pipe.gguf"), *dir = tmp_path("dir.safetensors");
    assert_int_equal(mkfifo(fifo, 0600), 0);
    assert_int_equal(mkdir(dir, 0700), 0);
    char json[512];
    snprintf(json, sizeof(json), "{\"files\":[\"%s\",\"%s\",\"/dev/null\"]}", fifo, dir);
    trawl_detect_report *r = run_json(json);
    const trawl_violation *a = find(r, "model_file", "files[0] name");
    const trawl_violation *b = find(r, "model_file", "files[1] name");
    if (!a || !b)
        dump(r);
    assert_non_null(strstr(a->evidence[0], "content not read: not a regular file"));
    assert_non_null(strstr(b->evidence[0], "content not read: not a regular file"));
    assert_true(a->confidence > 0.59 && a->confidence < 0.61);
    assert_int_equal(shadow(r)->n_violations, 2);
    trawl_detect_report_free(r);
}

/* ---- parsers ---------------------------------------------------------------------- */

static void test_url_parser(void **state)
{
    (void)state;
    static const struct {
        const char *in, *host, *path;
        int port;
    } ok[] = {
        {"https://api.openai.com/v1/chat/completions", "api.openai.com", "/v1/chat/completions",
         -1},
        {"HTTPS://User:Pw@API.OpenAI.COM.:8443/x?q=1#f", "api.openai.com", "/x", 8443},
        {"http://[2001:DB8::1]:80/a", "2001:db8::1", "/a", 80},
        {"http://[::]/", "::", "/", -1},
        {"http://[::ffff:10.0.0.1]/", "::ffff:10.0.0.1", "/", -1},
        {"http://[1:2:3:4:5:6:7:8]/", "1:2:3:4:5:6:7:8", "/", -1},
        {"http://[1::]/", "1::", "/", -1},
        {"http://host:/p", "host", "/p", -1},
        {"localhost:11434", "localhost", "", 11434},
        {"  api.x.ai  ", "api.x.ai", "", -1},
        {"ftp://a.b\\c", "a.b", "/c", -1},
        {"https://a%2Db.com", "a-b.com", "", -1},
        {"https://xn--bcher-kva.example/", "xn--bcher-kva.example", "/", -1},
        {"https://10.1.2.3/", "10.1.2.3", "/", -1},
    };
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        shadow_url u;
        shadow_url_error e = {0};
        if (!shadow_url_parse(ok[i].in, strlen(ok[i].in), &u, &e))
            fail_msg("'%s': %s at %zu", ok[i].in, e.reason, e.offset);
        assert_string_equal(u.host, ok[i].host);
        assert_string_equal(u.path, ok[i].path);
        assert_int_equal(u.port, ok[i].port);
    }
    shadow_url u;
    assert_true(shadow_url_parse("https://u@h.com", 15, &u, NULL) && u.has_userinfo);
    assert_true(shadow_url_parse("http://[::1]/", 13, &u, NULL) && u.ipv6);
    static const struct {
        const char *in, *reason;
        size_t offset;
    } bad[] = {
        {"", "empty URL", 0},
        {"https://", "empty host", 8},
        {"https://a..b/", "empty label in host", 8},
        {"https://a b/", "invalid character in host", 9},
        {"https://a%zz/", "bad percent-encoding in host", 9},
        {"https://a%c3%a9/", "percent-encoded non-ASCII byte in host", 9},
        {"https://\xc3\xa9.com/", "non-ASCII host (IDNA is not supported)", 8},
        {"https://[::1", "unterminated IPv6 literal", 8},
        {"https://[fe80::1%25eth0]/", "zone identifier in IPv6 literal", 16},
        {"https://[1:2]/", "malformed IPv6 literal", 8},
        {"https://[:802:.]/", "malformed IPv6 literal", 8},
        {"https://[1::2::3]/", "malformed IPv6 literal", 8},
        {"https://[12345::]/", "malformed IPv6 literal", 8},
        {"https://[::1.2.3]/", "malformed IPv6 literal", 8},
        {"https://[1:2:3:4:5:6:7:8:9]/", "malformed IPv6 literal", 8},
        {"https://h:8x/", "non-digit in port", 11},
        {"https://h:65536/", "port above 65535", 10},
        {"mailto:a@b.c", "scheme without '//' names no host", 0},
        {"/just/a/path", "a path, not a URL", 0},
        {"https://aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.com/",
         "label longer than 63 bytes in host", 8},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        shadow_url_error e = {0};
        if (shadow_url_parse(bad[i].in, strlen(bad[i].in), &u, &e))
            fail_msg("'%s' accepted as host '%s'", bad[i].in, u.host);
        assert_string_equal(e.reason, bad[i].reason);
        assert_int_equal(e.offset, bad[i].offset);
    }
}

/* ---- the host index against a linear scan --------------------------------------- */

/* The definition the index must agree with: every rule tried in file order;
 * exact (3) over wildcard (2) over suffix (1), a matched path prefix
 * breaking ties, then the longer pattern, then the earlier rule. */
static bool ref_label_within(const char *host, const char *name)
{
    size_t h = strlen(host), n = strlen(name);
    return n && h >= n && !memcmp(host + h - n, name, n) && (h == n || host[h - n - 1] == '.');
}

static bool ref_path(const char *rule, const char *path)
{
    while (*rule) {
        if (*rule == '*') {
            if (!*path || *path == '/')
                return false;
            while (*path && *path != '/')
                path++;
            rule++;
        } else if (*rule++ != *path++) {
            return false;
        }
    }
    return true;
}

static const shadow_endpoint *ref_match(const shadow_rules *r, const char *host, const char *path,
                                        bool *pm_out)
{
    const shadow_endpoint *best = NULL;
    int best_score = 0;
    size_t h = strlen(host);
    for (size_t i = 0; i < r->n_ep; i++) {
        const shadow_endpoint *e = &r->ep[i];
        int rank = 0;
        if (e->kind == SHADOW_HOST_EXACT) {
            rank = !strcmp(host, e->pattern) ? 3 : 0;
        } else if (e->kind == SHADOW_HOST_SUFFIX) {
            rank = ref_label_within(host, e->pattern + 1) ? 1 : 0;
        } else {
            size_t pre = e->star, suf = e->len - e->star - 1;
            rank = h >= pre + suf + 1 && !memcmp(host, e->pattern, pre) &&
                           !memcmp(host + h - suf, e->pattern + pre + 1, suf) &&
                           !memchr(host + pre, '.', h - suf - pre)
                       ? 2
                       : 0;
        }
        if (!rank)
            continue;
        bool pm = false;
        for (size_t j = 0; j < e->n_paths && path && !pm; j++)
            pm = ref_path(e->paths[j], path);
        if (e->n_paths && !pm)
            continue;
        int score = rank * 2 + pm;
        if (!best || score > best_score || (score == best_score && e->len > best->len)) {
            best = e;
            best_score = score;
            *pm_out = pm;
        }
    }
    return best;
}

static void check_against_ref(const shadow_rules *r, const char *host, const char *path)
{
    shadow_match m;
    bool pm = false;
    const shadow_endpoint *want = ref_match(r, host, path, &pm);
    bool got = shadow_rules_match(r, host, path, &m);
    if (got != (want != NULL) || m.ep != want || (want && m.path_matched != pm)) {
        printf("host '%s' path '%s': index %s, linear %s\n", host, path ? path : "(none)",
               got ? m.ep->pattern : "no match", want ? want->pattern : "no match");
        fail();
    }
    if (want)
        assert_int_equal(m.subdomain,
                         want->kind == SHADOW_HOST_SUFFIX && strlen(host) != want->len - 1);
}

static void test_rules_index_matches_linear_scan(void **state)
{
    (void)state;
    /* A small pack with the ties the preference order has to break: the
     * same name as exact and suffix rule, one pattern twice, nested
     * suffixes, a wildcard that overlaps an exact host. */
    const char *ties = "host a x.example.com\nhost b .example.com\nhost c .x.example.com\n"
                       "host d x.example.com /v1/\nhost e .example.com\nhost f *.example.com\n"
                       "host g *-x.example.com /v1/*/y\nhost h .com\nhost i x.example.com\n"
                       "host j x.example.*\n";
    const emb_rule_pack *pack = emb_rules_find("ai_endpoints");
    assert_non_null(pack);
    const char *texts[2] = {ties, pack->text};
    size_t lens[2] = {strlen(ties), pack->len};
    static const char *const paths[] = {NULL,
                                        "/",
                                        "/v1/",
                                        "/v1/chat/completions",
                                        "/v1/a/y",
                                        "/v1beta/models/gemini:generateContent",
                                        "/model/x/invoke",
                                        "/api/v1/chat/completions",
                                        "/v1/messages"};
    static const char *const prefixes[] = {"", "api.", "a.b.", "eu.", "x-", "not", "-"};
    static const char *const suffixes[] = {"", ".evil.example", ".", "x"};
    tu_rng rng;
    tu_seed(&rng, 0xD0);
    size_t checked = 0;
    for (int k = 0; k < 2; k++) {
        shadow_rules r;
        trawl_error err;
        assert_int_equal(shadow_rules_parse(texts[k], lens[k], &r, &err), TRAWL_OK);
        for (size_t i = 0; i < r.n_ep; i++) {
            for (int t = 0; t < 24; t++) {
                /* The rule's own name (a '*' as one label or as a dot),
                 * with a prefix and a suffix that may or may not keep it. */
                char name[300], host[400];
                const char *pat = r.ep[i].pattern + (r.ep[i].pattern[0] == '.' && t % 2);
                size_t q = 0;
                for (const char *c = pat; *c && q < 250; c++)
                    if (*c == '*')
                        q += (size_t)snprintf(name + q, sizeof name - q, "%s",
                                              t % 3 == 0 ? "a.b" : "us-east1");
                    else
                        name[q++] = *c;
                name[q] = 0;
                snprintf(host, sizeof host, "%s%s%s",
                         prefixes[tu_below(&rng, sizeof prefixes / sizeof *prefixes)], name,
                         suffixes[tu_below(&rng, sizeof suffixes / sizeof *suffixes)]);
                if (host[0] == '.')
                    memmove(host, host + 1, strlen(host));
                const char *path = paths[tu_below(&rng, sizeof paths / sizeof *paths)];
                if (r.ep[i].n_paths && t % 4 == 0)
                    path = r.ep[i].paths[0];
                check_against_ref(&r, host, path);
                checked++;
            }
        }
        check_against_ref(&r, "", NULL);
        check_against_ref(&r, "com", NULL);
        shadow_rules_free(&r);
    }
    printf("# %zu hosts matched alike by the index and a linear scan\n", checked);
}

static void test_rules(void **state)
{
    (void)state;
    const char *ok = "# c\nhost p api.example.com\nhost p .example.org /v1/ /v2/*/x/\n"
                     "host q *-ai.example.net\nport 1234 0.5 Some \"server\" # note\n"
                     "process \"my server\" My Server\n";
    shadow_rules r;
    trawl_error err;
    assert_int_equal(shadow_rules_parse(ok, strlen(ok), &r, &err), TRAWL_OK);
    assert_int_equal(r.n_ep, 3);
    assert_int_equal(r.n_ports, 1);
    assert_string_equal(r.ports[0].what, "Some \"server\"");
    assert_string_equal(r.procs[0].name, "my server");
    shadow_match m;
    assert_true(shadow_rules_match(&r, "api.example.com", NULL, &m));
    assert_int_equal(m.ep->kind, SHADOW_HOST_EXACT);
    assert_false(shadow_rules_match(&r, "www.example.org", NULL, &m)); /* needs a path */
    assert_true(shadow_rules_match(&r, "www.example.org", "/v2/abc/x/y", &m));
    assert_true(m.path_matched && m.subdomain);
    assert_false(shadow_rules_match(&r, "www.example.org", "/v2//x/", &m));
    assert_false(shadow_rules_match(&r, "www.example.org", "/v3/", &m));
    assert_true(shadow_rules_match(&r, "us-central1-ai.example.net", NULL, &m));
    assert_false(shadow_rules_match(&r, "a.b-ai.example.net", NULL, &m)); /* '*' is one label */
    assert_false(shadow_rules_match(&r, "-ai.example.net", NULL, &m));
    shadow_rules_free(&r);

    static const struct {
        const char *text;
        int line, col;
    } bad[] = {
        {"hots p a.com\n", 1, 1},     {"host p\n", 1, 1},         {"\nhost p a..com\n", 2, 8},
        {"host p a.com v1\n", 1, 14}, {"host p *.*.com\n", 1, 8}, {"port 0 0.5 x\n", 1, 6},
        {"port 80 1.5 x\n", 1, 9},    {"port 80 0.5\n", 1, 1},    {"process \"x\n", 1, 9},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        trawl_status s = shadow_rules_parse(bad[i].text, strlen(bad[i].text), &r, &err);
        if (s != TRAWL_ESYNTAX || err.line != bad[i].line || err.column != bad[i].col)
            fail_msg("'%s': status %d line %d col %d (%s)", bad[i].text, s, err.line, err.column,
                     err.message);
        assert_int_equal(r.n_ep, 0);
    }
}

static void test_dns_parser(void **state)
{
    (void)state;
    char names[SHADOW_DNS_MAX_QUESTIONS][SHADOW_HOST_MAX];
    bool q;
    /* two questions, the second compressed onto the first's "openai.com" */
    uint8_t m[] = {0x12, 0x34, 0x01, 0x00, 0x00, 0x02, 0,   0,   0,    0,  0,   0,   3,   'A',
                   'P',  'I',  6,    'o',  'p',  'e',  'n', 'a', 'i',  3,  'c', 'o', 'm', 0,
                   0,    1,    0,    1,    3,    'w',  'w', 'w', 0xC0, 16, 0,   1,   0,   1};
    assert_int_equal(shadow_dns_questions(m, sizeof(m), names, 8, &q), 2);
    assert_true(q);
    assert_string_equal(names[0], "api.openai.com");
    assert_string_equal(names[1], "www.openai.com");
    /* truncated before qtype: the first name only */
    assert_int_equal(shadow_dns_questions(m, sizeof(m) - 2, names, 8, &q), 1);
    /* a pointer to itself, and a forward pointer: refused */
    uint8_t loop[] = {0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xC0, 12, 0, 1, 0, 1};
    assert_int_equal(shadow_dns_questions(loop, sizeof(loop), names, 8, &q), 0);
    uint8_t fwd[] = {0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xC0, 16, 0, 1, 1, 'a', 0, 0, 1, 0, 1};
    assert_int_equal(shadow_dns_questions(fwd, sizeof(fwd), names, 8, &q), 0);
    /* a backwards loop through a label: bounded by the jump limit */
    uint8_t loop2[] = {0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 'a', 0xC0, 12, 0, 1, 0, 1};
    assert_int_equal(shadow_dns_questions(loop2, sizeof(loop2), names, 8, &q), 0);
    /* a label with a dot or a NUL inside is not a host name */
    uint8_t dot[] = {0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 3, 'a', '.', 'b', 0, 0, 1, 0, 1};
    assert_int_equal(shadow_dns_questions(dot, sizeof(dot), names, 8, &q), 0);
    assert_int_equal(shadow_dns_questions(m, 11, names, 8, &q), 0);
}

/* ---- a generated pcap ---------------------------------------------------------------- */

static size_t dns_query(uint8_t *p, const char *name)
{
    size_t n = 0;
    const uint8_t hdr[12] = {0xab, 0xcd, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0};
    memcpy(p, hdr, 12);
    n = 12;
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
    uint8_t body[512];
    size_t b = 0, sl = strlen(sni);
    body[b++] = 3, body[b++] = 3;
    memset(body + b, 0x11, 32), b += 32;
    body[b++] = 0;                                                    /* session id */
    body[b++] = 0, body[b++] = 2, body[b++] = 0x13, body[b++] = 0x01; /* suites */
    body[b++] = 1, body[b++] = 0;                                     /* compression */
    size_t ext_len = 4 + 2 + 3 + sl + 4 + 2;                          /* SNI + an empty ext 23 */
    body[b++] = (uint8_t)(ext_len >> 8), body[b++] = (uint8_t)ext_len;
    body[b++] = 0x00, body[b++] = 0x17, body[b++] = 0, body[b++] = 0; /* extended_master_secret */
    body[b++] = 0, body[b++] = 0;                                     /* server_name */
    body[b++] = (uint8_t)((5 + sl) >> 8), body[b++] = (uint8_t)(5 + sl);
    body[b++] = (uint8_t)((3 + sl) >> 8), body[b++] = (uint8_t)(3 + sl);
    body[b++] = 0, body[b++] = (uint8_t)(sl >> 8), body[b++] = (uint8_t)sl;
    memcpy(body + b, sni, sl), b += sl;
    body[b++] = 0, body[b++] = 0x0b, body[b++] = 0, body[b++] = 2; /* ec_point_formats */
    body[b++] = 1, body[b++] = 0;
    size_t n = 0;
    p[n++] = 0x16, p[n++] = 3, p[n++] = 1;
    p[n++] = (uint8_t)((b + 4) >> 8), p[n++] = (uint8_t)(b + 4);
    p[n++] = 1, p[n++] = 0, p[n++] = (uint8_t)(b >> 8), p[n++] = (uint8_t)b;
    memcpy(p + n, body, b);
    return n + b;
}

/* Appends one Ethernet/IPv4/(UDP|TCP) packet record to f. */
static void pcap_packet(FILE *f, int udp, uint16_t sport, uint16_t dport, const uint8_t *pl,
                        size_t n)
{
    uint8_t pk[2048];
    size_t l4 = udp ? 8 : 20, len = 14 + 20 + l4 + n;
    memset(pk, 0, len);
    memcpy(pk, "\x00\x11\x22\x33\x44\x55\x66\x77\x88\x99\xaa\xbb\x08\x00", 14);
    uint8_t *ip = pk + 14;
    ip[0] = 0x45;
    ip[2] = (uint8_t)((20 + l4 + n) >> 8), ip[3] = (uint8_t)(20 + l4 + n);
    ip[8] = 64, ip[9] = udp ? 17 : 6;
    memcpy(ip + 12, "\x0a\x00\x00\x02\x0a\x00\x00\x01", 8);
    uint8_t *t = ip + 20;
    t[0] = (uint8_t)(sport >> 8), t[1] = (uint8_t)sport, t[2] = (uint8_t)(dport >> 8),
    t[3] = (uint8_t)dport;
    if (udp) {
        t[4] = (uint8_t)((8 + n) >> 8), t[5] = (uint8_t)(8 + n);
    } else {
        t[12] = 0x50, t[13] = 0x18; /* data offset 5, PSH ACK */
    }
    memcpy(t + l4, pl, n);
    uint32_t rec[4] = {1700000000u, 0, (uint32_t)len, (uint32_t)len};
    fwrite(rec, 4, 4, f);
    fwrite(pk, 1, len, f);
}

static void test_pcap(void **state)
{
    (void)state;
    const char *path = tmp_path("ai.pcap");
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    uint32_t gh[6] = {0xa1b2c3d4u, 0x00040002u, 0, 0, 65535, 1};
    fwrite(gh, 4, 6, f);
    uint8_t p[1024];
    size_t n = dns_query(p, "api.openai.com");
    pcap_packet(f, 1, 53000, 53, p, n);
    n = client_hello(p, "api.anthropic.com");
    pcap_packet(f, 0, 51000, 443, p, n);
    const char *http = "POST /v1/chat/completions HTTP/1.1\r\nUser-Agent: x\r\n"
                       "host:  API.Mistral.AI:80 \r\nContent-Length: 2\r\n\r\n{}";
    pcap_packet(f, 0, 51001, 80, (const uint8_t *)http, strlen(http));
    /* benign traffic: nothing from these */
    n = dns_query(p, "example.com");
    pcap_packet(f, 1, 53001, 53, p, n);
    n = client_hello(p, "openai.com.evil.example");
    pcap_packet(f, 0, 51002, 443, p, n);
    const char *http2 = "GET /api.openai.com HTTP/1.1\r\nHost: example.org\r\n\r\n";
    pcap_packet(f, 0, 51003, 80, (const uint8_t *)http2, strlen(http2));
    fclose(f);

    char json[512];
    snprintf(json, sizeof(json), "{\"pcaps\":[\"%s\"]}", path);
    trawl_detect_report *r = run_json(json);
    const trawl_violation *d =
        find(r, "ai_api_traffic",
             "pcaps[0] packet 0 (file offset 24, UDP 53000 -> 53): DNS query: "
             "host 'api.openai.com'");
    const trawl_violation *t = find(r, "ai_api_traffic",
                                    "pcaps[0] packet 1 (file offset 114, TCP 51000 -> 443): TLS "
                                    "ClientHello SNI: host 'api.anthropic.com'");
    const trawl_violation *h = find(r, "ai_api_traffic", "packet 2");
    if (!d || !t || !h || shadow(r)->n_violations != 3)
        dump(r);
    assert_non_null(d);
    assert_non_null(t);
    assert_non_null(h);
    assert_non_null(strstr(h->evidence[0], "HTTP request Host: host 'api.mistral.ai'"));
    assert_non_null(strstr(h->evidence[0], "port 80, path '/v1/chat/completions'"));
    assert_int_equal(shadow(r)->n_violations, 3);
    /* a lookup is weaker evidence than a connection */
    assert_true(d->confidence < t->confidence);
    assert_true(d->confidence > 0.74 && d->confidence < 0.76);
    trawl_detect_report_free(r);

    r = run_cfg("[shadow_ai]\nallow = .openai.com, api.anthropic.com, api.mistral.ai\n", json);
    assert_int_equal(shadow(r)->n_violations, 0);
    trawl_detect_report_free(r);
}

static void test_tls_http_parsers(void **state)
{
    (void)state;
    uint8_t p[600];
    char host[SHADOW_HOST_MAX], path[64];
    size_t n = client_hello(p, "Api.Anthropic.com");
    assert_true(shadow_tls_sni(p, n, host));
    assert_string_equal(host, "api.anthropic.com");
    /* every truncation fails cleanly (or still finds it when the SNI is in) */
    for (size_t k = 0; k < n; k++)
        if (shadow_tls_sni(p, k, host))
            assert_string_equal(host, "api.anthropic.com");
    p[5] = 2; /* ServerHello */
    assert_false(shadow_tls_sni(p, n, host));

    const char *reqs[][3] = {
        {"GET http://api.openai.com/v1/models?x HTTP/1.1\r\nHost: other\r\n\r\n", "api.openai.com",
         "/v1/models"},
        {"CONNECT api.x.ai:443 HTTP/1.1\r\n\r\n", "api.x.ai", ""},
        {"GET / HTTP/1.0\nHost: [::1]:8080\n\n", "::1", "/"},
        {"GET /a?b HTTP/1.1\r\nX: y\r\nHost: a.b", "a.b", "/a"},
    };
    for (size_t i = 0; i < sizeof(reqs) / sizeof(reqs[0]); i++) {
        if (!shadow_http_host((const uint8_t *)reqs[i][0], strlen(reqs[i][0]), host, path,
                              sizeof(path)))
            fail_msg("'%s' not parsed", reqs[i][0]);
        assert_string_equal(host, reqs[i][1]);
        assert_string_equal(path, reqs[i][2]);
    }
    const char *no[] = {"GET / HTTP/2.0\r\nHost: a\r\n\r\n", "get / HTTP/1.1\r\nHost: a\r\n\r\n",
                        "GET / HTTP/1.1\r\n\r\nHost: a\r\n", "GET / HTTP/1.1\r\nHost: a b\r\n\r\n",
                        "HELLO / HTTP/1.1\r\nHost: a\r\n\r\n"};
    for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
        assert_false(
            shadow_http_host((const uint8_t *)no[i], strlen(no[i]), host, path, sizeof(path)));
}

/* ---- errors and real data ------------------------------------------------------------- */

static void test_errors(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "[shadow_ai]\ngpu_memory_percent = 0\n",
        "[shadow_ai]\ngpu_memory_percent = lots\n",
        "[shadow_ai]\nallow = api.openai.com, bad host!\n",
        "[shadow_ai]\nallow_ports = 5000, http\n",
        "[shadow_ai]\nmax_pcap_packets = 0\n",
        "[shadow_ai]\ncheck_file_content = maybe\n",
    };
    static const char *const names[] = {
        "gpu_memory_percent", "gpu_memory_percent", "allow",
        "allow_ports",        "max_pcap_packets",   "check_file_content"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        trawl_detect_engine *e;
        trawl_error err;
        assert_int_equal(trawl_detect_engine_new(bad[i], strlen(bad[i]), &e, &err), TRAWL_EINVAL);
        assert_null(e);
        if (!strstr(err.message, names[i]))
            fail_msg("'%s': message '%s'", bad[i], err.message);
    }
    /* a capture that cannot be read is an error naming it, not a clean result */
    trawl_detect_engine *e;
    trawl_detect_ctx *c;
    trawl_detect_input *in;
    trawl_detect_report *r;
    trawl_error err;
    assert_int_equal(trawl_detect_engine_new("", 0, &e, &err), TRAWL_OK);
    assert_int_equal(trawl_detect_ctx_new(e, &c, &err), TRAWL_OK);
    const char *json = "{\"pcaps\":[\"/nonexistent/x.pcap\"]}";
    assert_int_equal(trawl_detect_input_parse(json, strlen(json), &in, &err), TRAWL_OK);
    assert_int_equal(trawl_detect_run(e, c, in, TRAWL_DET_SHADOW_AI, &r, &err), TRAWL_EIO);
    assert_null(r);
    assert_non_null(strstr(err.message, "pcaps[0] '/nonexistent/x.pcap'"));
    trawl_detect_input_free(in);
    /* not a capture at all */
    const char *junk = tmp_path("junk.pcap");
    write_file(junk, "not a capture, just text", 24);
    char j2[256];
    snprintf(j2, sizeof(j2), "{\"pcaps\":[\"%s\"]}", junk);
    assert_int_equal(trawl_detect_input_parse(j2, strlen(j2), &in, &err), TRAWL_OK);
    assert_int_equal(trawl_detect_run(e, c, in, TRAWL_DET_SHADOW_AI, &r, &err), TRAWL_EFORMAT);
    trawl_detect_input_free(in);
    /* empty input: clean */
    assert_int_equal(trawl_detect_input_parse("{}", 2, &in, &err), TRAWL_OK);
    assert_int_equal(trawl_detect_run(e, c, in, TRAWL_DET_SHADOW_AI, &r, &err), TRAWL_OK);
    assert_int_equal(r->results[1].n_violations, 0);
    assert_true(r->threat_score == 0);
    trawl_detect_report_free(r);
    trawl_detect_input_free(in);
    trawl_detect_ctx_free(c);
    trawl_detect_engine_free(e);
}

static void test_many_occurrences(void **state)
{
    (void)state;
    char json[8192] = "{\"urls\":[";
    for (int i = 0; i < 20; i++)
        snprintf(json + strlen(json), sizeof(json) - strlen(json),
                 "%s\"https://api.openai.com/v1/embeddings?i=%d\"", i ? "," : "", i);
    strcat(json, "]}");
    trawl_detect_report *r = run_json(json);
    assert_int_equal(shadow(r)->n_violations, 1);
    const trawl_violation *v = &shadow(r)->violations[0];
    assert_int_equal(v->n_evidence, 9); /* 8 listed + a count */
    assert_string_equal(v->evidence[8], "... and 12 more occurrences");
    trawl_detect_report_free(r);
}

/* The ICS captures of the shared data set talk no AI: nothing flagged. */
static void test_shared_pcaps_clean(void **state)
{
    (void)state;
    const char *dir = tu_shared_data();
    if (!dir) {
        print_message("skipped: shared data not found (set TRAWL_SHARED_DATA)\n");
        skip();
    }
    static const char *const files[] = {
        "bacnet_test", "dnp3_test_data_part1",      "enip_test",
        "modbusSmall", "s7comm_reading_plc_status", "EIP-ChangeDateAttempt"};
    char json[4096] = "{\"pcaps\":[";
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
        snprintf(json + strlen(json), sizeof(json) - strlen(json), "%s\"%s/pcap/%s.pcap\"",
                 i ? "," : "", dir, files[i]);
    strcat(json, "]}");
    trawl_detect_report *r = run_json(json);
    if (shadow(r)->n_violations)
        dump(r);
    assert_int_equal(shadow(r)->n_violations, 0);
    trawl_detect_report_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_issue_urls),
        cmocka_unit_test(test_allowlist),
        cmocka_unit_test(test_not_substring),
        cmocka_unit_test(test_malformed_url),
        cmocka_unit_test(test_ports_processes_gpu),
        cmocka_unit_test(test_model_name_only),
        cmocka_unit_test(test_model_magic_files),
        cmocka_unit_test(test_model_false_positives),
        cmocka_unit_test(test_model_special_files),
        cmocka_unit_test(test_url_parser),
        cmocka_unit_test(test_rules),
        cmocka_unit_test(test_rules_index_matches_linear_scan),
        cmocka_unit_test(test_dns_parser),
        cmocka_unit_test(test_pcap),
        cmocka_unit_test(test_tls_http_parsers),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_many_occurrences),
        cmocka_unit_test(test_shared_pcaps_clean),
    };
    return cmocka_run_group_tests(tests, setup_tmp, teardown_tmp);
}
