/* conn.h -- connection-level policy of the server (trawl__ tier): client
 * addresses and trusted proxies (proxy.c), the connection table with its
 * per-address limits and deadlines (conn.c), request framing (framing.c),
 * the listening socket (conn.c). Everything here runs before a request
 * reaches a handler. */
#ifndef TRAWL_SRC_SERVE_CONN_H
#define TRAWL_SRC_SERVE_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <microhttpd.h>
#include <sys/socket.h>

#include <trawl/common.h>

/* ---- addresses and trusted proxies (proxy.c) ------------------------------ */

/* A client address; IPv4 is stored IPv4-mapped (::ffff:a.b.c.d). */
typedef struct srv_addr {
    uint8_t b[16];
} srv_addr;

/* Text of an address: dotted quad for IPv4, RFC 5952 for IPv6. */
#define SRV_ADDR_STRLEN 46
void trawl__serve_addr_str(const srv_addr *a, char out[SRV_ADDR_STRLEN]);
/* From a socket address; false for another family (out is then ::). */
bool trawl__serve_addr_from_sockaddr(const struct sockaddr *sa, srv_addr *out);
/* Parses one address: IPv4 ("a.b.c.d", optionally ":port"), IPv6 ("::1",
 * or "[::1]" optionally ":port"). n bytes, no surrounding space. */
bool trawl__serve_addr_parse(const char *s, size_t n, srv_addr *out);

/* A list of trusted proxy networks. */
typedef struct srv_proxies srv_proxies;
/* Parses "10.0.0.0/8, 127.0.0.1 ::1/128" (commas or spaces between
 * entries; an address without /bits is one host). NULL or an empty list
 * gives *out = NULL (no proxy is trusted). TRAWL_EINVAL naming the entry. */
trawl_status trawl__serve_proxies_parse(const char *list, srv_proxies **out, trawl_error *err);
void trawl__serve_proxies_free(srv_proxies *p);
bool trawl__serve_proxies_match(const srv_proxies *p, const srv_addr *a);

/* The client behind a trusted proxy. values[0..n) are the header values in
 * the order received: X-Forwarded-For lists ("client, proxy1, proxy2"),
 * or, with rfc7239, Forwarded elements ("for=192.0.2.1;proto=http, for=
 * \"[2001:db8::1]:80\""). Walking from the right, each address that is a
 * trusted proxy passes the question on to the one before it; the first
 * that is not is the client. An entry that is not an address (unknown,
 * an obfuscated name, garbage) ends the walk: the address to its right
 * stands (initially *client, the peer itself). At most 64 entries are
 * walked. Returns whether *client changed. */
bool trawl__serve_forwarded_client(const srv_proxies *p, const char *const *values, size_t n,
                                   bool rfc7239, srv_addr *client);

/* ---- the connection table (conn.c) ----------------------------------------
 *
 * Every open connection has a record (libmicrohttpd's socket context),
 * created when libmicrohttpd accepts it and removed when it closes it. The
 * records let a sweeper thread close connections that break a deadline,
 * and count connections per client address. libmicrohttpd's own idle
 * timeout is reset by every byte, so alone it does not stop a client that
 * trickles its headers; these deadlines are not reset.
 *
 *   headers  a new connection's first request (line and headers) must be in
 *            within header_timeout of the accept; on a kept-alive
 *            connection, the next request line within the idle timeout of
 *            the previous answer, and its headers within header_timeout of
 *            that request line;
 *   body     by header_timeout + received / body_min_rate seconds after the
 *            headers, the body must be complete (a client may be slow, but
 *            must average body_min_rate bytes/s after a grace period).
 *
 * A connection past its deadline is shut down (shutdown(2) on its socket;
 * libmicrohttpd sees the end of stream and closes it). The record is
 * removed before libmicrohttpd closes the descriptor (its notification
 * comes first), and the sweeper shuts sockets down only under the table's
 * lock, so it never touches a descriptor number that was reused. */

typedef struct srv_conns srv_conns;
typedef struct srv_conn srv_conn;

typedef struct srv_conn_opts {
    unsigned max_per_ip;        /* connections per client address; 0 = none */
    unsigned header_timeout_s;  /* 0 = no header deadline */
    unsigned idle_timeout_s;    /* > 0 */
    unsigned body_min_rate;     /* bytes/s; 0 = no rate */
    const srv_proxies *proxies; /* trusted proxies (borrowed); NULL = none */
} srv_conn_opts;

trawl_status trawl__serve_conns_new(const srv_conn_opts *o, srv_conns **out, trawl_error *err);
/* Stops the sweeper and frees the table; the daemon must be stopped. */
void trawl__serve_conns_free(srv_conns *t);

/* The libmicrohttpd hooks; cls is the table. */
enum MHD_Result trawl__serve_conns_accept(void *cls, const struct sockaddr *addr, socklen_t len);
void trawl__serve_conns_notify(void *cls, struct MHD_Connection *c, void **socket_context,
                               enum MHD_ConnectionNotificationCode code);
void *trawl__serve_conns_uri(void *cls, const char *uri, struct MHD_Connection *c);

/* The record of a connection; NULL when it could not be made. */
srv_conn *trawl__serve_conn_of(struct MHD_Connection *c);
/* Request phases, from the access handler: the headers are in; n body
 * bytes arrived; the response is being produced (no deadline); the
 * connection carries a stream (no deadline); the request is done. */
void trawl__serve_conn_headers(srv_conn *k);
void trawl__serve_conn_body(srv_conn *k, size_t n);
void trawl__serve_conn_reply(srv_conn *k);
void trawl__serve_conn_stream(srv_conn *k);
void trawl__serve_conn_done(srv_conn *k);
/* The peer's address, and whether it is a trusted proxy. */
const srv_addr *trawl__serve_conn_peer(const srv_conn *k, bool *proxy);

/* Per-address counts of things other than direct connections: requests
 * relayed by a trusted proxy (their client is known only from the
 * headers), event subscribers. take: false when the address already holds
 * limit of them (0 = no limit); give releases one. */
enum { SRV_COUNT_REQUESTS, SRV_COUNT_SUBSCRIBERS };
bool trawl__serve_conns_take(srv_conns *t, const srv_addr *a, int what, unsigned limit);
void trawl__serve_conns_give(srv_conns *t, const srv_addr *a, int what);

/* Counts a request refused for its framing (framing.c), for the metrics. */
void trawl__serve_conns_refused_framing(srv_conns *t);
/* The table's figures: a JSON member ("connections":{...},) or Prometheus
 * text. malloc'd; NULL on OOM. */
char *trawl__serve_conns_metrics(srv_conns *t, bool json);

/* A listening TCP socket on host:port (numeric IPv4), SO_REUSEADDR. The
 * error names the address and the system's reason. */
trawl_status trawl__serve_listen(const char *host, uint16_t port, int *fd, trawl_error *err);

/* ---- request framing (framing.c) -------------------------------------------
 *
 * libmicrohttpd 0.9.75 takes the first of two Content-Length headers,
 * prefers Transfer-Encoding when both are present and keeps the connection,
 * and reads a body of any other transfer coding ("gzip", "chunked " with a
 * space) until the client closes. Each is a way to make trawl and a proxy
 * in front of it disagree on where a request ends (request smuggling).
 * trawl refuses them all before a handler runs: 400, connection closed. */

typedef struct srv_framing {
    unsigned n_cl, n_te;
    bool te_chunked; /* the one Transfer-Encoding is exactly "chunked" (any case) */
    bool bad_name;   /* a name that is not a token, or a folded framing header */
} srv_framing;

/* Feeds one request header. */
void trawl__serve_framing_add(srv_framing *f, const char *name, const char *value);
/* NULL when the framing is unambiguous, else why not (static text). */
const char *trawl__serve_framing_verdict(const srv_framing *f, bool http10);
/* Both, over a request's headers. */
const char *trawl__serve_framing_check(struct MHD_Connection *c, const char *version);

#endif
