/* auth.c -- API keys and per-key rate limits.
 *
 * The key file holds SHA-256 digests, never keys: one line per key,
 *     NAME sha256:HEX64 [RATE [BURST]] [admin]
 * RATE in requests per second (0 or absent: unlimited), BURST the bucket
 * size (default max(1, RATE)); "admin" lets the key's event stream see
 * every key's events; '#' starts a comment. A presented key is
 * hashed and compared with every digest in constant time (no early exit,
 * no data-dependent branch), so timing says nothing about how close a guess
 * was. Reload (SIGHUP) builds a new table and swaps one atomic pointer;
 * requests in flight keep the old one, which is retired, not freed, until
 * the server is freed (a few hundred bytes per reload). Rate state of a key
 * whose digest is unchanged carries over. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/error.h"
#include "serve/internal.h"
#include "common/codec.h"

struct srv_key {
    char name[64];
    uint8_t digest[32];
    double rate, burst;
    bool admin;
    pthread_mutex_t mu; /* per key: guards the bucket */
    double tokens;
    uint64_t last_ns;
};

struct srv_keys {
    size_t n;
    srv_key *keys;
    srv_keys *retired; /* older tables, freed with the server */
};

static uint64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void trawl__serve_keys_free(srv_keys *t)
{
    while (t) {
        srv_keys *next = t->retired;
        for (size_t i = 0; i < t->n; i++)
            pthread_mutex_destroy(&t->keys[i].mu);
        free(t->keys);
        free(t);
        t = next;
    }
}

static trawl_status fail_line(trawl_error *err, int lineno, const char *msg)
{
    trawl__fail(err, TRAWL_ESYNTAX, "%s", msg);
    if (err)
        err->line = lineno;
    return TRAWL_ESYNTAX;
}

static trawl_status parse_line(char *line, int lineno, srv_key *k, trawl_error *err)
{
    char *tok[6], *save = NULL;
    int n = 0;
    for (char *t = strtok_r(line, " \t\r\n", &save); t && n < 6;
         t = strtok_r(NULL, " \t\r\n", &save))
        tok[n++] = t;
    bool admin = n > 2 && !strcmp(tok[n - 1], "admin");
    n -= admin;
    double num[2] = {0, 0};
    bool bad = n < 2 || n > 4 || strlen(tok[0]) >= 64;
    for (int i = 2; i < n && !bad; i++) {
        char *end;
        num[i - 2] = strtod(tok[i], &end);
        bad = end == tok[i] || *end;
    }
    if (bad)
        return fail_line(err, lineno, "expected NAME sha256:HEX [RATE [BURST]] [admin]");
    const char *name = tok[0], *hash = tok[1];
    double rate = num[0], burst = num[1];
    if (strncmp(hash, "sha256:", 7) || strlen(hash) != 7 + 64)
        return fail_line(err, lineno, "the digest must be sha256: and 64 hex digits");
    for (int i = 0; i < 32; i++) {
        int hi = trawl__hexval(hash[7 + 2 * i]), lo = trawl__hexval(hash[8 + 2 * i]);
        if (hi < 0 || lo < 0)
            return fail_line(err, lineno, "the digest must be sha256: and 64 hex digits");
        k->digest[i] = (uint8_t)(hi << 4 | lo);
    }
    if (!(rate >= 0 && rate <= 1e9) || !(burst >= 0 && burst <= 1e9))
        return fail_line(err, lineno, "RATE and BURST must be numbers in [0, 1e9]");
    snprintf(k->name, sizeof(k->name), "%s", name);
    k->rate = rate;
    k->admin = admin;
    k->burst = n == 4 ? burst : rate > 1 ? rate : 1;
    if (k->burst < 1)
        k->burst = 1;
    k->tokens = k->burst;
    k->last_ns = mono_ns();
    return TRAWL_OK;
}

trawl_status trawl__serve_keys_load(const char *path, srv_keys **out, trawl_error *err)
{
    *out = NULL;
    FILE *f = fopen(path, "r");
    if (!f)
        return trawl__fail(err, TRAWL_EIO, "%s: %s", path, strerror(errno));
    srv_keys *t = calloc(1, sizeof(*t));
    size_t cap = 0;
    char line[512];
    int lineno = 0;
    trawl_status st = t ? TRAWL_OK : trawl__fail(err, TRAWL_ENOMEM, "out of memory");
    while (st == TRAWL_OK && fgets(line, sizeof(line), f)) {
        lineno++;
        char *hash = strchr(line, '#');
        if (hash)
            *hash = '\0';
        char *p = line;
        while (isspace((unsigned char)*p))
            p++;
        if (!*p)
            continue;
        if (t->n == cap) {
            cap = cap ? 2 * cap : 8;
            srv_key *k = cap <= 100000 ? realloc(t->keys, cap * sizeof(*k)) : NULL;
            if (!k) {
                st = trawl__fail(err, TRAWL_ELIMIT, "%s: too many keys", path);
                break;
            }
            t->keys = k;
        }
        srv_key *k = &t->keys[t->n];
        memset(k, 0, sizeof(*k));
        st = parse_line(p, lineno, k, err);
        if (st == TRAWL_OK) {
            pthread_mutex_init(&k->mu, NULL);
            t->n++;
        }
    }
    fclose(f);
    if (st != TRAWL_OK) {
        trawl__serve_keys_free(t);
        return st;
    }
    *out = t;
    return TRAWL_OK;
}

/* 1 when equal, 0 otherwise, in time independent of the contents. */
static unsigned ct_equal32(const uint8_t *a, const uint8_t *b)
{
    unsigned d = 0;
    for (int i = 0; i < 32; i++)
        d |= (unsigned)(a[i] ^ b[i]);
    return 1u & ((d - 1u) >> 8);
}

srv_key *trawl__serve_keys_find(srv_keys *t, const char *key, size_t len)
{
    uint8_t dg[32];
    trawl__sha256(key, len, dg);
    size_t found = 0, any = 0;
    for (size_t i = 0; i < t->n; i++) {
        size_t eq = ct_equal32(dg, t->keys[i].digest);
        size_t m = (size_t)0 - eq; /* all ones when equal */
        found = (found & ~m) | ((i + 1) & m);
        any |= eq;
    }
    return any ? &t->keys[found - 1] : NULL;
}

double trawl__serve_key_take(srv_key *k)
{
    if (k->rate <= 0)
        return 0;
    uint64_t now = mono_ns();
    pthread_mutex_lock(&k->mu);
    double t = k->tokens + (double)(now - k->last_ns) / 1e9 * k->rate;
    k->tokens = t < k->burst ? t : k->burst;
    k->last_ns = now;
    double wait = 0;
    if (k->tokens >= 1)
        k->tokens -= 1;
    else
        wait = (1 - k->tokens) / k->rate;
    pthread_mutex_unlock(&k->mu);
    return wait;
}

bool trawl__serve_key_admin(const srv_key *k)
{
    return k->admin;
}

uint64_t trawl__serve_key_tenant(const srv_key *k)
{
    uint64_t id;
    memcpy(&id, k->digest, sizeof(id));
    return id | 1; /* never 0, which means "no key" */
}

const char *trawl__serve_key_name(const srv_key *k)
{
    return k->name;
}

double trawl__serve_key_rate(const srv_key *k)
{
    return k->rate;
}

double trawl__serve_key_burst(const srv_key *k)
{
    return k->burst;
}

const uint8_t *trawl__serve_key_digest(const srv_key *k)
{
    return k->digest;
}

void trawl__serve_keys_carry(srv_keys *to, srv_keys *from)
{
    for (size_t i = 0; from && i < to->n; i++)
        for (size_t j = 0; j < from->n; j++)
            if (!memcmp(to->keys[i].digest, from->keys[j].digest, 32) &&
                to->keys[i].rate == from->keys[j].rate) {
                pthread_mutex_lock(&from->keys[j].mu);
                to->keys[i].tokens = from->keys[j].tokens;
                to->keys[i].last_ns = from->keys[j].last_ns;
                pthread_mutex_unlock(&from->keys[j].mu);
            }
}

void trawl__serve_keys_retire(srv_keys *t, srv_keys *old)
{
    t->retired = old;
}
