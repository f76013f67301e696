/* conn.c -- the connection table: per-address limits, deadlines for
 * headers and bodies, and the listening socket (conn.h says what each rule
 * is and why libmicrohttpd's idle timeout is not enough).
 *
 * Cost: one mutex per connection opened and closed (never per request on a
 * kept-alive connection); per request, a few relaxed stores of a coarse
 * clock. A sweeper thread wakes five times a second and walks the table. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <trawl/serve.h>

#include "common/error.h"
#include "serve/conn.h"

#define SWEEP_MS 200
#define NBUCKETS 1024 /* power of two */

enum { PH_HEAD, PH_BODY, PH_REPLY, PH_STREAM };

struct srv_conn {
    srv_conns *t;
    int fd;
    srv_addr peer;
    bool proxy;   /* the peer is a trusted proxy */
    bool counted; /* holds one of the peer's connection slots */
    bool killed;  /* shut down by the sweeper (under t->mu) */
    _Atomic int phase;
    _Atomic bool fresh;        /* no request answered yet */
    _Atomic uint64_t since_ms; /* when the phase began */
    _Atomic uint64_t uri_ms;   /* the request line arrived (0: not yet) */
    _Atomic uint64_t body;     /* body bytes received */
    srv_conn *prev, *next;     /* under t->mu */
};

typedef struct addr_ent {
    srv_addr a;
    unsigned n[3]; /* connections, relayed requests, subscribers */
    struct addr_ent *next;
} addr_ent;

struct srv_conns {
    srv_conn_opts o;
    pthread_mutex_t mu; /* guards the list, the buckets, stop */
    pthread_cond_t cv;
    srv_conn *head;
    addr_ent *bucket[NBUCKETS];
    bool stop, started;
    pthread_t sweeper;
    _Atomic uint64_t open, refused, closed_hdr, closed_body, bad_framing;
};

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* ---- per-address counts (under t->mu) ------------------------------------- */

static addr_ent **slot(srv_conns *t, const srv_addr *a)
{
    /* seeded: addresses are the client's choice, buckets are not */
    trawl_key128 h = trawl_serve_hash(a->b, sizeof(a->b));
    addr_ent **p = &t->bucket[h.lo & (NBUCKETS - 1)];
    while (*p && memcmp((*p)->a.b, a->b, sizeof(a->b)))
        p = &(*p)->next;
    return p;
}

/* Adds one to a's count `what` unless it holds limit (0 = none) already.
 * false when over the limit or out of memory. */
static bool take_locked(srv_conns *t, const srv_addr *a, int what, unsigned limit)
{
    addr_ent **p = slot(t, a);
    if (!*p) {
        if (!(*p = calloc(1, sizeof(**p))))
            return false;
        (*p)->a = *a;
    }
    if (limit && (*p)->n[what] >= limit)
        return false;
    (*p)->n[what]++;
    return true;
}

static void give_locked(srv_conns *t, const srv_addr *a, int what)
{
    addr_ent **p = slot(t, a), *e = *p;
    if (!e || !e->n[what])
        return;
    e->n[what]--;
    if (!e->n[0] && !e->n[1] && !e->n[2]) {
        *p = e->next;
        free(e);
    }
}

bool trawl__serve_conns_take(srv_conns *t, const srv_addr *a, int what, unsigned limit)
{
    pthread_mutex_lock(&t->mu);
    bool ok = take_locked(t, a, what + 1, limit);
    pthread_mutex_unlock(&t->mu);
    return ok;
}

void trawl__serve_conns_give(srv_conns *t, const srv_addr *a, int what)
{
    pthread_mutex_lock(&t->mu);
    give_locked(t, a, what + 1);
    pthread_mutex_unlock(&t->mu);
}

/* ---- libmicrohttpd hooks --------------------------------------------------- */

enum MHD_Result trawl__serve_conns_accept(void *cls, const struct sockaddr *addr, socklen_t len)
{
    (void)len;
    srv_conns *t = cls;
    srv_addr a;
    if (!t->o.max_per_ip || !trawl__serve_addr_from_sockaddr(addr, &a) ||
        trawl__serve_proxies_match(t->o.proxies, &a))
        return MHD_YES;
    pthread_mutex_lock(&t->mu);
    addr_ent *e = *slot(t, &a);
    bool ok = !e || e->n[0] < t->o.max_per_ip;
    pthread_mutex_unlock(&t->mu);
    if (!ok) /* checked again, exactly, when the connection starts */
        atomic_fetch_add_explicit(&t->refused, 1, memory_order_relaxed);
    return ok ? MHD_YES : MHD_NO;
}

static void conn_start(srv_conns *t, struct MHD_Connection *c, void **ctx)
{
    const union MHD_ConnectionInfo *fi =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
    const union MHD_ConnectionInfo *ai =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    srv_conn *k = calloc(1, sizeof(*k));
    *ctx = k;
    if (!k) { /* fail closed: a connection without a record has no deadline */
        if (fi)
            shutdown(fi->connect_fd, SHUT_RDWR);
        return;
    }
    k->t = t;
    k->fd = fi ? fi->connect_fd : -1;
    trawl__serve_addr_from_sockaddr(ai ? ai->client_addr : NULL, &k->peer);
    k->proxy = trawl__serve_proxies_match(t->o.proxies, &k->peer);
    atomic_init(&k->phase, PH_HEAD);
    atomic_init(&k->fresh, true);
    atomic_init(&k->since_ms, now_ms());
    pthread_mutex_lock(&t->mu);
    k->next = t->head;
    if (t->head)
        t->head->prev = k;
    t->head = k;
    bool over = false;
    if (t->o.max_per_ip && !k->proxy) {
        k->counted = take_locked(t, &k->peer, 0, t->o.max_per_ip);
        over = !k->counted;
    }
    if (over && k->fd >= 0) {
        shutdown(k->fd, SHUT_RDWR);
        k->killed = true;
    }
    pthread_mutex_unlock(&t->mu);
    if (over)
        atomic_fetch_add_explicit(&t->refused, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&t->open, 1, memory_order_relaxed);
}

static void conn_close(srv_conns *t, srv_conn *k)
{
    pthread_mutex_lock(&t->mu);
    if (k->prev)
        k->prev->next = k->next;
    else
        t->head = k->next;
    if (k->next)
        k->next->prev = k->prev;
    if (k->counted)
        give_locked(t, &k->peer, 0);
    pthread_mutex_unlock(&t->mu);
    atomic_fetch_sub_explicit(&t->open, 1, memory_order_relaxed);
    free(k);
}

void trawl__serve_conns_notify(void *cls, struct MHD_Connection *c, void **socket_context,
                               enum MHD_ConnectionNotificationCode code)
{
    srv_conns *t = cls;
    if (code == MHD_CONNECTION_NOTIFY_STARTED)
        conn_start(t, c, socket_context);
    else if (code == MHD_CONNECTION_NOTIFY_CLOSED && *socket_context)
        conn_close(t, *socket_context);
}

srv_conn *trawl__serve_conn_of(struct MHD_Connection *c)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return ci ? ci->socket_context : NULL;
}

void *trawl__serve_conns_uri(void *cls, const char *uri, struct MHD_Connection *c)
{
    (void)cls;
    (void)uri;
    srv_conn *k = trawl__serve_conn_of(c);
    if (k)
        atomic_store_explicit(&k->uri_ms, now_ms(), memory_order_relaxed);
    return NULL; /* the access handler's *con_cls starts NULL */
}

/* Phase changes: the times are stored before the phase (release), so the
 * sweeper, which loads the phase first (acquire), never pairs a new phase
 * with an older time. */
static void set_phase(srv_conn *k, int phase)
{
    atomic_store_explicit(&k->since_ms, now_ms(), memory_order_relaxed);
    atomic_store_explicit(&k->phase, phase, memory_order_release);
}

void trawl__serve_conn_headers(srv_conn *k)
{
    if (!k)
        return;
    atomic_store_explicit(&k->body, 0, memory_order_relaxed);
    set_phase(k, PH_BODY);
}

void trawl__serve_conn_body(srv_conn *k, size_t n)
{
    if (k)
        atomic_fetch_add_explicit(&k->body, n, memory_order_relaxed);
}

void trawl__serve_conn_reply(srv_conn *k)
{
    if (k)
        atomic_store_explicit(&k->phase, PH_REPLY, memory_order_release);
}

void trawl__serve_conn_stream(srv_conn *k)
{
    if (k)
        atomic_store_explicit(&k->phase, PH_STREAM, memory_order_release);
}

void trawl__serve_conn_done(srv_conn *k)
{
    if (!k)
        return;
    atomic_store_explicit(&k->uri_ms, 0, memory_order_relaxed);
    atomic_store_explicit(&k->fresh, false, memory_order_relaxed);
    set_phase(k, PH_HEAD);
}

const srv_addr *trawl__serve_conn_peer(const srv_conn *k, bool *proxy)
{
    *proxy = k->proxy;
    return &k->peer;
}

/* ---- the sweeper ----------------------------------------------------------- */

/* The moment k is overdue, or 0 for none; *body says which rule. */
static uint64_t deadline(const srv_conns *t, srv_conn *k, bool *body)
{
    int ph = atomic_load_explicit(&k->phase, memory_order_acquire);
    uint64_t since = atomic_load_explicit(&k->since_ms, memory_order_relaxed);
    uint64_t h = (uint64_t)t->o.header_timeout_s * 1000u;
    uint64_t idle = (uint64_t)t->o.idle_timeout_s * 1000u;
    *body = ph == PH_BODY;
    if (ph == PH_HEAD && h) {
        uint64_t uri = atomic_load_explicit(&k->uri_ms, memory_order_relaxed);
        if (atomic_load_explicit(&k->fresh, memory_order_relaxed))
            return since + h;
        return uri ? uri + h : since + idle;
    }
    if (ph == PH_BODY && t->o.body_min_rate) /* the grace period: h, else the idle timeout */
        return since + (h ? h : idle) +
               atomic_load_explicit(&k->body, memory_order_relaxed) * 1000u / t->o.body_min_rate;
    return 0;
}

static void *sweeper_main(void *arg)
{
    srv_conns *t = arg;
    pthread_mutex_lock(&t->mu);
    while (!t->stop) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        ts.tv_nsec += SWEEP_MS * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&t->cv, &t->mu, &ts);
        uint64_t now = now_ms();
        for (srv_conn *k = t->head; k && !t->stop; k = k->next) {
            bool body;
            uint64_t d = k->killed || k->fd < 0 ? 0 : deadline(t, k, &body);
            if (!d || now < d)
                continue;
            shutdown(k->fd, SHUT_RDWR); /* libmicrohttpd reads the end and closes it */
            k->killed = true;
            atomic_fetch_add_explicit(body ? &t->closed_body : &t->closed_hdr, 1,
                                      memory_order_relaxed);
        }
    }
    pthread_mutex_unlock(&t->mu);
    return NULL;
}

trawl_status trawl__serve_conns_new(const srv_conn_opts *o, srv_conns **out, trawl_error *err)
{
    *out = NULL;
    srv_conns *t = calloc(1, sizeof(*t));
    if (!t)
        return trawl__fail(err, TRAWL_ENOMEM, "out of memory");
    t->o = *o;
    pthread_mutex_init(&t->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&t->cv, &ca);
    pthread_condattr_destroy(&ca);
    if (pthread_create(&t->sweeper, NULL, sweeper_main, t)) {
        trawl__serve_conns_free(t);
        return trawl__fail(err, TRAWL_ENOMEM, "cannot start the connection sweeper thread");
    }
    t->started = true;
    *out = t;
    return TRAWL_OK;
}

void trawl__serve_conns_free(srv_conns *t)
{
    if (!t)
        return;
    if (t->started) {
        pthread_mutex_lock(&t->mu);
        t->stop = true;
        pthread_cond_signal(&t->cv);
        pthread_mutex_unlock(&t->mu);
        pthread_join(t->sweeper, NULL);
    }
    for (size_t i = 0; i < NBUCKETS; i++)
        for (addr_ent *e = t->bucket[i], *next; e; e = next) {
            next = e->next;
            free(e);
        }
    pthread_cond_destroy(&t->cv);
    pthread_mutex_destroy(&t->mu);
    free(t);
}

void trawl__serve_conns_refused_framing(srv_conns *t)
{
    if (t)
        atomic_fetch_add_explicit(&t->bad_framing, 1, memory_order_relaxed);
}

char *trawl__serve_conns_metrics(srv_conns *t, bool json)
{
    unsigned long long v[5] = {0, 0, 0, 0, 0};
    if (t) {
        v[0] = atomic_load_explicit(&t->open, memory_order_relaxed);
        v[1] = atomic_load_explicit(&t->refused, memory_order_relaxed);
        v[2] = atomic_load_explicit(&t->closed_hdr, memory_order_relaxed);
        v[3] = atomic_load_explicit(&t->closed_body, memory_order_relaxed);
        v[4] = atomic_load_explicit(&t->bad_framing, memory_order_relaxed);
    }
    size_t cap = 1024;
    char *out = malloc(cap);
    if (!out)
        return NULL;
    int n = json ? snprintf(out, cap,
                            "\"connections\":{\"open\":%llu,\"refused_per_address\":%llu,"
                            "\"closed_header_deadline\":%llu,\"closed_body_rate\":%llu,"
                            "\"refused_framing\":%llu},",
                            v[0], v[1], v[2], v[3], v[4])
                 : snprintf(out, cap,
                            "# HELP trawl_connections_open Open client connections.\n"
                            "# TYPE trawl_connections_open gauge\ntrawl_connections_open %llu\n"
                            "# HELP trawl_connections_refused_total Connections refused: the "
                            "client address held its limit.\n"
                            "# TYPE trawl_connections_refused_total counter\n"
                            "trawl_connections_refused_total{reason=\"per_address\"} %llu\n"
                            "# HELP trawl_connections_closed_total Connections closed for "
                            "missing a deadline.\n"
                            "# TYPE trawl_connections_closed_total counter\n"
                            "trawl_connections_closed_total{reason=\"header_deadline\"} %llu\n"
                            "trawl_connections_closed_total{reason=\"body_rate\"} %llu\n"
                            "# HELP trawl_requests_refused_framing_total Requests refused for "
                            "ambiguous framing (400, connection closed).\n"
                            "# TYPE trawl_requests_refused_framing_total counter\n"
                            "trawl_requests_refused_framing_total %llu\n",
                            v[0], v[1], v[2], v[3], v[4]);
    if (n < 0 || (size_t)n >= cap) {
        free(out);
        return NULL;
    }
    return out;
}

/* ---- the listening socket --------------------------------------------------- */

trawl_status trawl__serve_listen(const char *host, uint16_t port, int *fd, trawl_error *err)
{
    *fd = -1;
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
    if (inet_pton(AF_INET, host, &sa.sin_addr) != 1)
        return trawl__fail(err, TRAWL_EINVAL, "not a numeric IPv4 address: %s", host);
    int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    if (s < 0 || setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
        bind(s, (struct sockaddr *)&sa, sizeof(sa)) || listen(s, SOMAXCONN)) {
        int e = errno;
        if (s >= 0)
            close(s);
        return trawl__fail(err, TRAWL_EIO, "cannot listen on %s:%u: %s", host, (unsigned)port,
                           strerror(e));
    }
    *fd = s;
    return TRAWL_OK;
}
