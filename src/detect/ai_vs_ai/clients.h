/* ai_vs_ai/clients.h -- per-client memory of the ai_vs_ai detector: request
 * counts over sliding windows and a capped history of query sketches.
 *
 * Bounded: at most max_clients clients (least recently seen evicted first),
 * at most history_size sketches each (oldest dropped first), 2 x 60 counters
 * per client. Worst case about max_clients * (1.1 KiB + history_size * 184 B)
 * plus the ids (at most 256 bytes each; longer ids are keyed by their first
 * 239 bytes and a hash of the whole).
 *
 * Sliding windows are bucketed: a window is split into 60 buckets and a count
 * covers the current bucket and the 59 before it, i.e. between 59/60 of the
 * window and the whole window back from the newest request seen.
 *
 * Thread-safe: one mutex guards the table; it is held only to update a
 * client and copy its history out (O(history_size)). */
#ifndef TRAWL_DETECT_AIVA_CLIENTS_H
#define TRAWL_DETECT_AIVA_CLIENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <trawl/common.h>

#include "detect/ai_vs_ai/sketch.h"

#define AIVA_ID_MAX 256

typedef struct aiva_clients_cfg {
    size_t max_clients;
    size_t history_size;
    uint64_t rate_window_ms;
    uint64_t extraction_window_ms;
} aiva_clients_cfg;

typedef struct aiva_observation {
    uint64_t rate_count;       /* requests in the rate window, this one included */
    uint64_t extraction_count; /* requests in the extraction window */
    uint64_t total;            /* requests seen since the client was (re)created */
    size_t n_hist;             /* earlier sketches copied out, oldest first */
    bool new_client;
} aiva_observation;

typedef struct aiva_clients aiva_clients;

trawl_status aiva_clients_new(const aiva_clients_cfg *cfg, aiva_clients **out);
void aiva_clients_free(aiva_clients *c);

/* Records one request of client id at now_ms: counts it, copies the
 * client's earlier sketches (at most hist_cap) into hist, then appends cur
 * (NULL: the request had no query text). A client seen for the first time
 * is seeded with seed[0..n_seed) (the caller's in->history) before cur.
 * TRAWL_ENOMEM leaves the table consistent. */
trawl_status aiva_clients_observe(aiva_clients *c, const char *id, size_t id_len, uint64_t now_ms,
                                  const aiva_qrec *cur, const aiva_qrec *seed, size_t n_seed,
                                  aiva_qrec *hist, size_t hist_cap, aiva_observation *obs);

/* Clients held now. Locks. */
size_t aiva_clients_count(aiva_clients *c);
/* Requests recorded for id (0 when unknown). Locks. */
uint64_t aiva_clients_total(aiva_clients *c, const char *id, size_t id_len);

#endif
