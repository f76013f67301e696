/* shadow_ai.c -- the shadow_ai detector: AI use outside policy.
 *
 * Looks at what the input says the machine talks to and runs: URLs, hosts
 * and connections (AI API hosts from rules/ai_endpoints.rules, matched on
 * the parsed host), connection ports and process names of local model
 * servers, processes holding much GPU memory, model files (content magic
 * and name), model bytes in `data`, and the DNS / TLS SNI / HTTP Host names
 * in pcap files. Nothing is authorized unless the operator allowlists it.
 *
 * Hits on the same host (or port, or file) are one violation with one
 * evidence line per occurrence, so that 100 URLs to one API are one finding
 * with its strongest confidence, not 100. The state built by create() is
 * read-only; the per-thread state is a header buffer for file reads. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <trawl/frame.h>

#include "detect/detector.h"
#include "common/embedded.h"
#include "detect/shadow_ai/shadow.h"

#define SECTION          "shadow_ai"
#define MAX_EVIDENCE     8 /* occurrences listed per violation; the rest are counted */
#define DNS_PENALTY      0.1
#define API_PATH_BONUS   0.1
#define CONF_EXACT       0.85
#define CONF_WILDCARD    0.8
#define CONF_SUFFIX      0.7
#define CONF_MALFORMED   0.3
#define CONF_PROC_EXACT  0.8
#define CONF_PROC_PREFIX 0.6

typedef struct shadow_state {
    shadow_rules rules;
    shadow_allow allow;
    long *allow_ports;
    size_t n_allow_ports;
    char **allow_procs;
    size_t n_allow_procs;
    double gpu_threshold;
    bool check_content;
    double max_packets;
} shadow_state;

typedef struct shadow_tstate {
    uint8_t *buf; /* SHADOW_MODEL_HEADER bytes */
} shadow_tstate;

/* ---- configuration ------------------------------------------------------------ */

static void state_free(shadow_state *s)
{
    if (!s)
        return;
    shadow_rules_free(&s->rules);
    det_config_list_free(s->allow.items, s->allow.n);
    det_config_list_free(s->allow_procs, s->n_allow_procs);
    free(s->allow_ports);
    free(s);
}

static void shadow_destroy(void *state)
{
    state_free(state);
}

/* Process names are compared by basename, case-folded, without .exe. */
static void proc_normalise(const char *name, char *out, size_t cap)
{
    const char *b = name;
    for (const char *p = name; *p; p++)
        if (*p == '/' || *p == '\\')
            b = p + 1;
    size_t n = 0;
    for (; b[n] && n + 1 < cap; n++)
        out[n] = b[n] >= 'A' && b[n] <= 'Z' ? (char)(b[n] + 32) : b[n];
    out[n] = 0;
    if (n > 4 && !strcmp(out + n - 4, ".exe"))
        out[n - 4] = 0;
}

static trawl_status read_allow(const det_config *cfg, shadow_state *s, trawl_error *err)
{
    trawl_status st = det_config_list(cfg, SECTION, "allow", &s->allow.items, &s->allow.n, err);
    if (st != TRAWL_OK)
        return st;
    for (size_t i = 0; i < s->allow.n; i++) {
        char *it = s->allow.items[i];
        bool suffix = it[0] == '.' || (it[0] == '*' && it[1] == '.');
        const char *name = it + (it[0] == '.' ? 1 : it[0] == '*' ? 2 : 0);
        char host[SHADOW_HOST_MAX];
        shadow_url_error e;
        if (!shadow_host_normalise(name, strlen(name), host, &e))
            return trawl__fail(err, TRAWL_EINVAL, SECTION ".allow: '%s' is not a host name (%s)",
                               it, e.reason);
        char *norm = malloc(strlen(host) + 2);
        if (!norm)
            return trawl__fail(err, TRAWL_ENOMEM, "out of memory");
        snprintf(norm, strlen(host) + 2, "%s%s", suffix ? "." : "", host);
        free(it);
        s->allow.items[i] = norm;
    }
    char **ports;
    size_t np;
    if ((st = det_config_list(cfg, SECTION, "allow_ports", &ports, &np, err)) != TRAWL_OK)
        return st;
    s->allow_ports = np ? calloc(np, sizeof(long)) : NULL;
    if (np && !s->allow_ports) {
        det_config_list_free(ports, np);
        return trawl__fail(err, TRAWL_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < np; i++) {
        char *end;
        long v = strtol(ports[i], &end, 10);
        if (end == ports[i] || *end || v < 1 || v > 65535) {
            st = trawl__fail(err, TRAWL_EINVAL, SECTION ".allow_ports: '%s' is not a port 1..65535",
                             ports[i]);
            break;
        }
        s->allow_ports[s->n_allow_ports++] = v;
    }
    det_config_list_free(ports, np);
    if (st != TRAWL_OK)
        return st;
    st = det_config_list(cfg, SECTION, "allow_processes", &s->allow_procs, &s->n_allow_procs, err);
    for (size_t i = 0; st == TRAWL_OK && i < s->n_allow_procs; i++) {
        char tmp[256];
        proc_normalise(s->allow_procs[i], tmp, sizeof(tmp));
        strcpy(s->allow_procs[i], tmp); /* never longer than the original */
    }
    return st;
}

static trawl_status shadow_create(const det_config *cfg, void **out, trawl_error *err)
{
    *out = NULL;
    shadow_state *s = calloc(1, sizeof(*s));
    if (!s)
        return trawl__fail(err, TRAWL_ENOMEM, "out of memory");
    const emb_rule_pack *pack = emb_rules_find("ai_endpoints");
    trawl_status st = pack ? shadow_rules_parse(pack->text, pack->len, &s->rules, err)
                           : trawl__fail(err, TRAWL_EINVAL, "rule pack ai_endpoints is missing");
    if (st == TRAWL_OK)
        st = read_allow(cfg, s, err);
    if (st == TRAWL_OK)
        st = det_config_double(cfg, SECTION, "gpu_memory_percent", 50, &s->gpu_threshold, err);
    if (st == TRAWL_OK && !(s->gpu_threshold > 0 && s->gpu_threshold <= 100))
        st = trawl__fail(err, TRAWL_EINVAL, SECTION ".gpu_memory_percent must be in (0, 100]");
    if (st == TRAWL_OK)
        st = det_config_bool(cfg, SECTION, "check_file_content", true, &s->check_content, err);
    if (st == TRAWL_OK)
        st = det_config_double(cfg, SECTION, "max_pcap_packets", 1e6, &s->max_packets, err);
    if (st == TRAWL_OK && !(s->max_packets >= 1))
        st = trawl__fail(err, TRAWL_EINVAL, SECTION ".max_pcap_packets must be at least 1");
    if (st != TRAWL_OK) {
        state_free(s);
        return st;
    }
    *out = s;
    return TRAWL_OK;
}

static trawl_status shadow_thread_new(void *state, void **tstate, trawl_error *err)
{
    (void)state;
    shadow_tstate *t = calloc(1, sizeof(*t));
    if (t)
        t->buf = malloc(SHADOW_MODEL_HEADER);
    if (!t || !t->buf) {
        if (t)
            free(t);
        return trawl__fail(err, TRAWL_ENOMEM, "out of memory");
    }
    *tstate = t;
    return TRAWL_OK;
}

static void shadow_thread_free(void *tstate)
{
    shadow_tstate *t = tstate;
    if (t)
        free(t->buf);
    free(t);
}

/* ---- grouping hits into violations ---------------------------------------------- */

typedef struct group {
    const char *category;
    char key[SHADOW_HOST_MAX + 16];
    size_t vi;       /* index of its violation in out */
    size_t extra;    /* occurrences beyond MAX_EVIDENCE */
    size_t evidence; /* occurrences listed */
} group;

typedef struct run {
    const shadow_state *s;
    shadow_tstate *t;
    trawl_detector_result *out;
    group *g;
    size_t n, cap;
    bool oom;
} run;

/* The group for (category, key), or NULL; raises its violation's
 * confidence to conf when that is higher (the strongest occurrence
 * decides). */
static group *group_find(run *r, const char *category, const char *key, double conf)
{
    for (size_t i = 0; i < r->n; i++)
        if (r->g[i].category == category && !strcmp(r->g[i].key, key)) {
            trawl_violation *v = &r->out->violations[r->g[i].vi];
            if (conf > v->confidence)
                v->confidence = conf;
            return &r->g[i];
        }
    return NULL;
}

/* A new group with its violation. NULL on out-of-memory (sets r->oom). */
static group *group_new(run *r, const char *category, const char *key, double conf,
                        const char *desc)
{
    if (r->n == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 16;
        group *g = realloc(r->g, cap * sizeof(*g));
        if (!g)
            return r->oom = true, NULL;
        r->g = g;
        r->cap = cap;
    }
    if (!det_violation(r->out, category, conf, "%s", desc))
        return r->oom = true, NULL;
    group *g = &r->g[r->n++];
    g->category = category;
    snprintf(g->key, sizeof(g->key), "%s", key);
    g->vi = r->out->n_violations - 1;
    g->extra = g->evidence = 0;
    return g;
}

static group *group_get(run *r, const char *category, const char *key, double conf,
                        const char *desc)
{
    group *g = group_find(r, category, key, conf);
    return g ? g : group_new(r, category, key, conf, desc);
}

/* true when an occurrence for g would only be counted, not listed (and
 * counts it). */
static bool evidence_full(group *g)
{
    if (g && g->evidence >= MAX_EVIDENCE) {
        g->extra++;
        return true;
    }
    return false;
}

static void evidence(run *r, group *g, const char *text)
{
    if (!g)
        return;
    if (g->evidence >= MAX_EVIDENCE) {
        g->extra++;
        return;
    }
    if (det_evidence(&r->out->violations[g->vi], "%s", text) != 0)
        r->oom = true;
    g->evidence++;
}

/* Copies s into out with non-printable bytes as \xNN, at most cap-1 bytes. */
static void printable(const char *s, char *out, size_t cap)
{
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p && n + 5 < cap; p++) {
        if (*p >= 0x20 && *p < 0x7f && *p != '\'')
            out[n++] = (char)*p;
        else
            n += (size_t)snprintf(out + n, cap - n, "\\x%02x", *p);
    }
    if (n + 5 >= cap && n >= 3)
        memcpy(out + n - 3, "...", 3);
    out[n] = 0;
}

/* ---- (a) AI API hosts ------------------------------------------------------------- */

/* Paths that are the call shapes of LLM APIs across providers. */
static const char *const api_paths[] = {
    "/v1/chat/completions", "/v1/completions", "/v1/messages", "/v1/embeddings",
    "/v1/responses",        "/v1/audio/",      "/v1/images/",  "/v1/realtime",
    "/v1/models",           "/v1/rerank",      "/v1/generate", "/v1/chat",
    "/openai/deployments/", "/v1beta/models/", "/v1/models/",  "/model/",
    "/api/v1/chat/",        "/api/generate",   "/api/chat",    "/inference/",
};

static const char *api_path(const char *path)
{
    if (!path)
        return NULL;
    for (size_t i = 0; i < sizeof(api_paths) / sizeof(api_paths[0]); i++)
        if (!strncmp(path, api_paths[i], strlen(api_paths[i])))
            return api_paths[i];
    /* Gemini and Vertex put the method after a colon: .../models/x:generateContent */
    const char *colon = strrchr(path, ':');
    if (colon && (strstr(colon, "generateContent") || strstr(colon, "predict") ||
                  strstr(colon, "embedContent") || strstr(colon, "rawPredict")))
        return colon;
    return NULL;
}

typedef enum src_kind { SRC_REQUEST, SRC_DNS } src_kind;

/* Where a host came from, formatted only when it is reported. */
typedef struct origin {
    const char *field; /* "urls", "hosts", "connections"; NULL for a packet */
    size_t index;      /* into that field, or of the capture in pcaps */
    const trawl_frame_packet *pk;
    const char *what; /* packet: "DNS query", "TLS ClientHello SNI", ... */
} origin;

static void origin_format(const origin *o, char *buf, size_t cap)
{
    if (o->field) {
        snprintf(buf, cap, "%s[%zu]", o->field, o->index);
        return;
    }
    const trawl_frame_l4 *l4 = &o->pk->l4;
    snprintf(buf, cap, "pcaps[%zu] packet %llu (file offset %llu, %s %u -> %u): %s", o->index,
             (unsigned long long)o->pk->index, (unsigned long long)o->pk->offset,
             l4->proto == 17 ? "UDP" : "TCP", l4->src_port, l4->dst_port, o->what);
}

/* Checks one parsed host (path may be NULL, port -1 when unknown) and adds
 * the violation. where says where it came from, for the evidence. */
static void check_host(run *r, const char *category, const origin *o, const char *host,
                       const char *path, int port, src_kind kind)
{
    const shadow_state *s = r->s;
    shadow_match m;
    if (!host[0] || shadow_allow_match(&s->allow, host, NULL) ||
        !shadow_rules_match(&s->rules, host, path, &m))
        return;
    const shadow_endpoint *e = m.ep;
    double conf = e->kind == SHADOW_HOST_EXACT      ? CONF_EXACT
                  : e->kind == SHADOW_HOST_WILDCARD ? CONF_WILDCARD
                                                    : CONF_SUFFIX;
    const char *how = e->kind == SHADOW_HOST_EXACT      ? "is the API host"
                      : e->kind == SHADOW_HOST_WILDCARD ? "matches the API host pattern"
                      : m.subdomain                     ? "is a subdomain of"
                                                        : "is the provider domain";
    const char *ap = m.path_matched ? NULL : api_path(path);
    if (ap)
        conf += API_PATH_BONUS;
    if (kind == SRC_DNS)
        conf -= DNS_PENALTY;
    /* A lookup and a connection to the same host are separate findings. */
    char key[SHADOW_HOST_MAX + 8];
    size_t hl = strnlen(host, SHADOW_HOST_MAX - 1);
    memcpy(key, host, hl);
    memcpy(key + hl, kind == SRC_DNS ? " (dns)" : "", kind == SRC_DNS ? 7 : 1);
    group *g = group_find(r, category, key, conf);
    if (!g) {
        char desc[SHADOW_HOST_MAX + 128];
        snprintf(desc, sizeof(desc), "%s %s (%s), not allowlisted",
                 kind == SRC_DNS ? "DNS lookup of AI API host" : "AI API use:", host, e->provider);
        if (!(g = group_new(r, category, key, conf, desc)))
            return;
    }
    if (evidence_full(g))
        return;
    char ev[1024], pbuf[200] = "", where[200];
    origin_format(o, where, sizeof(where));
    if (path && path[0])
        printable(path, pbuf, sizeof(pbuf));
    char portbuf[32] = "";
    if (port >= 0)
        snprintf(portbuf, sizeof(portbuf), ", port %d", port);
    snprintf(ev, sizeof(ev),
             "%s: host '%s' %s '%s' (provider %s, ai_endpoints.rules line %u)%s%s%s%s%s%s", where,
             host, how, e->pattern, e->provider, e->line, portbuf, pbuf[0] ? ", path '" : "", pbuf,
             pbuf[0] ? "'" : "",
             m.path_matched ? " (the rule's path prefix identifies the API)"
             : ap           ? " (an LLM API call shape)"
                            : "",
             kind == SRC_DNS ? "; a lookup only, confidence lowered by 0.1" : "");
    evidence(r, g, ev);
}

static void check_url_text(run *r, const char *what, size_t i, const char *text, int port_hint)
{
    shadow_url u;
    shadow_url_error e;
    if (!shadow_url_parse(text, strlen(text), &u, &e)) {
        if (e.no_host)
            return; /* "mailto:", "data:": names no host, nothing to check */
        char shown[160], key[64], ev[400], where[64];
        snprintf(where, sizeof(where), "%s[%zu]", what, i);
        printable(text, shown, sizeof(shown));
        snprintf(key, sizeof(key), "%s", where);
        group *g = group_get(r, "malformed_url", key, CONF_MALFORMED,
                             "URL or host could not be parsed, so it could not be checked against "
                             "the AI endpoint list");
        snprintf(ev, sizeof(ev), "%s: %s at byte %zu of '%s'", where, e.reason, e.offset, shown);
        evidence(r, g, ev);
        return;
    }
    int port = u.port >= 0 ? u.port : port_hint;
    origin o = {what, i, NULL, NULL};
    check_host(r, "ai_api_endpoint", &o, u.host, u.path[0] ? u.path : NULL, port, SRC_REQUEST);
}

/* ---- (b) ports and processes, (c) GPU ------------------------------------------------ */

static bool port_allowed(const shadow_state *s, int port)
{
    for (size_t i = 0; i < s->n_allow_ports; i++)
        if (s->allow_ports[i] == port)
            return true;
    return false;
}

static void check_port(run *r, size_t i, const trawl_connection *c)
{
    const shadow_state *s = r->s;
    if (c->port < 0 || port_allowed(s, c->port))
        return;
    if (c->host) {
        shadow_url u;
        shadow_url_error e;
        if (shadow_url_parse(c->host, strlen(c->host), &u, &e) &&
            shadow_allow_match(&s->allow, u.host, NULL))
            return; /* the operator authorized this host */
    }
    for (size_t k = 0; k < s->rules.n_ports; k++) {
        const shadow_port *p = &s->rules.ports[k];
        if (p->port != c->port)
            continue;
        char key[16], desc[300], ev[600], host[160] = "";
        snprintf(key, sizeof(key), "%d", p->port);
        snprintf(desc, sizeof(desc), "connection to port %d, a local model server port (%s)",
                 p->port, p->what);
        group *g = group_get(r, "local_model_server_port", key, p->confidence, desc);
        if (c->host)
            printable(c->host, host, sizeof(host));
        snprintf(ev, sizeof(ev),
                 "connections[%zu]: host '%s' port %d = %s (ai_endpoints.rules line %u, "
                 "confidence %.2f set by how specific the port is)",
                 i, host, p->port, p->what, p->line, p->confidence);
        evidence(r, g, ev);
        return;
    }
}

static bool proc_allowed(const shadow_state *s, const char *name)
{
    for (size_t i = 0; i < s->n_allow_procs; i++)
        if (!strcmp(s->allow_procs[i], name))
            return true;
    return false;
}

static void check_process(run *r, size_t i, const trawl_process *p)
{
    const shadow_state *s = r->s;
    char name[256], shown[160], ev[600], desc[400];
    if (!p->name)
        name[0] = 0;
    else
        proc_normalise(p->name, name, sizeof(name));
    if (name[0] && proc_allowed(s, name))
        return;
    printable(p->name ? p->name : "", shown, sizeof(shown));
    for (size_t k = 0; name[0] && k < s->rules.n_procs; k++) {
        const shadow_procname *pn = &s->rules.procs[k];
        size_t l = strlen(pn->name);
        bool exact = !strcmp(name, pn->name);
        bool prefix = !exact && !strncmp(name, pn->name, l) &&
                      (name[l] == '-' || name[l] == '_' || name[l] == '.' || name[l] == ' ');
        if (!exact && !prefix)
            continue;
        snprintf(desc, sizeof(desc), "local model server or runtime running: %s", pn->what);
        group *g = group_get(r, "local_model_server_process", name,
                             exact ? CONF_PROC_EXACT : CONF_PROC_PREFIX, desc);
        snprintf(ev, sizeof(ev),
                 "processes[%zu]: name '%s' pid %lld %s '%s' (%s, ai_endpoints.rules line %u)", i,
                 shown, (long long)p->pid, exact ? "is" : "starts with", pn->name, pn->what,
                 pn->line);
        evidence(r, g, ev);
        break;
    }
    double pct = p->gpu_memory_percent, thr = s->gpu_threshold;
    if (pct >= thr && pct >= 0) {
        /* 0.5 at the threshold, rising linearly to 0.9 at 100 %. */
        double conf = thr < 100 ? 0.5 + 0.4 * (pct - thr) / (100 - thr) : 0.5;
        snprintf(desc, sizeof(desc), "process '%s' holds %.1f%% of GPU memory", shown, pct);
        char key[32];
        snprintf(key, sizeof(key), "%zu", i);
        group *g = group_get(r, "gpu_usage", key, conf > 0.9 ? 0.9 : conf, desc);
        snprintf(ev, sizeof(ev),
                 "processes[%zu]: '%s' pid %lld gpu_memory_percent %.1f >= threshold %.1f "
                 "(confidence 0.5 at the threshold, 0.9 at 100%%)",
                 i, shown, (long long)p->pid, pct, thr);
        evidence(r, g, ev);
    }
}

/* ---- (d) model files and data ------------------------------------------------------- */

/* Reads up to SHADOW_MODEL_HEADER bytes of a regular file. Returns the count,
 * or -1 with *why set (an errno text, or "not a regular file"). Only
 * regular files are opened: opening a device can have effects (a watchdog
 * starts counting, a tape rewinds), so the path is stat'ed first and the
 * open file checked again (it may have been swapped in between). */
static ssize_t read_header(const char *path, uint8_t *buf, uint64_t *size, char *why, size_t cap)
{
    struct stat st;
    int fd = det_open_file(path, false, why, cap);
    if (fd < 0)
        return -1;
    if (fstat(fd, &st) != 0) {
        strerror_r(errno, why, cap);
        close(fd);
        return -1;
    }
    *size = (uint64_t)st.st_size;
    size_t got = 0;
    while (got < SHADOW_MODEL_HEADER) {
        ssize_t k = read(fd, buf + got, SHADOW_MODEL_HEADER - got);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0) {
            strerror_r(errno, why, cap);
            close(fd);
            return -1;
        }
        if (k == 0)
            break;
        got += (size_t)k;
    }
    close(fd);
    return (ssize_t)got;
}

static void check_file(run *r, size_t i, const char *path)
{
    shadow_model_hit byname, bycontent;
    bool named = shadow_model_name(path, &byname), content = false, read_ok = false;
    ssize_t got = 0;
    uint64_t size = 0;
    char why[128] = "content checks disabled (check_file_content = false)";
    if (r->s->check_content) {
        got = read_header(path, r->t->buf, &size, why, sizeof(why));
        read_ok = got >= 0;
        if (read_ok)
            content = shadow_model_magic(r->t->buf, (size_t)got, size, &bycontent);
    }
    if (!named && !content)
        return;
    char shown[200], desc[400], ev[600];
    printable(path, shown, sizeof(shown));
    double conf;
    const char *format;
    if (content) {
        conf = bycontent.confidence;
        if (named && byname.confidence > conf)
            conf = byname.confidence;
        format = bycontent.format;
    } else if (read_ok) {
        conf = byname.confidence / 2; /* the name says model, the bytes do not */
        format = byname.format;
    } else {
        conf = byname.confidence;
        format = byname.format;
    }
    snprintf(desc, sizeof(desc), "model file (%s) at %s", format, shown);
    char key[32];
    snprintf(key, sizeof(key), "%zu", i);
    group *g = group_get(r, "model_file", key, conf, desc);
    if (content) {
        snprintf(ev, sizeof(ev), "files[%zu] content (first %zd of %llu bytes): %s", i, got,
                 (unsigned long long)size, bycontent.detail);
        evidence(r, g, ev);
    }
    if (named) {
        snprintf(ev, sizeof(ev), "files[%zu] name: %s (%s)%s%s", i, byname.detail, byname.format,
                 content   ? ""
                 : read_ok ? "; but its header has no known model magic, confidence halved"
                           : "; content not read: ",
                 content || read_ok ? "" : why);
        evidence(r, g, ev);
    }
}

static void check_data(run *r, const trawl_detect_input *in)
{
    shadow_model_hit h;
    /* The header only, as for files: the formats are recognised by their
     * first bytes, and a large buffer must not cost a scan of all of it. */
    size_t n = in->data_len < SHADOW_MODEL_HEADER ? in->data_len : SHADOW_MODEL_HEADER;
    if (!in->data || !n || !shadow_model_magic(in->data, n, in->data_len, &h))
        return;
    char desc[128], ev[400];
    snprintf(desc, sizeof(desc), "data is a model file (%s)", h.format);
    group *g = group_get(r, "model_data", "data", h.confidence, desc);
    snprintf(ev, sizeof(ev), "data (%zu bytes): %s", in->data_len, h.detail);
    evidence(r, g, ev);
}

/* ---- (e) pcaps ---------------------------------------------------------------------- */

static void check_payload(run *r, size_t i, const trawl_frame_packet *pk)
{
    const trawl_frame_l4 *l4 = &pk->l4;
    const uint8_t *p = l4->payload.ptr;
    size_t n = l4->payload.len;
    bool dns_port = l4->src_port == 53 || l4->dst_port == 53;
    if (dns_port && l4->proto == 6 && n >= 2) {
        p += 2; /* DNS over TCP: a 2-byte length first */
        n -= 2;
    }
    if (dns_port) {
        char names[SHADOW_DNS_MAX_QUESTIONS][SHADOW_HOST_MAX];
        bool query = false;
        size_t k = shadow_dns_questions(p, n, names, SHADOW_DNS_MAX_QUESTIONS, &query);
        origin o = {NULL, i, pk, query ? "DNS query" : "DNS response"};
        for (size_t q = 0; q < k; q++)
            check_host(r, "ai_api_traffic", &o, names[q], NULL, -1, SRC_DNS);
        if (k)
            return;
    }
    if (l4->proto != 6 || n == 0)
        return;
    char host[SHADOW_HOST_MAX], path[SHADOW_PATH_MAX];
    if (shadow_tls_sni(p, n, host)) {
        origin o = {NULL, i, pk, "TLS ClientHello SNI"};
        check_host(r, "ai_api_traffic", &o, host, NULL, l4->dst_port, SRC_REQUEST);
    } else if (shadow_http_host(p, n, host, path, sizeof(path))) {
        origin o = {NULL, i, pk, "HTTP request Host"};
        check_host(r, "ai_api_traffic", &o, host, path[0] ? path : NULL, l4->dst_port, SRC_REQUEST);
    }
}

static trawl_status check_pcap(run *r, size_t i, const char *path, trawl_error *err)
{
    trawl_frame_pcap *pc;
    char why[128] = "cannot open";
    FILE *fp = shadow_capture_open(path, why, sizeof(why));
    trawl_status st =
        fp ? trawl_frame_pcap_open(fp, &pc, err) : trawl__fail(err, TRAWL_EIO, "pcap: %s", why);
    if (st != TRAWL_OK) {
        char msg[sizeof(err->message)];
        snprintf(msg, sizeof(msg), "%s", err ? err->message : "cannot open");
        return trawl__fail(err, st, SECTION ": pcaps[%zu] '%s': %s", i, path, msg);
    }
    trawl_frame_packet pk;
    trawl_frame_fault f;
    for (uint64_t k = 0; k < (uint64_t)r->s->max_packets && !r->oom; k++) {
        if (trawl_frame_pcap_next(pc, &pk, &f) != TRAWL_FRAME_UNIT)
            break; /* end, or a damaged record: what came before is checked */
        if (pk.l4.has_payload)
            check_payload(r, i, &pk);
    }
    trawl_frame_pcap_free(pc);
    return TRAWL_OK;
}

/* ---- run ------------------------------------------------------------------------------ */

static trawl_status shadow_run(void *state, void *tstate, const trawl_detect_input *in,
                               trawl_detector_result *out, trawl_error *err)
{
    run r = {state, tstate, out, NULL, 0, 0, false};
    trawl_status st = TRAWL_OK;
    for (size_t i = 0; i < in->n_urls && !r.oom; i++)
        check_url_text(&r, "urls", i, in->urls[i], -1);
    for (size_t i = 0; i < in->n_hosts && !r.oom; i++)
        check_url_text(&r, "hosts", i, in->hosts[i], -1);
    for (size_t i = 0; i < in->n_connections && !r.oom; i++) {
        const trawl_connection *c = &in->connections[i];
        if (c->host)
            check_url_text(&r, "connections", i, c->host, c->port);
        check_port(&r, i, c);
    }
    for (size_t i = 0; i < in->n_processes && !r.oom; i++)
        check_process(&r, i, &in->processes[i]);
    for (size_t i = 0; i < in->n_files && !r.oom; i++)
        check_file(&r, i, in->files[i]);
    if (!r.oom)
        check_data(&r, in);
    for (size_t i = 0; i < in->n_pcaps && !r.oom && st == TRAWL_OK; i++)
        st = check_pcap(&r, i, in->pcaps[i], err);
    for (size_t i = 0; i < r.n && !r.oom; i++)
        if (r.g[i].extra && det_evidence(&out->violations[r.g[i].vi],
                                         "... and %zu more occurrences", r.g[i].extra) != 0)
            r.oom = true;
    free(r.g);
    if (r.oom)
        st = trawl__fail(err, TRAWL_ENOMEM, "out of memory");
    /* Confidences may have been raised by later occurrences. */
    out->threat_score = 0;
    for (size_t i = 0; i < out->n_violations; i++) {
        trawl_violation *v = &out->violations[i];
        if (v->confidence > 1)
            v->confidence = 1;
        v->severity = trawl_severity_from_confidence(v->confidence);
        if (v->confidence > out->threat_score)
            out->threat_score = v->confidence;
    }
    return st;
}

const detector_ops det_shadow_ai_ops = {
    .name = "shadow_ai",
    .bit = TRAWL_DET_SHADOW_AI,
    .create = shadow_create,
    .destroy = shadow_destroy,
    .thread_new = shadow_thread_new,
    .thread_free = shadow_thread_free,
    .run = shadow_run,
};
