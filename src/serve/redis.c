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
#include <xxhash.h>

#include "common/error.h"
#include "serve/internal.h"

#define CHANNEL  "trawl:events"
#define RETRY_MS 1000

/* The shared limits' scripts (below), by index. */
enum { SCRIPT_BUCKET, SCRIPT_WINDOWS, N_SCRIPTS };

typedef struct tconn {
    redisContext *c;
    size_t pending;          /* appended commands whose replies are unread */
    uint64_t retry_at;       /* after an error: no new connection before this */
    char sha[N_SCRIPTS][41]; /* SCRIPT LOAD's answers on this connection; "" = not yet */
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
    /* shared limits: decisions made in Redis (allowed, limited), window
     * counts made there, and the checks that fell back to this instance's
     * own limiter because Redis failed (by kind: API key, ai_vs_ai) */
    _Atomic uint64_t rate_allowed, rate_limited, window_counts, rate_fallbacks[2];
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
    memset(t->sha, 0, sizeof t->sha);
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

/* ---- shared limits ------------------------------------------------------------
 *
 * Two Lua scripts, each run with EVALSHA as one atomic step in Redis: no
 * other client's command runs between reading a bucket and writing it back,
 * so two instances taking the last token at the same moment cannot both get
 * it (a GET then a SET from C could; MULTI cannot branch on what it read).
 * Time is Redis's own (TIME), so the instances' clocks need not agree.
 *
 * The bucket: the same token bucket as the local limiter (auth.c), RATE
 * tokens a second up to BURST, in a hash {tokens, at}; it expires once it
 * would have refilled, when it equals a new one. INCR + PEXPIRE fixed
 * windows were the other choice: cheaper, no script, but a window counter
 * lets 2 x BURST through across a window's edge and would not be the
 * limit the key file states.
 *
 * The windows: ai_vs_ai's sliding windows (60 buckets, the count covering
 * the newest bucket seen and the 59 before it, as ai_vs_ai/clients.c) in a
 * hash of bucket id -> count, at most 61 fields. */

static const char bucket_lua[] =
    "if redis.replicate_commands then pcall(redis.replicate_commands) end\n"
    "local rate, burst = tonumber(ARGV[1]), tonumber(ARGV[2])\n"
    "local t = redis.call('TIME')\n"
    "local now = tonumber(t[1]) + tonumber(t[2]) / 1e6\n"
    "local v = redis.call('HMGET', KEYS[1], 'tokens', 'at')\n"
    "local tokens, at = tonumber(v[1]), tonumber(v[2])\n"
    "if not tokens or not at then tokens, at = burst, now end\n"
    "if now > at then tokens = tokens + (now - at) * rate end\n"
    "if tokens > burst then tokens = burst end\n"
    "local wait = 0\n"
    "if tokens >= 1 then tokens = tokens - 1 else wait = (1 - tokens) / rate end\n"
    "redis.call('HSET', KEYS[1], 'tokens', string.format('%.17g', tokens),\n"
    "           'at', string.format('%.6f', now))\n"
    "redis.call('PEXPIRE', KEYS[1], string.format('%.0f', math.min(1e12, math.ceil(burst / rate "
    "* 1000) + 1000)))\n"
    "return string.format('%.6f', wait)\n";

static const char windows_lua[] =
    "if redis.replicate_commands then pcall(redis.replicate_commands) end\n"
    "local now = tonumber(ARGV[1])\n"
    "if now == 0 then\n"
    "  local t = redis.call('TIME')\n"
    "  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)\n"
    "end\n"
    "local out = {}\n"
    "for i = 1, #KEYS do\n"
    "  local win = tonumber(ARGV[i + 1])\n"
    "  local bms = math.max(1, math.ceil(win / 60))\n"
    "  local b = math.floor(now / bms)\n"
    "  local latest = tonumber(redis.call('HGET', KEYS[i], 'latest')) or b\n"
    "  if b > latest then latest = b end\n"
    "  if b + 60 > latest then redis.call('HINCRBY', KEYS[i], string.format('%.0f', b), 1) end\n"
    "  redis.call('HSET', KEYS[i], 'latest', string.format('%.0f', latest))\n"
    "  local f = redis.call('HGETALL', KEYS[i])\n"
    "  local n = 0\n"
    "  for j = 1, #f, 2 do\n"
    "    if f[j] ~= 'latest' then\n"
    "      local id = tonumber(f[j])\n"
    "      if id + 60 <= latest then redis.call('HDEL', KEYS[i], f[j])\n"
    "      elseif id <= latest then n = n + tonumber(f[j + 1]) end\n"
    "    end\n"
    "  end\n"
    "  redis.call('PEXPIRE', KEYS[i], string.format('%.0f', win + bms))\n"
    "  out[i] = n\n"
    "end\n"
    "return out\n";

static const char *const script_src[N_SCRIPTS] = {bucket_lua, windows_lua};

/* Sends one command (after the pipelined ones) and waits for its reply;
 * NULL after a connection error (dropped and counted). */
static redisReply *roundtrip(srv_redis *r, tconn *t, int argc, const char **argv)
{
    if (redisAppendCommandArgv(t->c, argc, argv, NULL) != REDIS_OK) {
        drop(r, t);
        return NULL;
    }
    if (!settle(r, t))
        return NULL;
    redisReply *rep = NULL;
    if (redisGetReply(t->c, (void **)&rep) != REDIS_OK || !rep) {
        if (rep)
            freeReplyObject(rep);
        drop(r, t);
        return NULL;
    }
    return rep;
}

/* Runs script i with argv[2..argc) (argv[0..1] are filled here: EVALSHA
 * and the script's SHA-1, which SCRIPT LOAD gives on first use on this
 * connection and again after a NOSCRIPT). The reply, or NULL after an
 * error (counted). */
static redisReply *run_script(srv_redis *r, tconn *t, int i, int argc, const char **argv)
{
    for (int attempt = 0; attempt < 2 && t->c; attempt++) {
        if (!t->sha[i][0]) {
            const char *load[3] = {"SCRIPT", "LOAD", script_src[i]};
            redisReply *l = roundtrip(r, t, 3, load);
            if (!l)
                return NULL;
            bool ok = l->type == REDIS_REPLY_STRING && l->len == 40;
            if (ok)
                memcpy(t->sha[i], l->str, 41);
            freeReplyObject(l);
            if (!ok)
                break;
        }
        argv[0] = "EVALSHA";
        argv[1] = t->sha[i];
        redisReply *rep = roundtrip(r, t, argc, argv);
        if (!rep)
            return NULL;
        if (rep->type != REDIS_REPLY_ERROR)
            return rep;
        bool noscript = !strncmp(rep->str, "NOSCRIPT", 8);
        freeReplyObject(rep);
        if (!noscript)
            break;
        t->sha[i][0] = 0; /* Redis restarted or flushed its scripts */
    }
    atomic_fetch_add_explicit(&r->errors, 1, memory_order_relaxed);
    return NULL;
}

static void hex(char *out, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        snprintf(out + 2 * i, 3, "%02x", p[i]);
}

double trawl__serve_redis_take(trawl_server *s, const srv_key *k)
{
    srv_redis *r = s->redis;
    tconn *t = thread_conn(r);
    double wait = -1;
    if (t) {
        /* The bucket's name: the key's digest hashed with the fleet's
         * seed (what Redis holds says nothing the key file does not). */
        uint8_t in[40], d[32];
        memcpy(in, trawl__serve_key_digest(k), 32);
        memcpy(in + 32, &s->key_seed, 8);
        trawl__sha256(in, sizeof in, d);
        char name[48] = "trawl:rl:", rate[32], burst[32];
        hex(name + 9, d, 16);
        snprintf(rate, sizeof rate, "%.17g", trawl__serve_key_rate(k));
        snprintf(burst, sizeof burst, "%.17g", trawl__serve_key_burst(k));
        const char *argv[6] = {NULL, NULL, "1", name, rate, burst};
        redisReply *rep = run_script(r, t, SCRIPT_BUCKET, 6, argv);
        if (rep && rep->type == REDIS_REPLY_STRING) {
            char *end;
            double w = strtod(rep->str, &end);
            if (end != rep->str && w >= 0 && w < 1e12)
                wait = w;
        }
        if (rep)
            freeReplyObject(rep);
    }
    if (wait < 0)
        atomic_fetch_add_explicit(&r->rate_fallbacks[0], 1, memory_order_relaxed);
    else
        atomic_fetch_add_explicit(wait > 0 ? &r->rate_limited : &r->rate_allowed, 1,
                                  memory_order_relaxed);
    return wait;
}

#define MAX_WINDOWS 4

int trawl__serve_redis_count(void *user, const char *client, size_t client_len, uint64_t t_ms,
                             size_t n, const char *const *names, const uint64_t *window_ms,
                             uint64_t *counts)
{
    trawl_server *s = user;
    srv_redis *r = s->redis;
    tconn *t = n && n <= MAX_WINDOWS ? thread_conn(r) : NULL;
    int rc = -1;
    if (t) {
        /* trawl:aiva:<window>:<ms>:<client id hashed with the fleet's seed> */
        XXH128_hash_t h = XXH3_128bits_withSeed(client, client_len, s->key_seed);
        char keys[MAX_WINDOWS][96], wins[MAX_WINDOWS][24], now[24];
        const char *argv[3 + 2 * MAX_WINDOWS + 1];
        char nk[8];
        snprintf(nk, sizeof nk, "%zu", n);
        argv[2] = nk;
        int argc = 3;
        for (size_t i = 0; i < n; i++) {
            snprintf(keys[i], sizeof keys[i],
                     "trawl:aiva:%.24s:%" PRIu64 ":%016" PRIx64 "%016" PRIx64, names[i],
                     window_ms[i], h.high64, h.low64);
            argv[argc++] = keys[i];
        }
        snprintf(now, sizeof now, "%" PRIu64, t_ms);
        argv[argc++] = now;
        for (size_t i = 0; i < n; i++) {
            snprintf(wins[i], sizeof wins[i], "%" PRIu64, window_ms[i]);
            argv[argc++] = wins[i];
        }
        redisReply *rep = run_script(r, t, SCRIPT_WINDOWS, argc, argv);
        if (rep && rep->type == REDIS_REPLY_ARRAY && rep->elements == n) {
            rc = 0;
            for (size_t i = 0; i < n; i++)
                if (rep->element[i]->type == REDIS_REPLY_INTEGER && rep->element[i]->integer > 0)
                    counts[i] = (uint64_t)rep->element[i]->integer;
                else
                    rc = -1;
        }
        if (rep)
            freeReplyObject(rep);
    }
    atomic_fetch_add_explicit(rc ? &r->rate_fallbacks[1] : &r->window_counts, 1,
                              memory_order_relaxed);
    return rc;
}

const trawl_detect_counter *trawl__serve_counter(const trawl_server *s)
{
    return s->redis && s->o.redis_rate_limits ? &s->counter : NULL;
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
    if (!o->redis && o->redis_rate_limits)
        return trawl__fail(err, TRAWL_EINVAL,
                           "redis: shared rate limits need a Redis tier (--redis)");
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
    s->counter.count = trawl__serve_redis_count;
    s->counter.user = s;
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
    char *out = malloc(3072);
    if (!out)
        return NULL;
    if (!r) {
        out[0] = 0;
        return out;
    }
    uint64_t h = atomic_load(&r->hits), m = atomic_load(&r->misses), e = atomic_load(&r->errors),
             st = atomic_load(&r->stores), p = atomic_load(&r->published),
             rc = atomic_load(&r->received), ra = atomic_load(&r->rate_allowed),
             rl = atomic_load(&r->rate_limited), wc = atomic_load(&r->window_counts),
             fk = atomic_load(&r->rate_fallbacks[0]), fa = atomic_load(&r->rate_fallbacks[1]);
    double p50 = (double)trawl_hist_percentile(r->lat, 0.5) / 1e3,
           p99 = (double)trawl_hist_percentile(r->lat, 0.99) / 1e3;
    if (json)
        snprintf(out, 3072,
                 "\"redis\":{\"hits\":%" PRIu64 ",\"misses\":%" PRIu64 ",\"errors\":%" PRIu64
                 ",\"stores\":%" PRIu64 ",\"events_published\":%" PRIu64
                 ",\"events_received\":%" PRIu64 ",\"lookup_p50_us\":%.1f,\"lookup_p99_us\":%.1f,"
                 "\"rate_limits\":%s,\"rate_allowed\":%" PRIu64 ",\"rate_limited\":%" PRIu64
                 ",\"window_counts\":%" PRIu64 ",\"rate_fallbacks_api_key\":%" PRIu64
                 ",\"rate_fallbacks_ai_vs_ai\":%" PRIu64 "},",
                 h, m, e, st, p, rc, p50, p99, s->o.redis_rate_limits ? "true" : "false", ra, rl,
                 wc, fk, fa);
    else
        snprintf(out, 3072,
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
                 "trawl_redis_events_total{direction=\"received\"} %" PRIu64 "\n"
                 "# HELP trawl_redis_rate_checks_total API-key rate checks decided in Redis "
                 "(the fleet's bucket).\n"
                 "# TYPE trawl_redis_rate_checks_total counter\n"
                 "trawl_redis_rate_checks_total{result=\"allowed\"} %" PRIu64 "\n"
                 "trawl_redis_rate_checks_total{result=\"limited\"} %" PRIu64 "\n"
                 "# HELP trawl_redis_window_counts_total ai_vs_ai client windows counted in "
                 "Redis.\n"
                 "# TYPE trawl_redis_window_counts_total counter\n"
                 "trawl_redis_window_counts_total %" PRIu64 "\n"
                 "# HELP trawl_redis_rate_fallbacks_total Shared-limit checks decided by this "
                 "instance's own limiter because Redis failed (fail-open to local limits).\n"
                 "# TYPE trawl_redis_rate_fallbacks_total counter\n"
                 "trawl_redis_rate_fallbacks_total{kind=\"api_key\"} %" PRIu64 "\n"
                 "trawl_redis_rate_fallbacks_total{kind=\"ai_vs_ai\"} %" PRIu64 "\n",
                 h, m, e, st, p, rc, ra, rl, wc, fk, fa);
    return out;
}
