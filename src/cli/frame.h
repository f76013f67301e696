/* frame.h -- what the parts of `trawl frame` share: the parsed arguments
 * (frame.c) and the output writer (frame_out.c). Private to src/cli/. */
#ifndef TRAWL_CLI_FRAME_H
#define TRAWL_CLI_FRAME_H

#include "cli.h"

enum { EXIT_MALFORMED = 3 };

enum kind { K_TLV, K_RECORDS, K_PACKETS, K_LINES, K_PCAP };

typedef struct frame_args {
    enum kind kind;
    const char *kind_name;
    bool json, no_data, count, resync, payload;
    /* tlv */
    unsigned type_size, length_size;
    bool little, includes, ber;
    uint64_t containers[TRAWL_FRAME_MAX_CONTAINERS];
    size_t n_containers;
    unsigned max_depth;
    /* records */
    uint64_t size;
    /* packets */
    const char *header;
    long length_field;
    int64_t adjust;
    /* lines */
    uint8_t delim[TRAWL_FRAME_MAX_DELIMITER];
    size_t delim_len;
    uint64_t max_size;
    uint64_t window;
    const char *path;
} frame_args;

/* Output goes through a buffer of our own, formatted without printf: one
 * line per unit at tens of millions of units per second is the job. */
typedef struct frame_out {
    const frame_args *a;
    FILE *out;
    const trawl_struct *hdr;
    uint64_t units, faults;
    bool io_error;    /* a read failed (a fault of kind io) */
    bool write_error; /* writing the output failed */
    char *buf;        /* FRAME_OUT_BUF bytes */
    size_t len;
} frame_out;

#define FRAME_OUT_BUF ((size_t)1 << 18)

/* Sets up o (buffer included) for a on out; 0 or -1 (out of memory). */
int frame_out_init(frame_out *o, const frame_args *a, FILE *out);
/* Writes what is buffered to o->out; -1 on a write error. Frees the
 * buffer when done is true. */
int frame_out_flush(frame_out *o, bool done);
void frame_out_unit(frame_out *o, const trawl_frame_unit *u);
void frame_out_fault(frame_out *o, const trawl_frame_fault *f, const char *detail);
void frame_out_packet(frame_out *o, const trawl_frame_packet *p);
void frame_out_count(frame_out *o);

#endif
