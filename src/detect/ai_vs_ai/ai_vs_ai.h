/* ai_vs_ai/ai_vs_ai.h -- the ai_vs_ai detector's configuration and state, for its tests
 * and benchmark. The detector itself is det_ai_vs_ai_ops (detector.h). */
#ifndef TRAWL_DETECT_AIVA_H
#define TRAWL_DETECT_AIVA_H

#include "detect/ai_vs_ai/clients.h"
#include "detect/ai_vs_ai/text.h"

typedef struct aiva_cfg {
    aiva_text_cfg text;
    size_t max_query_bytes; /* of a query sketched for similarity */
    double rate_limit;      /* requests per window */
    double window_seconds;
    double extraction_min_queries;
    double extraction_window_seconds;
    double extraction_max_similarity;
    double near_duplicate_similarity;
    double membership_min_repeats;
    double history_seconds;
    double probing_min_queries;
    double probing_min_types;
    double probing_min_evenness;
    aiva_clients_cfg clients;
} aiva_cfg;

typedef struct aiva_state {
    aiva_cfg cfg;
    aiva_lm *lm;
    aiva_mh mh;
    aiva_clients *clients;
} aiva_state;

#endif
