/* http_events.c -- GET /v1/events: Server-Sent Events.
 *
 * One "threat" event per detection request whose report has violations, one
 * per flagged detector: {event_type, timestamp, client, detector, severity,
 * threat_score}; a ": heartbeat" comment every heartbeat period. Filters:
 * ?detector=a,b and ?min_severity=low|medium|high|critical.
 *
 * The request path never waits for a consumer: each subscriber has a
 * bounded buffer (and a small kernel send buffer); an event that does not
 * fit drops the subscriber. So does a socket that does not drain: once a
 * second (trawl__serve_events_check) the bytes the peer has taken (pushed,
 * less what waits in the buffer and in the kernel's send queue) are
 * compared with the last figure; a subscriber with bytes waiting that took
 * none for sse_drain_ms is dropped. Dropping ends the stream, discards its
 * buffer and shuts the socket down, so the connection goes at once (not at
 * the idle timeout). A client address holds at most sse_per_ip streams, the
 * server sse_max. A subscriber with nothing to send suspends its
 * connection (MHD_suspend_connection from the content reader, the documented way) and is resumed by
 * the next event, heartbeat or shutdown. The subscriber list is only touched when someone
 * subscribed (an atomic count says so).
 *
 * With the event ring on (event_ring.c) every event has an id ("id: N"), and
 * a subscriber that sends Last-Event-ID (or ?last_event_id=N) first gets
 * what it missed, replayed from the ring under the subscriber list's lock,
 * so no event falls between the replay and the live stream; ids at or below
 * what a subscriber already has are not sent twice. */
#include <errno.h>
#include <linux/sockios.h>
#include <microhttpd.h>
#include <poll.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "serve/conn.h"
#include "serve/internal.h"

#define SUB_BUF (64 * 1024)
/* Kernel send buffer of an event stream (Linux doubles it). Loopback and
 * LAN sockets otherwise grow theirs to megabytes, which would hold a
 * stalled consumer's backlog in the kernel, out of sight of SUB_BUF. */
#define SUB_SNDBUF (16 * 1024)

struct srv_sub {
    trawl_server *s;
    struct MHD_Connection *conn;
    int fd;
    srv_addr client; /* counted in the connection table */
    const char *key; /* the subscriber's key name (NULL: keys are off) */
    bool admin;      /* sees every key's events */
    pthread_mutex_t mu;
    unsigned mask;
    int min_sev;
    bool suspended, closed;
    uint64_t last_id;    /* the newest event id it was given */
    uint64_t pushed;     /* bytes ever put in buf */
    uint64_t taken;      /* bytes the peer had taken at the last check */
    uint64_t stalled_ms; /* bytes waiting, none taken, for this long */
    size_t len;
    char buf[SUB_BUF];
    srv_sub *next;
};

/* Ends a stream: nothing more is sent, the socket is shut down so that
 * libmicrohttpd closes the connection at once. dropped: the server ended
 * it (counted), not the client. Under u->mu. */
static void sub_end(srv_sub *u, bool dropped)
{
    u->closed = true;
    u->len = 0;
    if (u->fd >= 0)
        shutdown(u->fd, SHUT_RDWR);
    if (dropped)
        atomic_fetch_add(&u->s->sse_dropped, 1);
}

static void sub_drop(srv_sub *u)
{
    sub_end(u, true);
}

/* Whether the client closed its end (or the socket failed). */
static bool peer_gone(int fd)
{
    struct pollfd pf = {.fd = fd, .events = POLLIN};
    if (poll(&pf, 1, 0) != 1)
        return false;
    if (pf.revents & (POLLHUP | POLLERR))
        return true;
    char c;
    ssize_t n = recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
    return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
}

/* Appends to one subscriber; drops it when the event does not fit. id 0:
 * a record without an id (heartbeat). */
static void sub_push(srv_sub *u, uint64_t id, const char *p, size_t n)
{
    pthread_mutex_lock(&u->mu);
    if (id && id <= u->last_id) {
        pthread_mutex_unlock(&u->mu);
        return; /* already replayed to it */
    }
    if (id)
        u->last_id = id;
    if (!u->closed) {
        if (u->len + n > SUB_BUF) {
            sub_drop(u); /* a slow consumer */
        } else {
            memcpy(u->buf + u->len, p, n);
            u->len += n;
            u->pushed += n;
        }
    }
    if (u->suspended) {
        u->suspended = false;
        MHD_resume_connection(u->conn);
    }
    pthread_mutex_unlock(&u->mu);
}

static ssize_t sse_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    (void)pos;
    srv_sub *u = cls;
    pthread_mutex_lock(&u->mu);
    ssize_t r;
    if (u->len) {
        size_t n = u->len < max ? u->len : max;
        memcpy(buf, u->buf, n);
        memmove(u->buf, u->buf + n, u->len - n);
        u->len -= n;
        r = (ssize_t)n;
    } else if (u->closed) {
        r = MHD_CONTENT_READER_END_OF_STREAM;
    } else {
        u->suspended = true;
        MHD_suspend_connection(u->conn);
        r = 0;
    }
    pthread_mutex_unlock(&u->mu);
    return r;
}

static void sse_free(void *cls)
{
    srv_sub *u = cls;
    trawl_server *s = u->s;
    pthread_mutex_lock(&s->ev_mu);
    for (srv_sub **p = &s->subs; *p; p = &(*p)->next)
        if (*p == u) {
            *p = u->next;
            break;
        }
    atomic_fetch_sub(&s->n_subs, 1);
    pthread_mutex_unlock(&s->ev_mu);
    trawl__serve_conns_give(s->conns, &u->client, SRV_COUNT_SUBSCRIBERS);
    pthread_mutex_destroy(&u->mu);
    free(u);
}

static int severity_parse(const char *s)
{
    static const char *const names[] = {"low", "medium", "high", "critical"};
    for (int i = 0; i < 4; i++)
        if (!strcmp(s, names[i]))
            return i;
    return -1;
}

/* Whether subscriber u takes an event of detector bit at severity sev:
 * the one filter for live events and replayed ones. */
static bool sub_wants(const srv_sub *u, unsigned bit, int sev, const char *key)
{
    /* A key's stream carries its own requests' events; an admin key's, and
     * every stream when keys are off (u->key NULL), all of them. */
    bool mine = u->admin || !u->key || (key && !strcmp(key, u->key));
    return mine && (u->mask & bit) && sev >= u->min_sev;
}

static bool ring_wants(void *ud, const srv_event *e)
{
    return sub_wants(ud, e->bit, e->sev, e->key[0] ? e->key : NULL);
}

/* The id a reconnecting client last saw: the Last-Event-ID header (what
 * EventSource sends on reconnection), else ?last_event_id=N (a page asking
 * for history on its first connection). 0 and false when neither. */
static bool last_event_id(struct MHD_Connection *conn, uint64_t *id)
{
    const char *v = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Last-Event-ID");
    if (!v)
        v = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "last_event_id");
    if (!v || !*v)
        return false;
    char *end;
    unsigned long long n = strtoull(v, &end, 10);
    if (*end || *v == '-')
        return false;
    *id = n;
    return true;
}

struct MHD_Response *trawl__serve_events_open(trawl_server *s, struct MHD_Connection *conn,
                                              const srv_addr *client, srv_reply *err)
{
    const char *det = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "detector");
    const char *sev = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "min_severity");
    unsigned mask = TRAWL_DET_ALL;
    trawl_error e;
    if (det && *det && trawl_detector_mask_parse(det, &mask, &e) != TRAWL_OK) {
        trawl__serve_error(err, 400, "query 'detector': %s", e.message);
        return NULL;
    }
    int min_sev = sev && *sev ? severity_parse(sev) : 0;
    if (min_sev < 0) {
        trawl__serve_error(err, 400,
                           "query 'min_severity': expected low, medium, high or critical");
        return NULL;
    }
    unsigned per_ip = s->o.sse_per_ip == TRAWL_SERVE_OFF ? 0
                      : s->o.sse_per_ip                  ? s->o.sse_per_ip
                                                         : 4;
    if (!trawl__serve_conns_take(s->conns, client, SRV_COUNT_SUBSCRIBERS, per_ip)) {
        trawl__serve_error(err, 429, "too many event streams from this address (limit %u)", per_ip);
        return NULL;
    }
    srv_sub *u = calloc(1, sizeof(*u));
    if (!u) {
        trawl__serve_conns_give(s->conns, client, SRV_COUNT_SUBSCRIBERS);
        trawl__serve_error(err, 500, "out of memory");
        return NULL;
    }
    u->s = s;
    u->conn = conn;
    u->client = *client;
    u->key = err->key_name; /* key tables live as long as the server */
    u->admin = err->admin;
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
    u->fd = ci ? ci->connect_fd : -1;
    u->mask = mask;
    u->min_sev = min_sev;
    pthread_mutex_init(&u->mu, NULL);
    static const char hello[] = ": trawl events\n\n";
    memcpy(u->buf, hello, sizeof(hello) - 1);
    u->len = u->pushed = sizeof(hello) - 1;
    int max_subs = s->o.sse_max ? (int)s->o.sse_max : 64;
    uint64_t after = 0;
    bool replay = s->ring && last_event_id(conn, &after);
    pthread_mutex_lock(&s->ev_mu);
    bool full = atomic_load(&s->n_subs) >= max_subs || atomic_load(&s->draining);
    if (!full) {
        if (replay) {
            size_t n = trawl__serve_ring_replay(s->ring, after, ring_wants, u, u->buf + u->len,
                                                SUB_BUF - u->len, &u->last_id);
            u->len += n;
            u->pushed += n;
        }
        u->next = s->subs;
        s->subs = u;
        atomic_fetch_add(&s->n_subs, 1);
    }
    pthread_mutex_unlock(&s->ev_mu);
    if (full) {
        trawl__serve_conns_give(s->conns, client, SRV_COUNT_SUBSCRIBERS);
        pthread_mutex_destroy(&u->mu);
        free(u);
        trawl__serve_error(err, 503, "too many event subscribers or shutting down");
        return NULL;
    }
    struct MHD_Response *r =
        MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, sse_read, u, sse_free);
    if (!r) {
        sse_free(u);
        trawl__serve_error(err, 500, "out of memory");
        return NULL;
    }
    int sndbuf = SUB_SNDBUF;
    if (u->fd >= 0) /* best effort: a failure leaves the kernel's default */
        (void)setsockopt(u->fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
    MHD_add_response_header(r, "Content-Type", "text/event-stream");
    MHD_add_response_header(r, "Cache-Control", "no-cache");
    return r;
}

/* To every subscriber (bit 0: a heartbeat), or to those whose filters take
 * the event and who may see the events of key (see sub_wants). */
static void broadcast(trawl_server *s, unsigned bit, int sev, const char *key, uint64_t id,
                      const char *p, size_t n)
{
    pthread_mutex_lock(&s->ev_mu);
    for (srv_sub *u = s->subs; u; u = u->next)
        if (!bit || sub_wants(u, bit, sev, key))
            sub_push(u, id, p, n);
    pthread_mutex_unlock(&s->ev_mu);
}

void trawl__serve_events_inject(trawl_server *s, unsigned bit, int sev, const char *line, size_t n)
{
    if (atomic_load_explicit(&s->n_subs, memory_order_relaxed))
        /* no id: not in this instance's ring; no key: another instance's
         * events reach admin keys (or everyone when keys are off) */
        broadcast(s, bit, sev, NULL, 0, line, n);
}

/* s as a JSON string's contents (quotes and controls escaped, cut short). */
static void esc(char *out, size_t cap, const char *s)
{
    size_t w = 0;
    for (; s && *s && w + 7 < cap; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            w += (size_t)snprintf(out + w, cap - w, "\\%c", c);
        else if (c < 0x20)
            w += (size_t)snprintf(out + w, cap - w, "\\u%04x", c);
        else
            out[w++] = (char)c;
    }
    out[w] = 0;
}

/* The category of a detector's strongest violation (the combined signal
 * only when it is alone). */
static const char *top_category(const cJSON *violations)
{
    const char *best = NULL;
    double bw = -3;
    const cJSON *v;
    cJSON_ArrayForEach(v, violations)
    {
        const char *cat = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(v, "category"));
        const cJSON *c = cJSON_GetObjectItemCaseSensitive(v, "confidence");
        double w = cJSON_IsNumber(c) ? c->valuedouble : -1;
        if (cat && !strcmp(cat, "multiple_signals"))
            w -= 1;
        if (cat && w > bw) {
            bw = w;
            best = cat;
        }
    }
    return best ? best : "";
}

/* The categories of a detector's violations, distinct, at most cap. */
static size_t categories(const cJSON *viol, const char **out, size_t cap)
{
    size_t n = 0;
    for (const cJSON *v = viol ? viol->child : NULL; v && n < cap; v = v->next) {
        const cJSON *c = cJSON_GetObjectItemCaseSensitive(v, "category");
        if (!cJSON_IsString(c))
            continue;
        size_t i = 0;
        while (i < n && strcmp(out[i], c->valuestring))
            i++;
        if (i == n)
            out[n++] = c->valuestring;
    }
    return n;
}

void trawl__serve_events_publish(trawl_server *s, const srv_event_ctx *ctx, const char *report)
{
    if (!atomic_load_explicit(&s->n_subs, memory_order_relaxed) && !s->redis && !s->ring &&
        !s->dash)
        return;
    if (!strstr(report, "\"violations\":[{"))
        return; /* clean: no event, and no parse */
    cJSON *root = cJSON_Parse(report);
    const cJSON *dets = cJSON_GetObjectItemCaseSensitive(root, "detectors");
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t ms = (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
    for (const cJSON *d = dets ? dets->child : NULL; d; d = d->next) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(d, "violations");
        const cJSON *sc = cJSON_GetObjectItemCaseSensitive(d, "threat_score");
        if (!cJSON_GetArraySize(v) || !cJSON_IsNumber(sc))
            continue;
        unsigned bit = 0;
        trawl_error e;
        if (trawl_detector_mask_parse(d->string, &bit, &e) != TRAWL_OK)
            continue;
        trawl_severity sev = trawl_severity_from_confidence(sc->valuedouble);
        const char *cats[8];
        size_t nc = categories(v, cats, 8);
        if (s->dash)
            trawl__serve_dash_threat(s->dash, ctx->client, bit, cats, nc);
        char data[SRV_EVENT_MAX - 64], line[SRV_EVENT_MAX], cid[160], rid[80], cat[96], key[80];
        esc(cid, sizeof cid, ctx->client_id);
        esc(key, sizeof key, ctx->key);
        esc(rid, sizeof rid, ctx->request_id);
        esc(cat, sizeof cat, top_category(v));
        int dn = snprintf(data, sizeof(data),
                          "{\"event_type\":\"threat\",\"timestamp\":%llu,"
                          "\"client\":\"%s\",\"client_id\":\"%s\",\"request_id\":\"%s\",%s%s%s"
                          "\"instance\":\"%s\",\"detector\":\"%s\",\"category\":\"%s\","
                          "\"severity\":\"%s\",\"threat_score\":%.4g,\"categories\":[",
                          (unsigned long long)ms, ctx->client ? ctx->client : "", cid, rid,
                          ctx->key ? "\"key\":\"" : "", key, ctx->key ? "\"," : "", s->instance,
                          d->string, cat, trawl_severity_name(sev), sc->valuedouble);
        for (size_t i = 0; i < nc && dn > 0 && (size_t)dn < sizeof(data); i++) {
            char c[96];
            esc(c, sizeof c, cats[i]);
            dn += snprintf(data + dn, sizeof(data) - (size_t)dn, "%s\"%s\"", i ? "," : "", c);
        }
        if (dn > 0 && (size_t)dn < sizeof(data))
            dn += snprintf(data + dn, sizeof(data) - (size_t)dn, "]}");
        if (dn <= 0 || (size_t)dn >= sizeof(data))
            continue;
        size_t n = 0;
        uint64_t id = 0;
        if (s->ring) { /* the record with its id, kept for replay */
            id = trawl__serve_ring_push(s->ring, ctx->key, bit, (int)sev, data, line, sizeof(line),
                                        &n);
        } else {
            int w = snprintf(line, sizeof(line), "event: threat\ndata: %s\n\n", data);
            n = w > 0 && (size_t)w < sizeof(line) ? (size_t)w : 0;
        }
        if (!n)
            continue;
        if (atomic_load_explicit(&s->n_subs, memory_order_relaxed))
            broadcast(s, bit, (int)sev, ctx->key, id, line, n);
        if (s->redis)
            trawl__serve_redis_publish(s, bit, (int)sev, line, n);
    }
    cJSON_Delete(root);
}

void trawl__serve_events_heartbeat(trawl_server *s)
{
    if (atomic_load(&s->n_subs))
        broadcast(s, 0, 0, NULL, 0, ": heartbeat\n\n", 13);
}

void trawl__serve_events_check(trawl_server *s, uint64_t elapsed_ms)
{
    if (!atomic_load(&s->n_subs))
        return;
    uint64_t bound = s->o.sse_drain_ms ? s->o.sse_drain_ms : 30000;
    pthread_mutex_lock(&s->ev_mu);
    for (srv_sub *u = s->subs; u; u = u->next) {
        pthread_mutex_lock(&u->mu);
        int queued = 0;
        if (!u->closed && u->fd >= 0 && peer_gone(u->fd)) {
            /* a suspended stream would not notice before its next event */
            sub_end(u, false);
            if (u->suspended) {
                u->suspended = false;
                MHD_resume_connection(u->conn);
            }
        } else if (!u->closed && u->fd >= 0 && ioctl(u->fd, SIOCOUTQ, &queued) == 0) {
            uint64_t waiting = u->len + (uint64_t)(queued > 0 ? queued : 0);
            uint64_t taken = u->pushed - waiting;
            if (!waiting || taken != u->taken)
                u->stalled_ms = 0;
            else
                u->stalled_ms += elapsed_ms;
            u->taken = taken;
            if (u->stalled_ms >= bound) {
                sub_drop(u);
                if (u->suspended) {
                    u->suspended = false;
                    MHD_resume_connection(u->conn);
                }
            }
        }
        pthread_mutex_unlock(&u->mu);
    }
    pthread_mutex_unlock(&s->ev_mu);
}

void trawl__serve_events_close_all(trawl_server *s)
{
    pthread_mutex_lock(&s->ev_mu);
    for (srv_sub *u = s->subs; u; u = u->next) {
        pthread_mutex_lock(&u->mu);
        u->closed = true;
        if (u->suspended) {
            u->suspended = false;
            MHD_resume_connection(u->conn);
        }
        pthread_mutex_unlock(&u->mu);
    }
    pthread_mutex_unlock(&s->ev_mu);
}
