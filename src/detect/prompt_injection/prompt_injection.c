/* prompt_injection.c -- tier 1 of the prompt-injection detector: one pattern
 * database built from rules/prompt_injection.rules, run over several views
 * of each text (normalised, leetspeak, rot13, Unicode-tag smuggled, decoded
 * base64/hex/URL runs), with word boundaries checked around every match.
 *
 * Scoring, the whole of it (docs/detect-prompt_injection.md says it too):
 *  - every rule has a weight (the WW in its name);
 *  - a rule counts once however often it matches (the count is evidence);
 *  - the rules of one category combine as a noisy-OR, 1 - prod(1 - w),
 *    capped at 0.99: independent weak signals add up, one strong one is
 *    enough;
 *  - a rule that matched only where obfuscation was undone (leetspeak,
 *    rot13, decoded runs, tag characters, zero-width characters or folded
 *    lookalikes inside the match) also raises an "obfuscation" violation of
 *    confidence min(0.95, w + 0.10): hiding an instruction is itself a sign;
 *  - invisible characters alone give "obfuscation" 0.30;
 *  - a run that decodes to text adds a 0.30 "decoded payload" signal to the
 *    encoded_payload category (so a request to decode plus a payload is
 *    0.62, either alone stays under 0.5).
 * Violations under report_min are not reported. The detector's threat score
 * is the highest confidence (engine rule).
 *
 * Thread model: the state (database, rule table, settings) is read-only
 * after create(); each thread has a pi_thread with the scratch, the view
 * buffers and the hit table. */
#include "detect/prompt_injection/prompt_injection.h"

#include <math.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include <trawl/model.h>
#include <trawl/pattern.h>

#include "detect/detector.h"
#include "common/embedded.h"
#include "detect/prompt_injection/normalize.h"
#include "detect/prompt_injection/learned.h"
#include "detect/prompt_injection/decode.h"

#define SECTION       "prompt_injection"
#define SNIP          80
#define TEXT_NAME_MAX 224 /* "messages[12].tool_calls[0].function.arguments.x (role assistant)" */
#define MAX_RUNS      32
#define DEC_CAP       (64u << 10) /* bytes one decoded run may produce */
#define MAX_NOTES     4
#define MAX_DEPTH     4

enum view { V_NORM, V_LEET, V_LEET_L, V_ROT13, V_TAGS, V_BASE64, V_HEX, V_ESCHEX, V_URL, V_COUNT };
static const char *const view_names[V_COUNT] = {
    "normalized",     "leet",        "leet(1=l)",          "rot13",       "unicode-tags",
    "decoded-base64", "decoded-hex", "decoded-hex-escape", "decoded-url",
};

static const struct {
    const char *name;
    const char *label;
} cats[] = {
    {"instruction_override", "instruction override"},
    {"jailbreak_persona", "persona jailbreak"},
    {"prompt_extraction", "system-prompt extraction"},
    {"roleplay_escape", "role-play escape"},
    {"template_injection", "chat-template token injection"},
    {"delimiter_injection", "delimiter flooding"},
    {"privilege_escalation", "privilege-mode request"},
    {"indirect_injection", "indirect-injection marker"},
    {"data_exfiltration", "exfiltration via markdown image or link"},
    {"encoded_payload", "encoded payload"},
};
#define N_CATS (sizeof(cats) / sizeof(cats[0]))
enum { CAT_ENCODED = 9 };

#define W_DECODED         0.30
#define W_INVISIBLE       0.30
#define OBFUSCATION_BONUS 0.10
#define MIN_COMBINE       0.30 /* a category below this does not join multiple_signals */

typedef struct pi_rule {
    const char *name; /* owned by the database */
    unsigned cat;
    double w;
    bool off; /* disabled by configuration */
    char desc[64];
} pi_rule;

/* The pack compiles into one database (one scan per view). The split into
 * groups of RULES_PER_DB stays as a guard: a pack far larger than today's
 * would otherwise make one compile that grows faster than the pack. */
#define RULES_PER_DB 1000
#define MAX_DBS      64

typedef struct pi_state {
    trawl_pattern_db *db[MAX_DBS];
    uint32_t base[MAX_DBS]; /* index of each database's first rule */
    size_t n_db;
    pi_rule *rules;
    size_t n_rules;
    double report_min;
    bool scan_query, scan_history, leet, rot13, decode;
    size_t max_text, max_decodes, decode_depth;
    pi_learned *learned; /* the learned tier, when `model = true`; owned */
    double model_thr, rule_thr;
    pi_text *allow; /* normalised phrases removed before both tiers see a text */
    size_t n_allow;
    char **sig_names; /* the signals the learned tier may read: rules, then EXTRA */
    size_t n_sig;
} pi_state;

/* Signals after the rules, in this order (the rules come first, one each,
 * "rule:category.id"; 1 when the rule matched in any view). */
static const char *const extra_sig[] = {
    "obf:invisible",  /* log1p(zero-width, bidi and tag characters removed) / 3, at most 1 */
    "obf:confusable", /* log1p(lookalikes folded) / 3, at most 1 */
    "obf:combining",  /* log1p(combining marks removed) / 3, at most 1 */
    "obf:decoded",    /* encoded runs that decoded to text, / 2, at most 1 */
    "obf:hidden_hit", /* a rule matched only through a de-obfuscating view */
    "text:log_bytes", /* log1p(normalised bytes) / 10 */
    "text:non_ascii", /* share of normalised bytes >= 0x80 */
    "text:digits",    /* share of digits */
    "text:punct",     /* share of ASCII punctuation */
};
#define N_EXTRA (sizeof extra_sig / sizeof extra_sig[0])

typedef struct pi_hit {
    uint32_t count;
    bool plain;   /* some match needed no de-obfuscation */
    bool skipped; /* overlapped a stronger rule's match: listed, not counted */
    bool counted; /* joined its category's noisy-OR (see overlaps()) */
    uint8_t view; /* of the recorded match */
    uint8_t fl;
    uint32_t text;
    uint64_t off, src_off, src_end;
    uint64_t window; /* source offset of the window whose view off is in */
    char snip[SNIP + 1];
} pi_hit;

typedef struct pi_note {
    pi_enc kind;
    uint32_t text;
    uint64_t src_off, src_end;
    char preview[61];
} pi_note;

typedef struct pi_thread {
    trawl_scratch *scratch;
    pi_text norm, alt, tags, tagnorm, dnorm;
    uint8_t *dec[MAX_DEPTH];
    pi_hit *hits;
    uint32_t *touched; /* rules with hits[i].count > 0, ascending after sort_touched() */
    size_t n_touched;
    pi_norm_stats stats;
    pi_note notes[MAX_NOTES];
    size_t n_notes, n_decoded;
    uint64_t base;    /* source offset of the window being scanned */
    uint64_t seen_to; /* source bytes before this were scanned by an earlier window */
    double model_p;
    uint32_t model_text;
    /* the learned tier: each text's pooled features (H floats), its words
     * and index; handed in by a batch (preset) or pooled by scan_text */
    float *pre;
    size_t *words;
    uint32_t *pre_text;
    size_t n_pre, cap_pre;
    bool preset;
    const float *preset_pre;
    const size_t *preset_words;
    size_t preset_n;
    float *sig; /* n_sig signals of the input */
    size_t bytes, non_ascii, digits, punct;
} pi_thread;

typedef struct scan_ctx {
    const pi_state *st;
    pi_thread *th;
    const pi_text *t;
    uint8_t view;
    uint32_t text;
    bool fixed_src; /* decoded views report the run's place, not map[] */
    uint64_t src_off, src_end;
    double min_w;
    uint32_t base; /* rule index of the database being scanned */
} scan_ctx;

/* ---- configuration and rules ------------------------------------------- */

static trawl_status parse_rule(pi_rule *r, const char *name, trawl_error *err)
{
    const char *dot = name ? strchr(name, '.') : NULL;
    const char *last = name ? strrchr(name, '.') : NULL;
    if (!dot || last == dot || strlen(last + 1) != 2 || last[1] < '0' || last[1] > '9' ||
        last[2] < '0' || last[2] > '9')
        return trawl__fail(err, TRAWL_EFORMAT,
                           "rule pack prompt_injection: rule '%s' is not named category.id.WW",
                           name ? name : "(unnamed)");
    r->cat = N_CATS;
    for (unsigned c = 0; c < N_CATS; c++)
        if (strlen(cats[c].name) == (size_t)(dot - name) &&
            !memcmp(cats[c].name, name, (size_t)(dot - name)))
            r->cat = c;
    if (r->cat == N_CATS)
        return trawl__fail(err, TRAWL_EFORMAT,
                           "rule pack prompt_injection: rule '%s' has an unknown category", name);
    r->name = name;
    r->w = ((last[1] - '0') * 10 + (last[2] - '0')) / 100.0;
    size_t n = (size_t)(last - dot - 1);
    if (n >= sizeof(r->desc))
        n = sizeof(r->desc) - 1;
    for (size_t i = 0; i < n; i++)
        r->desc[i] = dot[1 + i] == '_' ? ' ' : dot[1 + i];
    r->desc[n] = 0;
    return TRAWL_OK;
}

/* config "disable = id, id": each must name a rule (by id or full name). */
static trawl_status apply_disable(pi_state *s, const det_config *cfg, trawl_error *err)
{
    char **items = NULL;
    size_t n = 0;
    trawl_status st = det_config_list(cfg, SECTION, "disable", &items, &n, err);
    for (size_t i = 0; st == TRAWL_OK && i < n; i++) {
        bool found = false;
        for (size_t k = 0; k < s->n_rules; k++) {
            const char *id = strchr(s->rules[k].name, '.') + 1;
            size_t idn = (size_t)(strrchr(id, '.') - id);
            if (!strcmp(items[i], s->rules[k].name) ||
                (strlen(items[i]) == idn && !memcmp(items[i], id, idn)))
                s->rules[k].off = found = true;
        }
        if (!found)
            st = trawl__fail(err, TRAWL_EINVAL, "[prompt_injection] disable: no rule '%s'",
                             items[i]);
    }
    det_config_list_free(items, n);
    return st;
}

static trawl_status read_size(const det_config *cfg, const char *key, double def, double lo,
                              double hi, size_t *out, trawl_error *err)
{
    double v;
    trawl_status st = det_config_double(cfg, SECTION, key, def, &v, err);
    if (st != TRAWL_OK)
        return st;
    if (!(v >= lo && v <= hi))
        return trawl__fail(err, TRAWL_EINVAL, "[prompt_injection] %s: must be %.0f..%.0f", key, lo,
                           hi);
    *out = (size_t)v;
    return TRAWL_OK;
}

static trawl_status read_config(pi_state *s, const det_config *cfg, trawl_error *err)
{
    trawl_status st = det_config_double(cfg, SECTION, "report_min", 0.3, &s->report_min, err);
    if (st == TRAWL_OK && !(s->report_min >= 0 && s->report_min <= 1))
        st = trawl__fail(err, TRAWL_EINVAL, "[prompt_injection] report_min: must be 0..1");
    if (st == TRAWL_OK)
        st = det_config_bool(cfg, SECTION, "scan_query", true, &s->scan_query, err);
    if (st == TRAWL_OK)
        st = det_config_bool(cfg, SECTION, "scan_history", true, &s->scan_history, err);
    if (st == TRAWL_OK)
        st = det_config_bool(cfg, SECTION, "leet", true, &s->leet, err);
    if (st == TRAWL_OK)
        st = det_config_bool(cfg, SECTION, "rot13", true, &s->rot13, err);
    if (st == TRAWL_OK)
        st = det_config_bool(cfg, SECTION, "decode", true, &s->decode, err);
    if (st == TRAWL_OK)
        st = read_size(cfg, "max_text_bytes", 1 << 20, 64, 64 << 20, &s->max_text, err);
    if (st == TRAWL_OK)
        st = read_size(cfg, "max_decodes", 16, 0, 256, &s->max_decodes, err);
    if (st == TRAWL_OK)
        st = read_size(cfg, "decode_depth", 2, 1, MAX_DEPTH, &s->decode_depth, err);
    return st;
}

/* The signal names: one per rule ("rule:category.id", the weight left out
 * so that retuning a weight keeps the model's features), then extra_sig. */
static trawl_status make_signal_names(pi_state *s, trawl_error *err)
{
    s->n_sig = s->n_rules + N_EXTRA;
    s->sig_names = calloc(s->n_sig, sizeof(char *));
    if (!s->sig_names)
        return trawl__fail(err, TRAWL_ENOMEM, "out of memory");
    for (size_t i = 0; i < s->n_sig; i++) {
        char buf[TRAWL_MODEL_FEAT_LEN];
        if (i < s->n_rules) {
            const char *name = s->rules[i].name;
            int len = (int)(strrchr(name, '.') - name);
            snprintf(buf, sizeof buf, "rule:%.*s", len, name);
        } else {
            snprintf(buf, sizeof buf, "%s", extra_sig[i - s->n_rules]);
        }
        if (!(s->sig_names[i] = strdup(buf)))
            return trawl__fail(err, TRAWL_ENOMEM, "out of memory");
    }
    return TRAWL_OK;
}

/* `allow = phrase, phrase`: each normalised as a text is, so that case,
 * lookalikes and spacing do not matter. */
static trawl_status read_allow(pi_state *s, const det_config *cfg, trawl_error *err)
{
    char **items = NULL;
    size_t n = 0;
    trawl_status st = det_config_list(cfg, SECTION, "allow", &items, &n, err);
    if (st == TRAWL_OK && n && !(s->allow = calloc(n, sizeof(pi_text))))
        st = trawl__fail(err, TRAWL_ENOMEM, "out of memory");
    for (size_t i = 0; st == TRAWL_OK && i < n; i++) {
        pi_norm_stats ns = {.first_invisible = -1};
        size_t len = strlen(items[i]);
        if (pi_normalize(&s->allow[i], (const uint8_t *)items[i], len, 0, NULL, &ns, len))
            st = trawl__fail(err, TRAWL_ENOMEM, "out of memory");
        else if (s->allow[i].len == 0 || (s->allow[i].len == 1 && s->allow[i].s[0] == ' '))
            st = trawl__fail(err, TRAWL_EINVAL, "[prompt_injection] allow: an empty phrase");
        s->n_allow = i + 1;
    }
    det_config_list_free(items, n);
    return st;
}

/* Removes every allowed phrase from a normalised text (with its map and
 * flags), and the space it leaves doubled. Phrases match whole words. */
static void apply_allow(const pi_state *s, pi_text *t)
{
    for (size_t a = 0; a < s->n_allow; a++) {
        const pi_text *ph = &s->allow[a];
        size_t w = 0;
        for (size_t r = 0; r < t->len;) {
            if (r + ph->len <= t->len && !memcmp(t->s + r, ph->s, ph->len) &&
                !(r > 0 && pi_is_word(t->s[r - 1]) && pi_is_word(ph->s[0])) &&
                !(r + ph->len < t->len && pi_is_word(t->s[r + ph->len]) &&
                  pi_is_word(ph->s[ph->len - 1]))) {
                r += ph->len;
                if (w > 0 && t->s[w - 1] == ' ' && r < t->len && t->s[r] == ' ')
                    r++;
                continue;
            }
            t->s[w] = t->s[r];
            t->map[w] = t->map[r];
            t->fl[w] = t->fl[r];
            w++, r++;
        }
        t->len = w;
        t->s[w] = 0;
    }
}

/* `model = true|false` (default PI_MODEL_DEFAULT), `model_threshold`
 * (default: the threshold stored in the model file) and `rule_threshold`. */
#define PI_MODEL_DEFAULT false
static trawl_status install_model(pi_state *s, const det_config *cfg, trawl_error *err)
{
    bool on;
    trawl_status st = det_config_bool(cfg, SECTION, "model", PI_MODEL_DEFAULT, &on, err);
    double thr = 0.5;
    bool has_thr = det_config_get(cfg, SECTION, "model_threshold") != NULL;
    if (st == TRAWL_OK && has_thr) /* checked even while the model is off */
        st = det_config_double(cfg, SECTION, "model_threshold", 0.5, &thr, err);
    if (st == TRAWL_OK && has_thr && !(thr >= 0.5 && thr <= 1))
        st = trawl__fail(err, TRAWL_EINVAL,
                         "[prompt_injection] model_threshold: must be in [0.5, 1]");
    if (st == TRAWL_OK)
        st = det_config_double(cfg, SECTION, "rule_threshold", 0.5, &s->rule_thr, err);
    if (st == TRAWL_OK && !(s->rule_thr >= 0.5 && s->rule_thr <= 1))
        st = trawl__fail(err, TRAWL_EINVAL,
                         "[prompt_injection] rule_threshold: must be in [0.5, 1]");
    if (st != TRAWL_OK || !on)
        return st;
    const emb_model_blob *b = emb_models_find("prompt_injection");
    if (!b)
        return trawl__fail(err, TRAWL_EUNSUPPORTED,
                           "[prompt_injection] model: no model is built in (run `make model`)");
    trawl_model *m = NULL;
    st = trawl_model_load(b->bytes, b->len, &m, err);
    if (st == TRAWL_OK)
        st = pi_learned_new(m, (const char *const *)s->sig_names, s->n_sig, &s->learned, err);
    if (st != TRAWL_OK)
        return st;
    s->model_thr = has_thr ? thr : pi_learned_threshold(s->learned);
    return TRAWL_OK;
}

static void pi_destroy(void *state)
{
    pi_state *s = state;
    if (!s)
        return;
    for (size_t i = 0; i < s->n_db; i++)
        trawl_pattern_db_free(s->db[i]);
    free(s->rules);
    pi_learned_free(s->learned);
    for (size_t i = 0; i < s->n_allow; i++)
        pi_text_free(&s->allow[i]);
    free(s->allow);
    for (size_t i = 0; s->sig_names && i < s->n_sig; i++)
        free(s->sig_names[i]);
    free(s->sig_names);
    free(s);
}

/* Compiles the pack's rules in groups of RULES_PER_DB lines (a rule is one
 * line; comments and blank lines are skipped) and fills the rule table. */
static trawl_status compile_pack(pi_state *s, const det_config *cfg, const emb_rule_pack *pack,
                                 trawl_error *err)
{
    size_t cap = 0;
    trawl_status st = TRAWL_OK;
    const char *p = pack->text, *end = pack->text + pack->len;
    while (p < end && st == TRAWL_OK) {
        const char *start = p;
        int rules = 0;
        while (p < end && rules < RULES_PER_DB) {
            const char *nl = memchr(p, '\n', (size_t)(end - p));
            const char *q = nl ? nl + 1 : end;
            rules += *p != '#' && *p != '\n' && *p != '\r';
            p = q;
        }
        if (!rules)
            break;
        if (s->n_db == MAX_DBS)
            return trawl__fail(err, TRAWL_ELIMIT, "rule pack prompt_injection: too many rules");
        trawl_pattern_set *set = NULL;
        st = trawl_pattern_set_new(&set);
        if (st == TRAWL_OK)
            st = trawl_pattern_set_add_rules(set, start, (size_t)(p - start), err);
        if (st == TRAWL_OK)
            st = det_compile(cfg, set, TRAWL_COMPILE_BLOCK_ONLY, &s->db[s->n_db], err);
        trawl_pattern_set_free(set);
        if (st != TRAWL_OK)
            break;
        trawl_pattern_db *db = s->db[s->n_db];
        s->base[s->n_db++] = (uint32_t)s->n_rules;
        size_t n = trawl_pattern_db_count(db);
        if (s->n_rules + n > cap) {
            cap = (s->n_rules + n) * 2;
            pi_rule *r = realloc(s->rules, cap * sizeof(*r));
            if (!r)
                return trawl__fail(err, TRAWL_ENOMEM, "out of memory");
            s->rules = r;
        }
        for (size_t i = 0; st == TRAWL_OK && i < n; i++) {
            trawl_pattern_info info;
            memset(&s->rules[s->n_rules], 0, sizeof(pi_rule));
            st = trawl_pattern_info_get(db, i, &info);
            if (st == TRAWL_OK)
                st = parse_rule(&s->rules[s->n_rules++], info.name, err);
        }
    }
    if (st == TRAWL_OK && !s->n_rules)
        st = trawl__fail(err, TRAWL_EFORMAT, "rule pack prompt_injection is empty");
    return st;
}

/* Per byte: bit 0 non-ASCII, bit 21 a digit, bit 42 punctuation (printable
 * ASCII that is not a word byte), so that one addition counts all three;
 * each field holds 2^21 - 1, so the sum is flushed every 1 MiB. */
static uint64_t stats_class[256];

static pthread_once_t stats_class_once = PTHREAD_ONCE_INIT;

static void stats_class_init(void)
{
    for (unsigned c = 0; c < 256; c++)
        stats_class[c] = (uint64_t)(c >= 0x80) | (uint64_t)(c >= '0' && c <= '9') << 21 |
                         (uint64_t)(c > ' ' && c < 0x7f && !pi_is_word((uint8_t)c)) << 42;
}

static trawl_status pi_create(const det_config *cfg, void **state, trawl_error *err)
{
    *state = NULL;
    pthread_once(&stats_class_once, stats_class_init);
    const emb_rule_pack *pack = emb_rules_find("prompt_injection");
    if (!pack)
        return trawl__fail(err, TRAWL_EINVAL, "rule pack prompt_injection is not built in");
    pi_state *s = calloc(1, sizeof(*s));
    if (!s)
        return trawl__fail(err, TRAWL_ENOMEM, "out of memory");
    trawl_status st = read_config(s, cfg, err); /* before the slow compile */
    if (st == TRAWL_OK)
        st = read_allow(s, cfg, err);
    if (st == TRAWL_OK)
        st = compile_pack(s, cfg, pack, err);
    if (st == TRAWL_OK)
        st = make_signal_names(s, err);
    if (st == TRAWL_OK)
        st = install_model(s, cfg, err);
    if (st == TRAWL_OK)
        st = apply_disable(s, cfg, err);
    if (st != TRAWL_OK) {
        pi_destroy(s);
        return st;
    }
    *state = s;
    return TRAWL_OK;
}

const trawl_model *det_prompt_injection_model(const void *state)
{
    const pi_state *s = state;
    return s->learned ? pi_learned_model(s->learned) : NULL;
}

size_t det_prompt_injection_signals(const void *state, const char *const **names)
{
    const pi_state *s = state;
    *names = (const char *const *)s->sig_names;
    return s->n_sig;
}

/* The texts the detector reads, in order: the prompt (index 0), the query
 * (1), the history (2...), then the chat texts. *k walks them; false at the
 * end. Every text is read whole (scan_text() windows a long one). */
static bool next_text(const pi_state *s, const trawl_detect_input *in, size_t *k, pi_text_ref *t)
{
    size_t nh = in->n_history;
    for (; *k < 2 + nh + in->n_chat && *k < UINT32_MAX; ++*k) {
        size_t i = *k;
        const char *p = NULL;
        size_t n = 0;
        if (i == 0)
            p = in->prompt, n = in->prompt_len;
        else if (i == 1 && s->scan_query)
            p = in->query, n = in->query ? det_query_len(in) : 0;
        else if (i >= 2 && i < 2 + nh && s->scan_history)
            p = in->history[i - 2], n = in->history[i - 2] ? det_history_len(in, i - 2) : 0;
        else if (i >= 2 + nh)
            p = in->chat[i - 2 - nh].text, n = in->chat[i - 2 - nh].len;
        if (p) {
            *t = (pi_text_ref){(const uint8_t *)p, n, (uint32_t)i};
            ++*k;
            return true;
        }
    }
    return false;
}

/* The model tier reads the first max_text bytes of each text (the rule
 * tier reads all of it): a batch gives what a single run gives. */
size_t det_prompt_injection_texts(const void *state, const trawl_detect_input *in, pi_text_ref *out,
                                  size_t cap)
{
    const pi_state *s = state;
    size_t n = 0, k = 0;
    pi_text_ref t;
    while (next_text(s, in, &k, &t)) {
        if (t.len > s->max_text)
            t.len = s->max_text;
        if (n < cap)
            out[n] = t;
        n++;
    }
    return n;
}

void det_prompt_injection_preset(void *tstate, const float *pre, const size_t *words, size_t n)
{
    pi_thread *th = tstate;
    th->preset = pre != NULL;
    th->preset_pre = pre;
    th->preset_words = words;
    th->preset_n = pre ? n : 0;
}

size_t det_prompt_injection_rule_count(const void *state)
{
    return ((const pi_state *)state)->n_rules;
}

/* ---- per thread ---------------------------------------------------------- */

static void pi_thread_free(void *tstate)
{
    pi_thread *t = tstate;
    if (!t)
        return;
    trawl_scratch_free(t->scratch);
    pi_text_free(&t->norm);
    pi_text_free(&t->alt);
    pi_text_free(&t->tags);
    pi_text_free(&t->tagnorm);
    pi_text_free(&t->dnorm);
    for (int i = 0; i < MAX_DEPTH; i++)
        free(t->dec[i]);
    free(t->touched);
    free(t->hits);
    free(t->pre);
    free(t->words);
    free(t->pre_text);
    free(t->sig);
    free(t);
}

static trawl_status pi_thread_new(void *state, void **tstate, trawl_error *err)
{
    pi_state *s = state;
    pi_thread *t = calloc(1, sizeof(*t));
    if (!t)
        return trawl__fail(err, TRAWL_ENOMEM, "out of memory");
    t->hits = calloc(s->n_rules, sizeof(*t->hits));
    t->touched = calloc(s->n_rules, sizeof(*t->touched));
    t->sig = calloc(s->n_sig + 1, sizeof(float));
    bool ok = t->hits != NULL && t->touched != NULL && t->sig != NULL;
    for (int i = 0; ok && i < MAX_DEPTH; i++)
        ok = (t->dec[i] = malloc(DEC_CAP)) != NULL;
    if (!ok) {
        pi_thread_free(t);
        return trawl__fail(err, TRAWL_ENOMEM, "out of memory");
    }
    trawl_status st = TRAWL_OK;
    for (size_t i = 0; i < s->n_db && st == TRAWL_OK; i++)
        st = trawl_scratch_alloc(s->db[i], &t->scratch, err);
    if (st != TRAWL_OK) {
        pi_thread_free(t);
        return st;
    }
    *tstate = t;
    return TRAWL_OK;
}

/* ---- matching ---------------------------------------------------------------- */

static void snippet(char *out, const uint8_t *p, size_t n)
{
    size_t k = n < SNIP ? n : SNIP;
    for (size_t i = 0; i < k; i++)
        out[i] = p[i] >= 0x20 && p[i] < 0x7F && p[i] != '"' ? (char)p[i] : '.';
    out[k] = 0;
}

static int on_match(const trawl_match *m, void *user)
{
    scan_ctx *c = user;
    size_t idx = c->base + m->pattern;
    const pi_rule *r = &c->st->rules[idx];
    if (r->off || r->w < c->min_w || m->length == 0)
        return 0;
    const uint8_t *s = c->t->s;
    size_t a = (size_t)m->offset, b = a + (size_t)m->length, n = c->t->len;
    if (b > n)
        return 0;
    /* A removed invisible character counts as a word boundary where it
     * stood: "hi\0Ignore" holds the word "Ignore" (and "ig\0nore" still
     * reads "ignore", joined). */
    if (pi_is_word(s[a]) && a > 0 && pi_is_word(s[a - 1]) && !(c->t->fl[a] & PI_FL_INVISIBLE))
        return 0;
    if (pi_is_word(s[b - 1]) && b < n && pi_is_word(s[b]) && !(c->t->fl[b] & PI_FL_INVISIBLE))
        return 0;
    uint8_t fl =
        c->t->fl[a] & (uint8_t)~PI_FL_INVISIBLE; /* invisible before the match is outside it */
    for (size_t k = a + 1; k < b; k++)
        fl |= c->t->fl[k];
    bool plain = c->view == V_NORM && !(fl & (PI_FL_INVISIBLE | PI_FL_CONFUSABLE));
    uint64_t so = c->th->base + (c->fixed_src ? c->src_off : c->t->map[a]);
    uint64_t se = c->th->base + (c->fixed_src ? c->src_end : (uint64_t)c->t->map[b - 1] + 1);
    if (se <= c->th->seen_to) /* wholly inside the previous window: already counted */
        return 0;
    pi_hit *h = &c->th->hits[idx];
    if (h->count++ == 0)
        c->th->touched[c->th->n_touched++] = (uint32_t)idx;
    if (h->count > 1 && (h->plain || !plain))
        return 0;
    h->plain = plain;
    h->view = c->view;
    h->fl = fl;
    h->text = c->text;
    h->off = a;
    h->window = c->th->base;
    h->src_off = so;
    h->src_end = se;
    snippet(h->snip, s + a, b - a);
    return 0;
}

static trawl_status scan_view(scan_ctx *c, const pi_text *t, uint8_t view, double min_w,
                              trawl_error *err)
{
    if (t->len == 0)
        return TRAWL_OK;
    c->t = t;
    c->view = view;
    c->min_w = min_w;
    for (size_t i = 0; i < c->st->n_db; i++) {
        c->base = c->st->base[i];
        trawl_status st =
            trawl_scan(c->st->db[i], c->th->scratch, t->s, t->len, 0, on_match, c, err);
        if (st != TRAWL_OK)
            return st;
    }
    return TRAWL_OK;
}

static uint8_t view_of(pi_enc k)
{
    switch (k) {
    case PI_ENC_HEX:
        return V_HEX;
    case PI_ENC_ESCHEX:
        return V_ESCHEX;
    case PI_ENC_URL:
        return V_URL;
    default:
        return V_BASE64;
    }
}

static void add_note(pi_thread *th, pi_enc kind, uint32_t text, uint64_t a, uint64_t b,
                     const uint8_t *p, size_t n)
{
    a += th->base;
    b += th->base;
    if (th->n_notes >= MAX_NOTES || b <= th->seen_to)
        return;
    pi_note *note = &th->notes[th->n_notes++];
    note->kind = kind;
    note->text = text;
    note->src_off = a;
    note->src_end = b;
    size_t k = n < 60 ? n : 60;
    for (size_t i = 0; i < k; i++)
        note->preview[i] = p[i] >= 0x20 && p[i] < 0x7F && p[i] != '"' ? (char)p[i] : '.';
    note->preview[k] = 0;
}

/* Decodes the runs of s[0..n) and scans what reads as text; recurses into
 * decoded text while depth allows. Budgeted by max_decodes in all. */
static trawl_status decode_scan(scan_ctx *c, const uint8_t *s, size_t n, unsigned depth,
                                uint64_t outer_off, uint64_t outer_end, trawl_error *err)
{
    pi_thread *th = c->th;
    if (depth >= MAX_DEPTH)
        return TRAWL_OK;
    pi_run runs[MAX_RUNS];
    size_t k = pi_find_runs(s, n, runs, MAX_RUNS);
    for (size_t i = 0; i < k && th->n_decoded < c->st->max_decodes; i++) {
        pi_enc kinds[2] = {runs[i].kind, runs[i].kind == PI_ENC_HEX ? PI_ENC_BASE64 : PI_ENC_NONE};
        for (int j = 0; j < 2 && kinds[j] != PI_ENC_NONE; j++) {
            uint8_t *out = th->dec[depth];
            size_t dl = pi_decode_run(s, &runs[i], kinds[j], out, DEC_CAP);
            if (!pi_is_text(out, dl))
                continue;
            th->n_decoded++;
            uint64_t a = depth ? outer_off : runs[i].off,
                     b = depth ? outer_end : runs[i].off + runs[i].len;
            add_note(th, kinds[j], c->text, a, b, out, dl);
            pi_norm_stats ds = {.first_invisible = -1};
            if (pi_normalize(&th->dnorm, out, dl, 0, NULL, &ds, dl) != 0)
                return trawl__fail(err, TRAWL_ENOMEM, "out of memory");
            c->fixed_src = true;
            c->src_off = a;
            c->src_end = b;
            trawl_status st = scan_view(c, &th->dnorm, view_of(kinds[j]), 0, err);
            c->fixed_src = false;
            if (st != TRAWL_OK)
                return st;
            if (depth + 1 < c->st->decode_depth) {
                st = decode_scan(c, out, dl, depth + 1, a, b, err);
                if (st != TRAWL_OK)
                    return st;
            }
            break;
        }
    }
    return TRAWL_OK;
}

/* A model reads rot13 only when asked to decode it, so the rot13 view is
 * scanned only when the text mentions rot13, a Caesar cipher, decoding or
 * deciphering: every other text saves a whole scan. ("rot" alone would
 * admit "protect", "rotate" and "introduction".) */
static bool rot13_hint_at(const uint8_t *p, size_t n)
{
    static const char *const hints[] = {"rot13",  "rot-13", "rot 13", "rot_13",
                                        "caesar", "decod",  "deciph", "cipher"};
    for (size_t h = 0; h < sizeof hints / sizeof hints[0]; h++) {
        size_t k = strlen(hints[h]);
        if (n >= k && !memcmp(p, hints[h], k))
            return true;
    }
    return false;
}

static bool rot13_hint(const pi_text *t)
{
    const uint8_t *p = t->s;
    size_t n = t->len, i = 0;
#ifdef __SSE2__
    /* Sixteen starts at a time: only where the hints' first two letters
     * ("ro", "ca", "ci", "de") stand is a hint compared. */
    for (; n - i >= 17; i += 16) {
        __m128i a = _mm_loadu_si128((const __m128i *)(p + i));
        __m128i b = _mm_loadu_si128((const __m128i *)(p + i + 1));
#define EQ(v, c) _mm_cmpeq_epi8(v, _mm_set1_epi8(c))
        __m128i m = _mm_and_si128(EQ(a, 'r'), EQ(b, 'o'));
        m = _mm_or_si128(m, _mm_and_si128(EQ(a, 'c'), _mm_or_si128(EQ(b, 'a'), EQ(b, 'i'))));
        m = _mm_or_si128(m, _mm_and_si128(EQ(a, 'd'), EQ(b, 'e')));
#undef EQ
        for (unsigned bits = (unsigned)_mm_movemask_epi8(m); bits; bits &= bits - 1) {
            size_t at = i + (size_t)__builtin_ctz(bits);
            if (rot13_hint_at(p + at, n - at))
                return true;
        }
    }
#endif
    for (; i < n; i++)
        if ((p[i] == 'r' || p[i] == 'c' || p[i] == 'd') && rot13_hint_at(p + i, n - i))
            return true;
    return false;
}

/* Whether the leet view replaced some '1' (then the '1'-as-'l' view differs
 * from it and is worth a scan of its own). */
static bool leet_one(const pi_text *norm, const pi_text *leet)
{
    for (const uint8_t *p = norm->s, *end = norm->s + norm->len;
         (p = memchr(p, '1', (size_t)(end - p))) != NULL; p++)
        if (leet->fl[p - norm->s] & PI_FL_LEET)
            return true;
    return false;
}

static void text_stats(pi_thread *th, const pi_text *t)
{
    th->bytes += t->len;
    const uint8_t *p = t->s;
    const uint64_t field = ((uint64_t)1 << 21) - 1;
    for (size_t at = 0, n = t->len; at < n;) {
        size_t end = n - at > ((size_t)1 << 20) ? at + ((size_t)1 << 20) : n;
        uint64_t sum = 0;
        for (; at < end; at++)
            sum += stats_class[p[at]];
        th->non_ascii += sum & field;
        th->digits += sum >> 21 & field;
        th->punct += sum >> 42;
    }
}

/* The learned tier's per-text step: the text's pooled features. */
static trawl_status pool_text(const pi_state *s, pi_thread *th, uint32_t idx, trawl_error *err)
{
    unsigned h = pi_learned_hidden(s->learned);
    if (th->n_pre == th->cap_pre) {
        size_t cap = th->cap_pre ? th->cap_pre * 2 : 4;
        float *pre = realloc(th->pre, cap * h * sizeof(float));
        if (pre)
            th->pre = pre;
        size_t *w = realloc(th->words, cap * sizeof(size_t));
        if (w)
            th->words = w;
        uint32_t *ti = realloc(th->pre_text, cap * sizeof(uint32_t));
        if (ti)
            th->pre_text = ti;
        if (!pre || !w || !ti)
            return trawl__fail(err, TRAWL_ENOMEM, "out of memory");
        th->cap_pre = cap;
    }
    const trawl_model *m = pi_learned_model(s->learned);
    th->words[th->n_pre] = trawl_model_pool(m, th->norm.s, th->norm.len, th->pre + th->n_pre * h);
    th->pre_text[th->n_pre++] = idx;
    return TRAWL_OK;
}

static trawl_status scan_window(const pi_state *s, pi_thread *th, const char *text, size_t n,
                                uint32_t idx, trawl_error *err)
{
    const uint8_t *src = (const uint8_t *)text;
    scan_ctx c = {.st = s, .th = th, .text = idx};
    th->tags.len = 0;
    if (pi_normalize(&th->norm, src, n, 0, &th->tags, &th->stats, n) != 0)
        return trawl__fail(err, TRAWL_ENOMEM, "out of memory");
    if (s->n_allow)
        apply_allow(s, &th->norm);
    text_stats(th, &th->norm);
    trawl_status st = scan_view(&c, &th->norm, V_NORM, 0, err);
    if (st == TRAWL_OK && s->learned && !th->preset && th->base == 0)
        st = pool_text(s, th, idx, err); /* the model reads a text's first window */
    if (st == TRAWL_OK && s->leet) {
        long subs = pi_leet(&th->alt, &th->norm, 'i', n);
        if (subs < 0)
            return trawl__fail(err, TRAWL_ENOMEM, "out of memory");
        if (subs > 0)
            st = scan_view(&c, &th->alt, V_LEET, 0, err);
        if (st == TRAWL_OK && subs > 0 && leet_one(&th->norm, &th->alt)) {
            if (pi_leet(&th->alt, &th->norm, 'l', n) < 0)
                return trawl__fail(err, TRAWL_ENOMEM, "out of memory");
            st = scan_view(&c, &th->alt, V_LEET_L, 0, err);
        }
    }
    if (st == TRAWL_OK && s->rot13 && rot13_hint(&th->norm)) {
        if (pi_rot13(&th->alt, &th->norm, n) != 0)
            return trawl__fail(err, TRAWL_ENOMEM, "out of memory");
        st = scan_view(&c, &th->alt, V_ROT13, 0.5, err);
    }
    if (st == TRAWL_OK && th->tags.len) {
        pi_norm_stats ts = {.first_invisible = -1};
        if (pi_normalize(&th->tagnorm, th->tags.s, th->tags.len, 0, NULL, &ts, th->tags.len))
            return trawl__fail(err, TRAWL_ENOMEM, "out of memory");
        c.fixed_src = true;
        c.src_off = th->tags.map[0];
        c.src_end = (uint64_t)th->tags.map[th->tags.len - 1] + 4;
        st = scan_view(&c, &th->tagnorm, V_TAGS, 0, err);
        c.fixed_src = false;
    }
    if (st == TRAWL_OK && s->decode && s->max_decodes)
        st = decode_scan(&c, src, n, 0, 0, 0, err);
    return st;
}

/* A text longer than max_text is read in windows of max_text bytes that
 * overlap by WINDOW_OVERLAP, so a phrase up to that long is whole in some
 * window; offsets in evidence are the text's own, and a match wholly inside
 * the overlap is counted once. Nothing of the text goes unread. */
#define WINDOW_OVERLAP 4096

static trawl_status scan_text(const pi_state *s, pi_thread *th, const pi_text_ref *t,
                              trawl_error *err)
{
    size_t n = t->len, win = s->max_text;
    size_t overlap = win / 2 < WINDOW_OVERLAP ? win / 2 : WINDOW_OVERLAP;
    trawl_status st = TRAWL_OK;
    th->base = th->seen_to = 0;
    for (size_t at = 0; st == TRAWL_OK; at += win - overlap) {
        size_t k = n - at < win ? n - at : win;
        th->base = at;
        st = scan_window(s, th, (const char *)t->p + at, k, t->idx, err);
        th->seen_to = at + k;
        if (at + k >= n)
            break;
    }
    th->base = th->seen_to = 0;
    return st;
}

/* ---- scoring ------------------------------------------------------------------ */

static const char *text_name(const trawl_detect_input *in, uint32_t idx, char *buf, size_t n)
{
    if (idx == 0)
        return "prompt";
    if (idx == 1)
        return "query";
    if (idx - 2 < in->n_history)
        snprintf(buf, n, "history[%u]", idx - 2);
    else {
        const trawl_chat_text *c = &in->chat[idx - 2 - in->n_history];
        snprintf(buf, n, "%s (role %s)", c->where, c->role);
    }
    return buf;
}

static const char *fl_words(uint8_t fl, uint8_t view)
{
    static const char *const w[] = {
        "",
        "; zero-width/bidi characters removed inside the match",
        "; lookalike characters folded inside the match",
        "; zero-width characters and lookalikes inside the match",
    };
    (void)view;
    return w[fl & 3];
}

static int hit_evidence(trawl_violation *v, const pi_rule *r, const pi_hit *h,
                        const trawl_detect_input *in)
{
    /* One line per hit, built piece by piece (vsnprintf was 6 % of a call):
     * rule %s (weight %.2f%s): "%s" at offset %llu of the %s view of %s
     * (source bytes %llu..%llu)%s; %u match%s */
    char buf[TEXT_NAME_MAX];
    det_line l = {0};
    det_line_str(&l, "rule ");
    det_line_str(&l, r->name);
    det_line_str(&l, " (weight ");
    det_line_fixed2(&l, r->w);
    det_line_str(&l, h->skipped ? ", overlaps a stronger match: not counted): \"" : "): \"");
    det_line_str(&l, h->snip);
    det_line_str(&l, "\" at offset ");
    det_line_u64(&l, h->off);
    det_line_str(&l, " of the ");
    det_line_str(&l, view_names[h->view]);
    if (h->window) {
        det_line_str(&l, " (window from source byte ");
        det_line_u64(&l, h->window);
        det_line_str(&l, ")");
    }
    det_line_str(&l, " view of ");
    det_line_str(&l, text_name(in, h->text, buf, sizeof buf));
    det_line_str(&l, " (source bytes ");
    det_line_u64(&l, h->src_off);
    det_line_str(&l, "..");
    det_line_u64(&l, h->src_end);
    det_line_str(&l, ")");
    det_line_str(&l, fl_words(h->fl, h->view));
    det_line_str(&l, "; ");
    det_line_u64(&l, h->count);
    det_line_str(&l, h->count == 1 ? " match" : " matches");
    return det_evidence_line(v, &l);
}

/* One decision: with the learned tier on, it decides (the rules are among
 * its inputs) and a rule-tier violation that would flag (>= 0.5) is shown
 * only when the model flags too, or when it rests on a rule the model
 * vouches for (its training data never showed the rule on benign text, so
 * the model learned nothing against it) and reaches rule_threshold;
 * without the model, rule_threshold raises the bar of the rules alone. */
static bool suppressed(const pi_state *s, const pi_thread *th, double conf, bool vouched)
{
    if (conf < 0.5)
        return false;
    if (s->learned)
        return th->model_p < s->model_thr && !(vouched && conf >= s->rule_thr);
    return conf < s->rule_thr;
}

/* Whether the learned tier vouches for rule i (learned.h); false without it. */
static bool vouches(const pi_state *s, size_t i)
{
    return s->learned && pi_learned_vouches(s->learned, i);
}

static bool overlaps(const pi_hit *a, const pi_hit *b)
{
    return a->text == b->text && a->src_off < b->src_end && b->src_off < a->src_end;
}

/* Two rules of one category matching the same words are one piece of
 * evidence, not two: strongest first, a rule whose match overlaps the match
 * of a rule already counted does not join the noisy-OR (it is still listed
 * as evidence, marked so). */
static void mark_counted(const pi_state *s, pi_thread *th, unsigned cat)
{
    for (;;) {
        size_t best = s->n_rules;
        for (size_t t = 0; t < th->n_touched; t++) {
            size_t i = th->touched[t];
            pi_hit *h = &th->hits[i];
            if (s->rules[i].cat != cat || h->counted || h->skipped)
                continue;
            if (best == s->n_rules || s->rules[i].w > s->rules[best].w)
                best = i;
        }
        if (best == s->n_rules)
            return;
        pi_hit *h = &th->hits[best];
        bool dup = false;
        for (size_t t = 0; t < th->n_touched && !dup; t++) {
            size_t i = th->touched[t];
            dup = s->rules[i].cat == cat && th->hits[i].counted && overlaps(&th->hits[i], h);
        }
        if (dup)
            h->skipped = true;
        else
            h->counted = true;
    }
}

static trawl_status emit_category(const pi_state *s, pi_thread *th, unsigned cat,
                                  const trawl_detect_input *in, trawl_detector_result *out,
                                  double *conf_out, bool *vouch_out)
{
    bool vouched = false;
    double keep = 1;
    char desc[384];
    size_t dl = 0;
    desc[0] = 0;
    mark_counted(s, th, cat);
    for (size_t t = 0; t < th->n_touched; t++) {
        size_t i = th->touched[t];
        if (s->rules[i].cat != cat || !th->hits[i].counted)
            continue;
        keep *= 1 - s->rules[i].w;
        vouched |= vouches(s, i);
        int w = snprintf(desc + dl, sizeof desc - dl, "%s%s", dl ? ", " : "", s->rules[i].desc);
        if (w > 0 && (size_t)w < sizeof desc - dl)
            dl += (size_t)w;
    }
    bool decoded = cat == CAT_ENCODED && th->n_decoded;
    if (decoded) {
        keep *= 1 - W_DECODED;
        int w = snprintf(desc + dl, sizeof desc - dl, "%s%zu run%s decoded to text", dl ? ", " : "",
                         th->n_decoded, th->n_decoded == 1 ? "" : "s");
        if (w > 0 && (size_t)w < sizeof desc - dl)
            dl += (size_t)w;
    }
    double conf = 1 - keep;
    if (conf > 0.99)
        conf = 0.99;
    *conf_out = conf;
    *vouch_out = vouched;
    if (keep == 1 || conf < s->report_min || suppressed(s, th, conf, vouched))
        return TRAWL_OK;
    trawl_violation *v = det_violation(out, cats[cat].name, conf, "%s: %s", cats[cat].label, desc);
    if (!v)
        return TRAWL_ENOMEM;
    for (size_t t = 0; t < th->n_touched; t++) {
        size_t i = th->touched[t];
        if (s->rules[i].cat == cat && hit_evidence(v, &s->rules[i], &th->hits[i], in))
            return TRAWL_ENOMEM;
    }
    char buf[TEXT_NAME_MAX];
    for (size_t i = 0; decoded && i < th->n_notes; i++) {
        const pi_note *n = &th->notes[i];
        if (det_evidence(v,
                         "%s run at bytes %llu..%llu of %s (weight %.2f) decodes to text: \"%s\"",
                         pi_enc_name(n->kind), (unsigned long long)n->src_off,
                         (unsigned long long)n->src_end, text_name(in, n->text, buf, sizeof buf),
                         W_DECODED, n->preview))
            return TRAWL_ENOMEM;
    }
    return TRAWL_OK;
}

/* Signals of different categories are independent evidence too: when two
 * or more categories fired, their confidences combine as a noisy-OR into a
 * "multiple_signals" violation (reported when it says more than the
 * strongest category alone). */
static trawl_status emit_combined(const pi_state *s, const pi_thread *th, const double *conf,
                                  const bool *vouch, trawl_detector_result *out)
{
    double keep = 1, best = 0;
    unsigned n = 0;
    bool vouched = false;
    for (unsigned c = 0; c < N_CATS; c++) {
        if (conf[c] < MIN_COMBINE)
            continue;
        vouched |= vouch[c];
        keep *= 1 - conf[c];
        n++;
        if (conf[c] > best)
            best = conf[c];
    }
    double comb = 1 - keep;
    if (comb > 0.99)
        comb = 0.99;
    if (n < 2 || comb < s->report_min || comb < best + 0.005 || suppressed(s, th, comb, vouched))
        return TRAWL_OK;
    trawl_violation *v =
        det_violation(out, "multiple_signals", comb, "multiple signals: %u categories combined", n);
    if (!v)
        return TRAWL_ENOMEM;
    for (unsigned c = 0; c < N_CATS; c++)
        if (conf[c] >= MIN_COMBINE && det_evidence(v, "%s %.2f", cats[c].name, conf[c]))
            return TRAWL_ENOMEM;
    if (det_evidence(v, "combined as 1 - prod(1 - c) = %.2f", comb))
        return TRAWL_ENOMEM;
    return TRAWL_OK;
}

static trawl_status emit_obfuscation(const pi_state *s, pi_thread *th, const trawl_detect_input *in,
                                     trawl_detector_result *out)
{
    const pi_norm_stats *ns = &th->stats;
    size_t invisible = ns->zero_width + ns->bidi + ns->tags;
    double conf = invisible ? W_INVISIBLE : 0;
    bool vouched = false;
    for (size_t t = 0; t < th->n_touched; t++) {
        size_t i = th->touched[t];
        if (!th->hits[i].plain && s->rules[i].w + OBFUSCATION_BONUS > conf)
            conf = s->rules[i].w + OBFUSCATION_BONUS;
        vouched |= !th->hits[i].plain && vouches(s, i);
    }
    if (conf > 0.95)
        conf = 0.95;
    if (conf == 0 || conf < s->report_min || suppressed(s, th, conf, vouched))
        return TRAWL_OK;
    trawl_violation *v =
        det_violation(out, "obfuscation", conf, "%s",
                      conf > W_INVISIBLE ? "obfuscation: an injection phrase was hidden "
                                           "(found only after undoing the obfuscation)"
                                         : "obfuscation: invisible characters in the text");
    if (!v)
        return TRAWL_ENOMEM;
    if (invisible &&
        det_evidence(v,
                     "removed %zu zero-width/control, %zu bidi and %zu tag characters (first at "
                     "source byte %lld); folded %zu lookalike characters",
                     ns->zero_width, ns->bidi, ns->tags, (long long)ns->first_invisible,
                     ns->confusable))
        return TRAWL_ENOMEM;
    for (size_t t = 0; t < th->n_touched; t++) {
        size_t i = th->touched[t];
        if (!th->hits[i].plain && hit_evidence(v, &s->rules[i], &th->hits[i], in))
            return TRAWL_ENOMEM;
    }
    return TRAWL_OK;
}

/* The raw text numbered idx (as run() numbers them), cut to max_text (the
 * window the model read). */
static const uint8_t *text_of(const pi_state *s, const trawl_detect_input *in, uint32_t idx,
                              size_t *n)
{
    size_t k = 0;
    pi_text_ref t = {0};
    while (next_text(s, in, &k, &t) && t.idx != idx)
        ;
    *n = t.len < s->max_text ? t.len : s->max_text;
    return t.p ? t.p : (const uint8_t *)"";
}

/* The learned tier's violation: p, the threshold, and the terms of the
 * logit that drove it, computed again on the text that gave the highest p
 * (only inputs that are flagged pay for an explanation). */
static trawl_status emit_model(const pi_state *s, pi_thread *th, const trawl_detect_input *in,
                               trawl_detector_result *out)
{
    char buf[TEXT_NAME_MAX];
    trawl_model_info info;
    trawl_model_get_info(pi_learned_model(s->learned), &info);
    trawl_violation *v =
        det_violation(out, "model", th->model_p, "model %s: classified as injection", info.name);
    if (!v || det_evidence(v,
                           "model %s gave p = %.3f (threshold %.3f) on the normalized view of "
                           "%s and the rule tier's signals; the terms that drove it:",
                           info.name, th->model_p, s->model_thr,
                           text_name(in, th->model_text, buf, sizeof buf)))
        return TRAWL_ENOMEM;
    size_t n;
    const uint8_t *t = text_of(s, in, th->model_text, &n);
    pi_norm_stats ns = {.first_invisible = -1};
    if (pi_normalize(&th->alt, t, n, 0, NULL, &ns, n))
        return TRAWL_ENOMEM;
    if (s->n_allow)
        apply_allow(s, &th->alt);
    return pi_learned_explain(s->learned, th->alt.s, th->alt.len, th->sig, v, 8) ? TRAWL_ENOMEM
                                                                                 : TRAWL_OK;
}

static trawl_status emit_extras(const pi_state *s, pi_thread *th, const trawl_detect_input *in,
                                trawl_detector_result *out)
{
    if (s->learned && th->model_p >= s->model_thr && th->model_p > 0)
        return emit_model(s, th, in, out);
    return TRAWL_OK;
}

/* Evidence lists rules in pack order, whatever order they matched in. */
static void sort_touched(pi_thread *th)
{
    for (size_t i = 1; i < th->n_touched; i++) {
        uint32_t v = th->touched[i];
        size_t j = i;
        for (; j > 0 && th->touched[j - 1] > v; j--)
            th->touched[j] = th->touched[j - 1];
        th->touched[j] = v;
    }
}

/* Clears only the hits the last call touched: a clean text costs nothing
 * here, whatever the size of the pack. */
static void reset_thread(pi_thread *th)
{
    for (size_t t = 0; t < th->n_touched; t++)
        memset(&th->hits[th->touched[t]], 0, sizeof(*th->hits));
    th->n_touched = 0;
    memset(&th->stats, 0, sizeof(th->stats));
    th->stats.first_invisible = -1;
    th->n_notes = th->n_decoded = 0;
    th->model_p = 0;
    th->model_text = 0;
    th->n_pre = 0;
    th->bytes = th->non_ascii = th->digits = th->punct = 0;
}

/* The index (as text_name() reads it) of the k-th text run() scores. */
static uint32_t text_index(const pi_state *s, const trawl_detect_input *in, size_t k)
{
    size_t at = 0;
    pi_text_ref t = {0};
    for (size_t i = 0; i <= k && next_text(s, in, &at, &t); i++)
        ;
    return t.idx;
}

static float log_share(size_t n)
{
    double v = log1p((double)n) / 3;
    return (float)(v > 1 ? 1 : v);
}

/* The input's signals (learned.h): its rule hits over every view, then
 * extra_sig. */
static void compute_signals(const pi_state *s, pi_thread *th)
{
    float *sig = th->sig;
    memset(sig, 0, s->n_sig * sizeof(float));
    bool hidden = false;
    for (size_t t = 0; t < th->n_touched; t++) {
        size_t i = th->touched[t];
        if (!s->rules[i].off) {
            sig[i] = 1;
            hidden |= !th->hits[i].plain;
        }
    }
    const pi_norm_stats *ns = &th->stats;
    float *x = sig + s->n_rules;
    double bytes = th->bytes ? (double)th->bytes : 1;
    x[0] = log_share(ns->zero_width + ns->bidi + ns->tags);
    x[1] = log_share(ns->confusable);
    x[2] = log_share(ns->combining);
    x[3] = th->n_decoded >= 2 ? 1.0f : (float)th->n_decoded / 2;
    x[4] = hidden;
    x[5] = (float)(log1p((double)th->bytes) / 10);
    x[6] = (float)((double)th->non_ascii / bytes);
    x[7] = (float)((double)th->digits / bytes);
    x[8] = (float)((double)th->punct / bytes);
}

/* The learned decision: the highest p over the input's texts, each text's
 * pooled features with the input's signals. */
static void decide(const pi_state *s, pi_thread *th, const trawl_detect_input *in)
{
    compute_signals(s, th);
    unsigned h = pi_learned_hidden(s->learned);
    const float *pre = th->preset ? th->preset_pre : th->pre;
    const size_t *words = th->preset ? th->preset_words : th->words;
    size_t n = th->preset ? th->preset_n : th->n_pre;
    for (size_t i = 0; i < n; i++) {
        double p = pi_learned_prob(s->learned, pre + i * h, words[i], th->sig);
        if (p > th->model_p) {
            th->model_p = p;
            th->model_text = th->preset ? text_index(s, in, i) : th->pre_text[i];
        }
    }
}

static trawl_status pi_detect(void *state, void *tstate, const trawl_detect_input *in,
                              trawl_detector_result *out, trawl_error *err)
{
    const pi_state *s = state;
    pi_thread *th = tstate;
    reset_thread(th);
    trawl_status st = TRAWL_OK;
    size_t k = 0;
    pi_text_ref t;
    while (st == TRAWL_OK && next_text(s, in, &k, &t))
        st = scan_text(s, th, &t, err);
    if (st != TRAWL_OK) {
        th->preset = false;
        return st;
    }
    sort_touched(th);
    if (s->learned)
        decide(s, th, in);
    double conf[N_CATS] = {0};
    bool vouch[N_CATS] = {0};
    for (unsigned c = 0; c < N_CATS && st == TRAWL_OK; c++)
        st = emit_category(s, th, c, in, out, &conf[c], &vouch[c]);
    if (st == TRAWL_OK)
        st = emit_combined(s, th, conf, vouch, out);
    if (st == TRAWL_OK)
        st = emit_obfuscation(s, th, in, out);
    if (st == TRAWL_OK)
        st = emit_extras(s, th, in, out);
    th->preset = false;
    if (st == TRAWL_ENOMEM)
        return trawl__fail(err, TRAWL_ENOMEM, "out of memory");
    return st;
}

trawl_status det_prompt_injection_pool(const void *state, const uint8_t *text, size_t n,
                                       pi_text *scratch, float *pre, size_t *words)
{
    const pi_state *s = state;
    pi_norm_stats ns = {.first_invisible = -1};
    if (n > s->max_text)
        n = s->max_text;
    if (pi_normalize(scratch, text, n, 0, NULL, &ns, n))
        return TRAWL_ENOMEM;
    if (s->n_allow)
        apply_allow(s, scratch);
    *words = trawl_model_pool(pi_learned_model(s->learned), scratch->s, scratch->len, pre);
    return TRAWL_OK;
}

trawl_status det_prompt_injection_features(const void *state, void *tstate, const char *text,
                                           size_t len, const uint8_t **norm, size_t *norm_len,
                                           const float **sig, trawl_error *err)
{
    const pi_state *s = state;
    pi_thread *th = tstate;
    reset_thread(th);
    th->preset = true; /* no pooling: the caller hashes the text itself */
    th->preset_n = 0;
    pi_text_ref ref = {(const uint8_t *)text, len, 0};
    trawl_status st = scan_text(s, th, &ref, err);
    th->preset = false;
    if (st != TRAWL_OK)
        return st;
    compute_signals(s, th);
    *norm = th->norm.s;
    *norm_len = th->norm.len;
    *sig = th->sig;
    return TRAWL_OK;
}

const detector_ops det_prompt_injection_ops = {
    .name = "prompt_injection",
    .bit = TRAWL_DET_PROMPT_INJECTION,
    .create = pi_create,
    .destroy = pi_destroy,
    .thread_new = pi_thread_new,
    .thread_free = pi_thread_free,
    .run = pi_detect,
};
