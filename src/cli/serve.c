/* serve.c -- `trawl serve`: the detectors behind an HTTP API.
 *
 * Settings come from the [serve] section of the --config file, then from
 * the flags, which override it; the file's other sections configure the
 * detectors. One table names every setting for both, so a key and its flag
 * cannot drift apart.
 *
 * Signals are blocked before the server starts, so its threads inherit the
 * mask and only this thread sees them, in sigwait(): SIGTERM/SIGINT drain
 * and exit 0; SIGHUP re-reads the config file, the rule files and the key
 * file and swaps what they build into the running server. */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include <trawl/serve.h>

#include "cli.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: trawl serve [OPTIONS]\n\n"
            "Serves the detectors over HTTP (docs/serve.md):\n"
            "  POST /v1/detect[?only=a,b]  POST /v1/detect/{detector}  POST /v1/scan[?rules=NAME]\n"
            "  POST /v1/screen/chat (an OpenAI or Anthropic request as sent to the model)\n"
            "  gateways: POST /beta/litellm_basic_guardrail_api (LiteLLM)  POST /v2/guard\n"
            "    (Lakera-style)  POST /analyze/prompt (LLM-Guard-style)  /v1/authz[/PATH]\n"
            "    (auth_request, Envoy ext_authz: 204 or 403; docs/deploy.md)\n"
            "  GET /v1/events (Server-Sent Events)\n"
            "  GET /healthz  GET /readyz  GET /metrics  GET /v1/metrics\n"
            "  GET /dashboard (with --dashboard)\n\n"
            "options (config file key in brackets):\n"
            "  --config FILE        config file: a [serve] section with the keys below,\n"
            "                       and detector sections (docs/detect-*.md); flags\n"
            "                       override the file\n"
            "  --listen HOST:PORT   [listen] numeric IPv4 address and port (default\n"
            "                       127.0.0.1:8080; port 0 picks a free one, printed on stderr)\n"
            "  --threads N          [threads] worker threads (default: number of cores)\n"
            "  --cache-entries N    [cache_entries] result cache bound in entries (default\n"
            "                       65536; 0 with --cache-bytes 0 turns the cache off)\n"
            "  --cache-bytes SIZE   [cache_bytes] result cache bound in bytes, k/m/g suffixes\n"
            "                       (default 64m)\n"
            "  --cache-ttl-ms N     [cache_ttl_ms] cache entry lifetime in ms (default 0: none)\n"
            "  --max-body SIZE      [max_body] largest request body (default 1m)\n"
            "  --max-connections N  [max_connections] open connections at most (default 1024)\n"
            "  --max-per-ip N       [max_per_ip] open connections per client address\n"
            "                       (default 64; 0 = no limit)\n"
            "  --trusted-proxy LIST [trusted_proxies] addresses or networks (a.b.c.d/bits,\n"
            "                       IPv6/bits; commas between) of proxies whose Forwarded or\n"
            "                       X-Forwarded-For header names the client (repeatable;\n"
            "                       default none: those headers are ignored)\n"
            "  --timeout S          [timeout] idle connection timeout in seconds (default 30)\n"
            "  --header-timeout S   [header_timeout] a request's line and headers must arrive\n"
            "                       within S seconds; trickled bytes do not extend it\n"
            "                       (default 10; 0 = none)\n"
            "  --body-min-rate SIZE [body_min_rate] bytes/s a request body must average after\n"
            "                       the first header-timeout seconds (default 1k; 0 = none)\n"
            "  --max-header SIZE    [max_header] a connection's request headers plus its\n"
            "                       read buffer, 4k..1m (default 16k); bigger headers get 431\n"
            "  --api-keys FILE      [api_keys] require an API key on /v1/ endpoints; FILE holds\n"
            "                       NAME sha256:HEX [RATE [BURST]] [admin] lines (docs/serve.md)\n"
            "  --share-cache BOOL   [share_cache] with API keys, share cached answers across\n"
            "                       keys (default false: each key has its own)\n"
            "  --rules NAME=FILE    [rules] a rule file for POST /v1/scan?rules=NAME\n"
            "                       (repeatable; a flag replaces the file's set of its NAME)\n"
            "  --scan-max-matches N [scan_max_matches] matches per /v1/scan response; more\n"
            "                       are cut, and the response says so (default 10000)\n"
            "  --scan-max-bytes SIZE  [scan_max_bytes] bytes per /v1/scan response (default 4m)\n"
            "  --sse-heartbeat-ms N [sse_heartbeat_ms] heartbeat period of GET /v1/events\n"
            "                       (default 15000)\n"
            "  --sse-max N          [sse_max] event streams at most (default 64)\n"
            "  --sse-per-ip N       [sse_per_ip] event streams per client address\n"
            "                       (default 4; 0 = no limit)\n"
            "  --sse-drain-ms N     [sse_drain_ms] an event stream whose client takes no\n"
            "                       byte for N ms while bytes wait is closed (default 30000)\n"
            "  --access-log FILE    [access_log] append one JSON line per request to FILE\n"
            "                       (- = stderr)\n"
            "  --dashboard          [dashboard = true] serve the live page GET /dashboard\n"
            "                       (behind the API keys when keys are on; default off)\n"
            "  --event-ring N       [event_ring] threat events kept for replay to /v1/events\n"
            "                       clients that send Last-Event-ID (default 0: none; 1024\n"
            "                       with --dashboard; at most 65536)\n"
            "  --batch-max N        [batch_max] model tier: requests per batch (default 32)\n"
            "  --batch-wait-us N    [batch_wait_us] model tier: how long a batch waits for\n"
            "                       more requests (default 0: takes what queued while the\n"
            "                       last batch ran)\n"
            "  --batch-max-bytes SIZE  [batch_max_bytes] model tier: text bytes per batch; a\n"
            "                       batch over it fails with 503 (default batch-max x max-body)\n"
            "  --allow-unknown-keys [allow_unknown_keys = true] ignore keys the detector\n"
            "                       input does not define (default: 400 naming the key)\n"
            "  --redis ADDR         [redis] shared cache tier and fleet events: HOST:PORT or\n"
            "                       unix:/PATH (docs/deploy.md); needs --redis-secret-file\n"
            "  --redis-secret-file FILE  [redis_secret_file] the fleet's shared secret (at\n"
            "                       least 16 bytes): seeds the request keys every instance\n"
            "                       computes\n"
            "  --redis-timeout-ms N [redis_timeout_ms] bound on connecting and on every\n"
            "                       reply (default 5); past it the request goes on with the\n"
            "                       local cache and trawl_redis_errors_total counts it\n"
            "  --redis-ttl-s N      [redis_ttl_s] lifetime of a shared entry (default 3600)\n"
            "  --redis-rate-limits  [redis_rate_limits = true] share the API keys' rate\n"
            "                       limits and ai_vs_ai's per-client windows through Redis\n"
            "                       (the fleet meets one budget); on a Redis error this\n"
            "                       instance's own limits apply and\n"
            "                       trawl_redis_rate_fallbacks_total counts it\n"
            "  -h, --help           this text\n\n"
            "Relative paths in the config file are relative to the file's directory.\n"
            "SIGTERM or SIGINT: stop accepting, finish requests in flight, exit 0.\n"
            "SIGHUP: re-read the config file (detector sections, rules), the rule files\n"
            "and the API key file; on any error what is in force stays.\n");
}

enum { MAX_RULESETS = 64 };

/* Everything the flags and the config file set; strings are owned. */
typedef struct settings {
    trawl_server_opts o;
    char host[64];
    char *api_keys, *access_log;
    char *proxies; /* trusted proxies, every --trusted-proxy and trusted_proxies joined */
    char *redis, *redis_secret_file;
    char *rule_name[MAX_RULESETS], *rule_path[MAX_RULESETS];
    size_t n_rules;
} settings;

static void settings_init(settings *st)
{
    memset(st, 0, sizeof(*st));
    strcpy(st->host, "127.0.0.1");
    st->o.port = 8080;
    st->o.cache_entries = 65536;
    st->o.cache_bytes = 64u << 20;
    st->o.max_per_ip = 64;
    st->o.header_timeout_s = 10;
    st->o.body_min_rate = 1024;
}

static void settings_free(settings *st)
{
    free(st->api_keys);
    free(st->access_log);
    free(st->proxies);
    free(st->redis);
    free(st->redis_secret_file);
    for (size_t i = 0; i < st->n_rules; i++) {
        free(st->rule_name[i]);
        free(st->rule_path[i]);
    }
    st->n_rules = 0;
}

/* The settings: flag, config key, getopt code. */
static const struct setting {
    const char *flag, *key;
    int id;
} settings_table[] = {
    {"listen", "listen", 'l'},
    {"threads", "threads", 't'},
    {"cache-entries", "cache_entries", 'E'},
    {"cache-bytes", "cache_bytes", 'B'},
    {"cache-ttl-ms", "cache_ttl_ms", 'T'},
    {"max-body", "max_body", 'M'},
    {"max-connections", "max_connections", 'C'},
    {"max-per-ip", "max_per_ip", 'P'},
    {"timeout", "timeout", 'o'},
    {"header-timeout", "header_timeout", 'W'},
    {"body-min-rate", "body_min_rate", 'R'},
    {"max-header", "max_header", 'D'},
    {"api-keys", "api_keys", 'k'},
    {"rules", "rules", 'r'},
    {"share-cache", "share_cache", 1010},
    {"trusted-proxy", "trusted_proxies", 'x'},
    {"scan-max-matches", "scan_max_matches", 'm'},
    {"scan-max-bytes", "scan_max_bytes", 'z'},
    {"sse-heartbeat-ms", "sse_heartbeat_ms", 'H'},
    {"sse-max", "sse_max", 'X'},
    {"sse-per-ip", "sse_per_ip", 'I'},
    {"sse-drain-ms", "sse_drain_ms", 'N'},
    {"access-log", "access_log", 'a'},
    {"batch-max", "batch_max", 'b'},
    {"batch-wait-us", "batch_wait_us", 'w'},
    {"batch-max-bytes", "batch_max_bytes", 'y'},
    {"dashboard", "dashboard", 'G'},
    {"event-ring", "event_ring", 'V'},
    {"allow-unknown-keys", "allow_unknown_keys", 'U'},
    {"redis", "redis", 1001},
    {"redis-secret-file", "redis_secret_file", 'S'},
    {"redis-timeout-ms", "redis_timeout_ms", 1003},
    {"redis-ttl-s", "redis_ttl_s", 'L'},
    {"redis-rate-limits", "redis_rate_limits", 1004},
};
#define N_SETTINGS (sizeof(settings_table) / sizeof(settings_table[0]))

static int parse_listen(const char *s, char *host, size_t cap, uint16_t *port)
{
    const char *colon = strrchr(s, ':');
    uint64_t p;
    if (!colon || (size_t)(colon - s) >= cap || colon == s || !cli_parse_size(colon + 1, &p) ||
        p > 65535 || strpbrk(colon + 1, "kKmMgG"))
        return -1;
    memcpy(host, s, (size_t)(colon - s));
    host[colon - s] = '\0';
    *port = (uint16_t)p;
    return 0;
}

/* A copy of path; a relative path is taken relative to base's directory
 * (base NULL: as it is). */
static char *path_from(const char *base, const char *path)
{
    const char *slash = base ? strrchr(base, '/') : NULL;
    if (path[0] == '/' || !slash || !strcmp(path, "-"))
        return strdup(path);
    size_t dl = (size_t)(slash - base) + 1, pl = strlen(path);
    char *p = malloc(dl + pl + 1);
    if (p) {
        memcpy(p, base, dl);
        memcpy(p + dl, path, pl + 1);
    }
    return p;
}

/* Adds or replaces (by name) a rule set NAME=FILE. */
static int add_rules(settings *st, const char *arg, const char *base, char *msg, size_t cap)
{
    const char *eq = strchr(arg, '=');
    if (!eq || eq == arg || !eq[1]) {
        snprintf(msg, cap, "expected NAME=FILE, got '%s'", arg);
        return -1;
    }
    size_t nl = (size_t)(eq - arg), i = 0;
    while (i < st->n_rules && (strlen(st->rule_name[i]) != nl || memcmp(st->rule_name[i], arg, nl)))
        i++;
    if (i == MAX_RULESETS) {
        snprintf(msg, cap, "at most %d rule sets", MAX_RULESETS);
        return -1;
    }
    char *name = strndup(arg, nl), *path = path_from(base, eq + 1);
    if (!name || !path) {
        free(name);
        free(path);
        snprintf(msg, cap, "out of memory");
        return -1;
    }
    if (i == st->n_rules) {
        st->n_rules++;
    } else {
        free(st->rule_name[i]);
        free(st->rule_path[i]);
    }
    st->rule_name[i] = name;
    st->rule_path[i] = path;
    return 0;
}

static int number(const char *arg, uint64_t max, uint64_t *out, char *msg, size_t cap)
{
    if (!cli_parse_size(arg, out) || *out > max) {
        snprintf(msg, cap, "not a valid number: '%s'", arg);
        return -1;
    }
    return 0;
}

/* Appends a list of trusted proxies (checked when the server starts,
 * which names a bad entry). */
static int add_proxies(settings *st, const char *arg, char *msg, size_t cap)
{
    size_t old = st->proxies ? strlen(st->proxies) : 0, n = strlen(arg);
    char *p = realloc(st->proxies, old + n + 2);
    if (!p) {
        snprintf(msg, cap, "out of memory");
        return -1;
    }
    if (old)
        p[old++] = ',';
    memcpy(p + old, arg, n + 1);
    st->proxies = p;
    return 0;
}

/* A number in [min, max]; "must be at least 4k" names a power-of-1024 min
 * the way it is written. */
static int at_least(const char *arg, uint64_t min, uint64_t max, uint64_t *v, char *msg, size_t cap)
{
    if (number(arg, max, v, msg, cap))
        return -1;
    if (*v < min) {
        if (min >= 1024 && min % 1024 == 0)
            snprintf(msg, cap, "must be at least %lluk", (unsigned long long)(min / 1024));
        else
            snprintf(msg, cap, "must be at least %llu", (unsigned long long)min);
        return -1;
    }
    return 0;
}

/* The CLI's 0 turns a limit off; the library's 0 means its default. */
static unsigned off_if_0(uint64_t v)
{
    return v ? (unsigned)v : TRAWL_SERVE_OFF;
}

/* A flag without a value (true), or a config key's true/false (1/0). */
static int boolean(const char *arg, bool *out, char *msg, size_t cap)
{
    if (!arg || !strcmp(arg, "true") || !strcmp(arg, "1"))
        *out = true;
    else if (!strcmp(arg, "false") || !strcmp(arg, "0"))
        *out = false;
    else {
        snprintf(msg, cap, "expected true or false, got '%s'", arg);
        return -1;
    }
    return 0;
}

static int set_string(char **dst, const char *base, const char *arg, char *msg, size_t cap)
{
    char *p = path_from(base, arg);
    if (!p) {
        snprintf(msg, cap, "out of memory");
        return -1;
    }
    free(*dst);
    *dst = p;
    return 0;
}

/* Applies one setting; base is the config file (for relative paths) or
 * NULL for a flag. 0, or -1 with the reason in msg. */
static int apply(settings *st, int id, const char *arg, const char *base, char *msg, size_t cap)
{
    uint64_t v;
    trawl_server_opts *o = &st->o;
    switch (id) {
    case 'U':
        return boolean(arg, &o->allow_unknown_keys, msg, cap);
    case 1004:
        return boolean(arg, &o->redis_rate_limits, msg, cap);
    case 'l':
        if (parse_listen(arg, st->host, sizeof(st->host), &o->port)) {
            snprintf(msg, cap, "expected HOST:PORT, got '%s'", arg);
            return -1;
        }
        return 0;
    case 't':
        return number(arg, 1024, &v, msg, cap) ? -1 : (o->threads = (unsigned)v, 0);
    case 'E':
        return number(arg, SIZE_MAX, &v, msg, cap) ? -1 : (o->cache_entries = (size_t)v, 0);
    case 'B':
        return number(arg, SIZE_MAX, &v, msg, cap) ? -1 : (o->cache_bytes = (size_t)v, 0);
    case 'T':
        return number(arg, UINT64_MAX, &v, msg, cap) ? -1 : (o->cache_ttl_ms = v, 0);
    case 'M':
        return at_least(arg, 1, (uint64_t)1 << 32, &v, msg, cap) ? -1
                                                                 : (o->max_body = (size_t)v, 0);
    case 'C':
        return number(arg, 1u << 20, &v, msg, cap) ? -1 : (o->max_connections = (unsigned)v, 0);
    case 'P': /* 0 = no limit */
        return number(arg, 1u << 20, &v, msg, cap) ? -1 : (o->max_per_ip = off_if_0(v), 0);
    case 'W':
        return number(arg, 3600, &v, msg, cap) ? -1 : (o->header_timeout_s = off_if_0(v), 0);
    case 'R':
        return number(arg, 1u << 30, &v, msg, cap) ? -1 : (o->body_min_rate = off_if_0(v), 0);
    case 'o':
        return number(arg, 86400, &v, msg, cap) ? -1 : (o->conn_timeout_s = (unsigned)v, 0);
    case 'D':
        return at_least(arg, 4096, 1u << 20, &v, msg, cap) ? -1 : (o->max_header = (size_t)v, 0);
    case 'H':
        return number(arg, 3600000, &v, msg, cap) ? -1 : (o->sse_heartbeat_ms = (unsigned)v, 0);
    case 'm':
    case 'z':
        if (at_least(arg, 1, (uint64_t)1 << 32, &v, msg, cap))
            return -1;
        *(id == 'm' ? &o->scan_max_matches : &o->scan_max_bytes) = (size_t)v;
        return 0;
    case 'X':
        return at_least(arg, 1, 1u << 16, &v, msg, cap) ? -1 : (o->sse_max = (unsigned)v, 0);
    case 'I':
        return number(arg, 1u << 16, &v, msg, cap) ? -1 : (o->sse_per_ip = off_if_0(v), 0);
    case 'N':
        return at_least(arg, 100, 3600000, &v, msg, cap) ? -1 : (o->sse_drain_ms = (unsigned)v, 0);
    case 'b':
        return at_least(arg, 1, 1u << 16, &v, msg, cap) ? -1 : (o->batch_max = (size_t)v, 0);
    case 'w':
        return number(arg, 10000000, &v, msg, cap) ? -1 : (o->batch_wait_us = v, 0);
    case 'y':
        return number(arg, SIZE_MAX, &v, msg, cap) ? -1 : (o->batch_max_bytes = (size_t)v, 0);
    case 'x':
        return add_proxies(st, arg, msg, cap);
    case 1010:
        return boolean(arg, &o->share_cache, msg, cap);
    case 'G':
        return boolean(arg, &o->dashboard, msg, cap);
    case 'V':
        return number(arg, 65536, &v, msg, cap) ? -1 : (o->event_ring = (size_t)v, 0);
    case 'k':
        return set_string(&st->api_keys, base, arg, msg, cap);
    case 1001: /* an address, not a path: kept as given */
        free(st->redis);
        if (!(st->redis = strdup(arg))) {
            snprintf(msg, cap, "out of memory");
            return -1;
        }
        return 0;
    case 'S':
        return set_string(&st->redis_secret_file, base, arg, msg, cap);
    case 1003:
        if (number(arg, 60000, &v, msg, cap))
            return -1;
        st->o.redis_timeout_ms = (unsigned)v;
        return 0;
    case 'L':
        return number(arg, UINT64_MAX, &v, msg, cap) ? -1 : (st->o.redis_ttl_s = v, 0);
    case 'a':
        return set_string(&st->access_log, base, arg, msg, cap);
    case 'r':
        return add_rules(st, arg, base, msg, cap);
    }
    snprintf(msg, cap, "unknown setting");
    return -1;
}

enum { MAX_FILE = 16 << 20 }; /* config and rule files */

static char *read_file(const char *path, size_t *len)
{
    cli_input in;
    if (cli_input_open(path, &in))
        return NULL;
    char *s = NULL;
    if (in.data && in.len > MAX_FILE) {
        cli_errorf("serve", "%s: larger than the limit of %d bytes for config and rule files", path,
                   MAX_FILE);
    } else if (in.data) {
        s = malloc(in.len + 1);
        if (s) {
            memcpy(s, in.data, in.len);
            s[in.len] = '\0';
            *len = in.len;
        } else {
            cli_errorf("serve", "%s: out of memory reading it", path);
        }
    } else {
        cli_errorf("serve", "%s: must be a regular file", path);
    }
    cli_input_close(&in);
    return s;
}

static char *trim(char *s, char *end)
{
    while (s < end && (*s == ' ' || *s == '\t' || *s == '\r'))
        s++;
    while (end > s && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
        end--;
    *end = '\0';
    return s;
}

/* Reads the [serve] section of a config file (the format of the detector
 * configuration: "[section]", "key = value", "#" comments) into st, and
 * blanks its lines in text, which then holds only the detector sections
 * with their line numbers unchanged. Other lines are left to the detector
 * configuration's parser. Errors name the file, line and key. */
static int load_serve_section(settings *st, const char *path, char *text, size_t len)
{
    bool in_serve = false;
    int lineno = 0;
    char msg[256];
    for (char *line = text; line < text + len;) {
        char *nl = memchr(line, '\n', (size_t)(text + len - line));
        char *end = nl ? nl : text + len;
        lineno++;
        char *p = line;
        while (p < end && (*p == ' ' || *p == '\t' || *p == '\r'))
            p++;
        if (p < end && *p == '[') {
            char *close = memchr(p, ']', (size_t)(end - p));
            in_serve = close && close - p == 6 && !memcmp(p, "[serve]", 7);
        }
        if (in_serve) {
            size_t n = (size_t)(end - line);
            char buf[4096];
            if (p < end && *p != '#' && *p != '[') {
                char *eq = memchr(p, '=', (size_t)(end - p));
                if (n >= sizeof(buf)) {
                    cli_errorf("serve", "%s, line %d: line too long", path, lineno);
                    return -1;
                }
                if (!eq) {
                    cli_errorf("serve", "%s, line %d: expected key = value", path, lineno);
                    return -1;
                }
                memcpy(buf, p, (size_t)(end - p));
                char *key = trim(buf, buf + (eq - p));
                char *val = trim(buf + (eq - p) + 1, buf + (end - p));
                const struct setting *s = NULL;
                for (size_t i = 0; i < N_SETTINGS; i++)
                    if (!strcmp(settings_table[i].key, key))
                        s = &settings_table[i];
                if (!s) {
                    cli_errorf("serve", "%s, line %d: unknown key '%s' in [serve]", path, lineno,
                               key);
                    return -1;
                }
                if (apply(st, s->id, val, path, msg, sizeof(msg))) {
                    cli_errorf("serve", "%s, line %d, key '%s': %s", path, lineno, key, msg);
                    return -1;
                }
            }
            memset(line, ' ', n); /* the detector parser sees a blank line */
        }
        line = end + 1;
    }
    return 0;
}

static const struct option longopts[] = {
    {"listen", required_argument, NULL, 'l'},
    {"config", required_argument, NULL, 'c'},
    {"threads", required_argument, NULL, 't'},
    {"cache-entries", required_argument, NULL, 'E'},
    {"cache-bytes", required_argument, NULL, 'B'},
    {"cache-ttl-ms", required_argument, NULL, 'T'},
    {"max-body", required_argument, NULL, 'M'},
    {"max-header", required_argument, NULL, 'D'},
    {"max-connections", required_argument, NULL, 'C'},
    {"timeout", required_argument, NULL, 'o'},
    {"header-timeout", required_argument, NULL, 'W'},
    {"body-min-rate", required_argument, NULL, 'R'},
    {"api-keys", required_argument, NULL, 'k'},
    {"max-per-ip", required_argument, NULL, 'P'},
    {"scan-max-matches", required_argument, NULL, 'm'},
    {"scan-max-bytes", required_argument, NULL, 'z'},
    {"sse-heartbeat-ms", required_argument, NULL, 'H'},
    {"sse-max", required_argument, NULL, 'X'},
    {"sse-per-ip", required_argument, NULL, 'I'},
    {"sse-drain-ms", required_argument, NULL, 'N'},
    {"access-log", required_argument, NULL, 'a'},
    {"rules", required_argument, NULL, 'r'},
    {"share-cache", required_argument, NULL, 1010},
    {"trusted-proxy", required_argument, NULL, 'x'},
    {"batch-max", required_argument, NULL, 'b'},
    {"batch-wait-us", required_argument, NULL, 'w'},
    {"batch-max-bytes", required_argument, NULL, 'y'},
    {"dashboard", no_argument, NULL, 'G'},
    {"event-ring", required_argument, NULL, 'V'},
    {"allow-unknown-keys", no_argument, NULL, 'U'},
    {"redis", required_argument, NULL, 1001},
    {"redis-secret-file", required_argument, NULL, 'S'},
    {"redis-timeout-ms", required_argument, NULL, 1003},
    {"redis-ttl-s", required_argument, NULL, 'L'},
    {"redis-rate-limits", no_argument, NULL, 1004},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static const char *flag_name(int id)
{
    for (size_t i = 0; i < N_SETTINGS; i++)
        if (settings_table[i].id == id)
            return settings_table[i].flag;
    return "?";
}

/* What a load produced besides the settings. */
typedef struct loaded {
    const char *config_path; /* from argv */
    char *detectors;         /* the config text with [serve] blanked, or NULL */
    size_t detectors_len;
    bool help;
} loaded;

/* Defaults, then the config file, then the flags. Prints errors; 0 or -1.
 * Runs again on SIGHUP with the same argv. */
static int load(int argc, char **argv, settings *st, loaded *ld)
{
    settings_init(st);
    memset(ld, 0, sizeof(*ld));
    int opt;
    opterr = 0;
    optind = 0; /* full re-initialisation: load runs more than once */
    while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1)
        if (opt == 'c')
            ld->config_path = optarg;
    if (ld->config_path) {
        if (!(ld->detectors = read_file(ld->config_path, &ld->detectors_len)))
            return -1;
        if (load_serve_section(st, ld->config_path, ld->detectors, ld->detectors_len))
            return -1;
    }
    opterr = 1;
    optind = 0;
    char msg[256];
    while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (opt) {
        case 'c':
            break;
        case 'h':
            ld->help = true;
            return 0;
        case '?':
        case ':':
            usage(stderr);
            return -1;
        default:
            if (apply(st, opt, optarg, NULL, msg, sizeof(msg))) {
                cli_errorf("serve", "--%s: %s", flag_name(opt), msg);
                return -1;
            }
        }
    }
    if (optind < argc) {
        cli_errorf("serve", "unexpected argument '%s'", argv[optind]);
        return -1;
    }
    st->o.host = st->host;
    st->o.api_keys_path = st->api_keys;
    st->o.access_log = st->access_log;
    st->o.trusted_proxies = st->proxies;
    return 0;
}

static void loaded_free(loaded *ld)
{
    free(ld->detectors);
    ld->detectors = NULL;
}

/* Reads the rule files of st: sets[i].text is malloc'd (free_rules). 0 or
 * -1 (printed). */
static int read_rules(const settings *st, trawl_serve_ruleset *sets)
{
    for (size_t i = 0; i < st->n_rules; i++) {
        size_t len = 0;
        char *text = read_file(st->rule_path[i], &len);
        if (!text) {
            while (i--)
                free((char *)sets[i].text);
            return -1;
        }
        sets[i] = (trawl_serve_ruleset){st->rule_name[i], text, len};
    }
    return 0;
}

static void free_rules(trawl_serve_ruleset *sets, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free((char *)sets[i].text);
}

/* SIGHUP: the API keys, then the config file (detector engine) and the
 * rule files. Each part that fails keeps what is in force and says why. */
static void reload(trawl_server *srv, int argc, char **argv, const settings *cur)
{
    trawl_error err;
    if (trawl_server_reload(srv, &err) == TRAWL_OK) {
        if (cur->api_keys)
            fprintf(stderr, "trawl serve: SIGHUP: API keys reloaded\n");
    } else {
        fprintf(stderr, "trawl serve: SIGHUP: API keys not reloaded\n");
        cli_report("serve", cur->api_keys, &err);
    }
    settings st;
    loaded ld;
    if (load(argc, argv, &st, &ld)) {
        fprintf(stderr, "trawl serve: SIGHUP: configuration not reloaded\n");
        goto out;
    }
    if (ld.config_path) {
        if (trawl_server_reload_engine(srv, ld.detectors, ld.detectors_len, &err) == TRAWL_OK) {
            fprintf(stderr, "trawl serve: SIGHUP: detectors reloaded from %s\n", ld.config_path);
        } else {
            cli_report("serve", ld.config_path, &err);
            fprintf(stderr, "trawl serve: SIGHUP: detectors not reloaded\n");
        }
    }
    if (st.n_rules || cur->n_rules) {
        trawl_serve_ruleset sets[MAX_RULESETS];
        if (read_rules(&st, sets)) {
            fprintf(stderr, "trawl serve: SIGHUP: rule sets not reloaded\n");
        } else if (trawl_server_reload_rules(srv, sets, st.n_rules, &err) != TRAWL_OK) {
            cli_report("serve", "SIGHUP: rule sets not reloaded", &err);
        } else {
            fprintf(stderr, "trawl serve: SIGHUP: rule sets reloaded\n");
        }
        free_rules(sets, st.n_rules);
    }
out:
    fflush(stderr);
    loaded_free(&ld);
    settings_free(&st);
}

int cli_serve(int argc, char **argv)
{
    settings st;
    loaded ld;
    trawl_serve_ruleset sets[MAX_RULESETS];
    int rc = CLI_ERROR;
    if (load(argc, argv, &st, &ld))
        goto out;
    if (ld.help) {
        usage(stdout);
        rc = 0;
        goto out;
    }
    trawl_error err;
    trawl_detect_engine *engine = NULL;
    trawl_status s = trawl_detect_engine_new(ld.detectors, ld.detectors_len, &engine, &err);
    if (s != TRAWL_OK) {
        cli_report("serve", ld.config_path ? ld.config_path : "configuration", &err);
        goto out;
    }
    if (read_rules(&st, sets)) {
        trawl_detect_engine_free(engine);
        goto out;
    }
    st.o.rulesets = sets;
    st.o.n_rulesets = st.n_rules;

    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);

    char *secret = NULL;
    size_t secret_len = 0;
    if (st.redis) {
        if (!st.redis_secret_file) {
            cli_errorf("serve", "--redis needs --redis-secret-file (the fleet's shared secret)");
            free_rules(sets, st.n_rules);
            trawl_detect_engine_free(engine);
            goto out;
        }
        if (!(secret = read_file(st.redis_secret_file, &secret_len))) {
            free_rules(sets, st.n_rules);
            trawl_detect_engine_free(engine);
            goto out;
        }
        while (secret_len && (secret[secret_len - 1] == '\n' || secret[secret_len - 1] == '\r'))
            secret_len--;
        st.o.redis = st.redis;
        st.o.redis_secret = secret;
        st.o.redis_secret_len = secret_len;
    }
    st.o.engine_config = ld.detectors;
    st.o.engine_config_len = ld.detectors_len;
    trawl_server *srv = NULL;
    s = trawl_server_start(&st.o, engine, &srv, &err);
    if (secret)
        memset(secret, 0, secret_len);
    free(secret);
    st.o.redis_secret = NULL;
    free_rules(sets, st.n_rules); /* compiled (copied) by the server */
    st.o.rulesets = NULL;
    if (s != TRAWL_OK) {
        if (err.line && st.api_keys)
            cli_report("serve", st.api_keys, &err);
        else /* the message names what failed: "cannot listen on HOST:PORT: reason" */
            cli_errorf("serve", "%s", err.message);
        trawl_detect_engine_free(engine);
        goto out;
    }
    fprintf(stderr, "listening on %s:%u\n", st.host, (unsigned)trawl_server_port(srv));
    fflush(stderr);
    for (;;) {
        int sig = 0;
        if (sigwait(&set, &sig))
            continue;
        if (sig == SIGHUP) {
            reload(srv, argc, argv, &st);
            continue;
        }
        fprintf(stderr, "trawl serve: %s: draining\n", sig == SIGTERM ? "SIGTERM" : "SIGINT");
        break;
    }
    trawl_server_drain(srv, 10000);
    trawl_server_free(srv);
    trawl_detect_engine_free(engine);
    fprintf(stderr, "trawl serve: stopped\n");
    rc = 0;
out:
    loaded_free(&ld);
    settings_free(&st);
    return rc;
}
