/* http.c -- the HTTP front of the screening service, on libmicrohttpd.
 *
 * epoll with an internal thread pool; every thread keeps its own detection
 * context. The access handler buffers the body (bounded by max_body) and
 * queues the response only on the call after the body is complete -- never
 * on the first call of a request with no body, which would make MHD close
 * keep-alive connections (measured: 6x fewer requests per second).
 *
 * Shutdown: trawl_server_drain stops accepting (MHD_quiesce_daemon), turns
 * readiness off, answers new requests on open connections with 503 and
 * "Connection: close", and waits for requests in flight. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "common/error.h"
#include "serve/conn.h"
#include "serve/internal.h"

const char *const trawl__serve_ep_names[] = {
    "detect",         "detect_one", "scan",        "events",    "healthz",
    "readyz",         "metrics",    "v1_metrics",  "litellm",   "guard",
    "analyze_prompt", "authz",      "screen_chat", "dashboard", "other",
};
_Static_assert(sizeof(trawl__serve_ep_names) / sizeof(trawl__serve_ep_names[0]) == EP_COUNT &&
                   EP_OTHER == EP_COUNT - 1,
               "one name per endpoint");
const int trawl__serve_codes[SRV_NCODES] = {200, 204, 400, 401, 403, 404,
                                            405, 413, 429, 500, 503, 0};

int trawl__serve_code_slot(int code)
{
    for (int i = 0; i < SRV_NCODES - 1; i++)
        if (trawl__serve_codes[i] == code)
            return i;
    return SRV_NCODES - 1;
}

typedef struct request {
    int ep;
    uint64_t t0;
    char *body;
    size_t len, cap;
    bool too_big;
    bool late;            /* arrived while not ready or draining: answered 503 */
    bool takes_body;      /* a POST endpoint: the body is buffered, else dropped */
    const char *key_name; /* the API key checked when the headers arrived */
    uint64_t tenant;      /* its identity, 0 without keys */
    bool admin;
    srv_conn *conn;    /* the connection's record (conn.c); may be NULL */
    srv_addr client;   /* the client's address */
    bool relayed_slot; /* holds a slot of client's relayed requests */
    char id[65];       /* X-Request-Id: the client's (when well formed) or generated */
} request;

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static enum MHD_Result send_reply(trawl_server *s, struct MHD_Connection *conn, request *rq,
                                  const char *method, const char *url, srv_reply *r)
{
    if (!r->body && !r->stream) { /* out of memory while building the reply */
        r->code = 500;
        r->type = "application/json";
        r->body = strdup("{\"error\":\"internal\",\"message\":\"out of memory\"}");
        r->len = r->body ? strlen(r->body) : 0;
    }
    trawl__serve_conn_reply(rq->conn);
    struct MHD_Response *resp =
        r->stream ? r->stream
                  : MHD_create_response_from_buffer(r->len, r->body, MHD_RESPMEM_MUST_FREE);
    if (!resp) {
        free(r->body);
        return MHD_NO;
    }
    if (r->truncated)
        MHD_add_response_header(resp, "X-Trawl-Truncated", r->truncated);
    if (r->engine_gen) { /* which configuration answered: 0 at start, +1 per reload */
        char g[24];
        snprintf(g, sizeof(g), "%llu", (unsigned long long)(r->engine_gen - 1));
        MHD_add_response_header(resp, "X-Trawl-Engine", g);
    }
    if (r->code != 204)
        MHD_add_response_header(resp, "Content-Type", r->type);
    MHD_add_response_header(resp, "X-Request-Id", rq->id);
    for (int i = 0; i < r->n_headers; i++)
        MHD_add_response_header(resp, r->headers[i].name, r->headers[i].value);
    if (r->code == 405)
        MHD_add_response_header(
            resp, "Allow",
            rq->ep < EP_EVENTS || (rq->ep >= EP_LITELLM && rq->ep <= EP_CHAT) ? "POST" : "GET");
    if (rq->ep == EP_DASHBOARD) {
        /* The page loads nothing from elsewhere, and a browser asks for the
         * API key (as a Basic password) when keys are on. */
        MHD_add_response_header(resp, "Content-Security-Policy",
                                "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'");
        MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
        MHD_add_response_header(resp, "Cache-Control", "no-store");
        if (r->code == 401)
            MHD_add_response_header(resp, "WWW-Authenticate",
                                    "Basic realm=\"trawl\", charset=\"UTF-8\"");
    }
    if (r->retry_after) {
        char ra[24];
        snprintf(ra, sizeof(ra), "%u", r->retry_after);
        MHD_add_response_header(resp, "Retry-After", ra);
    }
    if (r->close || atomic_load_explicit(&s->draining, memory_order_relaxed))
        MHD_add_response_header(resp, "Connection", "close");
    enum MHD_Result ok = MHD_queue_response(conn, (unsigned)r->code, resp);
    MHD_destroy_response(resp);
    uint64_t dt = now_ns() - rq->t0;
    atomic_fetch_add_explicit(&s->count[rq->ep][trawl__serve_code_slot(r->code)], 1,
                              memory_order_relaxed);
    trawl_hist_record(s->lat_all, dt);
    trawl_hist_record(s->lat[rq->ep], dt);
    if (s->access_fd >= 0) {
        char ip[SRV_ADDR_STRLEN];
        trawl__serve_addr_str(&rq->client, ip);
        srv_log_extra x = {.request_id = rq->id,
                           .client_id = r->client_id[0] ? r->client_id : NULL,
                           .threat_score = r->has_threat ? r->threat : -1};
        trawl__serve_access_log(s->access_fd, ip, method, url, r->code, r->len, dt, r->cached,
                                r->key_name, &x);
    }
    return ok;
}

/* Which endpoint a path is, and the method it takes; detector name out. */
static int route(const char *url, bool *post, const char **name)
{
    *name = NULL;
    *post = false;
    if (!strcmp(url, "/healthz"))
        return EP_HEALTHZ;
    if (!strcmp(url, "/readyz"))
        return EP_READYZ;
    if (!strcmp(url, "/metrics"))
        return EP_METRICS;
    if (!strcmp(url, "/v1/metrics"))
        return EP_V1_METRICS;
    if (!strcmp(url, "/v1/events"))
        return EP_EVENTS;
    if (!strncmp(url, "/dashboard", 10) && (!url[10] || url[10] == '/'))
        return EP_DASHBOARD;
    *post = true;
    if (!strcmp(url, "/v1/detect"))
        return EP_DETECT;
    if (!strcmp(url, "/v1/scan"))
        return EP_SCAN;
    if (!strcmp(url, "/beta/litellm_basic_guardrail_api"))
        return EP_LITELLM;
    if (!strcmp(url, "/v2/guard"))
        return EP_GUARD;
    if (!strcmp(url, "/analyze/prompt"))
        return EP_ANALYZE;
    /* /v1/authz and /v1/authz/ORIGINAL-PATH (Envoy's ext_authz appends the
     * original path to its path_prefix) */
    if (!strncmp(url, "/v1/authz", 9) && (!url[9] || url[9] == '/'))
        return EP_AUTHZ;
    if (!strcmp(url, "/v1/screen/chat"))
        return EP_CHAT;
    if (!strncmp(url, "/v1/detect/", 11) && url[11]) {
        *name = url + 11;
        return EP_DETECT_ONE;
    }
    *post = false;
    return EP_OTHER;
}

static void *heartbeat_main(void *arg);

typedef struct qtext {
    char *p;
    size_t n, cap;
} qtext;

static enum MHD_Result add_arg(void *cls, enum MHD_ValueKind kind, const char *key,
                               const char *value)
{
    (void)kind;
    qtext *q = cls;
    size_t need = q->n + strlen(key) + (value ? strlen(value) : 0) + 3;
    if (need > q->cap) {
        char *p = realloc(q->p, need * 2);
        if (!p)
            return MHD_NO;
        q->p = p;
        q->cap = need * 2;
    }
    q->n += (size_t)snprintf(q->p + q->n, q->cap - q->n, "%s%s%s%s", q->n ? "&" : "", key,
                             value ? "=" : "", value ? value : "");
    return MHD_YES;
}

/* An option whose 0 means def and TRAWL_SERVE_OFF means off (0 here). */
static unsigned opt_or(unsigned v, unsigned def)
{
    return v == TRAWL_SERVE_OFF ? 0 : v ? v : def;
}

/* The values of the Forwarded and X-Forwarded-For headers, in order. */
typedef struct fwd_values {
    const char *fwd[16], *xff[16];
    size_t n_fwd, n_xff;
} fwd_values;

static enum MHD_Result collect_fwd(void *cls, enum MHD_ValueKind kind, const char *key,
                                   const char *value)
{
    (void)kind;
    fwd_values *v = cls;
    if (key && value && !strcasecmp(key, "Forwarded") && v->n_fwd < 16)
        v->fwd[v->n_fwd++] = value;
    else if (key && value && !strcasecmp(key, "X-Forwarded-For") && v->n_xff < 16)
        v->xff[v->n_xff++] = value;
    return MHD_YES;
}

/* The request's client: the connection's peer, or, when the peer is a
 * trusted proxy, the client its headers name (Forwarded first). Returns
 * whether the request was relayed by a trusted proxy. */
static bool client_of(trawl_server *s, struct MHD_Connection *conn, request *rq)
{
    bool proxy = false;
    if (rq->conn) {
        rq->client = *trawl__serve_conn_peer(rq->conn, &proxy);
    } else {
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
        trawl__serve_addr_from_sockaddr(ci ? ci->client_addr : NULL, &rq->client);
    }
    if (!proxy)
        return false;
    fwd_values v = {.n_fwd = 0};
    MHD_get_connection_values(conn, MHD_HEADER_KIND, collect_fwd, &v);
    if (v.n_fwd)
        trawl__serve_forwarded_client(s->proxies, v.fwd, v.n_fwd, true, &rq->client);
    else if (v.n_xff)
        trawl__serve_forwarded_client(s->proxies, v.xff, v.n_xff, false, &rq->client);
    return true;
}

/* A relayed request takes one of its client's max_per_ip slots (a trusted
 * proxy's connections are not counted, so its clients' requests in
 * progress are): 0, or -1 with a 429 in r. */
static int relayed_take(trawl_server *s, request *rq, srv_reply *r)
{
    unsigned limit = opt_or(s->o.max_per_ip, 64);
    if (!limit)
        return 0;
    if (!trawl__serve_conns_take(s->conns, &rq->client, SRV_COUNT_REQUESTS, limit)) {
        char ip[SRV_ADDR_STRLEN];
        trawl__serve_addr_str(&rq->client, ip);
        trawl__serve_error(r, 429, "too many requests in progress from %s (limit %u)", ip, limit);
        return -1;
    }
    rq->relayed_slot = true;
    return 0;
}

/* The endpoints that need a key when keys are configured: /v1/, the
 * gateway shapes (everything that screens or streams), and the dashboard
 * when it is on. */
static bool needs_key(const trawl_server *s, int ep)
{
    return ep == EP_DETECT || ep == EP_DETECT_ONE || ep == EP_SCAN || ep == EP_EVENTS ||
           (ep >= EP_LITELLM && ep <= EP_CHAT) || (ep == EP_DASHBOARD && s->o.dashboard);
}

/* 0 when the request may proceed with key (NULL: none sent), else an
 * error reply (401, 429). */
static int check_key(trawl_server *s, srv_keys *t, const char *key, srv_reply *r)
{
    if (!key || !*key) {
        trawl__serve_error(r, 401, "missing API key (Authorization: Bearer KEY or X-API-Key)");
        return -1;
    }
    srv_key *k = trawl__serve_keys_find(t, key, strlen(key));
    if (!k) {
        trawl__serve_error(r, 401, "invalid API key");
        return -1;
    }
    r->key_name = trawl__serve_key_name(k); /* tables live as long as the server */
    r->tenant = trawl__serve_key_tenant(k);
    r->admin = trawl__serve_key_admin(k);
    /* The fleet's bucket when limits are shared; this instance's own when
     * they are not, or when Redis failed (fail-open to local limits). */
    double wait = -1;
    if (s->redis && s->o.redis_rate_limits && trawl__serve_key_rate(k) > 0)
        wait = trawl__serve_redis_take(s, k);
    if (wait < 0)
        wait = trawl__serve_key_take(k);
    if (wait > 0) {
        const char *name = r->key_name;
        trawl__serve_error(r, 429, "rate limit of %g requests/s exceeded for key '%s'",
                           trawl__serve_key_rate(k), trawl__serve_key_name(k));
        r->retry_after = (unsigned)wait + 1;
        r->key_name = name;
        return -1;
    }
    return 0;
}

/* 0 when the request may proceed, else an error reply (401, 429). The key
 * comes as X-API-Key, Authorization: Bearer, or -- what a browser sends
 * after the dashboard's 401 challenge -- as the password of
 * Authorization: Basic (the user name is ignored). */
static int authorize(trawl_server *s, struct MHD_Connection *conn, srv_reply *r)
{
    srv_keys *t = atomic_load_explicit(&s->keys, memory_order_acquire);
    if (!t)
        return 0;
    const char *key = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-API-Key");
    const char *auth = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization");
    if (!key && auth && !strncmp(auth, "Bearer ", 7))
        key = auth + 7;
    char *user = NULL, *pass = NULL;
    if (!key && auth && !strncasecmp(auth, "Basic ", 6)) {
        user = MHD_basic_auth_get_username_password(conn, &pass);
        key = pass;
    }
    int rc = check_key(s, t, key, r);
    if (user)
        MHD_free(user);
    if (pass)
        MHD_free(pass);
    return rc;
}

/* Publishes a report's threat events (subscribers, the fleet's channel,
 * the event ring, the dashboard's counts) when anything takes them. */
static void publish(trawl_server *s, const request *rq, const char *key, const char *client_id,
                    const char *report)
{
    if (!atomic_load_explicit(&s->n_subs, memory_order_relaxed) && !s->redis && !s->ring &&
        !s->dash)
        return;
    char ip[SRV_ADDR_STRLEN];
    trawl__serve_addr_str(&rq->client, ip);
    srv_event_ctx ev = {.client = ip, .client_id = client_id, .request_id = rq->id, .key = key};
    trawl__serve_events_publish(s, &ev, report);
}

static void dispatch(trawl_server *s, struct MHD_Connection *conn, const char *url,
                     const char *method, request *rq, srv_reply *r)
{
    bool post;
    const char *name;
    route(url, &post, &name);
    /* A request that began before the drain is finished normally. */
    bool draining = rq->late;
    if (rq->ep == EP_OTHER) {
        trawl__serve_error(r, 404, "no such endpoint: %s", url);
        return;
    }
    /* An authorization check comes with the checked request's method. */
    if (rq->ep != EP_AUTHZ && strcmp(method, post ? "POST" : "GET") &&
        !(!post && !strcmp(method, "HEAD"))) {
        trawl__serve_error(r, 405, "%s takes %s", url, post ? "POST" : "GET");
        return;
    }
    if (rq->too_big) {
        trawl__serve_error(r, 413, "request body over the limit of %zu bytes", s->o.max_body);
        return;
    }
    r->code = 200;
    r->type = "application/json";
    switch (rq->ep) {
    case EP_HEALTHZ:
        r->body = strdup("{\"status\":\"ok\"}");
        break;
    case EP_READYZ:
        if (draining || !atomic_load(&s->ready)) {
            trawl__serve_error(r, 503, atomic_load(&s->draining) ? "shutting down" : "not ready");
            return;
        }
        r->body = strdup("{\"status\":\"ready\"}");
        break;
    case EP_METRICS:
        r->type = "text/plain; version=0.0.4; charset=utf-8";
        r->body = trawl__serve_metrics_prom(s);
        break;
    case EP_V1_METRICS:
        r->body = trawl__serve_metrics_json(s);
        break;
    case EP_EVENTS: /* reached only when the stream cannot start */
        trawl__serve_error(r, 503, "shutting down");
        return;
    case EP_DASHBOARD:
        if (!s->o.dashboard) {
            trawl__serve_error(r, 404, "no such endpoint: %s (the dashboard is off)", url);
            return;
        }
        r->key_name = rq->key_name;
        trawl__serve_dashboard(s, url, r);
        return;
    default:
        r->key_name = rq->key_name;
        r->tenant = rq->tenant;
        if (draining) {
            trawl__serve_error(r, 503, atomic_load(&s->draining) ? "shutting down" : "not ready");
            return;
        }
        if (rq->ep == EP_SCAN) {
            const char *ct =
                MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
            bool json = ct && !strncasecmp(ct, "application/json", 16);
            trawl__serve_scan(s, MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "rules"),
                              json, &rq->body, rq->len, r);
            return;
        }
        if (rq->ep >= EP_LITELLM && rq->ep <= EP_CHAT) {
            compat_headers h = {
                .prompt = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Trawl-Prompt"),
                .uri = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Original-URI"),
                .path = url,
                .request_id = rq->id};
            qtext q = {0};
            if (rq->ep == EP_AUTHZ) {
                MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, add_arg, &q);
                h.query = q.p;
            }
            char *report = NULL;
            trawl__serve_compat(s, rq->ep, rq->body ? rq->body : "", rq->len, &h, r, &report);
            free(q.p);
            if (report)
                publish(s, rq, r->key_name, NULL, report);
            free(report);
            return;
        }
        trawl__serve_detect(s, name,
                            MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "only"),
                            rq->body ? rq->body : "", rq->len, r);
        if (r->code == 200 && r->body)
            publish(s, rq, r->key_name, r->client_id, r->body);
        return;
    }
    r->len = r->body ? strlen(r->body) : 0;
}

static bool append(request *rq, const char *p, size_t n, size_t max)
{
    if (rq->too_big || n > max - rq->len) {
        rq->too_big = true;
        return true;
    }
    if (rq->len + n + 1 > rq->cap) {
        size_t cap = rq->cap ? rq->cap : 1024;
        while (cap < rq->len + n + 1)
            cap *= 2;
        char *b = realloc(rq->body, cap);
        if (!b)
            return false;
        rq->body = b;
        rq->cap = cap;
    }
    memcpy(rq->body + rq->len, p, n);
    rq->len += n;
    rq->body[rq->len] = '\0';
    return true;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
    trawl_server *s = cls;
    request *rq = *con_cls;
    if (!rq) {
        rq = calloc(1, sizeof(*rq));
        if (!rq)
            return MHD_NO;
        rq->t0 = now_ns();
        bool post;
        const char *name;
        rq->ep = route(url, &post, &name);
        rq->late = atomic_load(&s->draining) || !atomic_load(&s->ready);
        trawl__serve_request_id(MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Request-Id"),
                                rq->id);
        rq->takes_body = post && !strcmp(method, "POST");
        rq->conn = trawl__serve_conn_of(conn);
        trawl__serve_conn_headers(rq->conn);
        atomic_fetch_add(&s->inflight, 1);
        *con_cls = rq;
        bool relayed = client_of(s, conn, rq);
        const char *why = trawl__serve_framing_check(conn, version);
        if (why) { /* before anything reads a body whose end is in doubt */
            srv_reply r = {0};
            trawl__serve_error(&r, 400, "ambiguous request framing: %s", why);
            r.close = true;
            trawl__serve_conns_refused_framing(s->conns);
            return send_reply(s, conn, rq, method, url, &r);
        }
        srv_reply cr = {0};
        if (relayed && relayed_take(s, rq, &cr))
            return send_reply(s, conn, rq, method, url, &cr);
        if (needs_key(s, rq->ep)) {
            /* The key is checked as soon as the headers are in, before a
             * byte of body is buffered: a refusal queued now makes MHD
             * discard the body and close the connection. */
            srv_reply r = {0};
            if (authorize(s, conn, &r))
                return send_reply(s, conn, rq, method, url, &r);
            rq->key_name = r.key_name;
            rq->tenant = r.tenant;
            rq->admin = r.admin;
        }
        const char *cl =
            MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (cl && strtoull(cl, NULL, 10) > s->o.max_body) {
            /* Answer now: reading a body we will refuse is wasted work. MHD
             * closes the connection after this response. */
            rq->too_big = true;
            srv_reply r = {0};
            trawl__serve_error(&r, 413, "request body over the limit of %zu bytes", s->o.max_body);
            return send_reply(s, conn, rq, method, url, &r);
        }
        return MHD_YES;
    }
    if (*upload_data_size) {
        /* A body sent to an endpoint that takes none is read and dropped,
         * never stored. */
        trawl__serve_conn_body(rq->conn, *upload_data_size);
        if (rq->takes_body && !append(rq, upload_data, *upload_data_size, s->o.max_body))
            return MHD_NO;
        *upload_data_size = 0;
        return MHD_YES;
    }
    srv_reply r = {0};
    /* /dashboard/events is /v1/events under the dashboard's path, where a
     * browser that logged in to the page sends its key. */
    bool stream = rq->ep == EP_EVENTS ||
                  (rq->ep == EP_DASHBOARD && s->o.dashboard && !strcmp(url, "/dashboard/events"));
    if (stream && !strcmp(method, "GET") && !rq->late) {
        r.key_name = rq->key_name;
        r.tenant = rq->tenant;
        r.admin = rq->admin;
        struct MHD_Response *resp = trawl__serve_events_open(s, conn, &rq->client, &r);
        if (resp) {
            trawl__serve_conn_stream(rq->conn);
            enum MHD_Result ok = MHD_queue_response(conn, 200, resp);
            MHD_destroy_response(resp);
            atomic_fetch_add(&s->count[EP_EVENTS][0], 1);
            return ok;
        }
        return send_reply(s, conn, rq, method, url, &r);
    }
    dispatch(s, conn, url, method, rq, &r);
    return send_reply(s, conn, rq, method, url, &r);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)conn;
    (void)toe;
    trawl_server *s = cls;
    request *rq = *con_cls;
    if (!rq)
        return;
    trawl__serve_conn_done(rq->conn);
    if (rq->relayed_slot)
        trawl__serve_conns_give(s->conns, &rq->client, SRV_COUNT_REQUESTS);
    free(rq->body);
    free(rq);
    *con_cls = NULL;
    atomic_fetch_sub(&s->inflight, 1);
}

static void free_scratch(void *p)
{
    trawl__serve_tscratch_free(p);
}

uint16_t trawl_server_port(const trawl_server *s)
{
    return s ? s->port : 0;
}

static void server_release(trawl_server *s)
{
    trawl__serve_conns_free(s->conns); /* after the daemon: no more notifications */
    trawl__serve_proxies_free(s->proxies);
    trawl__serve_redis_stop(s);
    trawl__serve_dash_stop(s);
    trawl__serve_ring_free(s->ring);
    trawl__serve_batch_stop(s);
    trawl_cache_free(s->cache);
    trawl_coalescer_free(s->co);
    trawl_hist_free(s->lat_all);
    for (int i = 0; i < EP_COUNT; i++)
        trawl_hist_free(s->lat[i]);
    for (int i = 0; i < TRAWL_DET_COUNT; i++)
        trawl_hist_free(s->lat_det[i]);
    pthread_key_delete(s->ctx_key);
    pthread_key_delete(s->scratch_key);
    trawl__serve_engine_unref(atomic_load(&s->eng)); /* the worker threads have ended */
    trawl__serve_rules_free(s);
    trawl__serve_keys_free(atomic_load(&s->keys));
    pthread_mutex_destroy(&s->reload_mu);
    if (s->access_fd >= 0)
        close(s->access_fd);
    free(s);
}

trawl_status trawl_server_start(const trawl_server_opts *o, trawl_detect_engine *engine,
                                trawl_server **out, trawl_error *err)
{
    trawl_error_clear(err);
    *out = NULL;
    if (!o || !engine)
        return trawl__fail(err, TRAWL_EINVAL, "options and engine are required");
    struct in_addr ia;
    if (inet_pton(AF_INET, o->host ? o->host : "127.0.0.1", &ia) != 1)
        return trawl__fail(err, TRAWL_EINVAL, "not a numeric IPv4 address: %s", o->host);
    trawl_server *s = calloc(1, sizeof(*s));
    if (!s)
        return trawl__fail(err, TRAWL_ENOMEM, "out of memory");
    s->o = *o;
    if (!s->o.max_body)
        s->o.max_body = 1u << 20;
    if (!s->o.threads) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        s->o.threads = n > 0 ? (unsigned)n : 1;
    }
    srv_engine *g = calloc(1, sizeof(*g));
    if (!g) {
        free(s);
        return trawl__fail(err, TRAWL_ENOMEM, "out of memory");
    }
    g->e = engine;
    g->cfg_digest = trawl__serve_config_digest(o->engine_config, o->engine_config_len);
    atomic_init(&g->refs, 1);
    atomic_init(&s->eng, g);
    if (getrandom(&s->key_seed, sizeof s->key_seed, 0) != (ssize_t)sizeof s->key_seed)
        s->key_seed = now_ns() ^ (uint64_t)(uintptr_t)s; /* weaker; not predictable offline */
    uint64_t inst;
    if (getrandom(&inst, sizeof inst, 0) != (ssize_t)sizeof inst)
        inst = now_ns();
    snprintf(s->instance, sizeof s->instance, "%016llx", (unsigned long long)inst);
    s->listen_fd = -1;
    s->access_fd = -1;
    pthread_mutex_init(&s->ev_mu, NULL);
    pthread_mutex_init(&s->threat_mu, NULL);
    pthread_mutex_init(&s->hb_mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&s->hb_cv, &ca);
    pthread_condattr_destroy(&ca);
    if (o->access_log) {
        s->access_fd = strcmp(o->access_log, "-")
                           ? open(o->access_log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644)
                           : dup(2);
        if (s->access_fd < 0) {
            int e = errno;
            pthread_mutex_destroy(&s->reload_mu);
            free(g);
            free(s);
            return trawl__fail(err, TRAWL_EIO, "%s: %s", o->access_log, strerror(e));
        }
    }
    pthread_mutex_init(&s->reload_mu, NULL);
    if (o->api_keys_path) {
        srv_keys *t;
        trawl_status kst = trawl__serve_keys_load(o->api_keys_path, &t, err);
        if (kst != TRAWL_OK) {
            if (s->access_fd >= 0)
                close(s->access_fd);
            pthread_mutex_destroy(&s->reload_mu);
            free(g);
            free(s);
            return kst;
        }
        atomic_store(&s->keys, t);
    }
    if (pthread_key_create(&s->ctx_key, trawl__serve_tctx_free)) {
        if (s->access_fd >= 0)
            close(s->access_fd);
        trawl__serve_keys_free(atomic_load(&s->keys));
        pthread_mutex_destroy(&s->reload_mu);
        free(g);
        free(s);
        return trawl__fail(err, TRAWL_ENOMEM, "out of thread-local keys");
    }
    if (pthread_key_create(&s->scratch_key, free_scratch)) {
        pthread_key_delete(s->ctx_key);
        trawl__serve_keys_free(atomic_load(&s->keys));
        if (s->access_fd >= 0)
            close(s->access_fd);
        pthread_mutex_destroy(&s->reload_mu);
        free(g);
        free(s);
        return trawl__fail(err, TRAWL_ENOMEM, "out of thread-local keys");
    }
    bool ok = trawl_coalescer_new(64, &s->co) == TRAWL_OK && (s->lat_all = trawl_hist_new());
    for (int i = 0; i < EP_COUNT && ok; i++)
        ok = (s->lat[i] = trawl_hist_new()) != NULL;
    for (int i = 0; i < TRAWL_DET_COUNT && ok; i++)
        ok = (s->lat_det[i] = trawl_hist_new()) != NULL;
    trawl_status st = ok ? TRAWL_OK : trawl__fail(err, TRAWL_ENOMEM, "out of memory");
    if (ok && (o->cache_entries || o->cache_bytes)) {
        trawl_cache_opts co = {.max_entries = o->cache_entries,
                               .max_bytes = o->cache_bytes,
                               .ttl_ms = o->cache_ttl_ms};
        st = trawl_cache_new(&co, &s->cache, err);
    }
    if (st == TRAWL_OK)
        st = trawl__serve_rules_compile(s, o->rulesets, o->n_rulesets, err);
    if (st == TRAWL_OK)
        st = trawl__serve_batch_start(s, err);
    if (st == TRAWL_OK)
        st = trawl__serve_proxies_parse(o->trusted_proxies, &s->proxies, err);
    if (st == TRAWL_OK)
        st = trawl__serve_redis_start(s, err);
    if (st == TRAWL_OK) {
        unsigned to = o->conn_timeout_s ? o->conn_timeout_s : 30u;
        srv_conn_opts co = {
            .max_per_ip = opt_or(o->max_per_ip, 64),
            .proxies = s->proxies,
            .header_timeout_s = opt_or(o->header_timeout_s, 10),
            .idle_timeout_s = to,
            .body_min_rate = opt_or(o->body_min_rate, 1024),
        };
        st = trawl__serve_conns_new(&co, &s->conns, err);
    }
    if (st == TRAWL_OK)
        st = trawl__serve_dash_start(s, err);
    if (st != TRAWL_OK) {
        server_release(s);
        return st;
    }
    /* The listening socket is ours: a failure says why (libmicrohttpd
     * says only that it failed), and a drain can shut it down at once. */
    int lfd = -1;
    st = trawl__serve_listen(o->host ? o->host : "127.0.0.1", o->port, &lfd, err);
    if (st != TRAWL_OK) {
        server_release(s);
        return st;
    }
    unsigned flags =
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC | MHD_ALLOW_SUSPEND_RESUME;
    unsigned pool = s->o.threads > 1 ? s->o.threads : 0;
    s->daemon = MHD_start_daemon(
        flags, o->port, trawl__serve_conns_accept, s->conns, on_request, s,
        MHD_OPTION_LISTEN_SOCKET, lfd, MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
        MHD_OPTION_NOTIFY_CONNECTION, trawl__serve_conns_notify, s->conns,
        MHD_OPTION_URI_LOG_CALLBACK, trawl__serve_conns_uri, s->conns, MHD_OPTION_THREAD_POOL_SIZE,
        pool, MHD_OPTION_CONNECTION_LIMIT, o->max_connections ? o->max_connections : 1024u,
        MHD_OPTION_CONNECTION_TIMEOUT, o->conn_timeout_s ? o->conn_timeout_s : 30u,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, o->max_header ? o->max_header : (size_t)16 * 1024,
        MHD_OPTION_END);
    if (!s->daemon) {
        close(lfd);
        server_release(s);
        return trawl__fail(err, TRAWL_EIO, "cannot start the HTTP daemon on %s:%u",
                           o->host ? o->host : "127.0.0.1", (unsigned)o->port);
    }
    struct sockaddr_in sa;
    socklen_t sl = sizeof(sa);
    s->port = getsockname(lfd, (struct sockaddr *)&sa, &sl) ? o->port : ntohs(sa.sin_port);
    if (!pthread_create(&s->hb_thread, NULL, heartbeat_main, s))
        s->hb_started = true;
    atomic_store(&s->ready, true);
    *out = s;
    return TRAWL_OK;
}

/* Event streams: a heartbeat every sse_heartbeat_ms, and a drain check of
 * every subscriber at least once a second. */
static void *heartbeat_main(void *arg)
{
    trawl_server *s = arg;
    uint64_t period = s->o.sse_heartbeat_ms ? s->o.sse_heartbeat_ms : 15000;
    uint64_t tick = period < 1000 ? period : 1000;
    uint64_t last = now_ns(), next_hb = last + period * 1000000u;
    pthread_mutex_lock(&s->hb_mu);
    while (!s->hb_stop) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        uint64_t ns = (uint64_t)ts.tv_nsec + tick * 1000000u;
        ts.tv_sec += (time_t)(ns / 1000000000u);
        ts.tv_nsec = (long)(ns % 1000000000u);
        pthread_cond_timedwait(&s->hb_cv, &s->hb_mu, &ts);
        if (s->hb_stop)
            break;
        pthread_mutex_unlock(&s->hb_mu);
        uint64_t now = now_ns();
        trawl__serve_events_check(s, (now - last) / 1000000u);
        last = now;
        if (now >= next_hb) {
            trawl__serve_events_heartbeat(s);
            next_hb = now + period * 1000000u;
        }
        pthread_mutex_lock(&s->hb_mu);
    }
    pthread_mutex_unlock(&s->hb_mu);
    return NULL;
}

trawl_status trawl_server_reload(trawl_server *s, trawl_error *err)
{
    trawl_error_clear(err);
    if (!s || !s->o.api_keys_path)
        return TRAWL_OK;
    srv_keys *t;
    trawl_status st = trawl__serve_keys_load(s->o.api_keys_path, &t, err);
    if (st != TRAWL_OK)
        return st;
    pthread_mutex_lock(&s->reload_mu);
    srv_keys *old = atomic_load(&s->keys);
    trawl__serve_keys_carry(t, old);
    trawl__serve_keys_retire(t, old); /* requests in flight may still hold it */
    atomic_store_explicit(&s->keys, t, memory_order_release);
    pthread_mutex_unlock(&s->reload_mu);
    return TRAWL_OK;
}

trawl_status trawl_server_reload_engine(trawl_server *s, const char *config, size_t config_len,
                                        trawl_error *err)
{
    trawl_error_clear(err);
    if (!s)
        return trawl__fail(err, TRAWL_EINVAL, "no server");
    trawl_detect_engine *e;
    uint64_t t0 = now_ns();
    trawl_status st = trawl_detect_engine_new_cached(config, config_len, s->o.cache_dir, &e, err);
    atomic_store_explicit(&s->engine_build_ms, (now_ns() - t0) / 1000000u, memory_order_relaxed);
    if (st != TRAWL_OK) {
        atomic_fetch_add(&s->engine_reload_failures, 1);
        return st;
    }
    srv_engine *g = calloc(1, sizeof(*g));
    if (!g) {
        trawl_detect_engine_free(e);
        atomic_fetch_add(&s->engine_reload_failures, 1);
        return trawl__fail(err, TRAWL_ENOMEM, "out of memory");
    }
    g->e = e;
    g->owned = true;
    g->cfg_digest = trawl__serve_config_digest(config, config_len);
    atomic_init(&g->refs, 1);
    pthread_mutex_lock(&s->reload_mu);
    srv_engine *old = atomic_load(&s->eng);
    g->gen = old->gen + 1;
    atomic_store_explicit(&s->engine_gen, g->gen, memory_order_relaxed);
    atomic_store_explicit(&s->eng, g, memory_order_release);
    pthread_mutex_unlock(&s->reload_mu);
    atomic_fetch_add(&s->engine_reloads, 1);
    /* Requests in flight and idle worker threads still hold references;
     * the last of them frees it. */
    trawl__serve_engine_unref(old);
    return TRAWL_OK;
}

void trawl_server_drain(trawl_server *s, unsigned timeout_ms)
{
    if (!s || atomic_exchange(&s->draining, true))
        return;
    atomic_store(&s->ready, false);
    trawl__serve_events_close_all(s); /* event streams end; they count as in flight */
    /* MHD no longer accepts on it (its workers drop it from their epoll
     * sets). shutdown() stops the kernel listening at once: new connections
     * are refused, and those waiting in the backlog are reset, instead of
     * being completed by the kernel and left unanswered. A worker that was
     * about to accept gets EINVAL, which libmicrohttpd expects "during
     * shutdown". The descriptor stays open (no number is reused under a
     * worker) and is closed after MHD_stop_daemon. */
    s->listen_fd = (int)MHD_quiesce_daemon(s->daemon);
    if (s->listen_fd >= 0)
        shutdown(s->listen_fd, SHUT_RDWR);
    uint64_t until = now_ns() + (uint64_t)timeout_ms * 1000000u;
    while (atomic_load(&s->inflight) > 0 && now_ns() < until) {
        struct timespec ts = {0, 2000000};
        nanosleep(&ts, NULL);
    }
}

void trawl_server_free(trawl_server *s)
{
    if (!s)
        return;
    trawl_server_drain(s, 10000);
    if (s->hb_started) {
        pthread_mutex_lock(&s->hb_mu);
        s->hb_stop = true;
        pthread_cond_signal(&s->hb_cv);
        pthread_mutex_unlock(&s->hb_mu);
        pthread_join(s->hb_thread, NULL);
    }
    trawl__serve_events_close_all(s); /* MHD must not stop with suspended connections */
    MHD_stop_daemon(s->daemon);
    if (s->listen_fd >= 0)
        close(s->listen_fd);
    server_release(s);
}
