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

/* ---- detect.h (the input stays opaque: JSON in; the report is read as
 * its struct) ---- */
typedef struct trawl_detect_input trawl_detect_input;
typedef enum trawl_severity {
    TRAWL_SEVERITY_LOW, TRAWL_SEVERITY_MEDIUM, TRAWL_SEVERITY_HIGH, TRAWL_SEVERITY_CRITICAL
} trawl_severity;
const char *trawl_severity_name(trawl_severity s);
typedef struct trawl_violation {
    const char *detector;
    const char *category;
    double confidence;
    trawl_severity severity;
    char *description;
    char **evidence;
    size_t n_evidence;
} trawl_violation;
typedef struct trawl_detector_result {
    const char *detector;
    double threat_score;
    trawl_violation *violations;
    size_t n_violations;
    size_t cap_;
    uint64_t latency_ns;
} trawl_detector_result;
typedef struct trawl_detect_report {
    double threat_score;
    unsigned ran;
    trawl_detector_result results[5];
    uint64_t latency_us;
} trawl_detect_report;
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
/* ---- analyze.h ---- */
void trawl_analyze_histogram(const uint8_t *p, size_t n, uint64_t hist[256]);
double trawl_analyze_entropy_hist(const uint64_t hist[256], uint64_t n, unsigned *distinct);
double trawl_analyze_entropy(const uint8_t *p, size_t n, unsigned *distinct);
double trawl_analyze_entropy_corrected(double h, unsigned distinct, uint64_t n);
double trawl_analyze_chi_square(const uint64_t hist[256], uint64_t n);
double trawl_analyze_chi_square_p(double x, unsigned dof);

typedef struct trawl_analyze_entropy_scanner trawl_analyze_entropy_scanner;
trawl_status trawl_analyze_entropy_scanner_new(size_t window, size_t step,
                                               trawl_analyze_entropy_scanner **out,
                                               trawl_error *err);
void trawl_analyze_entropy_scanner_free(trawl_analyze_entropy_scanner *s);
uint64_t trawl_analyze_entropy_window_count(const trawl_analyze_entropy_scanner *s, uint64_t n);
uint64_t trawl_analyze_entropy_window_offset(const trawl_analyze_entropy_scanner *s, uint64_t n,
                                             uint64_t i, uint64_t *len);
typedef struct trawl_analyze_byte_range {
    uint64_t offset, len;
    uint64_t hist[256];
} trawl_analyze_byte_range;
typedef struct trawl_analyze_entropy_request {
    bool corrected;
    double threshold;
    double *values;
    size_t cap;
    uint64_t *whole;
    trawl_analyze_byte_range *ranges;
    size_t nranges;
} trawl_analyze_entropy_request;
typedef struct trawl_analyze_window_stats {
    uint64_t count;
    double max;
    uint64_t max_offset;
    uint64_t above;
    uint64_t first_above;
} trawl_analyze_window_stats;
trawl_status trawl_analyze_entropy_scan(const trawl_analyze_entropy_scanner *s, const uint8_t *p,
                                        size_t n, const trawl_analyze_entropy_request *rq,
                                        trawl_analyze_window_stats *stats, trawl_error *err);

typedef enum trawl_analyze_region_class {
    TRAWL_ANALYZE_PADDING = 0, TRAWL_ANALYZE_TEXT = 1, TRAWL_ANALYZE_LOW_ENTROPY = 2,
    TRAWL_ANALYZE_BINARY = 3, TRAWL_ANALYZE_CODE = 4, TRAWL_ANALYZE_COMPRESSED = 5,
    TRAWL_ANALYZE_RANDOM = 6
} trawl_analyze_region_class;
const char *trawl_analyze_region_name(trawl_analyze_region_class c);
typedef struct trawl_analyze_region {
    uint64_t offset, len;
    trawl_analyze_region_class cls;
    double entropy;
    double chi_square;
    double p_value;
    double printable;
    uint8_t fill;
    const char *rule;
} trawl_analyze_region;
trawl_status trawl_analyze_regions(const uint8_t *p, size_t n, size_t window,
                                   trawl_analyze_region **out, size_t *count, trawl_error *err);
void trawl_analyze_regions_free(trawl_analyze_region *r);

typedef struct trawl_analyze_column {
    uint64_t count;
    double entropy;
    unsigned distinct;
    uint8_t mode;
    uint64_t mode_count;
    uint8_t min, max;
} trawl_analyze_column;
trawl_status trawl_analyze_columns(const trawl_span *msgs, size_t n, size_t ncols,
                                   trawl_analyze_column *out, trawl_error *err);

typedef struct trawl_analyze_ngram {
    uint8_t bytes[16];
    unsigned n;
    uint64_t count;
    uint64_t messages;
    uint64_t first_message;
    uint64_t first_offset;
} trawl_analyze_ngram;
typedef struct trawl_analyze_ngram_opts {
    unsigned n;
    size_t top;
    uint64_t max_bytes;
} trawl_analyze_ngram_opts;
typedef struct trawl_analyze_ngram_result {
    trawl_analyze_ngram *grams;
    size_t count;
    uint64_t total;
    uint64_t distinct;
} trawl_analyze_ngram_result;
trawl_status trawl_analyze_ngrams(const trawl_span *msgs, size_t nmsgs,
                                  const trawl_analyze_ngram_opts *o,
                                  trawl_analyze_ngram_result *res, trawl_error *err);
void trawl_analyze_ngram_result_free(trawl_analyze_ngram_result *r);

typedef enum trawl_analyze_repeat_order {
    TRAWL_ANALYZE_BY_LENGTH = 0, TRAWL_ANALYZE_BY_COUNT = 1, TRAWL_ANALYZE_BY_COVERAGE = 2
} trawl_analyze_repeat_order;
typedef struct trawl_analyze_repeat_opts {
    uint32_t min_length;
    size_t top;
    trawl_analyze_repeat_order order;
    uint64_t max_period;
    uint64_t max_bytes;
    bool keep_runs;
} trawl_analyze_repeat_opts;
typedef struct trawl_analyze_repeat {
    uint32_t length;
    uint64_t count;
    uint64_t *offsets;
} trawl_analyze_repeat;
typedef struct trawl_analyze_period {
    uint64_t period;
    uint64_t support;
    uint64_t aligned;
} trawl_analyze_period;
typedef struct trawl_analyze_repeat_result {
    trawl_analyze_repeat *repeats;
    size_t count;
    uint64_t total;
    trawl_analyze_period periods[8];
    size_t nperiods;
} trawl_analyze_repeat_result;
trawl_status trawl_analyze_repeats(const uint8_t *p, size_t n, const trawl_analyze_repeat_opts *o,
                                   trawl_analyze_repeat_result *res, trawl_error *err);
void trawl_analyze_repeat_result_free(trawl_analyze_repeat_result *r);

typedef struct trawl_analyze_scoring {
    int match;
    int mismatch;
    int gap;
} trawl_analyze_scoring;
typedef struct trawl_analyze_alignment {
    int64_t score;
    size_t len;
    int32_t *a_pos;
    int32_t *b_pos;
    size_t matches;
    size_t mismatches;
    size_t gaps;
} trawl_analyze_alignment;
trawl_status trawl_analyze_align(const uint8_t *a, size_t na, const uint8_t *b, size_t nb,
                                 const trawl_analyze_scoring *scoring,
                                 trawl_analyze_alignment *out, trawl_error *err);
void trawl_analyze_alignment_free(trawl_analyze_alignment *al);

typedef enum trawl_analyze_metric {
    TRAWL_ANALYZE_HAMMING = 0, TRAWL_ANALYZE_LEVENSHTEIN = 1, TRAWL_ANALYZE_JACCARD = 2,
    TRAWL_ANALYZE_ALIGN = 3, TRAWL_ANALYZE_EUCLIDEAN = 4
} trawl_analyze_metric;
bool trawl_analyze_metric_parse(const char *s, trawl_analyze_metric *m);
typedef struct trawl_analyze_distance_opts {
    trawl_analyze_metric metric;
    unsigned ngram;
    const trawl_analyze_scoring *scoring;
    unsigned threads;
    uint64_t max_bytes;
} trawl_analyze_distance_opts;
trawl_status trawl_analyze_distance(const uint8_t *a, size_t na, const uint8_t *b, size_t nb,
                                    const trawl_analyze_distance_opts *o, double *d,
                                    trawl_error *err);
trawl_status trawl_analyze_distance_matrix(const trawl_span *msgs, size_t n,
                                           const trawl_analyze_distance_opts *o, double *out,
                                           trawl_error *err);
trawl_status trawl_analyze_pdist(const double *X, size_t n, size_t d, unsigned threads,
                                 uint64_t max_bytes, double *out, trawl_error *err);

typedef enum trawl_analyze_linkage_method {
    TRAWL_ANALYZE_LINK_SINGLE = 0, TRAWL_ANALYZE_LINK_COMPLETE = 1,
    TRAWL_ANALYZE_LINK_AVERAGE = 2, TRAWL_ANALYZE_LINK_WEIGHTED = 3, TRAWL_ANALYZE_LINK_WARD = 4
} trawl_analyze_linkage_method;
bool trawl_analyze_linkage_parse(const char *s, trawl_analyze_linkage_method *m);
trawl_status trawl_analyze_linkage(const double *D, size_t n, trawl_analyze_linkage_method method,
                                   double *Z, trawl_error *err);
trawl_status trawl_analyze_linkage_vectors(const double *X, size_t n, size_t d,
                                           trawl_analyze_linkage_method method, unsigned threads,
                                           uint64_t max_bytes, double *Z, trawl_error *err);
trawl_status trawl_analyze_cut_k(const double *Z, size_t n, size_t k, int32_t *labels,
                                 size_t *nclusters, trawl_error *err);
trawl_status trawl_analyze_cut_distance(const double *Z, size_t n, double t, int32_t *labels,
                                        size_t *nclusters, trawl_error *err);

typedef enum trawl_analyze_kmeans_algorithm {
    TRAWL_ANALYZE_KMEANS_AUTO = 0, TRAWL_ANALYZE_KMEANS_LLOYD = 1, TRAWL_ANALYZE_KMEANS_HAMERLY = 2
} trawl_analyze_kmeans_algorithm;
typedef struct trawl_analyze_kmeans_opts {
    size_t k;
    unsigned max_iter;
    double tol;
    unsigned n_init;
    uint64_t seed;
    const double *init;
    trawl_analyze_kmeans_algorithm algorithm;
    unsigned threads;
} trawl_analyze_kmeans_opts;
typedef struct trawl_analyze_kmeans_result {
    size_t n, d, k;
    double *centers;
    int32_t *labels;
    double inertia;
    unsigned iterations;
    bool converged;
    size_t relocated;
    unsigned best_init;
} trawl_analyze_kmeans_result;
trawl_status trawl_analyze_kmeans(const double *X, size_t n, size_t d,
                                  const trawl_analyze_kmeans_opts *o,
                                  trawl_analyze_kmeans_result *res, trawl_error *err);
void trawl_analyze_kmeans_result_free(trawl_analyze_kmeans_result *r);
trawl_status trawl_analyze_dbscan(const double *D, size_t n, double eps, size_t min_samples,
                                  int32_t *labels, size_t *nclusters, trawl_error *err);
trawl_status trawl_analyze_silhouette(const double *D, size_t n, const int32_t *labels,
                                      unsigned threads, double *score, double *per_item,
                                      trawl_error *err);
trawl_status trawl_analyze_silhouette_vectors(const double *X, size_t n, size_t d,
                                              const int32_t *labels, unsigned threads,
                                              double *score, double *per_item, trawl_error *err);
typedef struct trawl_analyze_consensus_result {
    size_t members;
    size_t len;
    size_t common;
    trawl_analyze_column *columns;
    char *pattern;
    size_t fixed;
} trawl_analyze_consensus_result;
trawl_status trawl_analyze_consensus(const trawl_span *msgs, size_t n, const size_t *members,
                                     size_t nmembers, trawl_analyze_consensus_result *out,
                                     trawl_error *err);
void trawl_analyze_consensus_free(trawl_analyze_consensus_result *c);
typedef struct trawl_analyze_matrix {
    double *data;
    size_t rows, cols;
} trawl_analyze_matrix;
void trawl_analyze_matrix_free(trawl_analyze_matrix *m);
trawl_status trawl_analyze_features(const trawl_span *msgs, size_t n, const char *spec,
                                    trawl_analyze_matrix *out, trawl_error *err);
/* ---- infer.h ---- */
typedef struct trawl_crc_params {
    unsigned width;
    uint64_t poly, init;
    bool refin, refout;
    uint64_t xorout;
} trawl_crc_params;
uint64_t trawl_crc_compute(const trawl_crc_params *c, const uint8_t *p, size_t n);
typedef enum trawl_check_kind {
    TRAWL_CHECK_CRC = 0, TRAWL_CHECK_SUM, TRAWL_CHECK_ONES_SUM, TRAWL_CHECK_XOR,
    TRAWL_CHECK_FLETCHER, TRAWL_CHECK_ADLER
} trawl_check_kind;
typedef struct trawl_check_algo {
    trawl_check_kind kind;
    unsigned width;
    trawl_crc_params crc;
    unsigned word;
    bool word_le;
    bool negate;
    bool swap;
    uint64_t init;
} trawl_check_algo;
uint64_t trawl_check_compute(const trawl_check_algo *a, const uint8_t *p, size_t n);
const char *trawl_check_kind_name(trawl_check_kind k);
int trawl_check_describe(const trawl_check_algo *a, char *buf, size_t cap);
typedef struct trawl_check_sample {
    trawl_span data;
    uint64_t check;
} trawl_check_sample;
trawl_status trawl_check_recover(const trawl_check_sample *s, size_t n, unsigned width,
                                 unsigned kinds, trawl_check_algo *out, bool *found,
                                 trawl_error *err);
typedef struct trawl_check_place {
    int32_t offset;
    unsigned size;
    bool big_endian;
    uint32_t from;
    int32_t to;
} trawl_check_place;
typedef struct trawl_check_locate_opts {
    unsigned sizes;
    unsigned kinds;
    unsigned max_skip;
    bool leading_only, trailing_only;
} trawl_check_locate_opts;
trawl_status trawl_check_locate(const trawl_span *msgs, size_t n,
                                const trawl_check_locate_opts *o, trawl_check_place *place,
                                trawl_check_algo *algo, bool *found, trawl_error *err);
typedef struct trawl_infer_msg {
    trawl_span data;
    uint16_t src_port, dst_port;
    uint32_t flow;
    uint8_t dir;
    double ts;
} trawl_infer_msg;
typedef enum trawl_field_kind {
    TRAWL_FIELD_BYTES = 0, TRAWL_FIELD_CONST, TRAWL_FIELD_ENUM, TRAWL_FIELD_COUNTER,
    TRAWL_FIELD_LENGTH, TRAWL_FIELD_CHECKSUM, TRAWL_FIELD_TIMESTAMP, TRAWL_FIELD_FLOAT,
    TRAWL_FIELD_TEXT, TRAWL_FIELD_ID, TRAWL_FIELD_RANDOM, TRAWL_FIELD_PAYLOAD,
    TRAWL_FIELD_KIND_COUNT_
} trawl_field_kind;
const char *trawl_field_kind_name(trawl_field_kind k);
typedef struct trawl_infer_field {
    uint32_t offset;
    uint32_t size;
    trawl_field_kind kind;
    bool big_endian;
    float confidence;
    uint32_t signals;
    unsigned n_values;
    uint64_t value;
    int32_t len_from;
    int32_t len_adjust;
    trawl_check_place check;
    trawl_check_algo algo;
    uint32_t ts_unit;
    uint32_t sect_with;
    uint32_t sect_size;
} trawl_infer_field;
typedef struct trawl_infer_type {
    unsigned id;
    uint16_t port;
    int32_t key_offset;
    unsigned key_size;
    uint64_t key_value;
    int32_t cluster;
    size_t n_msgs;
    uint32_t min_len, max_len;
    bool big_endian;
    size_t n_fields;
    const trawl_infer_field *fields;
} trawl_infer_type;
typedef struct trawl_infer_opts {
    unsigned max_types;
    bool no_types;
    bool no_checksums;
    unsigned max_prefix;
} trawl_infer_opts;
typedef struct trawl_infer_result trawl_infer_result;
trawl_status trawl_infer_run(const trawl_infer_msg *m, size_t n, const trawl_infer_opts *o,
                             trawl_infer_result **out, trawl_error *err);
void trawl_infer_result_free(trawl_infer_result *r);
size_t trawl_infer_type_count(const trawl_infer_result *r);
const trawl_infer_type *trawl_infer_type_get(const trawl_infer_result *r, size_t i);
int trawl_infer_msg_type(const trawl_infer_result *r, size_t i);
const uint32_t *trawl_infer_msg_bounds(const trawl_infer_result *r, size_t i, size_t *nb,
                                       const uint32_t **sig);
typedef struct trawl_infer_input trawl_infer_input;
trawl_status trawl_infer_input_parse(const char *text, size_t len, trawl_infer_input **out,
                                     trawl_error *err);
trawl_status trawl_infer_input_pcap(const char *path, trawl_infer_input **out,
                                    trawl_error *err);
uint64_t trawl_infer_input_frame(const trawl_infer_input *in, size_t i);
const trawl_infer_msg *trawl_infer_input_msgs(const trawl_infer_input *in, size_t *n);
void trawl_infer_input_free(trawl_infer_input *in);
trawl_status trawl_infer_generate(uint64_t seed, unsigned msgs, uint8_t **pcap,
                                  size_t *pcap_len, char **truth, size_t *truth_len,
                                  trawl_error *err);
/* ---- anomaly.h ---- */
typedef enum trawl_anom_method {
    TRAWL_ANOM_ZSCORE = 0, TRAWL_ANOM_MZSCORE, TRAWL_ANOM_IQR, TRAWL_ANOM_EWMA,
    TRAWL_ANOM_CUSUM, TRAWL_ANOM_RATE, TRAWL_ANOM_TIMING, TRAWL_ANOM_SEQUENCE,
    TRAWL_ANOM_VALUE, TRAWL_ANOM_METHOD_COUNT_
} trawl_anom_method;
const char *trawl_anom_method_name(trawl_anom_method m);
trawl_status trawl_anom_methods_parse(const char *list, unsigned *mask, trawl_error *err);
typedef struct trawl_anom_params {
    unsigned methods;
    double z;
    double mz;
    double iqr_k;
    double ewma_lambda;
    double ewma_l;
    double cusum_k;
    double cusum_h;
    double rate_window;
    unsigned min_samples;
    bool online;
    unsigned warmup;
    unsigned reservoir;
    unsigned max_distinct;
    unsigned max_channels;
    bool columns;
    unsigned max_columns;
} trawl_anom_params;
typedef struct trawl_anomaly {
    trawl_anom_method method;
    const char *what;
    const char *channel;
    double time;
    uint64_t index;
    double value;
    double baseline;
    double spread;
    double threshold;
    double score;
    const char *detail;
} trawl_anomaly;
typedef int (*trawl_anomaly_fn)(const trawl_anomaly *a, void *user);
typedef struct trawl_anom_model trawl_anom_model;
trawl_status trawl_anom_new(const trawl_anom_params *params, trawl_anom_model **out,
                            trawl_error *err);
void trawl_anom_free(trawl_anom_model *m);
trawl_status trawl_anom_learn_value(trawl_anom_model *m, const char *name, double time,
                                    double value, trawl_error *err);
trawl_status trawl_anom_detect_value(trawl_anom_model *m, const char *name, double time,
                                     uint64_t index, double value, trawl_anomaly_fn cb,
                                     void *user, trawl_error *err);
typedef struct trawl_anom_msg {
    trawl_span data;
    const char *flow;
    uint16_t src_port, dst_port;
    double time;
    uint64_t index;
} trawl_anom_msg;
trawl_status trawl_anom_learn_msgs(trawl_anom_model *m, const trawl_anom_msg *msgs, size_t n,
                                   trawl_error *err);
trawl_status trawl_anom_detect_msgs(trawl_anom_model *m, const trawl_anom_msg *msgs, size_t n,
                                    trawl_anomaly_fn cb, void *user, trawl_error *err);
trawl_status trawl_anom_flush(trawl_anom_model *m, trawl_anomaly_fn cb, void *user,
                              trawl_error *err);
trawl_status trawl_anom_finish(trawl_anom_model *m, trawl_error *err);
trawl_status trawl_anom_save(const trawl_anom_model *m, FILE *out, trawl_error *err);
trawl_status trawl_anom_load(const char *text, size_t len, const trawl_anom_params *params,
                             trawl_anom_model **out, trawl_error *err);
typedef struct trawl_anom_stats {
    size_t channels;
    uint64_t learned, tested;
    uint64_t dropped_channels;
} trawl_anom_stats;
void trawl_anom_get_stats(const trawl_anom_model *m, trawl_anom_stats *s);
typedef struct trawl_anom_channel_info {
    const char *name;
    uint64_t n;
    double mean, std, median, mad, q1, q3;
    unsigned distinct;
} trawl_anom_channel_info;
bool trawl_anom_channel(const trawl_anom_model *m, size_t i, trawl_anom_channel_info *info);
/* ---- detect.h: the prompt-injection detector's view of a text (model.h's input) ---- */
size_t trawl_detect_pi_signal_names(const trawl_detect_engine *e, const char *const **names);
trawl_status trawl_detect_pi_features(trawl_detect_engine *e, trawl_detect_ctx *c,
                                      const char *text, size_t len, const uint8_t **norm,
                                      size_t *norm_len, const float **signals, trawl_error *err);
/* ---- firmware.h ---- */
#define TRAWL_FW_MAX_ARCH 16
typedef enum trawl_fw_endian {
    TRAWL_FW_ENDIAN_NONE = 0, TRAWL_FW_LITTLE = 1, TRAWL_FW_BIG = 2
} trawl_fw_endian;
typedef struct trawl_fw_arch_info {
    const char *name;
    const char *description;
    trawl_fw_endian endian;
    unsigned word_bits;
} trawl_fw_arch_info;
typedef struct trawl_fw_model trawl_fw_model;
trawl_status trawl_fw_model_builtin(trawl_fw_model **out, trawl_error *err);
trawl_status trawl_fw_model_load(const uint8_t *buf, size_t len, trawl_fw_model **out,
                                 trawl_error *err);
void trawl_fw_model_free(trawl_fw_model *m);
size_t trawl_fw_model_arch_count(const trawl_fw_model *m);
bool trawl_fw_model_arch(const trawl_fw_model *m, size_t i, trawl_fw_arch_info *info);
int trawl_fw_model_arch_find(const trawl_fw_model *m, const char *name);
typedef enum trawl_fw_kind {
    TRAWL_FW_CODE = 0, TRAWL_FW_FILL = 1, TRAWL_FW_TEXT = 2, TRAWL_FW_RANDOM = 3,
    TRAWL_FW_DATA = 4
} trawl_fw_kind;
const char *trawl_fw_kind_name(trawl_fw_kind k);
typedef struct trawl_fw_window {
    uint64_t offset;
    uint32_t length;
    int arch;
    int runner_up;
    trawl_fw_kind kind;
    double bits;
    double runner_bits;
    double entropy;
} trawl_fw_window;
typedef struct trawl_fw_arch_opts {
    uint32_t window;
    uint32_t step;
} trawl_fw_arch_opts;
typedef int (*trawl_fw_window_fn)(const trawl_fw_window *w, void *user);
trawl_status trawl_fw_arch_scan(const trawl_fw_model *m, const uint8_t *data, size_t len,
                                const trawl_fw_arch_opts *opts, trawl_fw_window_fn cb,
                                void *user, trawl_error *err);
typedef struct trawl_fw_region {
    uint64_t offset, length;
    int arch;
    trawl_fw_kind kind;
    uint32_t windows;
} trawl_fw_region;
typedef struct trawl_fw_arch_report {
    int arch;
    double share;
    uint64_t windows;
    uint64_t code_windows;
    uint64_t votes[16];
    uint64_t kinds[5];
    double mean_bits;
    trawl_fw_region *regions;
    size_t n_regions;
} trawl_fw_arch_report;
trawl_status trawl_fw_arch_identify(const trawl_fw_model *m, const uint8_t *data, size_t len,
                                    const trawl_fw_arch_opts *opts, trawl_fw_arch_report **out,
                                    trawl_error *err);
void trawl_fw_arch_report_free(trawl_fw_arch_report *r);
typedef struct trawl_fw_vectors {
    bool found;
    uint64_t offset;
    uint32_t initial_sp;
    uint32_t reset;
    uint32_t entries;
    uint32_t handlers;
    uint32_t distinct;
} trawl_fw_vectors;
#define TRAWL_FW_READ 1
#define TRAWL_FW_WRITE 2
#define TRAWL_FW_REF 4
typedef struct trawl_fw_access {
    uint32_t address;
    unsigned kinds;
    uint32_t count;
    uint64_t first;
    int periph;
    int bitband_bit;
} trawl_fw_access;
typedef struct trawl_fw_periph {
    const char *name;
    const char *family;
    uint32_t base;
    uint32_t reads, writes, refs;
    uint32_t registers;
    uint64_t first;
} trawl_fw_periph;
typedef struct trawl_fw_family_score {
    const char *name;
    uint32_t named;
    uint32_t unnamed;
} trawl_fw_family_score;
typedef struct trawl_fw_cortexm_opts {
    bool base_given;
    uint32_t base;
    const char *family;
    const trawl_fw_model *model;
} trawl_fw_cortexm_opts;
typedef struct trawl_fw_cortexm_report {
    trawl_fw_vectors vectors;
    uint32_t base;
    const char *base_how;
    uint32_t base_votes;
    const char *family;
    const char *family_source;
    bool family_ambiguous;
    trawl_fw_family_score scores[16];
    size_t n_scores;
    uint64_t instructions;
    uint64_t code_bytes;
    trawl_fw_periph *periphs;
    size_t n_periphs;
    trawl_fw_access *accesses;
    size_t n_accesses;
} trawl_fw_cortexm_report;
trawl_status trawl_fw_cortexm_analyze(const uint8_t *data, size_t len,
                                      const trawl_fw_cortexm_opts *opts,
                                      trawl_fw_cortexm_report **out, trawl_error *err);
void trawl_fw_cortexm_report_free(trawl_fw_cortexm_report *r);
typedef struct trawl_fw_sdk_scanner trawl_fw_sdk_scanner;
typedef struct trawl_fw_evidence {
    const char *sdk;
    const char *rule;
    unsigned weight;
    uint64_t offset, length;
    uint32_t matches;
} trawl_fw_evidence;
typedef struct trawl_fw_sdk {
    const char *name;
    unsigned weight;
    uint32_t rules;
} trawl_fw_sdk;
typedef struct trawl_fw_sdk_report {
    trawl_fw_sdk *sdks;
    size_t n_sdks;
    trawl_fw_evidence *evidence;
    size_t n_evidence;
} trawl_fw_sdk_report;
trawl_status trawl_fw_sdk_scanner_new(const char *rules_text, size_t len,
                                      trawl_fw_sdk_scanner **out, trawl_error *err);
void trawl_fw_sdk_scanner_free(trawl_fw_sdk_scanner *s);
bool trawl_fw_sdk_rule(const trawl_fw_sdk_scanner *s, size_t i, trawl_fw_evidence *out);
trawl_status trawl_fw_sdk_scan(const trawl_fw_sdk_scanner *s, const uint8_t *data, size_t len,
                               trawl_fw_sdk_report **out, trawl_error *err);
void trawl_fw_sdk_report_free(trawl_fw_sdk_report *r);
const char *trawl_fw_family_name(size_t i);
const char *trawl_fw_family_source(const char *family);
/* ---- model.h ---- */
#define TRAWL_MODEL_MAX_HIDDEN 256
#define TRAWL_MODEL_MAX_DENSE 1024
typedef enum trawl_model_kind { TRAWL_MODEL_LINEAR = 0, TRAWL_MODEL_MLP = 1 } trawl_model_kind;
typedef enum trawl_model_format {
    TRAWL_MODEL_F32 = 0, TRAWL_MODEL_INT8 = 1, TRAWL_MODEL_INT4 = 2
} trawl_model_format;
typedef struct trawl_model_feat_cfg {
    uint32_t buckets;
    uint8_t char_min, char_max;
    uint8_t word_max;
} trawl_model_feat_cfg;
typedef struct trawl_model trawl_model;
typedef struct trawl_model_info {
    char name[33];
    unsigned version;
    trawl_model_kind kind;
    trawl_model_format format;
    bool sparse;
    uint32_t nnz_rows;
    trawl_model_feat_cfg feat;
    unsigned hidden;
    unsigned n_dense;
    unsigned min_words;
    float platt_a, platt_b, threshold;
    uint64_t checksum;
    size_t file_bytes;
} trawl_model_info;
trawl_status trawl_model_load(const uint8_t *p, size_t n, trawl_model **out, trawl_error *err);
trawl_status trawl_model_open(const char *path, trawl_model **out, trawl_error *err);
void trawl_model_free(trawl_model *m);
void trawl_model_get_info(const trawl_model *m, trawl_model_info *info);
const char *trawl_model_dense_name(const trawl_model *m, unsigned j);
size_t trawl_model_pool(const trawl_model *m, const uint8_t *t, size_t n, float *pre);
double trawl_model_logit(const trawl_model *m, const float *pre, const float *dense);
double trawl_model_prob(const trawl_model *m, double z);
double trawl_model_score(const trawl_model *m, const uint8_t *t, size_t n, const float *dense);
typedef struct trawl_model_contrib {
    double value;
    char text[72];
} trawl_model_contrib;
size_t trawl_model_explain(const trawl_model *m, const uint8_t *t, size_t n, const float *dense,
                           trawl_model_contrib *out, size_t k, double *base);
typedef struct trawl_model_dataset trawl_model_dataset;
trawl_status trawl_model_dataset_new(const trawl_model_feat_cfg *f, unsigned n_dense,
                                     const char *const *names, trawl_model_dataset **out,
                                     trawl_error *err);
void trawl_model_dataset_free(trawl_model_dataset *d);
trawl_status trawl_model_dataset_add(trawl_model_dataset *d, const uint8_t *t, size_t n,
                                     const float *dense, int label, const char *tag,
                                     trawl_error *err);
size_t trawl_model_dataset_count(const trawl_model_dataset *d);
int trawl_model_dataset_label(const trawl_model_dataset *d, size_t i);
const char *trawl_model_dataset_tag(const trawl_model_dataset *d, size_t i);
const uint8_t *trawl_model_dataset_text(const trawl_model_dataset *d, size_t i, size_t *len);
const float *trawl_model_dataset_dense(const trawl_model_dataset *d, size_t i);
typedef struct trawl_model_train_opts {
    trawl_model_kind kind;
    unsigned hidden;
    unsigned epochs;
    unsigned batch;
    unsigned threads;
    double lr, l2;
    uint64_t seed;
    unsigned min_words;
    double target_fpr;
    const char *name;
    const double *teacher_logits;
    double temperature, alpha;
} trawl_model_train_opts;
void trawl_model_train_defaults(trawl_model_train_opts *o);
typedef struct trawl_model_train_report {
    unsigned best_epoch;
    double val_loss;
    double val_loss_calibrated;
} trawl_model_train_report;
trawl_status trawl_model_train(const trawl_model_dataset *train, const trawl_model_dataset *val,
                               const trawl_model_train_opts *o, uint8_t **file, size_t *len,
                               trawl_model_train_report *rep, trawl_error *err);
trawl_status trawl_model_logits(const trawl_model *m, const trawl_model_dataset *d,
                                unsigned threads, double *z, bool *abstain, trawl_error *err);
typedef struct trawl_model_convert_opts {
    trawl_model_format format;
    double prune;
    const char *name;
} trawl_model_convert_opts;
trawl_status trawl_model_convert(const trawl_model *m, const trawl_model_convert_opts *o,
                                 uint8_t **file, size_t *len, trawl_error *err);
trawl_status trawl_model_set_calibration(uint8_t *file, size_t len, float a, float b,
                                         float threshold, trawl_error *err);
trawl_status trawl_model_export_onnx(const trawl_model *m, uint8_t **out, size_t *len,
                                     trawl_error *err);
void trawl_model_feature_vector(const trawl_model *m, const uint8_t *t, size_t n,
                                const float *dense, float *x);
typedef struct trawl_model_metrics {
    size_t pos, neg, tp, fp;
    double auc;
    double recall_at_1fpr;
    double log_loss;
} trawl_model_metrics;
trawl_status trawl_model_metrics_get(const double *s, const int *y, size_t n, double thr,
                                     trawl_model_metrics *out, trawl_error *err);
double trawl_model_threshold_for_fpr(const double *s, const int *y, size_t n, double max_fpr,
                                     double floor);
"""

# From the C library (libc), loaded separately: buffers the library hands
# back with "free() it", and fdopen for libpcap's FILE *.
LIBC_CDEF = r"""
void free(void *p);
FILE *fdopen(int fd, const char *mode);
FILE *open_memstream(char **ptr, size_t *size);
int fclose(FILE *fp);
"""

# The structs tests/test_abi.py checks against the C compiler.
STRUCTS = [
    "trawl_violation", "trawl_detector_result", "trawl_detect_report",
    "trawl_error", "trawl_span", "trawl_pattern_info", "trawl_match", "trawl_fuzzy_spec",
    "trawl_fuzzy_match", "trawl_fuzzy_edit", "trawl_fuzzy_pair", "trawl_struct_value",
    "trawl_frame_fault", "trawl_frame_unit", "trawl_frame_tlv_opts", "trawl_frame_packet_opts",
    "trawl_frame_delim_opts", "trawl_frame_l4", "trawl_frame_packet",
    "trawl_analyze_byte_range", "trawl_analyze_entropy_request", "trawl_analyze_window_stats",
    "trawl_analyze_region", "trawl_analyze_column", "trawl_analyze_ngram",
    "trawl_analyze_ngram_opts", "trawl_analyze_ngram_result", "trawl_analyze_repeat_opts",
    "trawl_analyze_repeat", "trawl_analyze_period", "trawl_analyze_repeat_result",
    "trawl_analyze_scoring", "trawl_analyze_alignment", "trawl_analyze_distance_opts",
    "trawl_analyze_kmeans_opts", "trawl_analyze_kmeans_result",
    "trawl_analyze_consensus_result", "trawl_analyze_matrix",
    "trawl_crc_params", "trawl_check_algo", "trawl_check_sample", "trawl_check_place",
    "trawl_check_locate_opts", "trawl_infer_msg", "trawl_infer_field", "trawl_infer_type",
    "trawl_infer_opts", "trawl_anom_params", "trawl_anomaly", "trawl_anom_msg",
    "trawl_anom_stats", "trawl_anom_channel_info",
    "trawl_fw_arch_info", "trawl_fw_window", "trawl_fw_arch_opts", "trawl_fw_region",
    "trawl_fw_arch_report", "trawl_fw_vectors", "trawl_fw_access", "trawl_fw_periph",
    "trawl_fw_family_score", "trawl_fw_cortexm_opts", "trawl_fw_cortexm_report",
    "trawl_fw_evidence", "trawl_fw_sdk", "trawl_fw_sdk_report",
    "trawl_model_feat_cfg", "trawl_model_info", "trawl_model_contrib",
    "trawl_model_train_opts", "trawl_model_train_report", "trawl_model_convert_opts",
    "trawl_model_metrics",
]
