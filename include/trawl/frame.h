/* trawl/frame.h -- cutting byte streams into units: TLV records, fixed-size
 * records, length-prefixed packets, delimited messages, and pcap/pcapng
 * captures.
 *
 * Shape. A framer (trawl_framer) is an immutable description of a format,
 * built once from options and shareable across threads. Units come out of
 * either
 *   - an iterator (trawl_frame_iter) over a buffer the caller holds: spans
 *     point into that buffer and live as long as it does; or
 *   - a reader (trawl_frame_reader) over a file descriptor or a read
 *     callback, in bounded memory: spans point into the reader's window and
 *     live until the next call on the reader.
 * Both report absolute byte offsets from the start of the input and number
 * units from 0 (the record index). Neither allocates while iterating. An
 * iterator or reader is mutable state: one thread at a time uses it.
 *
 * Errors are data. Malformed input is not a failed call: next() returns
 * TRAWL_FRAME_FAULT with a trawl_frame_fault saying what is wrong (kind),
 * where the malformed unit starts (offset) and which unit it would have been
 * (index). In the default stop mode the next call returns TRAWL_FRAME_END.
 * With TRAWL_FRAME_RESYNC the iterator skips one byte at a time until a unit
 * decodes again (or the input ends), then returns one fault for the whole
 * damaged stretch, with `skipped` = the number of bytes passed over, and goes
 * on. Every complete unit before a fault is always delivered first.
 *
 * Input is hostile: every length is checked against what is there before it
 * is used, and length arithmetic cannot overflow.
 */
#ifndef TRAWL_FRAME_H
#define TRAWL_FRAME_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>
#include <trawl/common.h>
#include <trawl/struct.h>

#ifdef __cplusplus
extern "C" {
#endif

/* --- results and faults -------------------------------------------------- */

/* What a next() call produced. Not a trawl_status: running out of input is
 * the normal way an iteration ends, not an error. */
typedef enum trawl_frame_step {
    TRAWL_FRAME_END = 0,   /* no more units (clean end, or after a stop-mode fault) */
    TRAWL_FRAME_UNIT = 1,  /* *unit is filled */
    TRAWL_FRAME_FAULT = 2, /* *fault is filled */
} trawl_frame_step;

/* X(NAME, "kebab-name", "message"); append only. */
#define TRAWL_FRAME_FAULT_MAP(X)                                                                   \
    X(NONE, "none", "no fault")                                                                    \
    X(TRUNCATED_HEADER, "truncated-header", "input ends inside a header")                          \
    X(TRUNCATED_VALUE, "truncated-value", "input ends inside a value")                             \
    X(LENGTH_BELOW_HEADER, "length-below-header", "length smaller than the header it includes")    \
    X(PACKET_TOO_LARGE, "packet-too-large", "packet larger than the maximum size")                 \
    X(RECORD_TOO_LARGE, "record-too-large", "record larger than the maximum size")                 \
    X(SHORT_TAIL, "short-tail", "input ends with a partial fixed-size record")                     \
    X(BAD_LENGTH, "bad-length", "length encoding not supported (BER indefinite or over 8 bytes)")  \
    X(BAD_CAPTURE, "bad-capture", "capture file rejected by libpcap")                              \
    X(IO, "io", "read error")

typedef enum trawl_frame_fault_kind {
#define TRAWL_FRAME_FAULT_ENUM(name, str, msg) TRAWL_FRAME_##name,
    TRAWL_FRAME_FAULT_MAP(TRAWL_FRAME_FAULT_ENUM)
#undef TRAWL_FRAME_FAULT_ENUM
        TRAWL_FRAME_FAULT_COUNT_
} trawl_frame_fault_kind;

typedef struct trawl_frame_fault {
    trawl_frame_fault_kind kind;
    uint64_t offset;  /* absolute offset where the malformed unit starts */
    uint64_t index;   /* the record index that unit would have had */
    uint64_t skipped; /* resync mode: bytes passed over; stop mode: 0 */
    int sys_errno;    /* kind IO: errno of the failed read; otherwise 0 */
} trawl_frame_fault;

/* "truncated-value" for TRAWL_FRAME_TRUNCATED_VALUE; "unknown" otherwise.
 * Never NULL. */
TRAWL_API const char *trawl_frame_fault_name(trawl_frame_fault_kind k);
/* A sentence describing the kind. Never NULL. */
TRAWL_API const char *trawl_frame_fault_message(trawl_frame_fault_kind k);
/* Fills *err from a fault: status TRAWL_ETRUNCATED for the truncated kinds,
 * TRAWL_EIO for IO, TRAWL_EFORMAT otherwise; offset, index and a message
 * naming the kind. Returns that status. err may be NULL. */
TRAWL_API trawl_status trawl_frame_fault_to_error(const trawl_frame_fault *f, trawl_error *err);

/* --- units ---------------------------------------------------------------- */

typedef struct trawl_frame_unit {
    uint64_t index;   /* record index, from 0, in input order (TLV: pre-order) */
    uint64_t offset;  /* absolute offset of the unit's first byte */
    trawl_span data;  /* the whole unit: header, value and delimiter */
    trawl_span value; /* the payload: TLV value, packet body, message, record */
    uint64_t type;    /* TLV type; 0 for other formats */
    uint32_t depth;   /* TLV nesting depth, 0 at top level */
    bool container;   /* TLV: the value is parsed as nested records next */
    bool terminated;  /* delimited: ended by a delimiter (false: last message) */
} trawl_frame_unit;

/* --- framers: one per format ----------------------------------------------- */

typedef struct trawl_framer trawl_framer;

typedef struct trawl_frame_tlv_opts {
    unsigned type_size;          /* 1, 2 or 4 bytes */
    unsigned length_size;        /* 1, 2 or 4 bytes; ignored when ber */
    bool little_endian;          /* default big endian */
    bool length_includes_header; /* the length counts type + length bytes too */
    bool ber;                    /* BER/DER definite length: 0x00-0x7f, or 0x81-0x88 + n bytes */
    bool ber_constructed;        /* with ber: types with bit 0x20 set are containers */
    const uint64_t *containers;  /* types whose value holds nested TLVs */
    size_t n_containers;         /* at most TRAWL_FRAME_MAX_CONTAINERS */
    unsigned max_depth;          /* nesting limit, 0 = 32; deeper containers are leaves */
    uint64_t max_record;         /* fault record-too-large above this value length; 0 = none */
} trawl_frame_tlv_opts;

typedef struct trawl_frame_packet_opts {
    const char *header;          /* struct format of the header, e.g. ">HH" */
    unsigned length_field;       /* index of the length among the header's values */
    bool length_includes_header; /* the length counts the header too */
    int64_t adjust;              /* added to the length (|adjust| <= 2^32) */
    uint64_t max_size;           /* fault packet-too-large above this total; 0 = none */
} trawl_frame_packet_opts;

typedef struct trawl_frame_delim_opts {
    const uint8_t *delimiter; /* 1..TRAWL_FRAME_MAX_DELIMITER bytes, copied */
    size_t delimiter_len;
    uint64_t max_size; /* fault record-too-large for longer messages; 0 = none */
} trawl_frame_delim_opts;

#define TRAWL_FRAME_MAX_CONTAINERS 256
#define TRAWL_FRAME_MAX_DEPTH      64
#define TRAWL_FRAME_MAX_DELIMITER  64

/* Constructors. Each validates the options and returns TRAWL_EINVAL (with a
 * message naming the bad option), TRAWL_ESYNTAX/TRAWL_ELIMIT (packet header
 * format, err->column set), or TRAWL_ENOMEM; *out is NULL on failure. O(size
 * of the options); allocates the framer. */
TRAWL_API trawl_status trawl_frame_tlv_new(const trawl_frame_tlv_opts *o, trawl_framer **out,
                                           trawl_error *err);
/* Fixed records of `size` bytes (size >= 1). A partial record at the end is
 * the fault short-tail, never dropped silently. */
TRAWL_API trawl_status trawl_frame_records_new(uint64_t size, trawl_framer **out, trawl_error *err);
TRAWL_API trawl_status trawl_frame_packets_new(const trawl_frame_packet_opts *o, trawl_framer **out,
                                               trawl_error *err);
/* Messages end at the delimiter (not part of value, part of data); a
 * message at the end of the input without one is delivered with
 * terminated = false. In resync mode an oversized message is skipped up to
 * and including the next delimiter. */
TRAWL_API trawl_status trawl_frame_delim_new(const trawl_frame_delim_opts *o, trawl_framer **out,
                                             trawl_error *err);
/* NULL is harmless. */
TRAWL_API void trawl_framer_free(trawl_framer *f);

/* The packet framer's compiled header format (for reading its fields with
 * trawl_struct_get), or NULL for other framers. Owned by the framer. */
TRAWL_API const trawl_struct *trawl_framer_header(const trawl_framer *f);

/* --- iterating over a buffer ------------------------------------------------ */

#define TRAWL_FRAME_RESYNC 1u /* skip bad bytes and go on instead of stopping */

typedef struct trawl_frame_iter trawl_frame_iter;

/* Creates an iterator for framer f (which must outlive it). flags:
 * TRAWL_FRAME_RESYNC or 0. Errors: TRAWL_EINVAL, TRAWL_ENOMEM. Allocates the
 * iterator once; reset it to reuse it on other buffers. */
TRAWL_API trawl_status trawl_frame_iter_new(const trawl_framer *f, unsigned flags,
                                            trawl_frame_iter **out, trawl_error *err);
/* Starts over on p[0..n), which the caller keeps alive while iterating.
 * O(1), no allocation. */
TRAWL_API void trawl_frame_iter_reset(trawl_frame_iter *it, const uint8_t *p, size_t n);
/* The next unit or fault. O(size of the unit) (delimited: the memchr to the
 * delimiter; resync: the bytes skipped); allocates nothing. */
TRAWL_API trawl_frame_step trawl_frame_iter_next(trawl_frame_iter *it, trawl_frame_unit *unit,
                                                 trawl_frame_fault *fault);
/* Up to max units at once into units[0..max): the same units next() would
 * return, in order, without a call per unit (fixed-width TLV without
 * containers and fixed records take an inlined path). Returns the count;
 * fewer than max (possibly 0) means the next step is a fault or the end:
 * call trawl_frame_iter_next to get it. O(units); allocates nothing. */
TRAWL_API size_t trawl_frame_iter_next_batch(trawl_frame_iter *it, trawl_frame_unit *units,
                                             size_t max);
/* Units delivered, faults reported and bytes skipped since the last reset. */
TRAWL_API void trawl_frame_iter_counts(const trawl_frame_iter *it, uint64_t *units,
                                       uint64_t *faults, uint64_t *skipped);
/* NULL is harmless. */
TRAWL_API void trawl_frame_iter_free(trawl_frame_iter *it);

/* --- reading a stream in bounded memory -------------------------------------- */

/* Reads up to cap bytes into buf: returns the count, 0 at end of input, or
 * -1 with errno set. */
typedef ssize_t (*trawl_frame_read_fn)(void *ud, uint8_t *buf, size_t cap);

typedef struct trawl_frame_reader trawl_frame_reader;

/* Creates a reader that pulls bytes with read_fn(ud, ...) into a window of
 * `window` bytes (0 = 1 MiB; raised when smaller than 64 bytes, a fixed
 * record, or a packet header + 64 bytes), allocated here and never
 * grown: memory is constant in the input size. A unit that does not fit in
 * the window is the fault record-too-large (packet-too-large for packets).
 * flags as for the iterator. Errors: TRAWL_EINVAL, TRAWL_ENOMEM. */
TRAWL_API trawl_status trawl_frame_reader_new(const trawl_framer *f, trawl_frame_read_fn read_fn,
                                              void *ud, size_t window, unsigned flags,
                                              trawl_frame_reader **out, trawl_error *err);
/* The same over a file descriptor (read(2), retried on EINTR). The reader
 * does not close fd. */
TRAWL_API trawl_status trawl_frame_reader_new_fd(const trawl_framer *f, int fd, size_t window,
                                                 unsigned flags, trawl_frame_reader **out,
                                                 trawl_error *err);
/* The next unit or fault, exactly as the buffer iterator would produce them
 * over the same bytes (when every unit fits in the window). Spans are valid
 * until the next call on this reader. A read error is the fault IO (then
 * END). Allocates nothing. */
TRAWL_API trawl_frame_step trawl_frame_reader_next(trawl_frame_reader *r, trawl_frame_unit *unit,
                                                   trawl_frame_fault *fault);
TRAWL_API void trawl_frame_reader_counts(const trawl_frame_reader *r, uint64_t *units,
                                         uint64_t *faults, uint64_t *skipped);
/* NULL is harmless. */
TRAWL_API void trawl_frame_reader_free(trawl_frame_reader *r);

/* --- pcap and pcapng captures (through libpcap) ------------------------------ */

/* The transport payload of one captured frame: Ethernet (with up to two VLAN
 * tags), Linux cooked (SLL), BSD loopback/null and raw IP link types, IPv4
 * (options; non-first fragments carry no transport header) and IPv6 (hop,
 * routing, destination-options and fragment extension headers), then TCP or
 * UDP. No reassembly of IP fragments or TCP streams: each frame stands
 * alone. */
typedef struct trawl_frame_l4 {
    uint8_t ip_version; /* 4 or 6; 0 when the frame is not IP */
    uint8_t proto;      /* IP protocol number (6 TCP, 17 UDP), 0 when not IP */
    uint16_t src_port, dst_port;
    bool has_payload;      /* TCP or UDP header decoded; payload may be empty */
    bool truncated;        /* the capture cut the payload short */
    size_t payload_offset; /* of payload.ptr within the frame */
    trawl_span payload;    /* points into the frame */
} trawl_frame_l4;

/* Decodes frame[0..caplen) of the given libpcap DLT_ link type into *out.
 * Returns true when a TCP or UDP header was found. Hostile input: every
 * header length is checked against caplen and against the enclosing
 * header's length field (Ethernet padding is not payload). O(headers),
 * allocates nothing, thread-safe. */
TRAWL_API bool trawl_frame_l4_decode(int linktype, const uint8_t *frame, size_t caplen,
                                     trawl_frame_l4 *out);

typedef struct trawl_frame_pcap trawl_frame_pcap;

typedef struct trawl_frame_packet {
    uint64_t index;    /* packet number from 0 (Wireshark's frame number - 1) */
    uint64_t offset;   /* file offset where libpcap began reading this record */
    int64_t ts_sec;    /* timestamp, seconds since the epoch */
    uint32_t ts_nsec;  /* and nanoseconds */
    uint32_t caplen;   /* bytes captured (data.len) */
    uint32_t len;      /* bytes on the wire */
    trawl_span data;   /* the captured frame; valid until the next call */
    trawl_frame_l4 l4; /* its transport payload, when there is one */
} trawl_frame_packet;

/* Opens a pcap or pcapng capture from fp and takes ownership of fp: it is
 * closed by trawl_frame_pcap_free, or here on failure. Errors: TRAWL_EINVAL,
 * TRAWL_EFORMAT (not a capture libpcap reads; libpcap's message in err),
 * TRAWL_ENOMEM. Allocates the reader (libpcap's buffer is one packet). */
TRAWL_API trawl_status trawl_frame_pcap_open(FILE *fp, trawl_frame_pcap **out, trawl_error *err);
/* The same from a path, opened without blocking: TRAWL_EIO ("PATH: reason")
 * when it cannot be opened or is not a regular file or a FIFO (a FIFO no
 * writer has open reads as empty instead of blocking the open). */
TRAWL_API trawl_status trawl_frame_pcap_open_path(const char *path, trawl_frame_pcap **out,
                                                  trawl_error *err);
/* The capture's libpcap DLT_ link type. */
TRAWL_API int trawl_frame_pcap_linktype(const trawl_frame_pcap *p);
/* The next packet, or a fault: truncated-header / truncated-value when the
 * file ends inside a record, bad-capture for anything else libpcap rejects
 * (see trawl_frame_pcap_message). Faults always stop (libpcap cannot
 * resync). O(caplen); allocates nothing. */
TRAWL_API trawl_frame_step trawl_frame_pcap_next(trawl_frame_pcap *p, trawl_frame_packet *pkt,
                                                 trawl_frame_fault *fault);
/* libpcap's text for the last fault, "" when none. Owned by p. */
TRAWL_API const char *trawl_frame_pcap_message(const trawl_frame_pcap *p);
/* Closes the capture and its FILE. NULL is harmless. */
TRAWL_API void trawl_frame_pcap_free(trawl_frame_pcap *p);

#ifdef __cplusplus
}
#endif
#endif
