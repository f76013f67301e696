/* codec.h -- digit values for the text encodings several modules decode
 * (hex in patterns, URLs, API-key digests; base64 in request bodies and
 * prompts). One definition, so that every decoder agrees on the alphabet. */
#ifndef TRAWL_SRC_COMMON_CODEC_H
#define TRAWL_SRC_COMMON_CODEC_H

/* 0-15 for a hex digit (either case), -1 otherwise. */
static inline int trawl__hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* 0-63 for a base64 digit, standard (+ /) or URL-safe (- _) alphabet; -1
 * otherwise (padding '=' included). */
static inline int trawl__b64val(int c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+' || c == '-')
        return 62;
    if (c == '/' || c == '_')
        return 63;
    return -1;
}

#endif
