/* shadow_ai/endpoints.c -- the shadow_ai rule pack (rules/ai_endpoints.rules)
 * and host matching.
 *
 * The pack is a line format of our own, not pattern-engine rules, because
 * hosts must be matched on whole labels of a parsed host name, never as
 * substrings of the text:
 *
 *     host     <provider> <host-pattern> [<path-prefix> ...]
 *     port     <number> <confidence> <what ...>
 *     process  <name> <what ...>
 *
 * host-pattern is an exact name (api.openai.com), a domain suffix with a
 * leading dot (.openai.com: the domain and every name below it), or a name
 * with one '*' inside one label (*-aiplatform.googleapis.com). Path
 * prefixes start with '/'; a '*' segment matches one path segment. A
 * double-quoted token may hold spaces. '#' starts a comment. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "detect/shadow_ai/shadow.h"

#define MAX_RULE_LINES 4096
#define MAX_TOKENS     8
#define MAX_TOKEN      255

typedef struct tok {
    const char *p;
    size_t n;
    size_t col; /* 1-based */
} tok;

static trawl_status syntax(trawl_error *err, unsigned line, size_t col, const char *msg)
{
    trawl__fail(err, TRAWL_ESYNTAX, "ai_endpoints.rules:%u: %s", line, msg);
    if (err) {
        err->line = (int)line;
        err->column = (int)col;
    }
    return TRAWL_ESYNTAX;
}

/* Splits a line into at most MAX_TOKENS tokens; the last one takes the rest
 * of the line when rest_from is reached. Returns the count or -1 with *bad
 * at the column of an unterminated quote. */
static int tokenize(const char *s, size_t n, tok *t, int rest_from, size_t *bad)
{
    int k = 0;
    size_t i = 0;
    while (k < MAX_TOKENS) {
        while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r'))
            i++;
        if (i == n || s[i] == '#')
            break;
        if (k == rest_from) {
            size_t e = n;
            const char *hash = memchr(s + i, '#', n - i);
            if (hash)
                e = (size_t)(hash - s);
            while (e > i && (s[e - 1] == ' ' || s[e - 1] == '\t' || s[e - 1] == '\r'))
                e--;
            t[k++] = (tok){s + i, e - i, i + 1};
            break;
        }
        if (s[i] == '"') {
            const char *q = memchr(s + i + 1, '"', n - i - 1);
            if (!q) {
                *bad = i + 1;
                return -1;
            }
            t[k++] = (tok){s + i + 1, (size_t)(q - s - i - 1), i + 1};
            i = (size_t)(q - s) + 1;
            continue;
        }
        size_t st = i;
        while (i < n && s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '#')
            i++;
        t[k++] = (tok){s + st, i - st, st + 1};
    }
    return k;
}

static char *dup_lower(const tok *t)
{
    char *d = malloc(t->n + 1);
    if (!d)
        return NULL;
    for (size_t i = 0; i < t->n; i++)
        d[i] = (t->p[i] >= 'A' && t->p[i] <= 'Z') ? (char)(t->p[i] + 32) : t->p[i];
    d[t->n] = 0;
    return d;
}

static char *dup_tok(const tok *t)
{
    char *d = malloc(t->n + 1);
    if (d) {
        memcpy(d, t->p, t->n);
        d[t->n] = 0;
    }
    return d;
}

static bool pattern_ok(const char *p, shadow_host_kind *kind, size_t *star)
{
    size_t n = strlen(p), stars = 0;
    if (n == 0 || n > 253)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = p[i];
        if (c == '*') {
            stars++;
            *star = i;
        } else if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
                     c == '.')) {
            return false;
        }
        if (c == '.' && i + 1 < n && p[i + 1] == '.')
            return false;
    }
    if (p[n - 1] == '.' || stars > 1)
        return false;
    if (p[0] == '.') {
        *kind = SHADOW_HOST_SUFFIX;
        return stars == 0 && n > 1;
    }
    *kind = stars ? SHADOW_HOST_WILDCARD : SHADOW_HOST_EXACT;
    return true;
}

#define GROW(arr, n, cap)                                                                          \
    do {                                                                                           \
        if ((n) == (cap)) {                                                                        \
            size_t nc_ = (cap) ? (cap)*2 : 32;                                                     \
            void *p_ = realloc((arr), nc_ * sizeof(*(arr)));                                       \
            if (!p_)                                                                               \
                return trawl__fail(err, TRAWL_ENOMEM, "out of memory");                            \
            (arr) = p_;                                                                            \
            (cap) = nc_;                                                                           \
        }                                                                                          \
    } while (0)

typedef struct caps {
    size_t ep, ports, procs;
} caps;

static trawl_status host_line(shadow_rules *r, caps *cp, const tok *t, int k, unsigned line,
                              trawl_error *err)
{
    if (k < 3)
        return syntax(err, line, t[0].col, "host needs a provider and a host pattern");
    if (k - 3 > SHADOW_MAX_PATHS)
        return syntax(err, line, t[3 + SHADOW_MAX_PATHS].col, "too many path prefixes");
    GROW(r->ep, r->n_ep, cp->ep);
    shadow_endpoint *e = &r->ep[r->n_ep];
    memset(e, 0, sizeof(*e));
    e->line = line;
    e->provider = dup_tok(&t[1]);
    e->pattern = dup_lower(&t[2]);
    r->n_ep++; /* counted now so that shadow_rules_free frees what was allocated */
    if (!e->provider || !e->pattern)
        return trawl__fail(err, TRAWL_ENOMEM, "out of memory");
    if (!pattern_ok(e->pattern, &e->kind, &e->star))
        return syntax(err, line, t[2].col, "bad host pattern");
    e->len = t[2].n;
    for (int i = 3; i < k; i++) {
        if (t[i].n == 0 || t[i].p[0] != '/')
            return syntax(err, line, t[i].col, "a path prefix starts with '/'");
        if (!(e->paths[e->n_paths++] = dup_tok(&t[i])))
            return trawl__fail(err, TRAWL_ENOMEM, "out of memory");
    }
    return TRAWL_OK;
}

static trawl_status port_line(shadow_rules *r, caps *cp, const tok *t, int k, unsigned line,
                              trawl_error *err)
{
    if (k < 4)
        return syntax(err, line, t[0].col, "port needs a number, a confidence and a description");
    char buf[32];
    if (t[1].n >= sizeof(buf) || t[2].n >= sizeof(buf))
        return syntax(err, line, t[1].col, "number too long");
    memcpy(buf, t[1].p, t[1].n);
    buf[t[1].n] = 0;
    char *end;
    errno = 0;
    long port = strtol(buf, &end, 10);
    if (*end || end == buf || errno || port < 1 || port > 65535)
        return syntax(err, line, t[1].col, "port must be 1..65535");
    memcpy(buf, t[2].p, t[2].n);
    buf[t[2].n] = 0;
    double conf = strtod(buf, &end);
    if (*end || end == buf || !(conf > 0 && conf <= 1))
        return syntax(err, line, t[2].col, "confidence must be in (0, 1]");
    GROW(r->ports, r->n_ports, cp->ports);
    shadow_port *p = &r->ports[r->n_ports];
    *p = (shadow_port){(int)port, conf, dup_tok(&t[3]), line};
    if (!p->what)
        return trawl__fail(err, TRAWL_ENOMEM, "out of memory");
    r->n_ports++;
    return TRAWL_OK;
}

static trawl_status process_line(shadow_rules *r, caps *cp, const tok *t, int k, unsigned line,
                                 trawl_error *err)
{
    if (k < 3 || t[1].n == 0)
        return syntax(err, line, t[0].col, "process needs a name and a description");
    GROW(r->procs, r->n_procs, cp->procs);
    shadow_procname *p = &r->procs[r->n_procs];
    *p = (shadow_procname){dup_lower(&t[1]), dup_tok(&t[2]), line};
    r->n_procs++;
    if (!p->name || !p->what)
        return trawl__fail(err, TRAWL_ENOMEM, "out of memory");
    return TRAWL_OK;
}

static bool keyword(const tok *t, const char *kw)
{
    return t->n == strlen(kw) && !memcmp(t->p, kw, t->n);
}

/* ---- the host index --------------------------------------------------------- */

/* FNV-1a over a name read from its last byte to its first: a host's suffix
 * hashes are then the running values of one backward pass over the host. */
#define FNV_OFFSET 0xcbf29ce484222325ull
#define FNV_PRIME  0x100000001b3ull

static uint64_t hash_step(uint64_t h, char c)
{
    return (h ^ (uint8_t)c) * FNV_PRIME;
}

static uint64_t name_hash(const char *s, size_t n)
{
    uint64_t h = FNV_OFFSET;
    while (n > 0)
        h = hash_step(h, s[--n]);
    return h;
}

/* The name an endpoint is indexed by: the exact host, or the suffix domain
 * without its leading dot. */
static const char *index_name(const shadow_endpoint *e, size_t *n)
{
    bool suffix = e->kind == SHADOW_HOST_SUFFIX;
    *n = e->len - suffix;
    return e->pattern + suffix;
}

static trawl_status build_index(shadow_rules *r, trawl_error *err)
{
    size_t cap = 16;
    while (cap < 2 * r->n_ep)
        cap *= 2;
    r->slot = calloc(cap, sizeof *r->slot);
    r->next = calloc(r->n_ep ? r->n_ep : 1, sizeof *r->next);
    r->wild = calloc(r->n_ep ? r->n_ep : 1, sizeof *r->wild);
    if (!r->slot || !r->next || !r->wild)
        return trawl__fail(err, TRAWL_ENOMEM, "out of memory");
    r->slot_mask = cap - 1;
    /* Backwards, so that each chain lists its rules in file order. */
    for (size_t i = r->n_ep; i-- > 0;) {
        const shadow_endpoint *e = &r->ep[i];
        if (e->kind == SHADOW_HOST_WILDCARD)
            continue;
        size_t n;
        const char *name = index_name(e, &n);
        size_t at = (size_t)name_hash(name, n) & r->slot_mask;
        /* Linear probing to the slot of this name or an empty one. */
        while (r->slot[at]) {
            size_t m;
            const char *other = index_name(&r->ep[r->slot[at] - 1], &m);
            if (m == n && !memcmp(other, name, n))
                break;
            at = (at + 1) & r->slot_mask;
        }
        r->next[i] = r->slot[at];
        r->slot[at] = (uint32_t)i + 1;
    }
    for (size_t i = 0; i < r->n_ep; i++)
        if (r->ep[i].kind == SHADOW_HOST_WILDCARD)
            r->wild[r->n_wild++] = (uint32_t)i;
    return TRAWL_OK;
}

/* Index + 1 of the first rule indexed by name[0..n) (whose name_hash is
 * hash), 0 when none. */
static uint32_t index_find(const shadow_rules *r, const char *name, size_t n, uint64_t hash)
{
    if (!r->slot)
        return 0;
    size_t at = (size_t)hash & r->slot_mask;
    while (r->slot[at]) {
        size_t m;
        const char *other = index_name(&r->ep[r->slot[at] - 1], &m);
        if (m == n && !memcmp(other, name, n))
            return r->slot[at];
        at = (at + 1) & r->slot_mask;
    }
    return 0;
}

trawl_status shadow_rules_parse(const char *text, size_t len, shadow_rules *r, trawl_error *err)
{
    memset(r, 0, sizeof(*r));
    caps cp = {0, 0, 0};
    unsigned line = 0, rules = 0;
    trawl_status st = TRAWL_OK;
    for (size_t pos = 0; pos < len && st == TRAWL_OK;) {
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t end = nl ? (size_t)(nl - text) : len;
        const char *s = text + pos;
        size_t n = end - pos, bad = 0;
        pos = end + 1;
        line++;
        tok t[MAX_TOKENS];
        /* "port" and "process" take the rest of the line as the description. */
        int k = tokenize(s, n, t, MAX_TOKENS, &bad);
        if (k < 0) {
            st = syntax(err, line, bad, "unterminated quote");
            break;
        }
        if (k == 0)
            continue;
        if (++rules > MAX_RULE_LINES) {
            st = trawl__fail(err, TRAWL_ELIMIT, "more than %d rules", MAX_RULE_LINES);
            break;
        }
        for (int i = 0; i < k; i++)
            if (t[i].n > MAX_TOKEN) {
                st = syntax(err, line, t[i].col, "token longer than 255 bytes");
                break;
            }
        if (st != TRAWL_OK)
            break;
        if (keyword(&t[0], "host")) {
            st = host_line(r, &cp, t, k, line, err);
        } else if (keyword(&t[0], "port")) {
            k = tokenize(s, n, t, 3, &bad);
            st = port_line(r, &cp, t, k, line, err);
        } else if (keyword(&t[0], "process")) {
            k = tokenize(s, n, t, 2, &bad);
            st = process_line(r, &cp, t, k, line, err);
        } else {
            st = syntax(err, line, t[0].col, "expected host, port or process");
        }
    }
    if (st == TRAWL_OK)
        st = build_index(r, err);
    if (st != TRAWL_OK)
        shadow_rules_free(r);
    return st;
}

void shadow_rules_free(shadow_rules *r)
{
    for (size_t i = 0; i < r->n_ep; i++) {
        free(r->ep[i].provider);
        free(r->ep[i].pattern);
        for (size_t j = 0; j < r->ep[i].n_paths; j++)
            free(r->ep[i].paths[j]);
    }
    for (size_t i = 0; i < r->n_ports; i++)
        free(r->ports[i].what);
    for (size_t i = 0; i < r->n_procs; i++) {
        free(r->procs[i].name);
        free(r->procs[i].what);
    }
    free(r->ep);
    free(r->ports);
    free(r->procs);
    free(r->slot);
    free(r->next);
    free(r->wild);
    memset(r, 0, sizeof(*r));
}

/* host[0..h) is name[0..n) or ends with "." name. */
static bool within(const char *host, size_t h, const char *name, size_t n)
{
    if (n == 0 || h < n || memcmp(host + h - n, name, n))
        return false;
    return h == n || host[h - n - 1] == '.';
}

bool shadow_host_within(const char *host, const char *name)
{
    return within(host, strlen(host), name, strlen(name));
}

static bool wildcard_match(const shadow_endpoint *e, const char *host, size_t h)
{
    size_t pre = e->star, suf = e->len - e->star - 1;
    if (h < pre + suf + 1 || memcmp(host, e->pattern, pre) ||
        memcmp(host + h - suf, e->pattern + e->star + 1, suf))
        return false;
    for (size_t i = pre; i < h - suf; i++)
        if (host[i] == '.')
            return false; /* '*' stays inside one label */
    return true;
}

/* Prefix match of a path against a rule prefix whose '*' segments match one
 * non-empty path segment. */
static bool path_match(const char *rule, const char *path)
{
    while (*rule) {
        if (*rule == '*') {
            if (!*path || *path == '/')
                return false;
            while (*path && *path != '/')
                path++;
            rule++;
        } else if (*rule++ != *path++) {
            return false;
        }
    }
    return true;
}

/* Weighs endpoint i (rank 3 exact, 2 wildcard, 1 suffix) against the best
 * so far: the higher rank, then a matched path prefix, then the longer
 * pattern, then the earlier rule. */
typedef struct best {
    int rank;
    size_t len, index;
} best;

static void consider(const shadow_rules *r, size_t i, int rank, const char *path, size_t h, best *b,
                     shadow_match *m)
{
    const shadow_endpoint *e = &r->ep[i];
    bool pm = false;
    if (e->n_paths) {
        if (!path)
            return;
        for (size_t j = 0; j < e->n_paths && !pm; j++)
            pm = path_match(e->paths[j], path);
        if (!pm)
            return;
    }
    /* A rule that needs a path and matched it is more specific than one
     * that does not. */
    int score = rank * 2 + pm, cur = b->rank * 2 + m->path_matched;
    if (m->ep &&
        (score < cur || (score == cur && (e->len < b->len || (e->len == b->len && i > b->index)))))
        return;
    b->rank = rank;
    b->len = e->len;
    b->index = i;
    m->ep = e;
    m->path_matched = pm;
    m->subdomain = e->kind == SHADOW_HOST_SUFFIX && h != e->len - 1;
}

bool shadow_rules_match(const shadow_rules *r, const char *host, const char *path, shadow_match *m)
{
    size_t h = strlen(host);
    best b = {0, 0, 0};
    memset(m, 0, sizeof(*m));
    /* Each parent domain (suffix rules) and the host itself (exact and
     * suffix rules), hashed in one backward pass: a suffix matches on a
     * label boundary only. */
    uint64_t hash = FNV_OFFSET;
    for (size_t at = h; at-- > 0;) {
        hash = hash_step(hash, host[at]);
        if (at > 0 && host[at - 1] != '.')
            continue;
        for (uint32_t k = index_find(r, host + at, h - at, hash); k; k = r->next[k - 1]) {
            const shadow_endpoint *e = &r->ep[k - 1];
            if (e->kind == SHADOW_HOST_EXACT && at == 0)
                consider(r, k - 1, 3, path, h, &b, m);
            else if (e->kind == SHADOW_HOST_SUFFIX)
                consider(r, k - 1, 1, path, h, &b, m);
        }
    }
    for (size_t w = 0; w < r->n_wild; w++) {
        const shadow_endpoint *e = &r->ep[r->wild[w]];
        /* The last byte first: most hosts end differently. */
        char last = e->pattern[e->len - 1];
        if ((last == '*' || (h && host[h - 1] == last)) && wildcard_match(e, host, h))
            consider(r, r->wild[w], 2, path, h, &b, m);
    }
    return m->ep != NULL;
}

bool shadow_allow_match(const shadow_allow *a, const char *host, const char **entry)
{
    for (size_t i = 0; i < a->n; i++) {
        const char *it = a->items[i];
        bool ok = it[0] == '.' ? shadow_host_within(host, it + 1) : !strcmp(host, it);
        if (ok) {
            if (entry)
                *entry = it;
            return true;
        }
    }
    return false;
}
