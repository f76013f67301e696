/* input.h -- the detector input from an already parsed JSON document, for
 * callers that parsed the request themselves (the server validates and keys
 * a request once; parsing it a second time would cost as much again), and
 * the chat reader the gateway integrations share. Internal to the library. */
#ifndef TRAWL_DETECT_INPUT_H
#define TRAWL_DETECT_INPUT_H

#include <trawl/detect.h>

#include "common/json.h"

/* At most this many array elements in all, and JSON values in a body. */
#define TRAWL_INPUT_MAX_ELEMENTS 100000

/* trawl_detect_input_parse_opts() on a parsed value: the same checks,
 * errors and result. root is only read (strings are copied). */
trawl_status trawl__detect_input_from_tree(const tj_value *root, unsigned flags,
                                           trawl_detect_input **out, trawl_error *err);

/* Whether key[0..len) is a key of the input object. */
bool trawl__detect_input_key_known(const char *key, size_t len);

/* Appends the texts of a chat "messages" array (OpenAI or Anthropic shape;
 * see messages.c) to in->chat; field names the array in errors and in
 * where ("messages"). system, when not NULL, is Anthropic's top-level
 * "system" (a string or an array of text blocks), read first. *elements
 * counts array elements against TRAWL_INPUT_MAX_ELEMENTS. */
trawl_status trawl__detect_chat_read(trawl_detect_input *in, const tj_value *messages,
                                     const tj_value *system, size_t *elements, trawl_error *err);

/* Appends one text to in->chat (copied). */
trawl_status trawl__detect_chat_add(trawl_detect_input *in, const char *text, size_t len,
                                    const char *role, const char *where, uint32_t message,
                                    trawl_error *err);

#endif
