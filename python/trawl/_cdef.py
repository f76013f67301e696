"""The C declarations the binding uses, transcribed from include/trawl/*.h.

cffi's ABI mode lays out structs from these declarations alone, so they
must match the headers exactly: tests/test_abi.py compiles a C program
against the headers and compares every struct's size and every field's
offset with what cffi computes from this text.
"""

CDEF = r"""
/* ---- common.h ---- */
typedef enum trawl_status {
    TRAWL_OK = 0, TRAWL_ENOMEM, TRAWL_EINVAL, TRAWL_ESYNTAX, TRAWL_EUNSUPPORTED,
    TRAWL_ELIMIT, TRAWL_EIO, TRAWL_EFORMAT, TRAWL_EVERSION, TRAWL_EENGINE,
    TRAWL_ETRUNCATED, TRAWL_ESTOPPED, TRAWL_ESTATE, TRAWL_STATUS_COUNT_
} trawl_status;

typedef struct trawl_error {
    trawl_status status;
    int64_t offset;
    int64_t index;
    int line;
    int column;
    char message[256];
} trawl_error;

typedef struct trawl_span {
    const uint8_t *ptr;
    size_t len;
} trawl_span;

const char *trawl_status_name(trawl_status s);
const char *trawl_status_message(trawl_status s);
void trawl_error_clear(trawl_error *err);
const char *trawl_version(void);

/* ---- pattern.h ---- */
typedef enum trawl_pattern_syntax {
    TRAWL_SYNTAX_AUTO = 0, TRAWL_SYNTAX_REGEX, TRAWL_SYNTAX_HEX, TRAWL_SYNTAX_LITERAL
} trawl_pattern_syntax;

typedef struct trawl_pattern_set trawl_pattern_set;
typedef struct trawl_pattern_db trawl_pattern_db;
typedef struct trawl_scratch trawl_scratch;
typedef struct trawl_stream trawl_stream;

typedef struct trawl_pattern_info {
    const char *name;
    const char *expression;
    trawl_pattern_syntax syntax;
    unsigned flags;
    uint64_t min_width;
    uint64_t max_width;
    int anchored_start;
} trawl_pattern_info;

typedef struct trawl_match {
    uint64_t offset;
    uint64_t length;
    uint32_t pattern;
    const uint8_t *data;
} trawl_match;

typedef int (*trawl_match_fn)(const trawl_match *m, void *user);

trawl_status trawl_pattern_set_new(trawl_pattern_set **out);
void trawl_pattern_set_free(trawl_pattern_set *set);
trawl_status trawl_pattern_set_add(trawl_pattern_set *set, const char *expr, size_t len,
                                   trawl_pattern_syntax syntax, unsigned flags,
                                   const char *name, trawl_error *err);
trawl_status trawl_pattern_set_add_rules(trawl_pattern_set *set, const char *text,
                                         size_t len, trawl_error *err);
size_t trawl_pattern_set_count(const trawl_pattern_set *set);
trawl_status trawl_pattern_compile_ex(const trawl_pattern_set *set, unsigned flags,
                                      trawl_pattern_db **out, trawl_error *err);
void trawl_pattern_db_free(trawl_pattern_db *db);
size_t trawl_pattern_db_count(const trawl_pattern_db *db);
trawl_status trawl_pattern_info_get(const trawl_pattern_db *db, size_t i,
                                    trawl_pattern_info *info);
trawl_status trawl_pattern_db_serialize(const trawl_pattern_db *db, uint8_t **out,
                                        size_t *len, trawl_error *err);
trawl_status trawl_pattern_db_deserialize(const uint8_t *buf, size_t len,
                                          trawl_pattern_db **out, trawl_error *err);
trawl_status trawl_scratch_alloc(const trawl_pattern_db *db, trawl_scratch **s,
                                 trawl_error *err);
void trawl_scratch_free(trawl_scratch *s);
trawl_status trawl_scan(const trawl_pattern_db *db, trawl_scratch *s, const uint8_t *data,
                        size_t len, unsigned scan_flags, trawl_match_fn cb, void *user,
                        trawl_error *err);
trawl_status trawl_scan_collect(const trawl_pattern_db *db, trawl_scratch *s,
                                const uint8_t *data, size_t len, unsigned scan_flags,
                                size_t max, trawl_match **out, size_t *n, trawl_error *err);
void trawl_matches_free(trawl_match *m);
trawl_status trawl_stream_open(const trawl_pattern_db *db, unsigned scan_flags,
                               size_t window_max, trawl_stream **out, trawl_error *err);
trawl_status trawl_stream_write(trawl_stream *st, trawl_scratch *s, const uint8_t *data,
                                size_t len, trawl_match_fn cb, void *user, trawl_error *err);
trawl_status trawl_stream_close(trawl_stream *st, trawl_scratch *s, trawl_match_fn cb,
                                void *user, trawl_error *err);
void trawl_stream_free(trawl_stream *st);
uint64_t trawl_stream_offset(const trawl_stream *st);

/* ---- fuzzy.h ---- */
typedef enum trawl_fuzzy_mode {
    TRAWL_FUZZY_LEVENSHTEIN = 0, TRAWL_FUZZY_HAMMING = 1
} trawl_fuzzy_mode;

typedef struct trawl_fuzzy_spec {
    const char *name;
    const char *pattern;
    unsigned max_distance;
    trawl_fuzzy_mode mode;
    unsigned flags;
    double min_similarity;
} trawl_fuzzy_spec;

typedef struct trawl_fuzzy_match {
    uint64_t offset;
    size_t length;
    unsigned distance;
    double similarity;
    unsigned pattern;
    const char *name;
    const uint8_t *bytes;
} trawl_fuzzy_match;

typedef int (*trawl_fuzzy_match_fn)(const trawl_fuzzy_match *match, void *ud);
typedef struct trawl_fuzzy_db trawl_fuzzy_db;
typedef struct trawl_fuzzy_stream trawl_fuzzy_stream;

trawl_status trawl_fuzzy_parse(const char *text, uint8_t *value, uint8_t *mask, size_t cap,
                               size_t *m, trawl_error *err);
trawl_status trawl_fuzzy_compile(const trawl_fuzzy_spec *specs, size_t n,
                                 trawl_fuzzy_db **out, trawl_error *err);
void trawl_fuzzy_db_free(trawl_fuzzy_db *db);
size_t trawl_fuzzy_db_count(const trawl_fuzzy_db *db);
size_t trawl_fuzzy_db_pattern_length(const trawl_fuzzy_db *db, size_t i);
const char *trawl_fuzzy_db_kernel(const trawl_fuzzy_db *db, size_t i);
trawl_status trawl_fuzzy_stream_open(const trawl_fuzzy_db *db, trawl_fuzzy_stream **out,
                                     trawl_error *err);
void trawl_fuzzy_stream_free(trawl_fuzzy_stream *s);
void trawl_fuzzy_stream_reset(trawl_fuzzy_stream *s);
trawl_status trawl_fuzzy_stream_write(trawl_fuzzy_stream *s, const uint8_t *p, size_t n,
                                      trawl_fuzzy_match_fn cb, void *ud, trawl_error *err);
trawl_status trawl_fuzzy_stream_finish(trawl_fuzzy_stream *s, trawl_fuzzy_match_fn cb,
                                       void *ud, trawl_error *err);
trawl_status trawl_fuzzy_scan(trawl_fuzzy_stream *s, const uint8_t *p, size_t n,
                              trawl_fuzzy_match_fn cb, void *ud, trawl_error *err);

typedef enum trawl_fuzzy_op {
    TRAWL_FUZZY_OP_MATCH = 0, TRAWL_FUZZY_OP_SUBSTITUTE = 1,
    TRAWL_FUZZY_OP_INSERT = 2, TRAWL_FUZZY_OP_DELETE = 3
} trawl_fuzzy_op;

typedef struct trawl_fuzzy_edit {
    trawl_fuzzy_op op;
    int32_t pattern_pos;
    int32_t data_pos;
    uint8_t pattern_value, pattern_mask;
    uint8_t data_byte;
} trawl_fuzzy_edit;

trawl_status trawl_fuzzy_align(const trawl_fuzzy_db *db, size_t i, const uint8_t *window,
                               size_t len, trawl_fuzzy_edit *edits, size_t cap, size_t *n,
                               unsigned *distance, trawl_error *err);

typedef struct trawl_fuzzy_pair {
    uint64_t a, b;
    unsigned distance;
} trawl_fuzzy_pair;

typedef int (*trawl_fuzzy_pair_fn)(const trawl_fuzzy_pair *pair, void *ud);
trawl_status trawl_fuzzy_similar(const uint8_t *p, size_t n, size_t L, unsigned k,
                                 trawl_fuzzy_mode mode, trawl_fuzzy_pair_fn cb, void *ud,
                                 trawl_error *err);

/* ---- struct.h ---- */
typedef struct trawl_struct trawl_struct;
typedef struct trawl_struct_value {
    char code;
    uint32_t offset;
    uint32_t size;
    union {
        int64_t i;
        uint64_t u;
        trawl_span s;
    } v;
} trawl_struct_value;

trawl_status trawl_struct_compile(const char *fmt, trawl_struct **out, trawl_error *err);
void trawl_struct_free(trawl_struct *s);
size_t trawl_struct_size(const trawl_struct *s);
size_t trawl_struct_count(const trawl_struct *s);
char trawl_struct_code(const trawl_struct *s, size_t i);
trawl_status trawl_struct_unpack(const trawl_struct *s, const uint8_t *p, size_t n,
                                 trawl_struct_value *vals, size_t nvals, trawl_error *err);

/* ---- frame.h ---- */
typedef enum trawl_frame_step {
    TRAWL_FRAME_END = 0, TRAWL_FRAME_UNIT = 1, TRAWL_FRAME_FAULT = 2
} trawl_frame_step;

typedef enum trawl_frame_fault_kind {
    TRAWL_FRAME_NONE = 0, TRAWL_FRAME_TRUNCATED_HEADER, TRAWL_FRAME_TRUNCATED_VALUE,
    TRAWL_FRAME_LENGTH_BELOW_HEADER, TRAWL_FRAME_PACKET_TOO_LARGE,
    TRAWL_FRAME_RECORD_TOO_LARGE, TRAWL_FRAME_SHORT_TAIL, TRAWL_FRAME_BAD_LENGTH,
    TRAWL_FRAME_BAD_CAPTURE, TRAWL_FRAME_IO, TRAWL_FRAME_FAULT_COUNT_
} trawl_frame_fault_kind;

typedef struct trawl_frame_fault {
    trawl_frame_fault_kind kind;
    uint64_t offset;
    uint64_t index;
    uint64_t skipped;
    int sys_errno;
} trawl_frame_fault;

const char *trawl_frame_fault_name(trawl_frame_fault_kind k);
const char *trawl_frame_fault_message(trawl_frame_fault_kind k);
trawl_status trawl_frame_fault_to_error(const trawl_frame_fault *f, trawl_error *err);

typedef struct trawl_frame_unit {
    uint64_t index;
    uint64_t offset;
    trawl_span data;
    trawl_span value;
    uint64_t type;
    uint32_t depth;
    bool container;
    bool terminated;
} trawl_frame_unit;

typedef struct trawl_framer trawl_framer;

typedef struct trawl_frame_tlv_opts {
    unsigned type_size;
    unsigned length_size;
    bool little_endian;
    bool length_includes_header;
    bool ber;
    bool ber_constructed;
    const uint64_t *containers;
    size_t n_containers;
    unsigned max_depth;
    uint64_t max_record;
} trawl_frame_tlv_opts;

typedef struct trawl_frame_packet_opts {
    const char *header;
    unsigned length_field;
    bool length_includes_header;
    int64_t adjust;
    uint64_t max_size;
} trawl_frame_packet_opts;

typedef struct trawl_frame_delim_opts {
    const uint8_t *delimiter;
    size_t delimiter_len;
    uint64_t max_size;
} trawl_frame_delim_opts;

trawl_status trawl_frame_tlv_new(const trawl_frame_tlv_opts *o, trawl_framer **out,
                                 trawl_error *err);
trawl_status trawl_frame_records_new(uint64_t size, trawl_framer **out, trawl_error *err);
trawl_status trawl_frame_packets_new(const trawl_frame_packet_opts *o, trawl_framer **out,
                                     trawl_error *err);
trawl_status trawl_frame_delim_new(const trawl_frame_delim_opts *o, trawl_framer **out,
                                   trawl_error *err);
void trawl_framer_free(trawl_framer *f);
const trawl_struct *trawl_framer_header(const trawl_framer *f);

typedef struct trawl_frame_iter trawl_frame_iter;
trawl_status trawl_frame_iter_new(const trawl_framer *f, unsigned flags,
                                  trawl_frame_iter **out, trawl_error *err);
void trawl_frame_iter_reset(trawl_frame_iter *it, const uint8_t *p, size_t n);
trawl_frame_step trawl_frame_iter_next(trawl_frame_iter *it, trawl_frame_unit *unit,
                                       trawl_frame_fault *fault);
size_t trawl_frame_iter_next_batch(trawl_frame_iter *it, trawl_frame_unit *units, size_t max);
void trawl_frame_iter_counts(const trawl_frame_iter *it, uint64_t *units, uint64_t *faults,
                             uint64_t *skipped);
void trawl_frame_iter_free(trawl_frame_iter *it);

typedef ssize_t (*trawl_frame_read_fn)(void *ud, uint8_t *buf, size_t cap);
typedef struct trawl_frame_reader trawl_frame_reader;
trawl_status trawl_frame_reader_new(const trawl_framer *f, trawl_frame_read_fn read_fn,
                                    void *ud, size_t window, unsigned flags,
                                    trawl_frame_reader **out, trawl_error *err);
trawl_status trawl_frame_reader_new_fd(const trawl_framer *f, int fd, size_t window,
                                       unsigned flags, trawl_frame_reader **out,
                                       trawl_error *err);
trawl_frame_step trawl_frame_reader_next(trawl_frame_reader *r, trawl_frame_unit *unit,
                                         trawl_frame_fault *fault);
void trawl_frame_reader_counts(const trawl_frame_reader *r, uint64_t *units,
                               uint64_t *faults, uint64_t *skipped);
void trawl_frame_reader_free(trawl_frame_reader *r);

typedef struct trawl_frame_l4 {
    uint8_t ip_version;
    uint8_t proto;
    uint16_t src_port, dst_port;
    bool has_payload;
    bool truncated;
    size_t payload_offset;
    trawl_span payload;
} trawl_frame_l4;

bool trawl_frame_l4_decode(int linktype, const uint8_t *frame, size_t caplen,
                           trawl_frame_l4 *out);

typedef struct trawl_frame_pcap trawl_frame_pcap;
typedef struct trawl_frame_packet {
    uint64_t index;
    uint64_t offset;
    int64_t ts_sec;
    uint32_t ts_nsec;
    uint32_t caplen;
    uint32_t len;
    trawl_span data;
    trawl_frame_l4 l4;
} trawl_frame_packet;

trawl_status trawl_frame_pcap_open(FILE *fp, trawl_frame_pcap **out, trawl_error *err);
trawl_status trawl_frame_pcap_open_path(const char *path, trawl_frame_pcap **out,
                                        trawl_error *err);
int trawl_frame_pcap_linktype(const trawl_frame_pcap *p);
trawl_frame_step trawl_frame_pcap_next(trawl_frame_pcap *p, trawl_frame_packet *pkt,
                                       trawl_frame_fault *fault);
const char *trawl_frame_pcap_message(const trawl_frame_pcap *p);
void trawl_frame_pcap_free(trawl_frame_pcap *p);

/* ---- detect.h (the input and report stay opaque: JSON in, JSON out) ---- */
typedef struct trawl_detect_input trawl_detect_input;
typedef struct trawl_detect_report trawl_detect_report;
typedef struct trawl_detect_engine trawl_detect_engine;
typedef struct trawl_detect_ctx trawl_detect_ctx;

const char *trawl_detector_name(unsigned bit);
trawl_status trawl_detector_mask_parse(const char *list, unsigned *mask, trawl_error *err);
trawl_status trawl_detect_input_parse(const char *json, size_t len, trawl_detect_input **out,
                                      trawl_error *err);
void trawl_detect_input_free(trawl_detect_input *in);
void trawl_detect_report_free(trawl_detect_report *r);
char *trawl_detect_report_json(const trawl_detect_report *r);
trawl_status trawl_detect_engine_new(const char *config, size_t config_len,
                                     trawl_detect_engine **out, trawl_error *err);
void trawl_detect_engine_free(trawl_detect_engine *e);
unsigned trawl_detect_engine_enabled(const trawl_detect_engine *e);
trawl_status trawl_detect_ctx_new(const trawl_detect_engine *e, trawl_detect_ctx **out,
                                  trawl_error *err);
void trawl_detect_ctx_free(trawl_detect_ctx *c);
trawl_status trawl_detect_run(trawl_detect_engine *e, trawl_detect_ctx *c,
                              const trawl_detect_input *in, unsigned mask,
                              trawl_detect_report **out, trawl_error *err);
trawl_status trawl_detect_run_batch(trawl_detect_engine *e, trawl_detect_ctx *c,
                                    const trawl_detect_input *const *in, size_t n,
                                    unsigned mask, trawl_detect_report **out,
                                    trawl_error *err);
"""

# From the C library (libc), loaded separately: buffers the library hands
# back with "free() it", and fdopen for libpcap's FILE *.
LIBC_CDEF = r"""
void free(void *p);
FILE *fdopen(int fd, const char *mode);
int fclose(FILE *fp);
"""

# The structs tests/test_abi.py checks against the C compiler.
STRUCTS = [
    "trawl_error", "trawl_span", "trawl_pattern_info", "trawl_match", "trawl_fuzzy_spec",
    "trawl_fuzzy_match", "trawl_fuzzy_edit", "trawl_fuzzy_pair", "trawl_struct_value",
    "trawl_frame_fault", "trawl_frame_unit", "trawl_frame_tlv_opts", "trawl_frame_packet_opts",
    "trawl_frame_delim_opts", "trawl_frame_l4", "trawl_frame_packet",
]
