/* sdk.c -- SDK, framework and RTOS signatures (rules/firmware.rules)
 * through the pattern engine, weighed per SDK. */
#include "firmware/fw_int.h"

#include <stdlib.h>
#include <string.h>
#include <trawl/pattern.h>

#include "common/error.h"
#include "common/embedded.h"

#define MAX_RULES 512

typedef struct rule {
    char sdk[48], name[64];
    unsigned weight;
} rule;

struct trawl_fw_sdk_scanner {
    trawl_pattern_db *db;
    rule *rules;
    size_t n;
};

/* "sdk.evidence.weight" -> parts; false when the name has another shape. */
static bool split_name(const char *full, rule *r)
{
    const char *d1 = strchr(full, '.');
    const char *d2 = d1 ? strrchr(full, '.') : NULL;
    if (!d1 || d2 == d1 || d2[1] < '1' || d2[1] > '9' || d2[2])
        return false;
    size_t a = (size_t)(d1 - full), b = (size_t)(d2 - d1 - 1);
    if (a == 0 || a >= sizeof(r->sdk) || b == 0 || b >= sizeof(r->name))
        return false;
    memcpy(r->sdk, full, a);
    r->sdk[a] = 0;
    memcpy(r->name, d1 + 1, b);
    r->name[b] = 0;
    r->weight = (unsigned)(d2[1] - '0');
    return true;
}

trawl_status trawl_fw_sdk_scanner_new(const char *rules_text, size_t len,
                                      trawl_fw_sdk_scanner **out, trawl_error *err)
{
    if (!out)
        return trawl__fail(err, TRAWL_EINVAL, "firmware: NULL argument");
    *out = NULL;
    if (!rules_text) {
        const emb_rule_pack *p = emb_rules_find("firmware");
        if (!p)
            return trawl__fail(err, TRAWL_EFORMAT, "firmware: no rule pack built in");
        rules_text = p->text;
        len = p->len;
    }
    trawl_fw_sdk_scanner *s = calloc(1, sizeof(*s));
    trawl_pattern_set *set = NULL;
    trawl_status st = s ? trawl_pattern_set_new(&set) : TRAWL_ENOMEM;
    if (st == TRAWL_OK)
        st = trawl_pattern_set_add_rules(set, rules_text, len, err);
    else
        trawl__fail(err, st, "firmware: out of memory");
    size_t n = st == TRAWL_OK ? trawl_pattern_set_count(set) : 0;
    if (st == TRAWL_OK && (n == 0 || n > MAX_RULES))
        st = trawl__fail(err, TRAWL_ELIMIT, "firmware: %zu rules (1 to %d allowed)", n, MAX_RULES);
    if (st == TRAWL_OK)
        st = trawl_pattern_compile_ex(set, TRAWL_COMPILE_BLOCK_ONLY, &s->db, err);
    if (st == TRAWL_OK && !(s->rules = calloc(n, sizeof(rule))))
        st = trawl__fail(err, TRAWL_ENOMEM, "firmware: out of memory");
    for (size_t i = 0; st == TRAWL_OK && i < n; i++) {
        trawl_pattern_info info;
        trawl_pattern_info_get(s->db, i, &info);
        if (!info.name || !split_name(info.name, &s->rules[i]))
            st = trawl__fail_at(err, TRAWL_EFORMAT, -1, (int64_t)i,
                                "firmware: rule %zu: name '%s' is not SDK.EVIDENCE.WEIGHT", i,
                                info.name ? info.name : "");
    }
    if (s)
        s->n = n;
    trawl_pattern_set_free(set);
    if (st != TRAWL_OK) {
        trawl_fw_sdk_scanner_free(s);
        return st;
    }
    *out = s;
    return TRAWL_OK;
}

void trawl_fw_sdk_scanner_free(trawl_fw_sdk_scanner *s)
{
    if (!s)
        return;
    trawl_pattern_db_free(s->db);
    free(s->rules);
    free(s);
}

bool trawl_fw_sdk_rule(const trawl_fw_sdk_scanner *s, size_t i, trawl_fw_evidence *out)
{
    if (!s || !out || i >= s->n)
        return false;
    const rule *ru = &s->rules[i];
    *out = (trawl_fw_evidence){ru->sdk, ru->name, ru->weight, 0, 0, 0};
    return true;
}

typedef struct hits {
    uint32_t *count;
    uint64_t *off, *len;
} hits;

static int on_match(const trawl_match *m, void *ud)
{
    hits *h = ud;
    if (h->count[m->pattern]++ == 0) {
        h->off[m->pattern] = m->offset;
        h->len[m->pattern] = m->length;
    }
    return 0;
}

static int by_weight(const void *a, const void *b)
{
    const trawl_fw_sdk *x = a, *y = b;
    if (x->weight != y->weight)
        return x->weight > y->weight ? -1 : 1;
    return strcmp(x->name, y->name);
}

trawl_status trawl_fw_sdk_scan(const trawl_fw_sdk_scanner *s, const uint8_t *data, size_t len,
                               trawl_fw_sdk_report **out, trawl_error *err)
{
    if (!s || !out || (!data && len))
        return trawl__fail(err, TRAWL_EINVAL, "firmware: NULL argument");
    *out = NULL;
    trawl_scratch *scr = NULL;
    hits h = {calloc(s->n, 4), calloc(s->n, 8), calloc(s->n, 8)};
    trawl_fw_sdk_report *r = calloc(1, sizeof(*r));
    trawl_status st = h.count && h.off && h.len && r ? TRAWL_OK : TRAWL_ENOMEM;
    if (st == TRAWL_OK)
        st = trawl_scratch_alloc(s->db, &scr, err);
    if (st == TRAWL_OK)
        st = trawl_scan(s->db, scr, data, len, 0, on_match, &h, err);
    if (st == TRAWL_OK && (!(r->evidence = calloc(s->n, sizeof(*r->evidence))) ||
                           !(r->sdks = calloc(s->n, sizeof(*r->sdks)))))
        st = TRAWL_ENOMEM;
    for (size_t i = 0; st == TRAWL_OK && i < s->n; i++) {
        if (!h.count[i])
            continue;
        const rule *ru = &s->rules[i];
        r->evidence[r->n_evidence++] =
            (trawl_fw_evidence){ru->sdk, ru->name, ru->weight, h.off[i], h.len[i], h.count[i]};
        size_t k = 0;
        while (k < r->n_sdks && strcmp(r->sdks[k].name, ru->sdk))
            k++;
        if (k == r->n_sdks)
            r->sdks[r->n_sdks++] = (trawl_fw_sdk){ru->sdk, 0, 0};
        r->sdks[k].weight += ru->weight;
        r->sdks[k].rules++;
    }
    trawl_scratch_free(scr);
    free(h.count);
    free(h.off);
    free(h.len);
    if (st != TRAWL_OK) {
        trawl_fw_sdk_report_free(r);
        return st == TRAWL_ENOMEM ? trawl__fail(err, st, "firmware: out of memory") : st;
    }
    size_t kept = 0;
    for (size_t k = 0; k < r->n_sdks; k++)
        if (r->sdks[k].weight >= 2)
            r->sdks[kept++] = r->sdks[k];
    r->n_sdks = kept;
    qsort(r->sdks, r->n_sdks, sizeof(*r->sdks), by_weight);
    *out = r;
    return TRAWL_OK;
}

void trawl_fw_sdk_report_free(trawl_fw_sdk_report *r)
{
    if (!r)
        return;
    free(r->sdks);
    free(r->evidence);
    free(r);
}
