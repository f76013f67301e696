/* shadow.h -- the parts of the shadow_ai detector, internal to src/detect/.
 *
 * shadow_ai/url.c       URL and host parsing (what host does this string name?)
 * shadow_ai/endpoints.c the rule pack rules/ai_endpoints.rules: AI API hosts,
 *                    local model-server ports and process names; the
 *                    operator's allowlist
 * shadow_ai/net.c       DNS question names, TLS ClientHello SNI, HTTP Host
 * shadow_ai/model_files.c     model files by content magic and by name
 * shadow_ai.c        the detector: configuration, run()
 *
 * Every parser here reads hostile bytes: lengths are checked before use,
 * nothing is allocated while parsing, and output goes to caller buffers of
 * fixed size. */
#ifndef TRAWL_DETECT_SHADOW_H
#define TRAWL_DETECT_SHADOW_H

#include <stdbool.h>
#include <stdio.h>
#include <stddef.h>
#include <stdint.h>
#include <trawl/common.h>

/* ---- URLs and hosts ------------------------------------------------------ */

#define SHADOW_HOST_MAX 256 /* 253 + NUL, rounded; IPv6 literals fit too */
#define SHADOW_PATH_MAX 512 /* the path is kept up to this many bytes */

typedef struct shadow_url {
    char scheme[16];            /* lowercased; "" when the input had none */
    char host[SHADOW_HOST_MAX]; /* lowercased, percent-decoded, trailing dot removed;
                                   an IPv6 literal without its brackets */
    bool ipv6;                  /* host is an IPv6 literal */
    bool has_userinfo;          /* "user:pass@" was present (and is not kept) */
    int port;                   /* -1 when absent */
    char path[SHADOW_PATH_MAX]; /* "/..." up to '?' or '#'; "" when absent */
    bool path_truncated;
} shadow_url;

/* Why a URL was refused, and where (0-based byte offset into the input). */
typedef struct shadow_url_error {
    const char *reason; /* static */
    size_t offset;
    bool no_host; /* well-formed but names no host ("mailto:", "data:"): nothing to check */
} shadow_url_error;

/* Parses an absolute URL "scheme://[userinfo@]host[:port][/path][?q][#f]",
 * or, without "scheme://", an authority followed by an optional path
 * ("api.openai.com/v1/x", "host:8080"). Backslashes end the authority as
 * slashes do (what browsers do for http/https). The host is percent-decoded
 * (what browsers do), then must be a DNS name (letters, digits, '-', '_',
 * labels of 1..63 bytes, at most 253 bytes), an IPv4 address or a bracketed
 * IPv6 literal. Returns false with *e filled when the input is not a URL.
 * O(len), allocates nothing. */
bool shadow_url_parse(const char *s, size_t len, shadow_url *u, shadow_url_error *e);

/* Normalises a bare host name (no scheme, port or path) the same way into
 * out[SHADOW_HOST_MAX]. false with *e when it is not a host name. */
bool shadow_host_normalise(const char *s, size_t len, char *out, shadow_url_error *e);

/* ---- the rule pack ---------------------------------------------------------- */

typedef enum shadow_host_kind {
    SHADOW_HOST_EXACT,    /* api.openai.com */
    SHADOW_HOST_SUFFIX,   /* .openai.com: the domain and every name under it */
    SHADOW_HOST_WILDCARD, /* one '*' inside one label: *-aiplatform.googleapis.com */
} shadow_host_kind;

#define SHADOW_MAX_PATHS 4

typedef struct shadow_endpoint {
    char *provider; /* "openai" */
    char *pattern;  /* as written, lowercased */
    size_t len;     /* of pattern */
    shadow_host_kind kind;
    size_t star;                   /* wildcard: offset of '*' in pattern */
    char *paths[SHADOW_MAX_PATHS]; /* path prefixes that identify the API; '*' = one segment */
    size_t n_paths;                /* 0: the host alone identifies the API */
    unsigned line;
} shadow_endpoint;

typedef struct shadow_port {
    int port;
    double confidence;
    char *what; /* "Ollama" */
    unsigned line;
} shadow_port;

typedef struct shadow_procname {
    char *name; /* lowercased */
    char *what;
    unsigned line;
} shadow_procname;

typedef struct shadow_rules {
    shadow_endpoint *ep;
    size_t n_ep;
    /* Host index, built by shadow_rules_parse: exact names and suffix
     * domains (without the dot) hashed by name; slot[] and next[] hold an
     * endpoint index + 1 (0 ends a chain), rules in file order within a
     * chain. Wildcards are few and listed in wild[]. */
    uint32_t *slot, *next, *wild;
    size_t slot_mask, n_wild;
    shadow_port *ports;
    size_t n_ports;
    shadow_procname *procs;
    size_t n_procs;
} shadow_rules;

/* Parses the rule pack text (format in rules/ai_endpoints.rules and
 * docs/detect-shadow_ai.md). TRAWL_ESYNTAX with err->line/column on a bad
 * line; TRAWL_ELIMIT past 4096 lines of rules; TRAWL_ENOMEM. *r is zeroed
 * on failure. */
trawl_status shadow_rules_parse(const char *text, size_t len, shadow_rules *r, trawl_error *err);
void shadow_rules_free(shadow_rules *r);

/* How a host (and optional path) matched an endpoint rule. */
typedef struct shadow_match {
    const shadow_endpoint *ep;
    bool path_matched; /* a path prefix of the rule matched */
    bool subdomain;    /* suffix rule, host strictly below the domain */
} shadow_match;

/* The best endpoint rule for a normalised host (path may be NULL: a rule
 * that needs a path then never matches). Preference: exact host, then
 * wildcard, then the longest suffix. false when none matches. Matching is
 * on whole labels, never on substrings: "openai.com.evil.example" and
 * "notopenai.com" do not match ".openai.com". Looks up the host and each
 * of its parent domains in the index, then tries the wildcards: O(host
 * length x labels + wildcard rules), independent of the number of exact
 * and suffix rules. */
bool shadow_rules_match(const shadow_rules *r, const char *host, const char *path, shadow_match *m);

/* The operator's allowlist: entries "api.openai.com" (exact) and
 * ".corp.example.com" (that domain and every name under it). */
typedef struct shadow_allow {
    char **items; /* normalised, a leading '.' kept for suffix entries */
    size_t n;
} shadow_allow;

/* true when host is allowlisted; *entry is the entry that allowed it. */
bool shadow_allow_match(const shadow_allow *a, const char *host, const char **entry);

/* Opens a capture file for reading with a position that ftell() reads
 * without a system call (shadow_ai/capture.c): a regular file or a FIFO,
 * opened with det_open_file (never blocks). NULL with the reason in why. The
 * stream owns the descriptor: fclose() closes both. */
FILE *shadow_capture_open(const char *path, char *why, size_t cap);

/* true when host is name or ends with "." name (label boundary). */
bool shadow_host_within(const char *host, const char *name);

/* ---- network protocol parsers -------------------------------------------------- */

#define SHADOW_DNS_MAX_QUESTIONS 8

/* Reads the question names of a DNS message (RFC 1035; payload of UDP port
 * 53, without the TCP length prefix). Names are lowercased, dot-joined,
 * without a trailing dot, into names[i][SHADOW_HOST_MAX]; labels with bytes
 * other than letters, digits, '-' and '_' are refused. Compression pointers
 * are followed at most 16 times and only backwards. is_query: QR bit clear.
 * Returns the count of names read (0 when malformed), at most max. */
size_t shadow_dns_questions(const uint8_t *p, size_t n, char (*names)[SHADOW_HOST_MAX], size_t max,
                            bool *is_query);

/* Finds server_name (host_name type) in a TLS ClientHello that starts at p
 * (a TLS record: 0x16, version, length, then handshake type 1). The record
 * may be cut short by the capture: parsing stops at what is there. Returns
 * true with the normalised host in out[SHADOW_HOST_MAX]. */
bool shadow_tls_sni(const uint8_t *p, size_t n, char *out);

/* Recognises an HTTP/1.x request at p ("METHOD target HTTP/1.x\r\n"
 * followed by headers) and reads the Host header, or the host of an
 * absolute-form or CONNECT target. The host goes into host, the path (from
 * the request target, '?' and after dropped) into path. Header lines are
 * read up to n bytes or the blank line. */
bool shadow_http_host(const uint8_t *p, size_t n, char *host, char *path, size_t path_cap);

/* ---- model files ------------------------------------------------------------- */

#define SHADOW_MODEL_HEADER 65536 /* bytes read from a file's start */

typedef struct shadow_model_hit {
    const char *format; /* "GGUF", "safetensors", ... (static) */
    double confidence;  /* from what was checked, see shadow_ai/model_files.c */
    char detail[160];   /* what was checked: "version 3, 291 tensors" */
} shadow_model_hit;

/* Identifies a model format from the first n bytes of a file (or buffer)
 * whose total size is total (0 when unknown). O(n), allocates nothing. */
bool shadow_model_magic(const uint8_t *p, size_t n, uint64_t total, shadow_model_hit *hit);

/* Identifies a model file by its name (extension, or a model-ish .bin name).
 * format/confidence filled as above; detail names the extension. */
bool shadow_model_name(const char *path, shadow_model_hit *hit);

#endif
