/* trawl/serve.h -- the screening service and its reusable parts: a sharded
 * LRU cache, a request coalescer, a dynamic batcher, a latency histogram and
 * the HTTP server (libmicrohttpd) that puts the detectors behind them.
 *
 * Every part is thread-safe; each takes only per-shard or per-entry locks,
 * never a global one, and never holds a lock while a caller's function runs
 * or while a waiter sleeps (the histogram takes no lock at all).
 *
 * Ownership: keys and values passed in are copied; values handed out are
 * malloc'd copies the caller free()s.
 */
#ifndef TRAWL_SERVE_H
#define TRAWL_SERVE_H

#include <stdbool.h>

#include <trawl/common.h>
#include <trawl/detect.h>
#include <trawl/pattern.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- keys ---------------------------------------------------------------- */

/* A 128-bit request key. */
typedef struct trawl_key128 {
    uint64_t lo, hi;
} trawl_key128;

/* XXH3-128 of bytes, seeded with a per-process secret drawn from getrandom()
 * on first use. Clients cannot precompute colliding requests: without the
 * seed they cannot predict the key (MD5 of a repr, the Python choice, is
 * both slower and collidable offline). O(n), allocates nothing. */
TRAWL_API trawl_key128 trawl_serve_hash(const void *p, size_t n);

/* Hashes a JSON text's canonical form (object members sorted by name,
 * recursively; strings and names length-prefixed; numbers as doubles),
 * after the 4-byte tag, with XXH3-128 and the per-process secret seed of
 * trawl_serve_hash, so {"a":1,"b":2} and { "b":2, "a":1 } give one key.
 * TRAWL_EFORMAT with err->offset on malformed JSON. O(n log n); allocates
 * only to parse (and to sort objects of more than 16 members). */
TRAWL_API trawl_status trawl_serve_key_json(const char *json, size_t len, uint32_t tag,
                                            trawl_key128 *out, trawl_error *err);

/* ---- cache --------------------------------------------------------------- */

typedef struct trawl_cache trawl_cache;

typedef struct trawl_cache_opts {
    size_t shards;      /* 0 = 16; rounded up to a power of two */
    size_t max_entries; /* over all shards; 0 = unbounded by count */
    size_t max_bytes;   /* value bytes + per-entry overhead; 0 = unbounded */
    uint64_t ttl_ms;    /* 0 = entries never expire */
    /* Clock in milliseconds; NULL = CLOCK_MONOTONIC. For tests. */
    uint64_t (*clock_ms)(void *ud);
    void *clock_ud;
} trawl_cache_opts;

typedef struct trawl_cache_stats {
    uint64_t hits, misses, evictions, expirations, inserts;
    uint64_t entries, bytes;
} trawl_cache_stats;

/* Bounds are split evenly over the shards (each shard holds at least one
 * entry), so eviction is LRU within a shard. */
TRAWL_API trawl_status trawl_cache_new(const trawl_cache_opts *o, trawl_cache **out,
                                       trawl_error *err);
TRAWL_API void trawl_cache_free(trawl_cache *c);
/* On a hit, *val is a malloc'd copy of the value (NUL-terminated beyond
 * *len) and the entry becomes most recent: returns true. An expired entry is
 * removed and counts as a miss. */
TRAWL_API bool trawl_cache_get(trawl_cache *c, trawl_key128 key, char **val, size_t *len);
/* Inserts or replaces; evicts least recent entries of the shard until both
 * bounds hold. A value larger than a shard's byte bound is not stored
 * (returns TRAWL_ELIMIT). */
TRAWL_API trawl_status trawl_cache_put(trawl_cache *c, trawl_key128 key, const void *val,
                                       size_t len);
TRAWL_API void trawl_cache_stats_get(trawl_cache *c, trawl_cache_stats *s);
/* Bytes an entry of a value of len bytes is charged. */
TRAWL_API size_t trawl_cache_entry_cost(size_t len);

/* ---- coalescer ----------------------------------------------------------- */

typedef struct trawl_coalescer trawl_coalescer;

/* Computes the value for a key: sets *out (malloc'd, the coalescer takes
 * it) and *len, or returns an error with a message in err. */
typedef trawl_status (*trawl_coalesce_fn)(void *ud, char **out, size_t *len, trawl_error *err);

TRAWL_API trawl_status trawl_coalescer_new(size_t shards, trawl_coalescer **out);
/* Frees it; no call may be in progress. */
TRAWL_API void trawl_coalescer_free(trawl_coalescer *co);
/* The first caller for a key runs fn; callers arriving with the same key
 * while it runs wait for that result (on the key's own condition variable;
 * no shard lock is held while waiting or while fn runs) and get a copy of
 * it, or its error. *shared is set to true for those waiters. The first
 * caller gets fn's own buffer when nobody waited (no copy), else a copy. */
TRAWL_API trawl_status trawl_coalesce(trawl_coalescer *co, trawl_key128 key, trawl_coalesce_fn fn,
                                      void *ud, char **out, size_t *len, bool *shared,
                                      trawl_error *err);
/* Waiters served by another caller's run, since creation. */
TRAWL_API uint64_t trawl_coalescer_shared_count(trawl_coalescer *co);

/* ---- dynamic batcher ----------------------------------------------------- */

typedef struct trawl_batcher trawl_batcher;

/* Processes n requests as one batch: fills resps[0..*n_done) in order and
 * returns TRAWL_OK. Returning an error, or *n_done < n, fails every request
 * of the batch (responses that were produced are freed with free_resp). */
typedef trawl_status (*trawl_batch_fn)(void *ud, void *const *reqs, size_t n, void **resps,
                                       size_t *n_done, trawl_error *err);

typedef struct trawl_batcher_opts {
    size_t max_batch;     /* >= 1 */
    uint64_t max_wait_us; /* how long the first request of a batch waits for more */
    /* How many threads can submit at once (0 = unknown). A batch with that
     * many requests runs at once: no one else can arrive to join it. */
    size_t producers;
    trawl_batch_fn process;
    void (*free_resp)(void *resp); /* may be NULL */
    void *ud;
} trawl_batcher_opts;

typedef struct trawl_batcher_stats {
    uint64_t batches, requests, failed_requests;
    uint64_t size_counts[65]; /* [k] = batches of size k (k >= 64 counted at 64) */
} trawl_batcher_stats;

/* Starts the batching thread. */
TRAWL_API trawl_status trawl_batcher_new(const trawl_batcher_opts *o, trawl_batcher **out,
                                         trawl_error *err);
/* Stops the thread; requests still queued fail with TRAWL_ESTATE. Calls in
 * progress return before this does; no new call may start. */
TRAWL_API void trawl_batcher_free(trawl_batcher *b);
/* Queues req and blocks until its batch has run: *resp is the processor's
 * response (the caller owns it), or an error is returned and *resp is NULL.
 * With max_wait_us = 0, a request that finds the batcher idle (nothing
 * queued, no batch running) runs its batch of one on the calling thread;
 * either way one batch runs at a time. */
TRAWL_API trawl_status trawl_batcher_submit(trawl_batcher *b, void *req, void **resp,
                                            trawl_error *err);
TRAWL_API void trawl_batcher_stats_get(trawl_batcher *b, trawl_batcher_stats *s);

/* ---- latency histogram --------------------------------------------------- */

/* Log-linear: values below 256 are exact; above, each power of two is cut
 * into 128 buckets, so a reported value is within 1/128 (0.8%) of the true
 * one. Recording is lock-free (relaxed atomics). ~60 KB. */
typedef struct trawl_hist trawl_hist;

TRAWL_API trawl_hist *trawl_hist_new(void);
TRAWL_API void trawl_hist_free(trawl_hist *h);
TRAWL_API void trawl_hist_record(trawl_hist *h, uint64_t v);
TRAWL_API uint64_t trawl_hist_count(const trawl_hist *h);
TRAWL_API uint64_t trawl_hist_max(const trawl_hist *h);
TRAWL_API uint64_t trawl_hist_sum(const trawl_hist *h);
/* The smallest recorded value v such that at least ceil(q * count) values
 * are <= v, reported as the highest value of v's bucket; 0 when empty. q in
 * [0, 1]. O(buckets). */
TRAWL_API uint64_t trawl_hist_percentile(const trawl_hist *h, double q);
/* For each bound le[0..n) (ascending), how many recorded values lie in
 * buckets that end at or below it: Prometheus histogram buckets from one
 * pass (a bucket straddling a bound is counted in the next, so a figure is
 * low by at most that bucket, within 0.8% of the bound). O(buckets). */
TRAWL_API void trawl_hist_cumulative(const trawl_hist *h, const uint64_t *le, size_t n,
                                     uint64_t *out);
/* The bounds of the bucket holding v. */
TRAWL_API uint64_t trawl_hist_bucket_low(uint64_t v);
TRAWL_API uint64_t trawl_hist_bucket_high(uint64_t v);

/* ---- the server ---------------------------------------------------------- */

typedef struct trawl_server trawl_server;

/* For the limits of trawl_server_opts whose 0 means "the default": off. */
#define TRAWL_SERVE_OFF 0xffffffffu

/* A rule set for POST /v1/scan: a rule file's text (trawl_pattern_set_add_rules). */
typedef struct trawl_serve_ruleset {
    const char *name;
    const char *text;
    size_t len;
} trawl_serve_ruleset;

typedef struct trawl_server_opts {
    const char *host;     /* numeric IPv4 address; NULL = 127.0.0.1 */
    uint16_t port;        /* 0 = ephemeral */
    unsigned threads;     /* 0 = number of cores */
    size_t cache_entries; /* 0 with cache_bytes 0 = cache off */
    size_t cache_bytes;
    uint64_t cache_ttl_ms;    /* 0 = none */
    size_t max_body;          /* bytes; 0 = 1 MiB */
    unsigned max_connections; /* 0 = 1024 */
    unsigned conn_timeout_s;  /* idle connection timeout; 0 = 30 */
    /* Connections per client address (a trusted proxy's relayed requests
     * count for their client); 0 = 64, TRAWL_SERVE_OFF = no limit. */
    unsigned max_per_ip;
    /* Trusted proxies: "10.0.0.0/8, 127.0.0.1 ::1" (addresses or networks,
     * commas or spaces between). A connection from one of them is not
     * counted against its address; the client of each request it relays
     * is taken from Forwarded (RFC 7239) or else X-Forwarded-For, walking
     * from the right past trusted addresses, and that client is what the
     * access log, the events and the per-address limit (on requests in
     * progress) see. From any other peer those headers are ignored. NULL
     * = none. Copied at start. */
    const char *trusted_proxies;
    /* A new connection's request line and headers must arrive within this
     * many seconds of the accept; a kept-alive connection's, within it of
     * the request line (trickled bytes do not extend it, unlike the idle
     * timeout); 0 = 10, TRAWL_SERVE_OFF = none. */
    unsigned header_timeout_s;
    /* Bytes per second a request body must average after a grace period of
     * header_timeout_s; a slower one is closed. 0 = 1024, TRAWL_SERVE_OFF =
     * no minimum. */
    unsigned body_min_rate;
    size_t max_header;         /* a connection's headers + read buffer; 0 = 16 KiB */
    unsigned sse_heartbeat_ms; /* /v1/events heartbeat period; 0 = 15000 */
    unsigned sse_max;          /* /v1/events streams at most; 0 = 64 */
    unsigned sse_per_ip;       /* streams per client address; 0 = 4, TRAWL_SERVE_OFF = none */
    /* A stream whose peer takes no byte for this long while bytes wait is
     * dropped and its connection closed; 0 = 30000. */
    unsigned sse_drain_ms;
    /* API key file (docs/serve.md): when set, /v1/ endpoints need a key
     * (Authorization: Bearer KEY or X-API-Key: KEY). NULL = open. The
     * string must stay valid as long as the server. */
    const char *api_keys_path;
    /* With API keys, a cached (or coalesced) answer is shared only between
     * requests of one key, so "cached" tells a key nothing about another
     * key's requests; true shares answers across keys. */
    bool share_cache;
    /* Access log file (JSON lines, appended), "-" for stderr, NULL = none. */
    const char *access_log;
    /* Rule sets served by POST /v1/scan?rules=NAME; compiled at start
     * (copied: the caller may free them afterwards). */
    const trawl_serve_ruleset *rulesets;
    size_t n_rulesets;
    /* POST /v1/scan: at most this many matches per response (0 = 10000),
     * and this many response bytes (0 = 4 MiB); a response that was cut
     * ends with {"truncated":true,...} and has an X-Trawl-Truncated header. */
    size_t scan_max_matches;
    size_t scan_max_bytes;
    /* Dynamic batching of the prompt-injection model tier (docs/serve.md),
     * used when the engine runs prompt_injection with its model: requests
     * that run prompt_injection are scored by the model in batches. */
    size_t batch_max;       /* requests per batch; 0 = 32 */
    uint64_t batch_wait_us; /* how long a batch's first request waits for more; 0 = not at
                               all (the batch is whatever queued while the last one ran) */
    size_t batch_max_bytes; /* text bytes one batch may hold; 0 = batch_max * max_body;
                               a batch over it fails whole (503) */
    /* GET /dashboard: a live page of the service (docs/serve.md), off
     * unless set. Behind the API keys when keys are on. */
    bool dashboard;
    /* Threat events kept for replay to /v1/events subscribers that send
     * Last-Event-ID; 0 = none, or 1024 when the dashboard is on. */
    size_t event_ring;
    /* Ignore keys the detector input object does not define. Off by
     * default: a request with an unknown key ("text", "promt") is a 400
     * naming the key, never an empty request screened as clean. */
    bool allow_unknown_keys;
    /* The configuration text the engine was built from (its digest versions
     * the shared tier's keys); NULL = the defaults. */
    const char *engine_config;
    size_t engine_config_len;
    /* Shared cache tier and fleet events (docs/deploy.md): "host:port",
     * "tcp://host:port" or "unix:/path"; NULL = none. redis_secret (>= 16
     * bytes, the same on every instance) seeds the request keys; copied. */
    const char *redis;
    const void *redis_secret;
    size_t redis_secret_len;
    unsigned redis_timeout_ms; /* connect and every reply; 0 = 5 */
    uint64_t redis_ttl_s;      /* lifetime of a shared entry; 0 = 3600 */
    /* With a Redis tier: the API keys' token buckets and ai_vs_ai's
     * per-client windows are kept in Redis (one atomic script per check), so
     * the fleet shares one budget per key and one count per client. A Redis
     * failure falls back to this instance's own limiter for that request
     * (counted: trawl_redis_rate_fallbacks_total). */
    bool redis_rate_limits;
    /* Where compiled rule packs are cached (trawl_detect_engine_new_cached)
     * when trawl_server_reload_engine builds a new engine; NULL = compile
     * every time. Not copied: must outlive the server. */
    const char *cache_dir;
} trawl_server_opts;

/* Starts listening and serving with engine (which the caller keeps alive
 * until trawl_server_free, even after trawl_server_reload_engine). */
TRAWL_API trawl_status trawl_server_start(const trawl_server_opts *o, trawl_detect_engine *engine,
                                          trawl_server **out, trawl_error *err);
/* The bound port. */
TRAWL_API uint16_t trawl_server_port(const trawl_server *s);
/* Reloads the API key file (for SIGHUP): on error the old keys stay in
 * force. Requests in flight finish with the keys they started with. */
TRAWL_API trawl_status trawl_server_reload(trawl_server *s, trawl_error *err);
/* Replaces the rule sets of POST /v1/scan (for SIGHUP): compiles the new
 * sets first; on error the old ones stay. Requests in flight finish with the
 * sets they started with (old sets are kept until trawl_server_free). */
TRAWL_API trawl_status trawl_server_reload_rules(trawl_server *s, const trawl_serve_ruleset *sets,
                                                 size_t n, trawl_error *err);
/* Builds a detection engine from config (as trawl_detect_engine_new, in the
 * calling thread) and swaps it in atomically (for SIGHUP). On error the
 * engine in force stays. Requests in flight finish on the engine they
 * started with; no lock is taken on the request path. A replaced engine
 * is freed by its last user (a worker thread moves to the new engine on
 * its next detection request), except the one given to trawl_server_start,
 * which stays the caller's. Results cached from a replaced engine are not
 * served again; ai_vs_ai client histories start afresh. */
TRAWL_API trawl_status trawl_server_reload_engine(trawl_server *s, const char *config,
                                                  size_t config_len, trawl_error *err);
/* Graceful stop: stops accepting, answers new requests on open connections
 * with 503, waits up to timeout_ms for requests in flight to finish. */
TRAWL_API void trawl_server_drain(trawl_server *s, unsigned timeout_ms);
/* Stops (draining first if not done) and frees. */
TRAWL_API void trawl_server_free(trawl_server *s);

#ifdef __cplusplus
}
#endif
#endif
