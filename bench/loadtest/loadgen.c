/* loadgen.c -- an open-loop, fixed-rate HTTP load generator.
 *
 *   loadgen HOST:PORT PATH RATE SECONDS BODIES [CONNS] [THREADS]
 *
 * Request i is due at start + i / RATE, whatever happened to the ones
 * before it: a slow answer does not delay the next request (wrk's closed
 * loop does, and so hides the queueing it causes). A request's latency is
 * measured from the time it was due, not from when a connection was free to
 * send it, so time spent waiting behind a slow server is counted
 * ("coordinated omission" avoided). Requests are spread over THREADS
 * threads (default 1), each with its own epoll and CONNS / THREADS
 * keep-alive connections (default 64 in all); a request due while all of a
 * thread's connections are busy waits in that thread's queue, its clock
 * running.
 *
 * BODIES: one request body per line (JSON), cycled; each body's last '}' is
 * preceded by ,"timestamp_ms":N with N unique, so no two requests share a
 * cache key (use a body without a closing brace to send it as is).
 *
 * Prints one line: rate, sent, answered, non-200 answers, errors, achieved
 * rate, p50 / p99 / p99.9 / max latency in microseconds. The latency
 * histogram is trawl's own (log-linear, within 0.8%). */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <trawl/serve.h>

typedef struct body {
    char *p;
    size_t n;
} body;

typedef struct conn {
    int fd;
    bool busy;
    uint64_t due; /* the request in flight: when it was due */
    char *out;    /* the request being written */
    size_t out_n, out_at;
    char in[65536];
    size_t in_n;
} conn;

typedef struct worker {
    int id, nthreads;
    struct sockaddr_in addr;
    const char *host, *path;
    double rate;
    uint64_t start, end; /* ns */
    int nconn;
    conn *c;
    body *bodies;
    size_t nbodies;
    trawl_hist *lat;
    uint64_t sent, answered, bad, errors;
    uint64_t *queue; /* due times waiting for a connection (ring) */
    size_t qcap, qhead, qlen;
    pthread_t th;
} worker;

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int open_conn(worker *w, conn *c, int ep)
{
    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    if (c->fd < 0)
        return -1;
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(c->fd, (struct sockaddr *)&w->addr, sizeof w->addr) && errno != EINPROGRESS) {
        close(c->fd);
        c->fd = -1;
        return -1;
    }
    struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLET, .data.ptr = c};
    epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev);
    c->busy = false;
    c->in_n = 0;
    return 0;
}

static void reset_conn(worker *w, conn *c, int ep)
{
    if (c->fd >= 0) {
        epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
        close(c->fd);
    }
    free(c->out);
    c->out = NULL;
    c->fd = -1;
    open_conn(w, c, ep);
}

/* Formats request number seq into c->out. */
static void format(worker *w, conn *c, uint64_t seq)
{
    const body *b = &w->bodies[seq % w->nbodies];
    char stamp[48];
    const char *close = b->n ? memrchr(b->p, '}', b->n) : NULL;
    int sl = close ? snprintf(stamp, sizeof stamp, ",\"timestamp_ms\":%llu",
                              (unsigned long long)(seq + 1))
                   : 0;
    size_t blen = b->n + (size_t)sl;
    c->out = malloc(blen + 512);
    int h = snprintf(c->out, 512,
                     "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\n"
                     "Content-Length: %zu\r\n\r\n",
                     w->path, w->host, blen);
    size_t at = (size_t)h;
    if (close) {
        size_t pre = (size_t)(close - b->p);
        memcpy(c->out + at, b->p, pre);
        memcpy(c->out + at + pre, stamp, (size_t)sl);
        memcpy(c->out + at + pre + (size_t)sl, close, b->n - pre);
    } else
        memcpy(c->out + at, b->p, b->n);
    c->out_n = at + blen;
    c->out_at = 0;
}

static void try_write(worker *w, conn *c, int ep)
{
    while (c->out && c->out_at < c->out_n) {
        ssize_t k = write(c->fd, c->out + c->out_at, c->out_n - c->out_at);
        if (k > 0) {
            c->out_at += (size_t)k;
            continue;
        }
        if (k < 0 && (errno == EAGAIN || errno == EINTR))
            return;
        w->errors++;
        reset_conn(w, c, ep);
        return;
    }
}

static void send_on(worker *w, conn *c, uint64_t due, int ep)
{
    c->busy = true;
    c->due = due;
    format(w, c, w->sent * (uint64_t)w->nthreads + (uint64_t)w->id);
    w->sent++;
    try_write(w, c, ep);
}

/* The same request number again (not a new one) on a fresh connection. */
static void send_on_retry(worker *w, conn *c, uint64_t due, int ep)
{
    w->sent--;
    send_on(w, c, due, ep);
}

/* A whole response in c->in: its length, or 0 when more is needed. */
static size_t response_len(const conn *c, int *status)
{
    const char *end = memmem(c->in, c->in_n, "\r\n\r\n", 4);
    if (!end)
        return 0;
    size_t head = (size_t)(end - c->in) + 4;
    *status = atoi(c->in + 9);
    size_t clen = 0;
    for (const char *p = c->in; p < end; p++)
        if ((*p == '\n') && !strncasecmp(p + 1, "Content-Length:", 15)) {
            clen = strtoul(p + 16, NULL, 10);
            break;
        }
    return c->in_n >= head + clen ? head + clen : 0;
}

static void on_readable(worker *w, conn *c, int ep)
{
    for (;;) {
        ssize_t k = read(c->fd, c->in + c->in_n, sizeof c->in - c->in_n);
        if (k > 0) {
            c->in_n += (size_t)k;
            int status = 0;
            size_t n;
            while (c->busy && (n = response_len(c, &status)) > 0) {
                uint64_t t = now_ns();
                trawl_hist_record(w->lat, t - c->due);
                w->answered++;
                if (status != 200)
                    w->bad++;
                memmove(c->in, c->in + n, c->in_n - n);
                c->in_n -= n;
                c->busy = false;
                free(c->out);
                c->out = NULL;
                if (w->qlen) { /* a request has been waiting for a connection */
                    uint64_t due = w->queue[w->qhead];
                    w->qhead = (w->qhead + 1) % w->qcap;
                    w->qlen--;
                    send_on(w, c, due, ep);
                }
            }
            if (c->in_n == sizeof c->in) { /* an answer larger than the buffer */
                w->errors++;
                reset_conn(w, c, ep);
                return;
            }
            continue;
        }
        if (k < 0 && (errno == EAGAIN || errno == EINTR))
            return;
        /* Closed by the server. A request on it with no answer begun was
         * caught by a keep-alive close (nginx closes a client connection
         * after keepalive_requests): send it again, its clock still
         * running, as an HTTP client retries then. Anything else is an
         * error. */
        bool resend = c->busy && k == 0 && c->in_n == 0;
        uint64_t due = c->due;
        if (c->busy && !resend)
            w->errors++;
        reset_conn(w, c, ep);
        if (resend)
            send_on_retry(w, c, due, ep);
        return;
    }
}

static void *run(void *arg)
{
    worker *w = arg;
    int ep = epoll_create1(0);
    for (int i = 0; i < w->nconn; i++)
        if (open_conn(w, &w->c[i], ep))
            w->errors++;
    double step = 1e9 / w->rate * w->nthreads; /* this thread's share */
    uint64_t next = w->start + (uint64_t)(step * w->id / w->nthreads);
    uint64_t k = 0;
    struct epoll_event evs[64];
    for (;;) {
        uint64_t t = now_ns();
        while (next <= t && next < w->end) {
            conn *free_c = NULL;
            for (int i = 0; i < w->nconn && !free_c; i++)
                if (!w->c[i].busy && w->c[i].fd >= 0)
                    free_c = &w->c[i];
            if (free_c)
                send_on(w, free_c, next, ep);
            else if (w->qlen < w->qcap) {
                w->queue[(w->qhead + w->qlen) % w->qcap] = next;
                w->qlen++;
            } else
                w->errors++; /* the queue is full: counted, not sent */
            k++;
            next = w->start + (uint64_t)(step * (double)k) + (uint64_t)(step * w->id / w->nthreads);
        }
        bool busy = w->qlen > 0;
        for (int i = 0; i < w->nconn && !busy; i++)
            busy = w->c[i].busy;
        if (next >= w->end && !busy)
            break;
        if (t > w->end + 5000000000ull) /* answers still missing 5 s after the end */
            break;
        /* Sleep until the next request is due, to the microsecond (a
         * millisecond timeout would spin below 1 ms: the generator shares
         * two cores with the server). */
        uint64_t wait_ns = next < w->end ? (next > t ? next - t : 0) : 10000000ull;
        struct timespec to = {(time_t)(wait_ns / 1000000000u), (long)(wait_ns % 1000000000u)};
        int n = epoll_pwait2(ep, evs, 64, &to, NULL);
        for (int i = 0; i < n; i++) {
            conn *c = evs[i].data.ptr;
            if (evs[i].events & EPOLLOUT)
                try_write(w, c, ep);
            if (evs[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP))
                on_readable(w, c, ep);
        }
    }
    for (int i = 0; i < w->nconn; i++)
        if (w->c[i].fd >= 0)
            close(w->c[i].fd);
    close(ep);
    return NULL;
}

static body *read_bodies(const char *path, size_t *n)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    body *v = NULL;
    size_t cap = 0;
    *n = 0;
    char *line = NULL;
    size_t lc = 0;
    ssize_t k;
    while ((k = getline(&line, &lc, f)) > 0) {
        while (k && (line[k - 1] == '\n' || line[k - 1] == '\r'))
            k--;
        if (!k)
            continue;
        if (*n == cap) {
            cap = cap ? 2 * cap : 256;
            v = realloc(v, cap * sizeof(*v));
        }
        v[*n].p = strndup(line, (size_t)k);
        v[(*n)++].n = (size_t)k;
    }
    free(line);
    fclose(f);
    return v;
}

int main(int argc, char **argv)
{
    if (argc < 6) {
        fprintf(stderr, "usage: loadgen HOST:PORT PATH RATE SECONDS BODIES [CONNS] [THREADS]\n");
        return 2;
    }
    char host[64];
    const char *colon = strrchr(argv[1], ':');
    if (!colon || (size_t)(colon - argv[1]) >= sizeof host) {
        fprintf(stderr, "loadgen: expected HOST:PORT\n");
        return 2;
    }
    memcpy(host, argv[1], (size_t)(colon - argv[1]));
    host[colon - argv[1]] = 0;
    double rate = atof(argv[3]), secs = atof(argv[4]);
    int conns = argc > 6 ? atoi(argv[6]) : 64, nth = argc > 7 ? atoi(argv[7]) : 1;
    size_t nb;
    body *bodies = read_bodies(argv[5], &nb);
    if (!bodies || !nb || rate <= 0 || secs <= 0 || conns < nth || nth < 1) {
        fprintf(stderr, "loadgen: bad arguments or no bodies in %s\n", argv[5]);
        return 2;
    }
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(colon + 1))};
    inet_pton(AF_INET, host, &addr.sin_addr);
    worker *w = calloc((size_t)nth, sizeof(*w));
    uint64_t start = now_ns() + 100000000ull; /* connections open first */
    for (int i = 0; i < nth; i++) {
        w[i] = (worker){.id = i,
                        .nthreads = nth,
                        .addr = addr,
                        .host = host,
                        .path = argv[2],
                        .rate = rate,
                        .start = start,
                        .end = start + (uint64_t)(secs * 1e9),
                        .nconn = conns / nth,
                        .bodies = bodies,
                        .nbodies = nb,
                        .lat = trawl_hist_new(),
                        .qcap = (size_t)(rate * secs / nth) + 16};
        w[i].c = calloc((size_t)w[i].nconn, sizeof(conn));
        w[i].queue = malloc(w[i].qcap * sizeof(uint64_t));
        pthread_create(&w[i].th, NULL, run, &w[i]);
    }
    trawl_hist *all = trawl_hist_new();
    uint64_t sent = 0, answered = 0, bad = 0, errors = 0;
    for (int i = 0; i < nth; i++) {
        pthread_join(w[i].th, NULL);
        sent += w[i].sent + w[i].qlen;
        answered += w[i].answered;
        bad += w[i].bad;
        errors += w[i].errors + w[i].qlen;
        /* merge: the histogram has no merge; percentiles per thread are
         * combined by re-recording each bucket's bound (within 0.8%) */
        for (uint64_t v = 0; v < trawl_hist_max(w[i].lat) + 1;) {
            uint64_t lo = trawl_hist_bucket_low(v), hi = trawl_hist_bucket_high(v);
            uint64_t c[2], le[2] = {lo ? lo - 1 : 0, hi};
            trawl_hist_cumulative(w[i].lat, le, 2, c);
            uint64_t in = c[1] - (lo ? c[0] : 0);
            for (uint64_t j = 0; j < in; j++)
                trawl_hist_record(all, hi);
            v = hi + 1;
        }
    }
    double dur = secs;
    printf("rate %.0f sent %llu answered %llu non200 %llu errors %llu achieved %.0f "
           "p50_us %.1f p99_us %.1f p999_us %.1f max_us %.1f\n",
           rate, (unsigned long long)sent, (unsigned long long)answered, (unsigned long long)bad,
           (unsigned long long)errors, (double)answered / dur,
           (double)trawl_hist_percentile(all, 0.5) / 1e3,
           (double)trawl_hist_percentile(all, 0.99) / 1e3,
           (double)trawl_hist_percentile(all, 0.999) / 1e3, (double)trawl_hist_max(all) / 1e3);
    return 0;
}
