/* anom_int.h -- internals of the anomaly module shared across its files. */
#ifndef TRAWL_SRC_ANOMALY_ANOM_INT_H
#define TRAWL_SRC_ANOMALY_ANOM_INT_H

#include <stdint.h>
#include <trawl/anomaly.h>
#include <trawl/infer.h>

/* What a channel measures; decides which tests run and how they are named. */
typedef enum chan_role {
    ROLE_SERIES = 0,   /* a numeric series: z, modified z, IQR, EWMA, CUSUM */
    ROLE_IAT = 1,      /* inter-arrival per flow direction: timing (modified z) */
    ROLE_TYPE_IAT = 2, /* inter-arrival per message type: timing (poll jitter) */
    ROLE_RATE = 3,     /* messages per window: rate (IQR fences) */
    ROLE_TYPES = 4,    /* message types of a flow direction: sequence (categorical) */
    ROLE_TRANS = 5,    /* type transitions: sequence (categorical) */
    ROLE_LENGTH = 6,   /* lengths of a type: sequence (categorical, IQR when many) */
    ROLE_FIELD = 7,    /* a field or byte column: value (categorical or modified z / IQR) */
    ROLE_COUNT_
} chan_role;

typedef struct chan {
    char *name;
    chan_role role;
    uint64_t n;      /* samples learned */
    double mean, m2; /* Welford */
    double min, max;
    double *res; /* reservoir, sorted when `sorted` */
    uint32_t res_n;
    bool sorted;
    uint64_t rng;
    /* categorical values (the first max_distinct distinct ones) */
    double *vals;
    uint32_t n_vals;
    bool overflow; /* more distinct values were seen than kept */
    /* finished statistics */
    bool done;
    double std, median, mad, meanad, q1, q3;
    /* detection state */
    double ewma, cpos, cneg;
    bool ewma_set, ewma_out;
} chan;

/* A message type learned from the baseline: how to recognise it. */
typedef struct anom_type {
    uint16_t port;
    int32_t key_offset; /* -1: the port's only type */
    uint64_t key_value;
    unsigned n_fields;
    trawl_infer_field *fields; /* numeric fields judged by value */
} anom_type;

/* Per flow direction state while reading messages. */
typedef struct flow_state {
    char *name;
    double last_time;
    bool have_last;
    int last_type;
    double type_last[64];
    bool type_seen[64];
    double win_start; /* current rate window */
    uint64_t win_count, win_first;
    bool win_open;
} flow_state;

struct trawl_anom_model {
    trawl_anom_params p;
    chan **chans;
    size_t n_chans, cap_chans;
    uint32_t *slots; /* open addressing: index + 1, 0 = empty */
    size_t n_slots;
    bool finished, learned_msgs;
    uint64_t learned, tested, dropped;
    anom_type *types;
    size_t n_types;
    flow_state *flows;
    size_t n_flows, cap_flows;
    char detail[320];
    char chname[256];
};

/* Applies the defaults to p (zeros) and checks it; TRAWL_EINVAL. */
trawl_status trawl__anom_params_fix(trawl_anom_params *p, trawl_error *err);

/* The channel called name, created when absent (NULL when max_channels is
 * reached or out of memory: *nomem tells which). */
chan *trawl__anom_chan(trawl_anom_model *m, const char *name, chan_role role, bool create,
                       bool *nomem);
/* Adds a sample to a channel's statistics. false on ENOMEM. */
bool trawl__anom_chan_add(const trawl_anom_model *m, chan *c, double x);
/* Computes median, MAD, quartiles, std from the samples. false on ENOMEM. */
bool trawl__anom_chan_finish(chan *c);
/* Linear-interpolation quantile of sorted v[0..n) (numpy's default). */
double trawl__anom_quantile(const double *v, size_t n, double q);

/* Tests x on c (finished statistics) and calls cb for each anomaly;
 * returns non-zero when cb asked to stop. */
int trawl__anom_test(trawl_anom_model *m, chan *c, double time, uint64_t index, double x,
                     trawl_anomaly_fn cb, void *user);

#endif
