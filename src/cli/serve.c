/* serve.c -- `trawl serve`: the detectors behind an HTTP API.
 *
 * Signals are blocked before the server starts, so its threads inherit the
 * mask and only this thread sees them, in sigwait(): SIGTERM/SIGINT drain
 * and exit 0. */
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
            "  GET /v1/events (Server-Sent Events)\n"
            "  GET /healthz  GET /readyz  GET /metrics  GET /v1/metrics\n\n"
            "options:\n"
            "  --listen HOST:PORT   numeric IPv4 address and port (default 127.0.0.1:8080;\n"
            "                       port 0 picks a free one, printed on stderr)\n"
            "  --config FILE        detector configuration (docs/detect-*.md)\n"
            "  --threads N          worker threads (default: number of cores)\n"
            "  --cache-entries N    result cache bound in entries (default 65536; 0 with\n"
            "                       --cache-bytes 0 turns the cache off)\n"
            "  --cache-bytes SIZE   result cache bound in bytes, k/m/g suffixes (default 64m)\n"
            "  --cache-ttl-ms N     cache entry lifetime in milliseconds (default 0: none)\n"
            "  --max-body SIZE      largest request body (default 1m)\n"
            "  --max-connections N  open connections at most (default 1024)\n"
            "  --max-per-ip N       open connections per client address (default: no limit)\n"
            "  --timeout S          idle connection timeout in seconds (default 30)\n"
            "  --api-keys FILE      require an API key on /v1/ endpoints; FILE holds\n"
            "                       NAME sha256:HEX [RATE [BURST]] lines (docs/serve.md)\n"
            "  --rules NAME=FILE    load a rule file for POST /v1/scan?rules=NAME (repeatable)\n"
            "  --sse-heartbeat-ms N heartbeat period of GET /v1/events (default 15000)\n"
            "  --access-log FILE    append one JSON line per request to FILE (- = stderr)\n"
            "  --batch-max N        model tier: requests per batch (default 32)\n"
            "  --batch-wait-us N    model tier: how long a batch waits for more requests\n"
            "                       (default 0: takes what queued while the last batch ran)\n"
            "  --batch-max-bytes SIZE  model tier: text bytes per batch; a batch over it\n"
            "                       fails with 503 (default batch-max x max-body)\n"
            "  -h, --help           this text\n\n"
            "SIGTERM or SIGINT: stop accepting, finish requests in flight, exit 0.\n"
            "SIGHUP: reload the API key file and the rule files.\n");
}

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

static char *read_file(const char *path, size_t *len)
{
    cli_input in;
    if (cli_input_open(path, &in))
        return NULL;
    char *s = NULL;
    if (in.data) {
        s = malloc(in.len + 1);
        if (s) {
            memcpy(s, in.data, in.len);
            s[in.len] = '\0';
            *len = in.len;
        }
    } else {
        cli_errorf("serve", "%s: the config must be a regular file", path);
    }
    cli_input_close(&in);
    return s;
}

/* Re-reads every rule file and swaps the rule sets in; on any error the
 * sets in force stay. */
static void reload_rules(trawl_server *srv, trawl_serve_ruleset *sets, char **text,
                         const char *const *path, size_t n)
{
    char *fresh[64];
    trawl_serve_ruleset next[64];
    size_t got = 0;
    for (; got < n; got++) {
        size_t len = 0;
        if (!(fresh[got] = read_file(path[got], &len)))
            break;
        next[got] = (trawl_serve_ruleset){sets[got].name, fresh[got], len};
    }
    trawl_error err;
    if (got == n && trawl_server_reload_rules(srv, next, n, &err) == TRAWL_OK) {
        for (size_t i = 0; i < n; i++) {
            free(text[i]);
            text[i] = fresh[i];
            sets[i] = next[i];
        }
        fprintf(stderr, "trawl serve: SIGHUP: rule sets reloaded\n");
        return;
    }
    if (got == n)
        cli_report("serve", "SIGHUP: rule sets not reloaded", &err);
    else
        fprintf(stderr, "trawl serve: SIGHUP: rule sets not reloaded\n");
    for (size_t i = 0; i < got; i++)
        free(fresh[i]);
}

static int number(const char *opt, const char *arg, uint64_t max, uint64_t *out)
{
    if (!cli_parse_size(arg, out) || *out > max) {
        cli_errorf("serve", "%s: not a valid number: '%s'", opt, arg);
        return -1;
    }
    return 0;
}

int cli_serve(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"listen", required_argument, NULL, 'l'},
        {"config", required_argument, NULL, 'c'},
        {"threads", required_argument, NULL, 't'},
        {"cache-entries", required_argument, NULL, 'E'},
        {"cache-bytes", required_argument, NULL, 'B'},
        {"cache-ttl-ms", required_argument, NULL, 'T'},
        {"max-body", required_argument, NULL, 'M'},
        {"max-connections", required_argument, NULL, 'C'},
        {"timeout", required_argument, NULL, 'o'},
        {"api-keys", required_argument, NULL, 'k'},
        {"max-per-ip", required_argument, NULL, 'P'},
        {"sse-heartbeat-ms", required_argument, NULL, 'H'},
        {"access-log", required_argument, NULL, 'a'},
        {"rules", required_argument, NULL, 'r'},
        {"batch-max", required_argument, NULL, 'b'},
        {"batch-wait-us", required_argument, NULL, 'w'},
        {"batch-max-bytes", required_argument, NULL, 'y'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    char host[64] = "127.0.0.1";
    trawl_server_opts o = {.port = 8080, .cache_entries = 65536, .cache_bytes = 64u << 20};
    const char *config_path = NULL;
    enum { MAX_RULESETS = 64 };
    trawl_serve_ruleset sets[MAX_RULESETS];
    char *set_text[MAX_RULESETS];
    const char *set_path[MAX_RULESETS];
    size_t n_sets = 0;
    int rc = CLI_ERROR;
    uint64_t v;
    int opt;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (opt) {
        case 'l':
            if (parse_listen(optarg, host, sizeof(host), &o.port)) {
                cli_errorf("serve", "--listen: expected HOST:PORT, got '%s'", optarg);
                goto out;
            }
            break;
        case 'c':
            config_path = optarg;
            break;
        case 't':
            if (number("--threads", optarg, 1024, &v))
                goto out;
            o.threads = (unsigned)v;
            break;
        case 'E':
            if (number("--cache-entries", optarg, SIZE_MAX, &v))
                goto out;
            o.cache_entries = (size_t)v;
            break;
        case 'B':
            if (number("--cache-bytes", optarg, SIZE_MAX, &v))
                goto out;
            o.cache_bytes = (size_t)v;
            break;
        case 'T':
            if (number("--cache-ttl-ms", optarg, UINT64_MAX, &v))
                goto out;
            o.cache_ttl_ms = v;
            break;
        case 'M':
            if (number("--max-body", optarg, (uint64_t)1 << 32, &v) || !v) {
                if (!v)
                    cli_errorf("serve", "--max-body must be at least 1");
                goto out;
            }
            o.max_body = (size_t)v;
            break;
        case 'b':
            if (number("--batch-max", optarg, 1u << 16, &v) || !v) {
                if (!v)
                    cli_errorf("serve", "--batch-max must be at least 1");
                goto out;
            }
            o.batch_max = (size_t)v;
            break;
        case 'w':
            if (number("--batch-wait-us", optarg, 10000000, &v))
                goto out;
            o.batch_wait_us = v;
            break;
        case 'y':
            if (number("--batch-max-bytes", optarg, SIZE_MAX, &v))
                goto out;
            o.batch_max_bytes = (size_t)v;
            break;
        case 'C':
            if (number("--max-connections", optarg, 1u << 20, &v))
                goto out;
            o.max_connections = (unsigned)v;
            break;
        case 'o':
            if (number("--timeout", optarg, 86400, &v))
                goto out;
            o.conn_timeout_s = (unsigned)v;
            break;
        case 'H':
            if (number("--sse-heartbeat-ms", optarg, 3600000, &v))
                goto out;
            o.sse_heartbeat_ms = (unsigned)v;
            break;
        case 'P':
            if (number("--max-per-ip", optarg, 1u << 20, &v))
                goto out;
            o.max_per_ip = (unsigned)v;
            break;
        case 'a':
            o.access_log = optarg;
            break;
        case 'r': {
            char *eq = strchr(optarg, '=');
            if (!eq || eq == optarg || !eq[1] || n_sets == MAX_RULESETS) {
                cli_errorf("serve", "--rules: expected NAME=FILE (at most %d), got '%s'",
                           MAX_RULESETS, optarg);
                goto out;
            }
            *eq = '\0';
            size_t len = 0;
            if (!(set_text[n_sets] = read_file(eq + 1, &len)))
                goto out;
            sets[n_sets] = (trawl_serve_ruleset){optarg, set_text[n_sets], len};
            set_path[n_sets] = eq + 1;
            n_sets++;
            break;
        }
        case 'k':
            o.api_keys_path = optarg;
            break;
        case 'h':
            usage(stdout);
            rc = 0;
            goto out;
        default:
            usage(stderr);
            goto out;
        }
    }
    if (optind < argc) {
        cli_errorf("serve", "unexpected argument '%s'", argv[optind]);
        goto out;
    }
    o.host = host;
    o.rulesets = sets;
    o.n_rulesets = n_sets;

    char *config = NULL;
    size_t config_len = 0;
    if (config_path && !(config = read_file(config_path, &config_len)))
        goto out;
    trawl_error err;
    trawl_detect_engine *engine = NULL;
    trawl_status st = trawl_detect_engine_new(config, config_len, &engine, &err);
    free(config);
    if (st != TRAWL_OK) {
        cli_report("serve", config_path ? config_path : "configuration", &err);
        goto out;
    }

    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);

    trawl_server *srv = NULL;
    st = trawl_server_start(&o, engine, &srv, &err);
    if (st != TRAWL_OK) {
        cli_report("serve", err.line && o.api_keys_path ? o.api_keys_path : "server", &err);
        trawl_detect_engine_free(engine);
        goto out;
    }
    fprintf(stderr, "listening on %s:%u\n", host, (unsigned)trawl_server_port(srv));
    fflush(stderr);
    for (;;) {
        int sig = 0;
        if (sigwait(&set, &sig))
            continue;
        if (sig == SIGHUP) {
            if (trawl_server_reload(srv, &err) == TRAWL_OK) {
                if (o.api_keys_path)
                    fprintf(stderr, "trawl serve: SIGHUP: API keys reloaded\n");
            } else {
                fprintf(stderr, "trawl serve: SIGHUP: API keys not reloaded\n");
                cli_report("serve", o.api_keys_path, &err);
            }
            if (n_sets)
                reload_rules(srv, sets, set_text, set_path, n_sets);
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
    for (size_t i = 0; i < n_sets; i++)
        free(set_text[i]);
    return rc;
}
