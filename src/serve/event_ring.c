/* event_ring.c -- the last N threat events, for Server-Sent Events replay.
 *
 * A subscriber that reconnects sends Last-Event-ID (the id of the last event
 * it saw); the ring hands back what it missed. Slots are fixed-size and
 * hold the event's finished SSE record, so a replay is a copy. One mutex
 * guards the ring: it is taken when a threat is published and when a
 * subscriber connects, never on a clean request. Ids start at 1 and grow
 * by one per event, so a gap between the ids a client asked for and the
 * oldest one kept says exactly which events are gone. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "serve/internal.h"

struct srv_ring {
    pthread_mutex_t mu;
    srv_event *slot;
    size_t n;         /* slots */
    uint64_t next_id; /* id of the next event; slot (id - 1) % n */
};

srv_ring *trawl__serve_ring_new(size_t n)
{
    if (!n || n > SRV_RING_MAX)
        return NULL;
    srv_ring *r = calloc(1, sizeof(*r));
    if (!r)
        return NULL;
    r->slot = calloc(n, sizeof(*r->slot));
    if (!r->slot) {
        free(r);
        return NULL;
    }
    r->n = n;
    r->next_id = 1;
    pthread_mutex_init(&r->mu, NULL);
    return r;
}

void trawl__serve_ring_free(srv_ring *r)
{
    if (!r)
        return;
    pthread_mutex_destroy(&r->mu);
    free(r->slot);
    free(r);
}

uint64_t trawl__serve_ring_push(srv_ring *r, const char *key, unsigned bit, int sev,
                                const char *data, char *record, size_t cap, size_t *len)
{
    pthread_mutex_lock(&r->mu);
    uint64_t id = r->next_id;
    srv_event *e = &r->slot[(id - 1) % r->n];
    int n = snprintf(e->text, sizeof(e->text), "id: %" PRIu64 "\nevent: threat\ndata: %s\n\n", id,
                     data);
    if (n < 0 || (size_t)n >= sizeof(e->text) || (size_t)n >= cap) {
        pthread_mutex_unlock(&r->mu);
        *len = 0;
        return 0; /* too long for a slot: not kept, not sent */
    }
    e->id = id;
    e->bit = bit;
    e->sev = sev;
    snprintf(e->key, sizeof(e->key), "%s", key ? key : "");
    e->len = (uint16_t)n;
    memcpy(record, e->text, (size_t)n);
    *len = (size_t)n;
    r->next_id++;
    pthread_mutex_unlock(&r->mu);
    return id;
}

uint64_t trawl__serve_ring_last(srv_ring *r)
{
    pthread_mutex_lock(&r->mu);
    uint64_t id = r->next_id - 1;
    pthread_mutex_unlock(&r->mu);
    return id;
}

static size_t gap(char *out, size_t cap, uint64_t from, uint64_t to)
{
    int n = snprintf(out, cap, "event: gap\ndata: {\"from\":%" PRIu64 ",\"to\":%" PRIu64 "}\n\n",
                     from, to);
    return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}

/* Room kept for the gap record. */
#define GAP_ROOM 64

size_t trawl__serve_ring_replay(srv_ring *r, uint64_t after,
                                bool (*want)(void *ud, const srv_event *e), void *ud, char *out,
                                size_t cap, uint64_t *last)
{
    *last = after;
    if (cap <= GAP_ROOM)
        return 0;
    pthread_mutex_lock(&r->mu);
    uint64_t newest = r->next_id - 1;
    uint64_t oldest = newest >= r->n ? newest - r->n + 1 : 1;
    if (after >= newest) {
        pthread_mutex_unlock(&r->mu);
        return 0;
    }
    uint64_t first = after + 1 > oldest ? after + 1 : oldest;
    /* Newest backwards: how far back the records that fit reach. */
    size_t bytes = 0;
    uint64_t start = newest + 1;
    bool cut = false;
    for (uint64_t id = newest; id >= first; id--) {
        const srv_event *e = &r->slot[(id - 1) % r->n];
        if (want && !want(ud, e))
            continue;
        if (bytes + e->len > cap - GAP_ROOM) {
            cut = true;
            break;
        }
        bytes += e->len;
        start = id;
    }
    size_t w = 0;
    /* Events after `after` that the client will not get -- overwritten, or
     * more than one replay holds -- are named by a gap record (no id: it
     * does not move the client's Last-Event-ID). */
    if (cut)
        w = gap(out, cap, after + 1, start - 1);
    else if (first > after + 1)
        w = gap(out, cap, after + 1, first - 1);
    for (uint64_t id = start; id <= newest; id++) {
        const srv_event *e = &r->slot[(id - 1) % r->n];
        if (want && !want(ud, e))
            continue;
        memcpy(out + w, e->text, e->len);
        w += e->len;
        *last = id;
    }
    pthread_mutex_unlock(&r->mu);
    return w;
}
