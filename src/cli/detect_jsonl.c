/* detect_jsonl.c -- `trawl detect --jsonl FILE|-`: screen one input object
 * per line, print one report per line, in input order.
 *
 * Lines are taken in batches. Worker threads (each with its own detection
 * context) parse every line with the library's request parser
 * (trawl_detect_input_parse_opts, the one `trawl serve` uses), run the
 * detectors and leave the line's output in its slot; the batch is then
 * written in order and the next one read. A line that does not parse gets
 * an error object naming its line number; the batch goes on.
 *
 * ai_vs_ai keeps per-client history, so the order in which one client's
 * lines are seen matters: a line that names a client_id goes to the worker
 * chosen by a hash of that id, and each worker runs its clients' lines in
 * input order, so the history is what a sequential run would build. Lines
 * without a client go to whichever worker is free. */
#define _GNU_SOURCE /* memmem */
#include "cli.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BATCH_LINES 4096
#define BATCH_BYTES ((size_t)8 << 20)
#define MAX_LINE    ((size_t)64 << 20) /* a longer line is an error, and skipped */
#define MAX_THREADS 64
#define THREAT      0.5

typedef struct line_job {
    const char *p; /* the line, without its newline */
    size_t len;
    uint64_t lineno;
    bool too_long;
    int client; /* worker that owns this line's client, or -1 */
    char *out;  /* the output line, newline included */
    size_t out_len;
    bool threat, failed;
} line_job;

typedef struct jsonl_run {
    trawl_detect_engine *e;
    unsigned mask;
    unsigned parse_flags; /* TRAWL_INPUT_* */
    int nthreads;
    line_job *jobs;
    size_t n;
    atomic_size_t next; /* the next free line for any worker */
    pthread_barrier_t start, done;
    pthread_mutex_t gate; /* held while the threads are being started */
    bool stop;
} jsonl_run;

typedef struct worker {
    jsonl_run *run;
    int id;
    trawl_detect_ctx *ctx;
    bool ok;
} worker;

static char *dup_printf(size_t *len, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static char *dup_printf(size_t *len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *s = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (!s)
        return NULL;
    va_start(ap, fmt);
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    va_end(ap);
    *len = (size_t)n;
    return s;
}

/* {"line":N,"error":"bad_request","message":"..."}: the error names of
 * `trawl serve` (400 bad_request for input it refuses, 500 internal). */
static void fail_line(line_job *j, trawl_status st, const char *msg, int64_t offset)
{
    bool bad = st == TRAWL_EFORMAT || st == TRAWL_ELIMIT || st == TRAWL_EINVAL;
    char *m = NULL;
    size_t mlen = 0;
    FILE *f = open_memstream(&m, &mlen);
    if (f) {
        cli_json_string(f, msg);
        fclose(f);
    }
    char off[32] = "";
    if (offset >= 0)
        snprintf(off, sizeof off, ",\"offset\":%lld", (long long)offset);
    j->out = dup_printf(&j->out_len, "{\"line\":%llu,\"error\":\"%s\",\"message\":%s%s}\n",
                        (unsigned long long)j->lineno, bad ? "bad_request" : "internal",
                        m ? m : "\"\"", off);
    free(m);
    j->failed = true;
}

static void screen_line(worker *w, line_job *j)
{
    trawl_error err;
    trawl_error_clear(&err);
    if (j->too_long) {
        char msg[96];
        snprintf(msg, sizeof msg, "line longer than %zu MiB", MAX_LINE >> 20);
        fail_line(j, TRAWL_ELIMIT, msg, -1);
        return;
    }
    trawl_detect_input *in = NULL;
    trawl_detect_report *r = NULL;
    trawl_status st = trawl_detect_input_parse_opts(j->p, j->len, w->run->parse_flags, &in, &err);
    if (st == TRAWL_OK)
        st = trawl_detect_run(w->run->e, w->ctx, in, w->run->mask, &r, &err);
    trawl_detect_input_free(in);
    if (st != TRAWL_OK) {
        fail_line(j, st, err.message[0] ? err.message : trawl_status_message(st), err.offset);
        return;
    }
    char *json = trawl_detect_report_json(r);
    j->threat = r->threat_score >= THREAT;
    trawl_detect_report_free(r);
    if (!json) {
        fail_line(j, TRAWL_ENOMEM, "out of memory", -1);
        return;
    }
    /* {"line":N, then the report's members: a copy, not a printf of 2 KB */
    char head[32];
    int h = snprintf(head, sizeof head, "{\"line\":%llu,", (unsigned long long)j->lineno);
    size_t body = strlen(json + 1);
    if ((j->out = malloc((size_t)h + body + 2))) {
        memcpy(j->out, head, (size_t)h);
        memcpy(j->out + h, json + 1, body);
        j->out[(size_t)h + body] = '\n';
        j->out_len = (size_t)h + body + 1;
    }
    free(json);
    if (!j->out)
        j->failed = true;
}

static void run_batch(worker *w)
{
    jsonl_run *run = w->run;
    for (size_t i = 0; i < run->n; i++) /* this worker's clients, in order */
        if (run->jobs[i].client == w->id)
            screen_line(w, &run->jobs[i]);
    for (;;) {
        size_t i = atomic_fetch_add(&run->next, 1);
        if (i >= run->n)
            break;
        if (run->jobs[i].client < 0)
            screen_line(w, &run->jobs[i]);
    }
}

static void *worker_main(void *arg)
{
    worker *w = arg;
    pthread_mutex_lock(&w->run->gate); /* the barriers are sized by now */
    pthread_mutex_unlock(&w->run->gate);
    for (;;) {
        pthread_barrier_wait(&w->run->start);
        if (w->run->stop)
            return NULL;
        run_batch(w);
        pthread_barrier_wait(&w->run->done);
    }
}

/* FNV-1a of the line's client_id value, for lines that name one. The line
 * is parsed to find it: a client_id only counts where the parser says so. */
static int client_worker(const line_job *j, int nthreads, unsigned parse_flags)
{
    if (j->too_long || !memmem(j->p, j->len, "client_id", 9))
        return -1;
    trawl_detect_input *in = NULL;
    trawl_error err;
    if (trawl_detect_input_parse_opts(j->p, j->len, parse_flags, &in, &err) != TRAWL_OK)
        return -1;
    int w = -1;
    if (in->client_id && in->client_id[0]) {
        uint32_t h = 2166136261u;
        for (const unsigned char *c = (const unsigned char *)in->client_id; *c; c++)
            h = (h ^ *c) * 16777619u;
        w = (int)(h % (uint32_t)nthreads);
    }
    trawl_detect_input_free(in);
    return w;
}

/* ---- reading lines ---------------------------------------------------------- */

typedef struct line_src {
    cli_input in;
    size_t pos;         /* mapped: next byte */
    char *buf;          /* streamed: bytes read and not yet handed out */
    size_t have, start; /* buf[start..have) is pending */
    size_t cap;
    bool eof, skipping; /* skipping: inside a line already too long */
    uint64_t lineno;
} line_src;

static bool blank(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r')
            return false;
    return true;
}

/* Adds the line p[0..n) to the batch unless it is blank. */
static void add_line(jsonl_run *run, line_src *s, const char *p, size_t n, bool too_long)
{
    s->lineno++;
    if (!too_long && blank(p, n))
        return;
    line_job *j = &run->jobs[run->n++];
    memset(j, 0, sizeof(*j));
    j->p = p;
    j->len = n;
    j->lineno = s->lineno;
    j->too_long = too_long;
}

static void fill_mapped(jsonl_run *run, line_src *s)
{
    const char *d = (const char *)s->in.data;
    size_t bytes = 0;
    while (s->pos < s->in.len && run->n < BATCH_LINES && bytes < BATCH_BYTES) {
        const char *nl = memchr(d + s->pos, '\n', s->in.len - s->pos);
        size_t end = nl ? (size_t)(nl - d) : s->in.len;
        size_t n = end - s->pos;
        add_line(run, s, d + s->pos, n, n > MAX_LINE);
        bytes += n;
        s->pos = end + 1;
    }
}

/* Reads more of a pipe: buf[start..have) is kept, moved to the front. */
static int read_more(line_src *s)
{
    if (s->start) {
        memmove(s->buf, s->buf + s->start, s->have - s->start);
        s->have -= s->start;
        s->start = 0;
    }
    if (s->have == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : (size_t)1 << 20;
        char *b = realloc(s->buf, cap);
        if (!b)
            return -1;
        s->buf = b;
        s->cap = cap;
    }
    for (;;) {
        ssize_t r = read(s->in.fd, s->buf + s->have, s->cap - s->have);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return -1;
        if (r == 0)
            s->eof = true;
        s->have += (size_t)r;
        return 0;
    }
}

/* Fills a batch from a pipe. The batch's lines point into s->buf, which is
 * not moved until the batch has been written. */
static int fill_stream(jsonl_run *run, line_src *s)
{
    if (s->start == s->have && !s->eof) {
        s->start = s->have = 0;
        if (read_more(s) != 0)
            return -1;
    }
    for (;;) {
        char *p = s->buf + s->start;
        size_t avail = s->have - s->start;
        char *nl = memchr(p, '\n', avail);
        if (nl) {
            size_t n = (size_t)(nl - p);
            if (s->skipping)
                s->skipping = false; /* the end of a line already reported */
            else
                add_line(run, s, p, n, n > MAX_LINE);
            s->start += n + 1;
            if (run->n == BATCH_LINES || s->start > BATCH_BYTES)
                return 0;
            continue;
        }
        if (s->eof) {
            if (avail && !s->skipping)
                add_line(run, s, p, avail, avail > MAX_LINE);
            s->start = s->have;
            return 0;
        }
        if (avail > MAX_LINE) { /* report it now, drop its bytes */
            if (!s->skipping)
                add_line(run, s, p, 0, true);
            s->skipping = true;
            s->start = s->have;
            return 0;
        }
        if (run->n) /* keep what is pending for the next batch */
            return 0;
        if (read_more(s) != 0)
            return -1;
    }
}

/* ---- the loop ----------------------------------------------------------------- */

static int write_batch(jsonl_run *run, bool *threat, bool *failed)
{
    for (size_t i = 0; i < run->n; i++) {
        line_job *j = &run->jobs[i];
        if (j->out)
            fwrite(j->out, 1, j->out_len, stdout);
        else
            fprintf(stdout,
                    "{\"line\":%llu,\"error\":\"internal\",\"message\":\"out of memory\"}\n",
                    (unsigned long long)j->lineno);
        *threat |= j->threat;
        *failed |= j->failed || !j->out;
        free(j->out);
        j->out = NULL;
    }
    return ferror(stdout) ? -1 : 0;
}

int cli_detect_jsonl(trawl_detect_engine *e, unsigned mask, unsigned parse_flags, const char *path,
                     int nthreads)
{
    if (nthreads <= 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        nthreads = n < 1 ? 1 : n > MAX_THREADS ? MAX_THREADS : (int)n;
    }
    jsonl_run run = {
        .e = e, .mask = mask, .parse_flags = parse_flags, .gate = PTHREAD_MUTEX_INITIALIZER};
    line_src src = {0};
    worker w[MAX_THREADS] = {{0}};
    pthread_t tid[MAX_THREADS];
    int started = 0, rc = 2;
    bool threat = false, failed = false;
    if (cli_input_open(path, &src.in) != 0)
        return 2;
    run.jobs = malloc(BATCH_LINES * sizeof(*run.jobs));
    for (int i = 0; i < nthreads; i++) {
        trawl_error err;
        w[i] = (worker){.run = &run, .id = i};
        if (trawl_detect_ctx_new(e, &w[i].ctx, &err) != TRAWL_OK) {
            cli_report("detect", NULL, &err);
            nthreads = i;
            goto out;
        }
    }
    if (!run.jobs)
        goto out;
    /* Threads that could not be started are simply not used: the barriers
     * are sized for those that were, before any of them waits on one. */
    pthread_mutex_lock(&run.gate);
    while (started + 1 < nthreads &&
           pthread_create(&tid[started + 1], NULL, worker_main, &w[started + 1]) == 0)
        started++;
    run.nthreads = started + 1;
    pthread_barrier_init(&run.start, NULL, (unsigned)run.nthreads);
    pthread_barrier_init(&run.done, NULL, (unsigned)run.nthreads);
    pthread_mutex_unlock(&run.gate);
    for (;;) {
        run.n = 0;
        if ((src.in.data ? (fill_mapped(&run, &src), 0) : fill_stream(&run, &src)) != 0) {
            cli_errorf("detect", "%s: %s", path, strerror(errno));
            goto out;
        }
        if (run.n == 0 && (src.in.data ? src.pos >= src.in.len : src.eof && src.start == src.have))
            break;
        for (size_t i = 0; i < run.n; i++)
            run.jobs[i].client = mask & TRAWL_DET_AI_VS_AI
                                     ? client_worker(&run.jobs[i], run.nthreads, parse_flags)
                                     : -1;
        atomic_store(&run.next, 0);
        pthread_barrier_wait(&run.start);
        run_batch(&w[0]);
        pthread_barrier_wait(&run.done);
        if (write_batch(&run, &threat, &failed) != 0) {
            cli_errorf("detect", "writing output: %s", strerror(errno));
            goto out;
        }
    }
    rc = failed ? 2 : threat ? 1 : 0;
out:
    if (run.nthreads) {
        run.stop = true;
        pthread_barrier_wait(&run.start);
        for (int i = 1; i <= started; i++)
            pthread_join(tid[i], NULL);
        pthread_barrier_destroy(&run.start);
        pthread_barrier_destroy(&run.done);
    }
    for (int i = 0; i < nthreads; i++)
        trawl_detect_ctx_free(w[i].ctx);
    free(run.jobs);
    free(src.buf);
    cli_input_close(&src.in);
    return rc;
}
