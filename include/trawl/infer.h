/* trawl/infer.h -- format inference: from a pile of captured messages to
 * where each field starts and ends and what it holds (constant, enum,
 * counter, length, checksum, timestamp, float, text, identifier, random),
 * grouped into message types; and, on its own, checksum recovery (CRC
 * parameters, sums, XOR, Fletcher, Adler) from message/checksum pairs.
 *
 * Ownership: the caller owns the messages it passes in and must keep them
 * alive only for the duration of the call; results (trawl_infer_result) are
 * owned by the library until trawl_infer_result_free. Nothing here keeps
 * global state: every call may run on any thread.
 */
#ifndef TRAWL_INFER_H
#define TRAWL_INFER_H

#include <stdbool.h>
#include <trawl/common.h>

#ifdef __cplusplus
extern "C" {
#endif

/* --- checksums ------------------------------------------------------------ */

/* A CRC in the Rocksoft / RevEng model: `width` bits (1..64); `poly` the
 * generator without its x^width term, in normal (MSB-first) notation;
 * `init` the register preset, also in normal notation; refin: each input
 * byte is taken least significant bit first; refout: the final register is
 * bit-reversed before xorout is applied. The RevEng catalogue lists every
 * known CRC with these six values. */
typedef struct trawl_crc_params {
    unsigned width;
    uint64_t poly, init;
    bool refin, refout;
    uint64_t xorout;
} trawl_crc_params;

/* The CRC of p[0..n) (p may be NULL when n is 0). Parameters are not
 * checked: width outside 1..64 returns 0. Bitwise, O(8n); allocates
 * nothing. */
TRAWL_API uint64_t trawl_crc_compute(const trawl_crc_params *c, const uint8_t *p, size_t n);

/* Checksum families that recovery knows. */
typedef enum trawl_check_kind {
    TRAWL_CHECK_CRC = 0,  /* crc holds the parameters */
    TRAWL_CHECK_SUM,      /* sum of words mod 2^width, then +init or init-sum */
    TRAWL_CHECK_ONES_SUM, /* 16-bit ones'-complement sum (RFC 1071), maybe inverted */
    TRAWL_CHECK_XOR,      /* XOR of words, XORed with init */
    TRAWL_CHECK_FLETCHER, /* Fletcher-16 (bytes mod 255) or -32 (16-bit words mod 65535) */
    TRAWL_CHECK_ADLER,    /* Adler-32 (bytes mod 65521, sums start at 1 and 0) */
} trawl_check_kind;

#define TRAWL_CHECK_KIND_COUNT 6
/* Bit (1u << kind) for each kind in trawl_check_recover's `kinds`. */
#define TRAWL_CHECK_ALL_KINDS 0x3Fu
/* In `kinds`: never try every polynomial (the fallback when no two samples
 * have one length, or too few pairs to pin the polynomial down): bounds the
 * cost when many places are tried. */
#define TRAWL_CHECK_NO_SEARCH 0x80000000u

/* One recovered checksum algorithm. The value it computes is `width` bits. */
typedef struct trawl_check_algo {
    trawl_check_kind kind;
    unsigned width;       /* bits of the checksum value: 8, 16, 32 (CRC: 1..64) */
    trawl_crc_params crc; /* kind CRC */
    unsigned word;        /* SUM, XOR, FLETCHER: bytes per summed word (1, 2, 4) */
    bool word_le;         /* words are read little endian (word > 1) */
    bool negate;          /* SUM: value = init - sum; ONES_SUM: value = ~(sum +' init) */
    bool swap;            /* FLETCHER, ADLER: the two halves in the other order */
    uint64_t init;        /* SUM, ONES_SUM, XOR: the constant (see kind) */
} trawl_check_algo;

/* The checksum of p[0..n) under a. O(n); allocates nothing. */
TRAWL_API uint64_t trawl_check_compute(const trawl_check_algo *a, const uint8_t *p, size_t n);

/* "crc", "sum", "ones-sum", "xor", "fletcher", "adler"; "unknown" otherwise. */
TRAWL_API const char *trawl_check_kind_name(trawl_check_kind k);

/* Writes a one-line description of a into buf (at most cap bytes, always
 * NUL-terminated when cap > 0), e.g. "crc width=16 poly=0x1021 init=0xffff
 * refin=false refout=false xorout=0x0000" in the catalogue's own notation.
 * Returns the length it needed, as snprintf. */
TRAWL_API int trawl_check_describe(const trawl_check_algo *a, char *buf, size_t cap);

/* A message and the checksum it carries, as a number (the caller has already
 * read it with the right byte order). */
typedef struct trawl_check_sample {
    trawl_span data;
    uint64_t check;
} trawl_check_sample;

/* Recovers an algorithm of the families in `kinds` (a mask of 1u << kind;
 * 0 means all) whose `width`-bit value is s[i].check for every sample.
 *
 * CRC: the polynomial comes from the greatest common divisor of
 * D(x) = (a XOR b)(x)·x^width + (crc(a) XOR crc(b))(x) over pairs of
 * samples of equal length (for each of the four reflection settings), init
 * and xorout from a linear system over GF(2) on all samples; with no
 * equal-length pair and width <= 16, every polynomial is tried instead. At
 * least two samples of one length and two distinct lengths pin init and
 * xorout apart; when several (init, xorout) pairs give the same value for
 * every length, the one with xorout (then init) 0 or all ones is reported.
 * Sums, XOR, Fletcher and Adler are checked in closed form.
 *
 * Returns TRAWL_OK with *found true and *out set when an algorithm matches
 * every sample, TRAWL_OK with *found false when none does, TRAWL_EINVAL
 * (NULL argument, n < 2, width not 1..64). Samples with fewer than 2
 * distinct values cannot tell algorithms apart: found is then false.
 * Cost: O(total bytes) per family, plus for CRC the GCD of the shortest
 * equal-length pairs (O(L^2 / 64) for L-bit messages; pairs longer than 8
 * KiB are not used) or, without pairs, 2^(width-1) candidate polynomials;
 * allocates O(L) temporarily. */
TRAWL_API trawl_status trawl_check_recover(const trawl_check_sample *s, size_t n, unsigned width,
                                           unsigned kinds, trawl_check_algo *out, bool *found,
                                           trawl_error *err);

/* Where a checksum sits in messages that carry one, and what it covers. */
typedef struct trawl_check_place {
    int32_t offset;  /* first byte of the checksum: >= 0 from the start, < 0 from the end */
    unsigned size;   /* bytes: 1, 2, 4 (8 for a 64-bit CRC) */
    bool big_endian; /* byte order of the stored value */
    uint32_t from;   /* coverage starts this many bytes into the message */
    int32_t to;      /* coverage ends before this offset (< 0 from the end; 0 = at the checksum) */
} trawl_check_place;

/* Options for trawl_check_locate; zeros mean the defaults. */
typedef struct trawl_check_locate_opts {
    unsigned sizes;    /* mask of checksum sizes to try: 1 = 1 byte, 2, 4, 8; 0 = 1|2|4 */
    unsigned kinds;    /* as trawl_check_recover; 0 = all */
    unsigned max_skip; /* coverage may start up to this many bytes in; default 8 */
    bool leading_only, trailing_only;
} trawl_check_locate_opts;

/* Finds a checksum at the end of every message (then at the start), of the
 * sizes and byte orders allowed, covering the bytes between `from` and the
 * checksum, and recovers its algorithm (trawl_check_recover). The first
 * place (trailing before leading, larger sizes first, big endian first,
 * smaller skips first) whose algorithm fits every message wins. Messages
 * shorter than the checksum plus the skip are not covered: then that place
 * is not tried. Returns TRAWL_OK with *found, *place and *algo, or
 * TRAWL_EINVAL. Cost: a recovery per place tried. */
TRAWL_API trawl_status trawl_check_locate(const trawl_span *msgs, size_t n,
                                          const trawl_check_locate_opts *o,
                                          trawl_check_place *place, trawl_check_algo *algo,
                                          bool *found, trawl_error *err);

/* --- format inference --------------------------------------------------------- */

/* One message and where it came from. Messages are grouped by service port
 * first (the port of the two that more messages share; 0 when unknown),
 * then by type. Counters are checked per (flow, dir); timestamps against
 * ts. */
typedef struct trawl_infer_msg {
    trawl_span data;
    uint16_t src_port, dst_port; /* 0 when unknown */
    uint32_t flow;               /* conversation number; 0 when unknown */
    uint8_t dir;                 /* 0 or 1 within the flow */
    double ts;                   /* capture time, seconds since the epoch; 0 when unknown */
} trawl_infer_msg;

/* X(NAME, "name"); append only. */
#define TRAWL_FIELD_KIND_MAP(X)                                                                    \
    X(BYTES, "bytes")         /* nothing more specific fits */                                     \
    X(CONST, "const")         /* the same bytes in every message of the type */                    \
    X(ENUM, "enum")           /* a few values, each seen several times */                          \
    X(COUNTER, "counter")     /* steps up by a constant per flow and direction, may wrap */        \
    X(LENGTH, "length")       /* value = bytes from `len_from` to the end + len_adjust */          \
    X(CHECKSUM, "checksum")   /* algo over the bytes in `check` */                                 \
    X(TIMESTAMP, "timestamp") /* close to the capture time, in ts_unit per second */               \
    X(FLOAT, "float")         /* IEEE 754 binary32 or binary64 of plausible magnitude */           \
    X(TEXT, "text")           /* printable ASCII */                                                \
    X(ID, "id")               /* fixed per flow and direction (address, session, unit) */          \
    X(RANDOM, "random")       /* every value different, bytes uniform (nonce, key) */              \
    X(PAYLOAD, "payload")     /* the variable-length rest of the message */

typedef enum trawl_field_kind {
#define TRAWL_FIELD_KIND_ENUM(name, str) TRAWL_FIELD_##name,
    TRAWL_FIELD_KIND_MAP(TRAWL_FIELD_KIND_ENUM)
#undef TRAWL_FIELD_KIND_ENUM
        TRAWL_FIELD_KIND_COUNT_
} trawl_field_kind;

/* "length" for TRAWL_FIELD_LENGTH; "unknown" otherwise. */
TRAWL_API const char *trawl_field_kind_name(trawl_field_kind k);

/* Signals that placed a boundary (the start of a field); a bit mask. */
#define TRAWL_SIG_CONST_RUN 0x001u /* a run of constant columns begins or ends */
#define TRAWL_SIG_INT_BYTES 0x002u /* byte significance across messages: a multi-byte integer */
#define TRAWL_SIG_TEXT      0x004u /* a run of printable bytes begins or ends */
#define TRAWL_SIG_TYPE_KEY  0x008u /* the type field */
#define TRAWL_SIG_LENGTH    0x010u /* a length field (value tracks the message length) */
#define TRAWL_SIG_CHECKSUM  0x020u /* a checksum field */
#define TRAWL_SIG_COUNTER   0x040u /* a counter field */
#define TRAWL_SIG_ALIGN     0x080u /* natural alignment of a 2- or 4-byte field */
#define TRAWL_SIG_MESSAGE   0x100u /* bytes of this one message (zero bytes, bit congruence) */
#define TRAWL_SIG_VALUES    0x200u /* value-change statistics differ across the boundary */
#define TRAWL_SIG_TAIL      0x400u /* the variable-length part of the message begins */
#define TRAWL_SIG_RECORD    0x800u /* a length-prefixed record (TLV) or the bytes it counts */

typedef struct trawl_infer_field {
    uint32_t offset; /* from the start of the message */
    uint32_t size;   /* bytes; 0 = to the end of the message */
    trawl_field_kind kind;
    bool big_endian;         /* of the value, for sizes 2..8 */
    float confidence;        /* 0..1, how sure the kind is */
    uint32_t signals;        /* TRAWL_SIG_* that placed the field's start */
    unsigned n_values;       /* distinct values seen (up to 65535) */
    uint64_t value;          /* CONST: the value (sizes up to 8, big endian); else 0 */
    int32_t len_from;        /* LENGTH: counted bytes start here (offset in the message) */
    int32_t len_adjust;      /* LENGTH: value = message length - len_from + len_adjust */
    trawl_check_place check; /* CHECKSUM */
    trawl_check_algo algo;   /* CHECKSUM */
    uint32_t ts_unit;        /* TIMESTAMP: 1 (s), 1000 (ms), 1000000 (us) */
    uint32_t sect_with;      /* LENGTH of a section (sect_size > 0): the other length's offset */
    uint32_t sect_size;      /* ... and size: the two count consecutive sections that end the
                                message and start at most 8 bytes after the later length
                                (len_from, len_adjust 0) */
} trawl_infer_field;

typedef struct trawl_infer_type {
    unsigned id;        /* index in the result */
    uint16_t port;      /* service port of its messages, 0 when unknown */
    int32_t key_offset; /* the type field's offset, -1 when the port has one type */
    unsigned key_size;  /* 1 */
    uint64_t key_value; /* the type field's value for this type */
    int32_t cluster;    /* without a type field: the cluster its messages form (-1: none) */
    size_t n_msgs;
    uint32_t min_len, max_len;
    bool big_endian; /* byte order most multi-byte fields of the port use */
    size_t n_fields;
    const trawl_infer_field *fields; /* in offset order, covering [0, min_len) then the tail */
} trawl_infer_type;

typedef struct trawl_infer_opts {
    unsigned max_types;  /* values a type field may take; 0 = 32 */
    bool no_types;       /* one type per port */
    bool no_checksums;   /* skip checksum recovery (it costs the most) */
    unsigned max_prefix; /* longest prefix examined for fields; 0 = 1024 bytes */
} trawl_infer_opts;

typedef struct trawl_infer_result trawl_infer_result;

/* Infers message types, field boundaries and field kinds from m[0..n).
 * Messages must stay alive only during the call (the result copies
 * nothing of them but values of constants). TRAWL_EINVAL (NULL with n > 0),
 * TRAWL_ENOMEM. Cost: a few passes over the bytes per port and type, plus
 * checksum recovery on candidate fields; about O(total bytes x 16). */
TRAWL_API trawl_status trawl_infer_run(const trawl_infer_msg *m, size_t n,
                                       const trawl_infer_opts *o, trawl_infer_result **out,
                                       trawl_error *err);
TRAWL_API void trawl_infer_result_free(trawl_infer_result *r);

TRAWL_API size_t trawl_infer_type_count(const trawl_infer_result *r);
/* Type i (NULL when out of range). Owned by r. */
TRAWL_API const trawl_infer_type *trawl_infer_type_get(const trawl_infer_result *r, size_t i);
/* The type of message i (its index in the input), -1 when out of range. */
TRAWL_API int trawl_infer_msg_type(const trawl_infer_result *r, size_t i);
/* The field boundaries inferred for message i: offsets in (0, len) in
 * increasing order, each the start of a field, with the signals that placed
 * it in sig[k] when sig is not NULL. *nb receives the count. Owned by r;
 * NULL (and *nb = 0) when i is out of range. */
TRAWL_API const uint32_t *trawl_infer_msg_bounds(const trawl_infer_result *r, size_t i, size_t *nb,
                                                 const uint32_t **sig);

/* --- messages from text ------------------------------------------------------------- */

/* Messages read from text: one per line, either hex ("0a1b 2c", spaces
 * allowed; lines starting with '#' are comments) or a JSON object with a
 * "value" hex string and optional "src_port", "dst_port" (numbers) and
 * "ts" (seconds, number or decimal string) -- what `trawl frame --json`
 * prints. Empty lines are skipped; a flow number is given to each pair of
 * ports. */
typedef struct trawl_infer_input trawl_infer_input;

/* Parses text[0..len). Errors: TRAWL_EFORMAT (err->line, err->column
 * 1-based, err->offset of the bad character), TRAWL_ELIMIT (more than 2^31
 * messages), TRAWL_ENOMEM. O(len); allocates the bytes once. */
TRAWL_API trawl_status trawl_infer_input_parse(const char *text, size_t len,
                                               trawl_infer_input **out, trawl_error *err);
/* Messages from a pcap or pcapng capture: the TCP or UDP payload of every
 * frame that has one (no reassembly), with its ports, capture time and a
 * flow number per pair of ports. TRAWL_EIO (cannot open), TRAWL_EFORMAT
 * (not a capture, or damaged: err->offset), TRAWL_ENOMEM. */
TRAWL_API trawl_status trawl_infer_input_pcap(const char *path, trawl_infer_input **out,
                                              trawl_error *err);
/* The frame number (1-based, as Wireshark counts) of message i of a
 * capture, or i for text input; 0 when out of range. */
TRAWL_API uint64_t trawl_infer_input_frame(const trawl_infer_input *in, size_t i);
/* The messages (owned by in); *n receives the count. */
TRAWL_API const trawl_infer_msg *trawl_infer_input_msgs(const trawl_infer_input *in, size_t *n);
TRAWL_API void trawl_infer_input_free(trawl_infer_input *in);

/* --- structure of a raw stream -------------------------------------------------------- */

/* What a byte stream of unknown framing looks like: fixed-size records, or
 * messages ending at a delimiter. */
typedef struct trawl_infer_stream {
    uint64_t record_size;   /* 0: no fixed record size found */
    double record_score;    /* share of bytes equal to the byte one record later */
    uint8_t delimiter[2];   /* the delimiter, when delimiter_len > 0 */
    unsigned delimiter_len; /* 0: no delimiter found; 1 or 2 */
    uint64_t delimited;     /* messages the delimiter cuts */
    double delimiter_score; /* share of the byte after it that is its most common value */
} trawl_infer_stream;

/* Looks for a record size and for a delimiter in p[0..n).
 *
 * Record size: for every period k from 2 to min(4096, n / 4), the share of
 * bytes equal to the byte k later (random bytes: 1/256). The best period
 * must beat random by far (score >= 0.3 and 8 times the mean over all
 * periods); then the smallest period whose score is at least 0.9 of the
 * best's is taken, so that a multiple of the record size never wins over
 * the size itself (Oscura's learn_structure takes the GCD of message
 * lengths, which a single odd length ruins, and equal lengths only).
 * Delimiter: a byte, or a pair of bytes, present at least 3 times and in at
 * most one byte in 8 (so not filler), not at a fixed period (then it is part
 * of a record), after which the next byte is mostly one value or the gaps
 * are of several lengths -- the mark of messages starting after it. Scores
 * are in *out; TRAWL_EINVAL on NULL. O(n * min(4096, n / 4)) for the record
 * size (capped: the first 64 KiB are examined), O(n) for the
 * delimiter; allocates 256 KiB. */
TRAWL_API trawl_status trawl_infer_stream_structure(const uint8_t *p, size_t n,
                                                    trawl_infer_stream *out, trawl_error *err);

/* --- evaluation against truth ----------------------------------------------------- */

/* Ground truth in the format of ../shared/data/pcap/NAME.fields.jsonl: one
 * JSON object per line with "frame" (1-based frame number), "payload_hex"
 * and "fields": [[offset, size, name, bitmask], ...] (Wireshark's leaf
 * fields; bitmask 1 when the field is a bit field). */
typedef struct trawl_infer_truth trawl_infer_truth;

/* Parses text[0..len). Lines that are empty are skipped. Errors:
 * TRAWL_EFORMAT with err->line (1-based) and err->offset (of the line) for
 * a line that is not such an object, or whose fields fall outside the
 * payload; TRAWL_ELIMIT above 10 million records; TRAWL_ENOMEM. */
TRAWL_API trawl_status trawl_infer_truth_parse(const char *text, size_t len,
                                               trawl_infer_truth **out, trawl_error *err);
TRAWL_API void trawl_infer_truth_free(trawl_infer_truth *t);
TRAWL_API size_t trawl_infer_truth_count(const trawl_infer_truth *t);
/* Record i's frame number and payload (owned by t). */
TRAWL_API uint64_t trawl_infer_truth_frame(const trawl_infer_truth *t, size_t i,
                                           trawl_span *payload);
/* Record i's field k: its offset, size and name (owned by t); false when
 * out of range. */
TRAWL_API bool trawl_infer_truth_field(const trawl_infer_truth *t, size_t i, size_t k,
                                       uint32_t *offset, uint32_t *size, const char **name);

/* Boundary scores with BinaryInferno's definitions (NDSS 2023, section IX):
 * per message, the truth boundaries are the starts and ends of its leaf
 * fields strictly inside the payload; a boundary between two fields that are
 * both constant over the whole capture (same name, same bytes wherever the
 * name occurs, at least twice) is removed (adjacent constant fields merged);
 * a bit field counts as the bytes it sits in, so bits inside one byte make no
 * boundary. Inferred boundaries strictly inside a stretch no truth field
 * covers are ignored. Perfection: truth fields (after merging) whose start
 * and end are both inferred with no inferred boundary inside. */
typedef struct trawl_infer_score {
    uint64_t messages;        /* records scored (with at least one field) */
    uint64_t tp, fp, fn;      /* boundaries */
    uint64_t fields, perfect; /* truth fields after merging, and perfect ones */
    double precision, recall, f1, perfection;
} trawl_infer_score;

/* Scores inferred boundaries against t. bounds(ud, frame, &nb) returns the
 * inferred boundaries of the record with that frame number (offsets in
 * increasing order) or NULL when the frame was not inferred (the record then
 * counts all its truth boundaries as missed). O(fields + boundaries). */
typedef const uint32_t *(*trawl_infer_bounds_fn)(void *ud, uint64_t frame, size_t *nb);
TRAWL_API trawl_status trawl_infer_score_truth(const trawl_infer_truth *t,
                                               trawl_infer_bounds_fn bounds, void *ud,
                                               trawl_infer_score *out, trawl_error *err);

/* --- synthetic protocols with known truth ------------------------------------------- */

/* Writes a random protocol's capture and its truth: `msgs` messages of 1 to
 * 4 types over UDP between a few client ports and one server port, in a
 * classic pcap (Ethernet, IPv4, UDP; one message per frame) and, in the
 * format trawl_infer_truth_parse reads, the truth: each field named
 * "trawl.KIND.N", N numbering the protocol's fields (const, enum, counter, length, checksum,
 * timestamp, float, text, id, random, bytes). The protocol draws from: constants (magic, version),
 * a type field, lengths (1, 2 or 4 bytes, either byte order, counting the whole message or what
 * follows), counters per flow, ids per flow, timestamps, floats, fixed-size text, random nonces,
 * small integers, optional TLV bodies, and a trailing CRC with random parameters or a sum. Same
 * seed, same bytes. *pcap and *truth are malloc'd (free them). TRAWL_EINVAL (NULL, msgs 0 or above
 * 100000), TRAWL_ENOMEM. */
TRAWL_API trawl_status trawl_infer_generate(uint64_t seed, unsigned msgs, uint8_t **pcap,
                                            size_t *pcap_len, char **truth, size_t *truth_len,
                                            trawl_error *err);

#ifdef __cplusplus
}
#endif
#endif
