/* redis.c -- the shared cache tier and the fleet's event channel (Redis,
 * through hiredis).
 *
 * Opt-in (trawl_server_opts.redis). A second level under the in-process
 * LRU: a local miss asks Redis; a Redis hit fills the local cache; a result
 * computed here is stored in both. Keys are
 *
 *     trawl:<version>:<config digest>:<detector mask>:<request key>
 *
 * the request key being the canonical request hashed with a seed every
 * instance derives from the fleet's shared secret (so instances agree on
 * keys, and a client who does not know the secret cannot make two requests
 * collide), the config digest the SHA-256 of the detector configuration the
 * engine was built from (instances with other settings, or this one after a
 * reload with other settings, never read each other's results), the version
 * the trawl release (rule packs and models are compiled in).
 *
 * Each worker thread has its own connection (TCP or unix socket), made on
 * first use with a bounded timeout, the same timeout bounding every reply.
 * Stores and event publications are pipelined: appended to the connection
 * and not waited for; their replies are read before the next lookup's. Any
 * Redis error (refused, timed out, a protocol error) drops the connection,
 * counts in redis_errors (the fail-open counter) and the request goes on
 * with the local cache alone; the thread does not try that Redis again for
 * a second, so a dead Redis costs one timeout per thread per second, not
 * one per request.
 *
 * Events: a threat event is published on trawl:events, tagged with this
 * instance's id; one subscriber thread per instance receives the others'
 * and hands them to this instance's /v1/events streams, so one subscriber
 * of any instance sees the whole fleet. */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include <hiredis/hiredis.h>

#include "common/error.h"
#include "serve/internal.h"

#define CHANNEL  "trawl:events"
#define RETRY_MS 1000

typedef struct tconn {
    redisContext *c;
    size_t pending;    /* appended commands whose replies are unread */
    uint64_t retry_at; /* after an error: no new connection before this */
} tconn;

struct srv_redis {
    char *host; /* NULL for a unix socket */
    char *path; /* the socket, or NULL */
    int port;
    struct timeval tv;
    uint64_t ttl_s;
    uint64_t id; /* this instance, in published events */
    pthread_key_t key;
    _Atomic uint64_t hits, misses, errors, stores, published, received;
    trawl_hist *lat; /* a lookup's round trip */
    /* the subscriber */
    pthread_t sub;
    bool sub_started;
    _Atomic bool stop;
};

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static redisContext *connect_to(const srv_redis *r)
{
    redisContext *c = r->path ? redisConnectUnixWithTimeout(r->path, r->tv)
                              : redisConnectWithTimeout(r->host, r->port, r->tv);
    if (c && !c->err && redisSetTimeout(c, r->tv) == REDIS_OK)
        return c;
    if (c)
        redisFree(c);
    return NULL;
}

static void tconn_free(void *p)
{
    tconn *t = p;
    if (t && t->c)
        redisFree(t->c);
    free(t);
}

/* The thread's connection, or NULL (down, or in its retry pause). */
static tconn *thread_conn(srv_redis *r)
{
    tconn *t = pthread_getspecific(r->key);
    if (!t) {
        if (!(t = calloc(1, sizeof(*t))))
            return NULL;
        pthread_setspecific(r->key, t);
    }
    if (t->c)
        return t;
    uint64_t now = now_ms();
    if (now < t->retry_at)
        return NULL;
    if (!(t->c = connect_to(r))) {
        atomic_fetch_add_explicit(&r->errors, 1, memory_order_relaxed);
        t->retry_at = now + RETRY_MS;
        return NULL;
    }
    t->pending = 0;
    return t;
}

static void drop(srv_redis *r, tconn *t)
{
    atomic_fetch_add_explicit(&r->errors, 1, memory_order_relaxed);
    redisFree(t->c);
    t->c = NULL;
    t->pending = 0;
    t->retry_at = now_ms() + RETRY_MS;
}

/* Sends what is appended, without waiting for replies (hiredis would
 * otherwise keep it until the next read); false on an error. */
static bool flush(srv_redis *r, tconn *t)
{
    int done = 0;
    while (!done)
        if (redisBufferWrite(t->c, &done) != REDIS_OK) {
            drop(r, t);
            return false;
        }
    return true;
}

/* Reads the replies of pipelined commands; false on an error. */
static bool settle(srv_redis *r, tconn *t)
{
    while (t->pending) {
        void *rep = NULL;
        if (redisGetReply(t->c, &rep) != REDIS_OK) {
            drop(r, t);
            return false;
        }
        freeReplyObject(rep);
        t->pending--;
    }
    return true;
}

static void key_name(char *out, size_t cap, const srv_engine *g, unsigned mask, trawl_key128 k)
{
    snprintf(out, cap, "trawl:%s:%016" PRIx64 ":%u:%016" PRIx64 "%016" PRIx64, TRAWL_VERSION_STRING,
             g->cfg_digest, mask, k.hi, k.lo);
}

int trawl__serve_redis_get(trawl_server *s, const srv_engine *g, unsigned mask, trawl_key128 key,
                           char **val, size_t *len)
{
    srv_redis *r = s->redis;
    tconn *t = thread_conn(r);
    if (!t)
        return -1;
    char name[128];
    key_name(name, sizeof name, g, mask, key);
    uint64_t t0 = now_ns();
    if (redisAppendCommand(t->c, "GET %s", name) != REDIS_OK) {
        drop(r, t);
        return -1;
    }
    if (!settle(r, t)) /* the stores before this lookup */
        return -1;
    redisReply *rep = NULL;
    if (redisGetReply(t->c, (void **)&rep) != REDIS_OK || !rep || rep->type == REDIS_REPLY_ERROR) {
        if (rep)
            freeReplyObject(rep);
        drop(r, t);
        return -1;
    }
    trawl_hist_record(r->lat, now_ns() - t0);
    int found = 0;
    if (rep->type == REDIS_REPLY_STRING && rep->len > 0 && (*val = malloc(rep->len + 1))) {
        memcpy(*val, rep->str, rep->len);
        (*val)[rep->len] = 0;
        *len = rep->len;
        found = 1;
    }
    freeReplyObject(rep);
    atomic_fetch_add_explicit(found ? &r->hits : &r->misses, 1, memory_order_relaxed);
    return found;
}

void trawl__serve_redis_put(trawl_server *s, const srv_engine *g, unsigned mask, trawl_key128 key,
                            const char *val, size_t len)
{
    srv_redis *r = s->redis;
    tconn *t = thread_conn(r);
    if (!t)
        return;
    char name[128];
    key_name(name, sizeof name, g, mask, key);
    /* Appended, not waited for: the next lookup on this connection reads
     * the reply. */
    if (redisAppendCommand(t->c, "SET %s %b EX %" PRIu64, name, val, len, r->ttl_s) != REDIS_OK) {
        drop(r, t);
        return;
    }
    t->pending++;
    if (flush(r, t))
        atomic_fetch_add_explicit(&r->stores, 1, memory_order_relaxed);
}

void trawl__serve_redis_publish(trawl_server *s, unsigned bit, int sev, const char *line, size_t n)
{
    srv_redis *r = s->redis;
    tconn *t = thread_conn(r);
    if (!t)
        return;
    char head[64];
    int k = snprintf(head, sizeof head, "%016" PRIx64 "\t%u\t%d\t", r->id, bit, sev);
    char *msg = malloc((size_t)k + n);
    if (!msg)
        return;
    memcpy(msg, head, (size_t)k);
    memcpy(msg + k, line, n);
    if (redisAppendCommand(t->c, "PUBLISH " CHANNEL " %b", msg, (size_t)k + n) != REDIS_OK)
        drop(r, t);
    else {
        t->pending++;
        if (flush(r, t)) {
            atomic_fetch_add_explicit(&r->published, 1, memory_order_relaxed);
            if (t->pending > 64) /* bound the unread replies */
                settle(r, t);
        }
    }
    free(msg);
}

/* One message from the channel: "<instance>\t<bit>\t<severity>\t<SSE text>". */
static void deliver(trawl_server *s, const redisReply *m)
{
    srv_redis *r = s->redis;
    if (m->type != REDIS_REPLY_ARRAY || m->elements != 3 ||
        m->element[2]->type != REDIS_REPLY_STRING)
        return;
    const char *p = m->element[2]->str;
    size_t n = m->element[2]->len;
    char *end;
    uint64_t id = strtoull(p, &end, 16);
    if (end == p || *end != '\t' || id == r->id)
        return; /* malformed, or our own (already delivered locally) */
    unsigned long bit = strtoul(end + 1, &end, 10);
    if (*end != '\t')
        return;
    long sev = strtol(end + 1, &end, 10);
    if (*end != '\t')
        return;
    end++;
    atomic_fetch_add_explicit(&r->received, 1, memory_order_relaxed);
    trawl__serve_events_inject(s, (unsigned)bit, (int)sev, end, n - (size_t)(end - p));
}

static void *subscriber(void *arg)
{
    trawl_server *s = arg;
    srv_redis *r = s->redis;
    while (!atomic_load(&r->stop)) {
        redisContext *c = connect_to(r);
        redisReply *rep = c ? redisCommand(c, "SUBSCRIBE " CHANNEL) : NULL;
        if (!rep) {
            if (c)
                redisFree(c);
            for (int i = 0; i < 10 && !atomic_load(&r->stop); i++) {
                struct timespec ts = {0, 100000000};
                nanosleep(&ts, NULL);
            }
            continue;
        }
        freeReplyObject(rep);
        /* Blocking reads with the tier's timeout would drop the
         * subscription whenever the channel is quiet: poll, then read. */
        while (!atomic_load(&r->stop)) {
            struct pollfd pf = {.fd = c->fd, .events = POLLIN};
            int k = poll(&pf, 1, 200);
            if (k == 0)
                continue;
            if (k < 0 && errno == EINTR)
                continue;
            void *m = NULL;
            if (k < 0 || redisGetReply(c, &m) != REDIS_OK)
                break;
            deliver(s, m);
            freeReplyObject(m);
            /* more messages may already be buffered */
            while (redisGetReplyFromReader(c, &m) == REDIS_OK && m) {
                deliver(s, m);
                freeReplyObject(m);
                m = NULL;
            }
        }
        redisFree(c);
    }
    return NULL;
}

/* "tcp://host:port", "host:port", "unix:/path" or "/path". */
static trawl_status parse_url(srv_redis *r, const char *url, trawl_error *err)
{
    if (!strncmp(url, "unix:", 5) || url[0] == '/') {
        r->path = strdup(url[0] == '/' ? url : url + 5);
        return r->path ? TRAWL_OK : trawl__fail(err, TRAWL_ENOMEM, "out of memory");
    }
    if (!strncmp(url, "tcp://", 6))
        url += 6;
    const char *colon = strrchr(url, ':');
    char *end;
    long port = colon ? strtol(colon + 1, &end, 10) : 6379;
    if (colon && (end == colon + 1 || *end || port < 1 || port > 65535))
        return trawl__fail(err, TRAWL_EINVAL, "redis: expected HOST:PORT or unix:/PATH, got '%s'",
                           url);
    size_t hl = colon ? (size_t)(colon - url) : strlen(url);
    if (!hl || !(r->host = strndup(url, hl)))
        return trawl__fail(err, hl ? TRAWL_ENOMEM : TRAWL_EINVAL, "redis: no host in '%s'", url);
    r->port = (int)port;
    return TRAWL_OK;
}

trawl_status trawl__serve_redis_start(trawl_server *s, trawl_error *err)
{
    const trawl_server_opts *o = &s->o;
    if (!o->redis)
        return TRAWL_OK;
    if (!o->redis_secret || o->redis_secret_len < 16)
        return trawl__fail(err, TRAWL_EINVAL,
                           "redis: a shared secret of at least 16 bytes is needed (the fleet's "
                           "instances derive their cache keys from it)");
    srv_redis *r = calloc(1, sizeof(*r));
    if (!r)
        return trawl__fail(err, TRAWL_ENOMEM, "out of memory");
    s->redis = r;
    trawl_status st = parse_url(r, o->redis, err);
    if (st != TRAWL_OK)
        return st;
    unsigned ms = o->redis_timeout_ms ? o->redis_timeout_ms : 5;
    r->tv.tv_sec = ms / 1000;
    r->tv.tv_usec = (ms % 1000) * 1000;
    r->ttl_s = o->redis_ttl_s ? o->redis_ttl_s : 3600;
    if (getrandom(&r->id, sizeof r->id, 0) != (ssize_t)sizeof r->id)
        r->id = (uint64_t)now_ns() ^ (uint64_t)(uintptr_t)r;
    if (!(r->lat = trawl_hist_new()) || pthread_key_create(&r->key, tconn_free))
        return trawl__fail(err, TRAWL_ENOMEM, "out of memory");
    /* The key seed: from the secret, the same on every instance. */
    uint8_t d[32];
    trawl__sha256(o->redis_secret, o->redis_secret_len, d);
    memcpy(&s->key_seed, d, sizeof s->key_seed);
    if (pthread_create(&r->sub, NULL, subscriber, s))
        return trawl__fail(err, TRAWL_ENOMEM, "redis: cannot start the event subscriber");
    r->sub_started = true;
    return TRAWL_OK;
}

void trawl__serve_redis_stop(trawl_server *s)
{
    srv_redis *r = s->redis;
    if (!r)
        return;
    atomic_store(&r->stop, true);
    if (r->sub_started)
        pthread_join(r->sub, NULL);
    pthread_key_delete(r->key);
    /* Worker threads' connections are freed by their threads' exit. */
    trawl_hist_free(r->lat);
    free(r->host);
    free(r->path);
    free(r);
    s->redis = NULL;
}

char *trawl__serve_redis_metrics(trawl_server *s, bool json)
{
    srv_redis *r = s->redis;
    char *out = malloc(1024);
    if (!out)
        return NULL;
    if (!r) {
        out[0] = 0;
        return out;
    }
    uint64_t h = atomic_load(&r->hits), m = atomic_load(&r->misses), e = atomic_load(&r->errors),
             st = atomic_load(&r->stores), p = atomic_load(&r->published),
             rc = atomic_load(&r->received);
    double p50 = (double)trawl_hist_percentile(r->lat, 0.5) / 1e3,
           p99 = (double)trawl_hist_percentile(r->lat, 0.99) / 1e3;
    if (json)
        snprintf(out, 1024,
                 "\"redis\":{\"hits\":%" PRIu64 ",\"misses\":%" PRIu64 ",\"errors\":%" PRIu64
                 ",\"stores\":%" PRIu64 ",\"events_published\":%" PRIu64
                 ",\"events_received\":%" PRIu64 ",\"lookup_p50_us\":%.1f,\"lookup_p99_us\":%.1f},",
                 h, m, e, st, p, rc, p50, p99);
    else
        snprintf(out, 1024,
                 "# HELP trawl_redis_lookups_total Shared-tier lookups after a local miss.\n"
                 "# TYPE trawl_redis_lookups_total counter\n"
                 "trawl_redis_lookups_total{result=\"hit\"} %" PRIu64 "\n"
                 "trawl_redis_lookups_total{result=\"miss\"} %" PRIu64 "\n"
                 "# HELP trawl_redis_errors_total Redis errors; each request went on with the "
                 "local cache alone (fail-open).\n"
                 "# TYPE trawl_redis_errors_total counter\n"
                 "trawl_redis_errors_total %" PRIu64 "\n"
                 "# TYPE trawl_redis_stores_total counter\ntrawl_redis_stores_total %" PRIu64 "\n"
                 "# TYPE trawl_redis_events_total counter\n"
                 "trawl_redis_events_total{direction=\"published\"} %" PRIu64 "\n"
                 "trawl_redis_events_total{direction=\"received\"} %" PRIu64 "\n",
                 h, m, e, st, p, rc);
    return out;
}
