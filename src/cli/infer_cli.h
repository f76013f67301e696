/* infer_cli.h -- what the files of `trawl infer` share: loading messages
 * from a capture, framed bytes or text. */
#ifndef TRAWL_CLI_INFER_H
#define TRAWL_CLI_INFER_H

#include "cli.h"

typedef struct infer_msgs {
    trawl_infer_msg *m;
    size_t n;
    uint64_t *frame;         /* pcap: frame number (1-based) of each message */
    uint8_t *owned;          /* bytes the messages point into, when copied */
    trawl_infer_input *text; /* text input */
    int linktype;
} infer_msgs;

/* Loads messages from path: a pcap/pcapng capture (by its magic number;
 * every TCP or UDP payload, with ports and time), the units of
 * `frames_spec` (a --frames SPEC of `trawl frame`) over a file, or text
 * (hex lines or `trawl frame --json` lines). Prints errors; returns 0 or
 * CLI_ERROR. */
int infer_load(const char *cmd, const char *path, const char *frames_spec, infer_msgs *out);
void infer_msgs_free(infer_msgs *m);
/* Reads a pipe (in->fd) to its end or to max bytes into a malloc'd buffer;
 * NULL on a read error or ENOMEM. */
uint8_t *infer_slurp(const cli_input *in, size_t max, size_t *n);

int cli_infer_crc(int argc, char **argv);
int cli_infer_stream(int argc, char **argv);
int infer_generate(const char *dir, uint64_t seed, uint64_t count, unsigned msgs);
int infer_print_table(FILE *out, const trawl_infer_result *r);
int infer_print_json(FILE *out, const trawl_infer_result *r, const infer_msgs *m);
int infer_write_lua(const char *path, const trawl_infer_result *r, const infer_msgs *m);
int infer_print_struct(FILE *out, const trawl_infer_result *r);
int cli_infer_eval(const char *dir, const trawl_infer_opts *o, bool verbose);

#endif
