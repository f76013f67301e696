/* scan.h -- what the parts of `trawl scan` share: options, the match
 * printer (scan.c) and scanning inside units (scan_frames.c). Private to
 * src/cli/. */
#ifndef TRAWL_CLI_SCAN_H
#define TRAWL_CLI_SCAN_H

#include "cli.h"

typedef struct scan_opts {
    bool json, count, overlap, no_data;
    uint64_t window;
    cli_frames frames; /* --frames: a framer, or pcap packets */
} scan_opts;

typedef struct out_ctx {
    const scan_opts *o;
    const trawl_pattern_db *db;
    const char *file;
    uint64_t matches;
    bool in_unit;     /* --frames: matches are inside a unit */
    uint64_t unit_at; /* the unit value's offset in the file */
    uint64_t unit_index;
    bool fault; /* --frames: malformed input, already reported */
} out_ctx;

/* The trawl_match_fn that prints (or counts) a match; user is an out_ctx. */
int scan_on_match(const trawl_match *m, void *user);

/* --frames: scans each unit's value (or each packet) of the mapped input on
 * its own. A malformed unit is reported on stderr and ends the input
 * (c->fault) unless the spec says resync. */
trawl_status scan_frames(const trawl_pattern_db *db, trawl_scratch *s, const cli_input *in,
                         const scan_opts *o, out_ctx *c, trawl_error *err);

#endif
