/* analyze.h -- what the files of `trawl analyze` share: the messages an
 * analysis reads (whole files, framed units, pcap payloads, hex lines) and
 * where each came from, and small parsing helpers. Private to src/cli/. */
#ifndef TRAWL_CLI_ANALYZE_H
#define TRAWL_CLI_ANALYZE_H

#include "cli.h"

#include <trawl/analyze.h>

/* Where a message came from, for the output. */
typedef enum an_kind { AN_FILE, AN_UNIT, AN_PACKET, AN_FLOW, AN_LINE } an_kind;

typedef struct an_src {
    an_kind kind;
    uint32_t file;         /* index in an_msgs.files */
    uint64_t offset;       /* unit: byte offset of the value in the file */
    uint64_t number;       /* unit: record index; packet: packet index; line: line */
    uint16_t sport, dport; /* packet / flow */
    uint8_t proto;
} an_src;

typedef struct an_msgs {
    trawl_span *m;
    an_src *src;
    size_t n, cap;
    const char **files;
    size_t nfiles;
    cli_input *inputs; /* mapped files */
    uint8_t **owned;   /* buffers to free: pipes read whole, payload copies */
    size_t nowned, owned_cap;
} an_msgs;

typedef struct an_load_opts {
    const char *frames; /* --frames SPEC or NULL */
    bool hex_lines;     /* --hex-lines */
    uint64_t max_input; /* bytes read from a pipe at most */
} an_load_opts;

/* Reads every path (or "-") into messages. Prints errors as
 * "trawl analyze CMD: ..." and returns CLI_ERROR; 0 otherwise. */
int an_load(const char *cmd, char **paths, size_t npaths, const an_load_opts *o, an_msgs *out);
void an_free(an_msgs *m);

/* One input read whole (a file mapped, a pipe read up to max bytes). */
int an_read_whole(const char *cmd, const char *path, uint64_t max, cli_input *in, uint8_t **owned);

/* ,"file":"...","offset":N (or "record"/"packet"/"line"/"flow") for JSON;
 * "file:offset" (or file#record, file:line N, ...) for text. */
void an_src_json(FILE *out, const an_msgs *m, size_t i);
void an_src_text(FILE *out, const an_msgs *m, size_t i);

/* Printable ASCII of p[0..n) ('.' elsewhere). */
void an_ascii(FILE *out, const uint8_t *p, size_t n);

/* Strict number parsing for options; false on junk. */
bool an_parse_u64(const char *s, uint64_t *v);
bool an_parse_double(const char *s, double *v);

/* analyze_cluster.c */
int an_cluster(int argc, char **argv);

#endif
