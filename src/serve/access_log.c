/* access_log.c -- one JSON line per answered request:
 *   {"ts":"2026-11-23T02:30:00.123Z","client":"127.0.0.1","method":"POST",
 *    "path":"/v1/detect","status":200,"bytes":412,"latency_us":31.5,
 *    "cached":false,"key":"ops","request_id":"9f0c...","threat_score":0.9775,
 *    "client_id":"agent-7"}
 * (key when an API key was checked; threat_score on screening answers;
 * client_id when the request named one).
 * Each line goes out in a single write() on an O_APPEND descriptor, so lines
 * from different threads never interleave and no lock is taken. A failed or
 * short write is dropped: logging never blocks or fails a request. */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "serve/internal.h"

/* Appends s as JSON string content, at most max input bytes. */
static size_t esc(char *out, size_t cap, const char *s, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; s && s[i] && i < max && n + 7 < cap; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') {
            out[n++] = '\\';
            out[n++] = (char)c;
        } else if (c < 0x20 || c >= 0x7f) {
            n += (size_t)snprintf(out + n, cap - n, "\\u%04x", c);
        } else {
            out[n++] = (char)c;
        }
    }
    out[n] = '\0';
    return n;
}

void trawl__serve_access_log(int fd, const char *ip, const char *method, const char *path,
                             int status, size_t bytes, uint64_t latency_ns, bool cached,
                             const char *key, const srv_log_extra *x)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    char m[32], p[1600], k[400], rid[80], cid[400], more[600] = "";
    esc(m, sizeof(m), method, 16);
    esc(p, sizeof(p), path, 256);
    esc(k, sizeof(k), key, 63);
    if (x) {
        size_t w = 0;
        esc(rid, sizeof rid, x->request_id, 64);
        w += (size_t)snprintf(more + w, sizeof more - w, ",\"request_id\":\"%s\"", rid);
        if (x->threat_score >= 0)
            w += (size_t)snprintf(more + w, sizeof more - w, ",\"threat_score\":%.4g",
                                  x->threat_score);
        if (x->client_id) {
            esc(cid, sizeof cid, x->client_id, 64);
            snprintf(more + w, sizeof more - w, ",\"client_id\":\"%s\"", cid);
        }
    }
    char line[3200];
    int n = snprintf(line, sizeof(line),
                     "{\"ts\":\"%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ\",\"client\":\"%s\","
                     "\"method\":\"%s\",\"path\":\"%s\",\"status\":%d,\"bytes\":%zu,"
                     "\"latency_us\":%.1f,\"cached\":%s%s%s%s%s}\n",
                     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                     ts.tv_nsec / 1000000, ip, m, p, status, bytes, (double)latency_ns / 1e3,
                     cached ? "true" : "false", key ? ",\"key\":\"" : "", key ? k : "",
                     key ? "\"" : "", more);
    if (n > 0 && (size_t)n < sizeof(line)) {
        ssize_t w = write(fd, line, (size_t)n);
        (void)w;
    }
}
