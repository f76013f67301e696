/* http_events.c -- GET /v1/events: Server-Sent Events.
 *
 * One "threat" event per detection request whose report has violations, one
 * per flagged detector: {event_type, timestamp, client, detector, severity,
 * threat_score}; a ": heartbeat" comment every heartbeat period. Filters:
 * ?detector=a,b and ?min_severity=low|medium|high|critical.
 *
 * The request path never waits for a consumer: each subscriber has a
 * bounded buffer (and a small kernel send buffer); an event that does not
 * fit drops the subscriber (its stream ends). A subscriber with nothing to send suspends its
 * connection (MHD_suspend_connection from the content reader, the documented way) and is resumed by
 * the next event, heartbeat or shutdown. The subscriber list is only touched when someone
 * subscribed (an atomic count says so). */
#include <microhttpd.h>
#include <stdio.h>
#include <sys/socket.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "serve/internal.h"

#define SUB_BUF  (64 * 1024)
#define MAX_SUBS 64
/* Kernel send buffer of an event stream (Linux doubles it). Loopback and
 * LAN sockets otherwise grow theirs to megabytes, which would hold a
 * stalled consumer's backlog in the kernel, out of sight of SUB_BUF. */
#define SUB_SNDBUF (16 * 1024)

struct srv_sub {
    trawl_server *s;
    struct MHD_Connection *conn;
    pthread_mutex_t mu;
    unsigned mask;
    int min_sev;
    bool suspended, closed;
    size_t len;
    char buf[SUB_BUF];
    srv_sub *next;
};

/* Appends to one subscriber; drops it when the event does not fit. */
static void sub_push(srv_sub *u, const char *p, size_t n)
{
    pthread_mutex_lock(&u->mu);
    if (!u->closed) {
        if (u->len + n > SUB_BUF) {
            u->closed = true; /* a slow consumer: end its stream */
            atomic_fetch_add(&u->s->sse_dropped, 1);
        } else {
            memcpy(u->buf + u->len, p, n);
            u->len += n;
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

struct MHD_Response *trawl__serve_events_open(trawl_server *s, struct MHD_Connection *conn,
                                              srv_reply *err)
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
    srv_sub *u = calloc(1, sizeof(*u));
    if (!u) {
        trawl__serve_error(err, 500, "out of memory");
        return NULL;
    }
    u->s = s;
    u->conn = conn;
    u->mask = mask;
    u->min_sev = min_sev;
    pthread_mutex_init(&u->mu, NULL);
    static const char hello[] = ": trawl events\n\n";
    memcpy(u->buf, hello, sizeof(hello) - 1);
    u->len = sizeof(hello) - 1;
    pthread_mutex_lock(&s->ev_mu);
    bool full = atomic_load(&s->n_subs) >= MAX_SUBS || atomic_load(&s->draining);
    if (!full) {
        u->next = s->subs;
        s->subs = u;
        atomic_fetch_add(&s->n_subs, 1);
    }
    pthread_mutex_unlock(&s->ev_mu);
    if (full) {
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
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
    int sndbuf = SUB_SNDBUF;
    if (ci) /* best effort: a failure leaves the kernel's default */
        (void)setsockopt(ci->connect_fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
    MHD_add_response_header(r, "Content-Type", "text/event-stream");
    MHD_add_response_header(r, "Cache-Control", "no-cache");
    return r;
}

static void broadcast(trawl_server *s, unsigned bit, int sev, const char *p, size_t n)
{
    pthread_mutex_lock(&s->ev_mu);
    for (srv_sub *u = s->subs; u; u = u->next)
        if (!bit || ((u->mask & bit) && sev >= u->min_sev))
            sub_push(u, p, n);
    pthread_mutex_unlock(&s->ev_mu);
}

void trawl__serve_events_publish(trawl_server *s, const char *client, const char *report)
{
    if (!atomic_load_explicit(&s->n_subs, memory_order_relaxed))
        return;
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
        char line[512];
        int n = snprintf(line, sizeof(line),
                         "event: threat\ndata: {\"event_type\":\"threat\",\"timestamp\":%llu,"
                         "\"client\":\"%s\",\"detector\":\"%s\",\"severity\":\"%s\","
                         "\"threat_score\":%.4g}\n\n",
                         (unsigned long long)ms, client, d->string, trawl_severity_name(sev),
                         sc->valuedouble);
        if (n > 0 && (size_t)n < sizeof(line))
            broadcast(s, bit, (int)sev, line, (size_t)n);
    }
    cJSON_Delete(root);
}

void trawl__serve_events_heartbeat(trawl_server *s)
{
    if (atomic_load(&s->n_subs))
        broadcast(s, 0, 0, ": heartbeat\n\n", 13);
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
