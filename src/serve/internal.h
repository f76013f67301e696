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
/* Hangs old (and its own retired list) behind t, to be freed with t. */
void trawl__serve_keys_retire(srv_keys *t, srv_keys *old);
/* Copies the bucket state of keys present in both tables. */
void trawl__serve_keys_carry(srv_keys *to, srv_keys *from);

/* Writes one access log line to fd (access_log.c). ip is the client's
 * address as text; key may be NULL. */
void trawl__serve_access_log(int fd, const char *ip, const char *method, const char *path,
                             int status, size_t bytes, uint64_t latency_ns, bool cached,
                             const char *key);

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
    EP_LITELLM, /* POST /beta/litellm_basic_guardrail_api (http_compat.c) */
    EP_GUARD,   /* POST /v2/guard */
    EP_ANALYZE, /* POST /analyze/prompt */
    EP_AUTHZ,   /* POST /v1/authz */
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
    uint32_t gen; /* 0 at start, +1 per reload: part of cache and coalescer keys */
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
};

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
    bool close;           /* close the connection after it */
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
    const char *request_id; /* this request's id */
} compat_headers;

/* Handles the gateway endpoints (http_compat.c): ep is EP_LITELLM,
 * EP_GUARD, EP_ANALYZE or EP_AUTHZ. *report gets the detection report the
 * reply was made from (malloc'd, for events), or NULL. */
void trawl__serve_compat(trawl_server *s, int ep, const char *body, size_t len,
                         const compat_headers *h, srv_reply *r, char **report);

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
                         trawl_key128 *key, bool *stateful, tj_doc **keep, srv_reply *r);

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
/* Sends the threat events of a report (JSON) to matching subscribers: those
 * of the request's key (tenant, key_name; 0 and NULL without keys) and
 * admin keys. */
void trawl__serve_events_publish(trawl_server *s, const char *client, uint64_t tenant,
                                 const char *key_name, const char *report);
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

#endif
