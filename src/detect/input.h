/* input.h -- the detector input from an already parsed JSON object, for
 * callers that parsed the request themselves (the server validates and keys
 * a request with cJSON; parsing it a second time would cost as much again).
 * Internal to the library. */
#ifndef TRAWL_DETECT_INPUT_H
#define TRAWL_DETECT_INPUT_H

#include <cjson/cJSON.h>

#include <trawl/detect.h>

/* trawl_detect_input_parse() on a parsed object: the same checks, errors
 * and result. root is only read (strings are copied); the caller keeps it. */
trawl_status trawl__detect_input_from_json(const cJSON *root, trawl_detect_input **out,
                                           trawl_error *err);

#endif
