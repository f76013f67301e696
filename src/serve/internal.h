/* internal.h -- what the files of src/serve share (trawl__ tier). */
#ifndef TRAWL_SRC_SERVE_INTERNAL_H
#define TRAWL_SRC_SERVE_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>

#include <cjson/cJSON.h>

#include <trawl/serve.h>

#include "common/json.h"

/* Hashes the tag and the value, object members in name order, as
 * trawl_serve_key_json. Allocates only for objects of more than 16 members. */
trawl_status trawl__serve_key_tree(const tj_value *root, uint32_t tag, trawl_key128 *out,
                                   trawl_error *err);
/* The same with the given seed (a server's: trawl_server.key_seed). */
trawl_status trawl__serve_key_tree_seeded(const tj_value *root, uint32_t tag, uint64_t seed,
                                          trawl_key128 *out, trawl_error *err);
/* A 64-bit digest of a configuration text (SHA-256's first bytes). */
uint64_t trawl__serve_config_digest(const char *text, size_t len);

/* SHA-256 of n bytes. */
void trawl__sha256(const void *data, size_t n, uint8_t out[32]);

/* API keys (auth.c). */
typedef struct srv_key srv_key;
typedef struct srv_keys srv_keys;
/* Loads a key file; errors name the line (err->index = line). */
trawl_status trawl__serve_keys_load(const char *path, srv_keys **out, trawl_error *err);
/* Frees a table and the tables retired behind it. */
void trawl__serve_keys_free(srv_keys *t);
/* The entry whose digest is SHA-256(key), compared in constant time; NULL. */
srv_key *trawl__serve_keys_find(srv_keys *t, const char *key, size_t len);
/* Takes a token from the key's bucket: 0 when allowed, else the seconds to
 * wait for the next token. */
double trawl__serve_key_take(srv_key *k);
const char *trawl__serve_key_name(const srv_key *k);
/* Whether the key's event stream sees every key's events. */
bool trawl__serve_key_admin(const srv_key *k);
/* The key's identity for scoping (from its digest, so stable across
 * reloads); never 0. */
uint64_t trawl__serve_key_tenant(const srv_key *k);
/* key scoped to a tenant: another tenant's identical request has another
 * key (seeded XXH3-128 over both). */
trawl_key128 trawl__serve_key_scope(trawl_key128 key, uint64_t tenant);
double trawl__serve_key_rate(const srv_key *k);
double trawl__serve_key_burst(const srv_key *k);
/* SHA-256 of the key (what the key file holds). */
const uint8_t *trawl__serve_key_digest(const srv_key *k);
/* Hangs old (and its own retired list) behind t, to be freed with t. */
void trawl__serve_keys_retire(srv_keys *t, srv_keys *old);
/* Copies the bucket state of keys present in both tables. */
void trawl__serve_keys_carry(srv_keys *to, srv_keys *from);

/* Writes one access log line to fd (access_log.c). ip is the client's
 * address as text; key may be NULL. */
typedef struct srv_log_extra {
    const char *request_id;
    const char *client_id; /* NULL: none */
    double threat_score;   /* < 0: not a screening answer */
} srv_log_extra;
void trawl__serve_access_log(int fd, const char *ip, const char *method, const char *path,
                             int status, size_t bytes, uint64_t latency_ns, bool cached,
                             const char *key, const srv_log_extra *x);

/* Endpoints, for metrics. */
enum {
    EP_DETECT,
    EP_DETECT_ONE,
    EP_SCAN,
    EP_EVENTS,
    EP_HEALTHZ,
    EP_READYZ,
    EP_METRICS,
    EP_V1_METRICS,
    EP_LITELLM,   /* POST /beta/litellm_basic_guardrail_api (http_compat.c) */
    EP_GUARD,     /* POST /v2/guard */
    EP_ANALYZE,   /* POST /analyze/prompt */
    EP_AUTHZ,     /* POST /v1/authz */
    EP_CHAT,      /* POST /v1/screen/chat */
    EP_DASHBOARD, /* GET /dashboard and below (http_dashboard.c) */
    EP_OTHER,
    EP_COUNT
};
extern const char *const trawl__serve_ep_names[EP_COUNT];

/* Status codes counted per endpoint; the last slot counts any other code. */
#define SRV_NCODES 12
extern const int trawl__serve_codes[SRV_NCODES];

/* A detection engine in service. Counted references: the server holds one
 * while the engine is current, each worker thread's detection context one.
 * The last reference frees it (and the engine, when the server built it on
 * a reload; the engine given to trawl_server_start is the caller's). */
typedef struct srv_engine {
    trawl_detect_engine *e;
    _Atomic uint64_t refs;
    uint32_t gen;        /* 0 at start, +1 per reload: part of cache and coalescer keys */
    uint64_t cfg_digest; /* of the configuration it was built from: in shared-tier keys */
    bool owned;
} srv_engine;

void trawl__serve_engine_unref(srv_engine *g);

/* A worker thread's detection context and the engine it was made for. */
typedef struct srv_tctx {
    srv_engine *eng; /* one reference */
    trawl_detect_ctx *ctx;
} srv_tctx;

/* The thread's context, moved to the current engine first if a reload
 * swapped it (a mutex only then); NULL on error. The engine it returns
 * stays valid for the request: only this thread drops its reference. */
srv_tctx *trawl__serve_thread_ctx(trawl_server *s, trawl_error *err);
/* Destructor of ctx_key. */
void trawl__serve_tctx_free(void *p);

#define SRV_MAX_THREAT_KINDS 256

struct trawl_server {
    trawl_server_opts o;
    _Atomic(srv_engine *) eng; /* current; swapped under reload_mu */
    _Atomic uint64_t engine_reloads, engine_reload_failures;
    _Atomic uint64_t engine_gen, engine_build_ms; /* the current generation; the last build */
    struct MHD_Daemon *daemon;
    uint16_t port;
    int listen_fd;      /* after drain: the quiesced listening socket, or -1 */
    trawl_cache *cache; /* NULL when off */
    trawl_coalescer *co;
    pthread_key_t ctx_key;
    _Atomic bool ready, draining;
    _Atomic int64_t inflight;
    _Atomic uint64_t count[EP_COUNT][SRV_NCODES];
    _Atomic uint64_t stateful_bypass, detect_runs;
    trawl_hist *lat_all, *lat[EP_COUNT];
    trawl_hist *lat_det[TRAWL_DET_COUNT]; /* each detector's own run time */
    _Atomic(srv_keys *) keys;             /* NULL: no authentication */
    pthread_mutex_t reload_mu;            /* serialises swaps; guards taking a reference on eng */
    int access_fd;                        /* -1: no access log */
    _Atomic(struct srv_rules *) rules;    /* for /v1/scan; NULL = none */
    pthread_key_t scratch_key;            /* per-thread trawl_scratch for all rule sets */
    /* Server-Sent Events (http_events.c) */
    pthread_mutex_t ev_mu; /* guards subs */
    struct srv_sub *subs;
    _Atomic int n_subs;
    _Atomic uint64_t sse_dropped;
    pthread_t hb_thread;
    bool hb_started, hb_stop;
    pthread_mutex_t hb_mu;
    pthread_cond_t hb_cv;
    struct srv_conns *conns;     /* connection table: limits, deadlines (conn.c) */
    struct srv_proxies *proxies; /* trusted proxies (proxy.c); NULL = none */
    /* dynamic batching of the model tier (http_batch.c); NULL = none */
    trawl_batcher *batcher;
    size_t batch_max_bytes;
    /* request keys: the seed (random, or from the fleet's secret with a
     * Redis tier), the shared tier (redis.c; NULL = none) */
    uint64_t key_seed;
    struct srv_redis *redis;
    trawl_detect_counter counter; /* ai_vs_ai's windows in Redis (redis_rate_limits) */
    char instance[17];            /* this instance's id (hex), in events */
    /* trawl_threats_total: one counter per (detector, category, severity)
     * seen; appended under threat_mu, read without a lock up to n. */
    struct srv_threat_kind {
        const char *detector, *category; /* static strings of the detectors */
        trawl_severity severity;
        _Atomic uint64_t count;
    } threat_kinds[SRV_MAX_THREAT_KINDS];
    _Atomic int n_threat_kinds;
    pthread_mutex_t threat_mu;
    struct srv_ring *ring; /* threat events for replay (event_ring.c); NULL = none */
    struct srv_dash *dash; /* the dashboard's figures (dashboard.c); NULL = off */
};

/* Counts the violations of a report in trawl_threats_total. */
void trawl__serve_count_threats(trawl_server *s, const trawl_detect_report *rep);

/* Status slot of an HTTP code. */
int trawl__serve_code_slot(int code);
/* The metrics, as Prometheus text / as JSON. malloc'd; NULL on OOM. */
char *trawl__serve_metrics_prom(trawl_server *s);
char *trawl__serve_metrics_json(trawl_server *s);

/* A response header a handler adds (name static). */
#define SRV_MAX_HEADERS 6
typedef struct srv_header {
    const char *name;
    char value[80];
} srv_header;

/* A response body and its status. */
typedef struct srv_reply {
    int code;
    char *body; /* malloc'd */
    size_t len;
    const char *type;     /* static */
    unsigned retry_after; /* seconds, for 429; 0 = no header */
    bool cached;          /* answered from the cache */
    char client_id[65];   /* the request's client_id (cut short), for events */
    bool has_threat;      /* threat is the answer's threat_score (access log) */
    double threat;
    bool close; /* close the connection after it */
    /* A streamed response (len bytes) instead of body; send_reply queues
     * and releases it. */
    struct MHD_Response *stream;
    const char *truncated; /* static: why the response was cut (X-Trawl-Truncated) */
    const char *key_name;  /* the API key's name, when one was checked */
    uint64_t tenant;       /* that key's identity (0: no key): scopes cache and events */
    bool admin;            /* that key sees every key's events */
    uint64_t engine_gen;   /* 1 + the engine generation that answered; 0: none */
    srv_header headers[SRV_MAX_HEADERS];
    int n_headers;
} srv_reply;

/* out = given when it is a well-formed request id (1..64 bytes of
 * [A-Za-z0-9._:-]), else a new 32-hex-digit id (request_id.c). */
void trawl__serve_request_id(const char *given, char out[65]);

/* What the gateway endpoints read from the request's headers. */
typedef struct compat_headers {
    const char *prompt;     /* X-Trawl-Prompt (/v1/authz) */
    const char *uri;        /* X-Original-URI (/v1/authz) */
    const char *path;       /* the request's path (/v1/authz/ORIGINAL-PATH) */
    const char *query;      /* its query arguments as k=v&k=v (decoded), or NULL */
    const char *request_id; /* this request's id */
} compat_headers;

/* Handles the gateway endpoints (http_compat.c): ep is EP_LITELLM,
 * EP_GUARD, EP_ANALYZE, EP_AUTHZ or EP_CHAT. *report gets the detection report the
 * reply was made from (malloc'd, for events), or NULL. It is the three
 * steps below with POST /v1/detect's path (cache, coalescer, batcher)
 * between the first two. */
void trawl__serve_compat(trawl_server *s, int ep, const char *body, size_t len,
                         const compat_headers *h, srv_reply *r, char **report);

/* A gateway request translated into the unified input object. */
typedef struct compat_req {
    int ep;
    char *input; /* the unified input object to run (malloc'd) */
    size_t input_len;
    char only[128]; /* the detectors to run, as ?only= ("" = every one) */
    tj_doc *doc;    /* the request, read by the answer; NULL for /v1/authz */
} compat_req;

typedef struct compat_opts {
    bool allow_unknown_keys;
    unsigned enabled; /* the engine's detectors (what /analyze/prompt can keep) */
} compat_opts;

/* Reads a gateway request strictly and translates it: 0 with q to run, or
 * -1 with the reply in r (a 400, or /v1/authz's 204 "nothing to screen").
 * Touches no server: the fuzz target calls it on arbitrary bytes. */
int trawl__compat_translate(int ep, const char *body, size_t len, const compat_headers *h,
                            const compat_opts *o, compat_req *q, srv_reply *r);
/* Says a detection report (the JSON text of POST /v1/detect's 200 reply)
 * in the gateway's words, into r. */
void trawl__compat_answer(const compat_req *q, const compat_headers *h, const char *report,
                          size_t n, srv_reply *r);
void trawl__compat_req_free(compat_req *q);

/* Fills r with {"error":code_name,"message":msg}. */
void trawl__serve_error(srv_reply *r, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Validates a detection request body for the detector mask (strictly:
 * common/json.h, and the input object's keys unless s->o.allow_unknown_keys)
 * and computes its key (unless *stateful: ai_vs_ai with a client_id, never
 * cached or coalesced). Bits of mask above TRAWL_DET_ALL (the engine
 * generation) only enter the key. 0 with the parsed body in *keep (the
 * caller frees it), or -1 with an error reply in r. s may be NULL (strict). */
int trawl__serve_prepare(trawl_server *s, const char *body, size_t len, unsigned mask,
                         trawl_key128 *key, trawl_key128 *shared, bool *stateful, tj_doc **keep,
                         srv_reply *r);

/* Handles POST /v1/detect (name NULL) and /v1/detect/{name}. only is the
 * ?only= argument or NULL. */
void trawl__serve_detect(trawl_server *s, const char *name, const char *only, const char *body,
                         size_t len, srv_reply *r);

/* The model tier's batcher (http_batch.c). start: creates it when the
 * engine runs the prompt-injection model (else leaves s->batcher NULL). */
trawl_status trawl__serve_batch_start(trawl_server *s, trawl_error *err);
void trawl__serve_batch_stop(trawl_server *s);
/* trawl_detect_run on e, through the batcher when there is one, mask has
 * prompt_injection and e runs the model. A batch refused by its byte
 * budget, or a batcher shutting down, is TRAWL_ESTATE (answered 503). */
trawl_status trawl__serve_run_detect(trawl_server *s, trawl_detect_engine *e, trawl_detect_ctx *c,
                                     const trawl_detect_input *in, unsigned mask,
                                     trawl_detect_report **out, trawl_error *err);
/* The batcher's metrics: a JSON member ("batch":{...},) or Prometheus
 * text. malloc'd; NULL on OOM. */
char *trawl__serve_batch_metrics(trawl_server *s, bool json);

/* Server-Sent Events (http_events.c). */
typedef struct srv_sub srv_sub;
struct MHD_Connection;
struct MHD_Response;
/* A streaming response for GET /v1/events, or NULL with an error in err. */
struct srv_addr;
/* client: the subscriber's address (counted against sse_per_ip);
 * err->tenant and err->admin on entry: the subscriber's key. */
struct MHD_Response *trawl__serve_events_open(trawl_server *s, struct MHD_Connection *conn,
                                              const struct srv_addr *client, srv_reply *err);
/* Who and what an event is about. */
typedef struct srv_event_ctx {
    const char *client;     /* the client's address */
    const char *client_id;  /* the request's client_id, or NULL */
    const char *request_id; /* X-Request-Id */
    const char *key;        /* the API key's name, or NULL: a key's subscribers see its
                               own events only (admin keys all); kept in the event ring */
} srv_event_ctx;
/* Sends the threat events of a report (JSON) to matching subscribers, and
 * to the fleet's channel when there is a Redis tier; keeps them in the
 * event ring and counts them for the dashboard. */
void trawl__serve_events_publish(trawl_server *s, const srv_event_ctx *ctx, const char *report);
/* Hands an event line from another instance to this one's subscribers. */
void trawl__serve_events_inject(trawl_server *s, unsigned bit, int sev, const char *line, size_t n);

/* The Redis tier (redis.c). start: connects nothing yet (each worker thread
 * connects on first use), starts the event subscriber, sets s->key_seed
 * from the fleet's secret. Both do nothing without o.redis. */
typedef struct srv_redis srv_redis;
trawl_status trawl__serve_redis_start(trawl_server *s, trawl_error *err);
void trawl__serve_redis_stop(trawl_server *s);
/* A lookup after a local miss: 1 found (*val malloc'd), 0 not found, -1
 * Redis failed (counted; go on without it). */
int trawl__serve_redis_get(trawl_server *s, const srv_engine *g, unsigned mask, trawl_key128 key,
                           char **val, size_t *len);
/* Stores a result (pipelined: not waited for). */
void trawl__serve_redis_put(trawl_server *s, const srv_engine *g, unsigned mask, trawl_key128 key,
                            const char *val, size_t len);
void trawl__serve_redis_publish(trawl_server *s, unsigned bit, int sev, const char *line, size_t n);
/* Takes a token from key k's bucket in Redis (the fleet's, with the rate
 * and burst of k): 0 allowed, > 0 the seconds until a token, < 0 Redis
 * failed (counted: the caller asks its local bucket). */
double trawl__serve_redis_take(trawl_server *s, const srv_key *k);
/* trawl_detect_counter.count on Redis (user = the server). */
int trawl__serve_redis_count(void *user, const char *client, size_t client_len, uint64_t t_ms,
                             size_t n, const char *const *names, const uint64_t *window_ms,
                             uint64_t *counts);
/* The attached counter for a detector input, or NULL (no shared limits). */
const trawl_detect_counter *trawl__serve_counter(const trawl_server *s);
/* Metrics: a JSON member ("redis":{...},) or Prometheus text; "" without a
 * tier. malloc'd; NULL on OOM. */
char *trawl__serve_redis_metrics(trawl_server *s, bool json);
void trawl__serve_events_heartbeat(trawl_server *s);
/* Drops subscribers whose socket took no bytes for sse_drain_ms while some
 * waited; called every elapsed_ms. */
void trawl__serve_events_check(trawl_server *s, uint64_t elapsed_ms);
/* Ends every stream (shutdown). */
void trawl__serve_events_close_all(trawl_server *s);

/* Rule sets for /v1/scan (http_scan.c). */
typedef struct srv_rules srv_rules;
/* Destructor of the per-thread scratch (scratch_key). */
void trawl__serve_tscratch_free(void *p);
trawl_status trawl__serve_rules_compile(trawl_server *s, const trawl_serve_ruleset *sets, size_t n,
                                        trawl_error *err);
void trawl__serve_rules_free(trawl_server *s);
/* Handles POST /v1/scan; json: the body is {"data_base64":...}. At most
 * scan_max_matches matches and scan_max_bytes of response; a response that
 * was cut says so in its last line and in X-Trawl-Truncated. A response
 * with matches is streamed (r->stream), formatted as it is sent from the
 * matches kept (20 bytes each); it may take over *body (then NULL). */
void trawl__serve_scan(trawl_server *s, const char *rules, bool json, char **body, size_t len,
                       srv_reply *r);

/* Threat events kept for Last-Event-ID replay (event_ring.c): fixed-size
 * slots holding each event's finished SSE record, one mutex, taken only
 * when a threat is published or a subscriber connects. */
#define SRV_RING_MAX  65536 /* slots at most */
#define SRV_EVENT_MAX 1280  /* bytes of one SSE record */
typedef struct srv_event {
    uint64_t id;  /* from 1, +1 per event */
    unsigned bit; /* the detector */
    int sev;
    char key[48]; /* the API key's name, "" when none (for per-key scoping) */
    uint16_t len;
    char text[SRV_EVENT_MAX];
} srv_event;
typedef struct srv_ring srv_ring;
/* A ring of n slots (1..SRV_RING_MAX); NULL on a bad n or OOM. */
srv_ring *trawl__serve_ring_new(size_t n);
void trawl__serve_ring_free(srv_ring *r);
/* Keeps a threat event whose data line is data: formats its record
 * ("id: N\nevent: threat\ndata: ...\n\n") into the slot and into
 * record[0..cap), *len its length. Returns its id, or 0 (nothing kept or
 * written) when the record does not fit a slot. */
uint64_t trawl__serve_ring_push(srv_ring *r, const char *key, unsigned bit, int sev,
                                const char *data, char *record, size_t cap, size_t *len);
/* The newest id (0 when none yet). */
uint64_t trawl__serve_ring_last(srv_ring *r);
/* Writes to out[0..cap) the records of the events with id > after that
 * want(ud, e) accepts (want NULL: all), oldest first. When they do not all
 * fit, the newest that fit; when some are lost (overwritten, or cut for
 * room) they are named first by a record "event: gap" with data
 * {"from":A,"to":B}, the ids that may be missing. *last: the id of the last
 * record written (after when none). Returns the bytes written. */
size_t trawl__serve_ring_replay(srv_ring *r, uint64_t after,
                                bool (*want)(void *ud, const srv_event *e), void *ud, char *out,
                                size_t cap, uint64_t *last);

/* The dashboard (dashboard.c: figures; http_dashboard.c: pages). */
typedef struct srv_dash srv_dash;
/* Creates the event ring (s->ring: o.event_ring slots, 1024 by default with
 * the dashboard) and, with o.dashboard, s->dash and its sampling thread
 * (one sample a second). TRAWL_EINVAL for a ring over SRV_RING_MAX. */
trawl_status trawl__serve_dash_start(trawl_server *s, trawl_error *err);
/* Stops the thread and frees s->dash (not the ring). */
void trawl__serve_dash_stop(trawl_server *s);
/* Counts one threat event: its client, detector and categories. */
void trawl__serve_dash_threat(srv_dash *d, const char *client, unsigned bit,
                              const char *const *cats, size_t n);
/* The figures the page draws, as JSON. malloc'd; NULL on OOM. */
char *trawl__serve_dash_stats(trawl_server *s);
/* GET /dashboard and everything under it: pages and /dashboard/api/stats. */
void trawl__serve_dashboard(trawl_server *s, const char *url, srv_reply *r);
#endif
