/* cli.h -- what the subcommands of the `trawl` command share. The CLI uses
 * only the public API (<trawl/...>); these helpers are about the shell:
 * opening inputs, printing JSON and hex, reporting errors. */
#ifndef TRAWL_CLI_H
#define TRAWL_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <trawl/trawl.h>

/* Exit codes, as grep: 0 found, 1 nothing found, 2 error. */
enum { CLI_FOUND = 0, CLI_NONE = 1, CLI_ERROR = 2 };

/* Subcommands: each takes argv with argv[0] = the subcommand's name. */
int cli_scan(int argc, char **argv);
int cli_frame(int argc, char **argv);
int cli_detect(int argc, char **argv);
int cli_serve(int argc, char **argv);
int cli_model(int argc, char **argv);
int cli_infer(int argc, char **argv);
/* `trawl detect --jsonl PATH`: screens each line of PATH ("-" = stdin),
 * parsed with TRAWL_INPUT_* parse_flags, with engine e and detectors mask on
 * nthreads workers (<= 0: one per CPU).
 * Returns the exit status: 2 when a line failed, else 1 when a line was a
 * threat, else 0. */
int cli_detect_jsonl(trawl_detect_engine *e, unsigned mask, unsigned parse_flags, const char *path,
                     int nthreads);
int cli_analyze(int argc, char **argv);

/* What a --frames SPEC asks for: a framer, or the packets of a capture. */
typedef struct cli_frames {
    trawl_framer *framer; /* NULL for pcap; the caller frees it */
    bool resync;
    bool pcap;    /* pcap or pcapng packets, through libpcap */
    bool payload; /* pcap: the TCP/UDP payload instead of the whole frame */
} cli_frames;

/* Reads a --frames SPEC, KIND[,option[=value]]..., where the options are
 * `trawl frame` long options without their dashes (e.g.
 * "tlv,type-size=2,little-endian", "pcap,payload"). Prints errors;
 * returns 0 or CLI_ERROR. */
int cli_frame_spec(const char *spec, cli_frames *out);
int cli_fuzzy(int argc, char **argv);
int cli_similar(int argc, char **argv);
int cli_firmware(int argc, char **argv);
int cli_anomaly(int argc, char **argv);

/* An input: a regular file is mapped whole (data/len set, fd = -1); a pipe,
 * terminal or "-" is left open for streaming (fd >= 0, data NULL). */
typedef struct cli_input {
    const char *name; /* as given on the command line; "-" is stdin */
    const uint8_t *data;
    size_t len;
    int fd;
    bool mapped;
} cli_input;

/* Opens path ("-" = stdin). On failure prints "trawl: PATH: reason" and
 * returns -1. */
int cli_input_open(const char *path, cli_input *in);
void cli_input_close(cli_input *in);
/* All of an opened input: a mapped file as it is (*owned = false), a pipe
 * read to its end into a malloc'd buffer (*owned = true; free it). At most
 * max bytes: beyond, NULL with errno EFBIG. NULL with errno on a read error
 * or ENOMEM. */
uint8_t *cli_input_read_all(cli_input *in, size_t max, size_t *n, bool *owned);

/* Prints "trawl CMD: message" to stderr (printf-style). */
void cli_errorf(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Prints a trawl_error to stderr with whatever position it carries. */
void cli_report(const char *cmd, const char *what, const trawl_error *err);

/* Writes s as a JSON string literal (quotes included). */
void cli_json_string(FILE *out, const char *s);
/* Writes bytes as lowercase hex, no separators. */
void cli_hex(FILE *out, const uint8_t *p, size_t n);

/* Where compiled databases are cached: $XDG_CACHE_HOME/trawl, else
 * $HOME/.cache/trawl. NULL (no cache) when off is true (--no-cache), when
 * TRAWL_NO_CACHE is set to anything but "" or "0", or when neither variable
 * gives an absolute path. The string is static. */
const char *cli_cache_dir(bool off);

/* Parses a non-negative decimal size with optional k/K, m/M, g/G suffix
 * (powers of 1024). Returns false on junk or overflow. */
bool cli_parse_size(const char *s, uint64_t *out);

#endif
