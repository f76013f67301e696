/* input.c -- messages from text: hex lines or JSON lines (the output of
 * `trawl frame --json`). Hostile input: every line is checked before its
 * bytes are kept, and a bad line is an error naming its line and column. */
#include "common/codec.h"
#include "common/error.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>
#include <trawl/frame.h>
#include <trawl/infer.h>

struct trawl_infer_input {
    uint8_t *bytes;
    trawl_infer_msg *m;
    uint64_t *frame; /* capture input: frame numbers */
    size_t n, cap;
    size_t used, bcap;
};

void trawl_infer_input_free(trawl_infer_input *in)
{
    if (!in)
        return;
    free(in->bytes);
    free(in->m);
    free(in->frame);
    free(in);
}

const trawl_infer_msg *trawl_infer_input_msgs(const trawl_infer_input *in, size_t *n)
{
    if (n)
        *n = in ? in->n : 0;
    return in ? in->m : NULL;
}

uint64_t trawl_infer_input_frame(const trawl_infer_input *in, size_t i)
{
    if (!in || i >= in->n)
        return 0;
    return in->frame ? in->frame[i] : i;
}

static trawl_status fail_line(trawl_error *err, trawl_status st, int line, size_t col,
                              size_t offset, const char *why)
{
    trawl__fail_at(err, st, (int64_t)offset, -1, "line %d, column %zu: %s", line, col, why);
    if (err) {
        err->line = line;
        err->column = (int)col;
    }
    return st;
}

/* Decodes hex (spaces and tabs allowed) into dst; returns the byte count or
 * -(1 + index of the bad character). */
static long unhex(const char *s, size_t n, uint8_t *dst)
{
    size_t k = 0, i = 0;
    while (i < n) {
        if (s[i] == ' ' || s[i] == '\t' || s[i] == '\r') {
            i++;
            continue;
        }
        int hi = trawl__hexval(s[i]);
        if (hi < 0)
            return -(long)i - 1;
        if (i + 1 >= n || trawl__hexval(s[i + 1]) < 0)
            return -(long)(i + 1) - 1;
        dst[k++] = (uint8_t)(hi << 4 | trawl__hexval(s[i + 1]));
        i += 2;
    }
    return (long)k;
}

static double json_ts(const cJSON *t)
{
    if (cJSON_IsNumber(t))
        return t->valuedouble;
    if (cJSON_IsString(t))
        return strtod(t->valuestring, NULL);
    return 0;
}

static uint16_t json_port(const cJSON *p)
{
    if (!cJSON_IsNumber(p) || p->valuedouble < 0 || p->valuedouble > 65535)
        return 0;
    return (uint16_t)p->valuedouble;
}

trawl_status trawl_infer_input_parse(const char *text, size_t len, trawl_infer_input **out,
                                     trawl_error *err)
{
    if (!out || (!text && len))
        return trawl__fail(err, TRAWL_EINVAL, "NULL argument");
    *out = NULL;
    trawl_infer_input *in = calloc(1, sizeof(*in));
    /* no message can hold more bytes than half the text */
    if (!in || !(in->bytes = malloc(len / 2 + 1))) {
        trawl_infer_input_free(in);
        return trawl__fail(err, TRAWL_ENOMEM, "out of memory");
    }
    trawl_status st = TRAWL_OK;
    size_t pos = 0;
    int line = 0;
    while (pos < len && st == TRAWL_OK) {
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t end = nl ? (size_t)(nl - text) : len;
        line++;
        size_t a = pos;
        while (a < end && (text[a] == ' ' || text[a] == '\t' || text[a] == '\r'))
            a++;
        if (a == end || text[a] == '#') {
            pos = end + 1;
            continue;
        }
        if (in->n == in->cap) {
            size_t c = in->cap ? 2 * in->cap : 256;
            trawl_infer_msg *nm = c > 0x7FFFFFFF ? NULL : realloc(in->m, c * sizeof(*nm));
            if (!nm) {
                st = c > 0x7FFFFFFF ? trawl__fail(err, TRAWL_ELIMIT, "more than 2^31 messages")
                                    : trawl__fail(err, TRAWL_ENOMEM, "out of memory");
                break;
            }
            in->m = nm;
            in->cap = c;
        }
        trawl_infer_msg *m = &in->m[in->n];
        memset(m, 0, sizeof(*m));
        const char *hex = text + a;
        size_t hexlen = end - a, hexcol = a - pos + 1;
        cJSON *j = NULL;
        if (text[a] == '{') {
            j = cJSON_ParseWithLength(text + a, end - a);
            const cJSON *v = j ? cJSON_GetObjectItemCaseSensitive(j, "value") : NULL;
            if (!cJSON_IsString(v)) {
                cJSON_Delete(j);
                st = fail_line(err, TRAWL_EFORMAT, line, hexcol, a,
                               "expected a JSON object with a \"value\" hex string");
                break;
            }
            hex = v->valuestring;
            hexlen = strlen(hex);
            hexcol = 0;
            m->src_port = json_port(cJSON_GetObjectItemCaseSensitive(j, "src_port"));
            m->dst_port = json_port(cJSON_GetObjectItemCaseSensitive(j, "dst_port"));
            m->ts = json_ts(cJSON_GetObjectItemCaseSensitive(j, "ts"));
        }
        long k =
            hexlen / 2 + in->used <= len / 2 + 1 ? unhex(hex, hexlen, in->bytes + in->used) : -1;
        cJSON_Delete(j);
        if (k < 0) {
            size_t bad = (size_t)(-k - 1);
            st = fail_line(err, TRAWL_EFORMAT, line, hexcol ? hexcol + bad : 0,
                           hexcol ? a + bad : a, "expected hex digits");
            break;
        }
        m->data = (trawl_span){NULL, (size_t)k};
        uint32_t lo = m->src_port < m->dst_port ? m->src_port : m->dst_port;
        uint32_t hi = m->src_port < m->dst_port ? m->dst_port : m->src_port;
        m->flow = lo << 16 | hi;
        m->dir = m->src_port > m->dst_port;
        /* an offset for now: the pointer is set once every line is read */
        m->data.ptr = (const uint8_t *)(uintptr_t)in->used;
        in->used += (size_t)k;
        in->n++;
        pos = end + 1;
    }
    if (st != TRAWL_OK) {
        trawl_infer_input_free(in);
        return st;
    }
    for (size_t i = 0; i < in->n; i++)
        in->m[i].data.ptr = in->bytes + (uintptr_t)in->m[i].data.ptr;
    *out = in;
    return TRAWL_OK;
}

/* --- captures ------------------------------------------------------------------ */

static bool grow_capture(trawl_infer_input *in, size_t need)
{
    if (in->n == in->cap) {
        size_t c = in->cap ? 2 * in->cap : 256;
        trawl_infer_msg *m = realloc(in->m, c * sizeof(*m));
        if (m)
            in->m = m;
        uint64_t *f = m ? realloc(in->frame, c * sizeof(*f)) : NULL;
        if (!f)
            return false;
        in->frame = f;
        in->cap = c;
    }
    if (in->used + need > in->bcap) {
        size_t c = in->bcap ? in->bcap : 65536;
        while (c < in->used + need)
            c *= 2;
        uint8_t *b = realloc(in->bytes, c);
        if (!b)
            return false;
        in->bytes = b;
        in->bcap = c;
    }
    return true;
}

trawl_status trawl_infer_input_pcap(const char *path, trawl_infer_input **out, trawl_error *err)
{
    if (!path || !out)
        return trawl__fail(err, TRAWL_EINVAL, "NULL argument");
    *out = NULL;
    trawl_frame_pcap *p;
    trawl_status st = trawl_frame_pcap_open_path(path, &p, err);
    if (st != TRAWL_OK)
        return st;
    trawl_infer_input *in = calloc(1, sizeof(*in));
    if (!in) {
        trawl_frame_pcap_free(p);
        return trawl__fail(err, TRAWL_ENOMEM, "out of memory");
    }
    trawl_frame_packet pkt;
    trawl_frame_fault f;
    trawl_frame_step step;
    while ((step = trawl_frame_pcap_next(p, &pkt, &f)) != TRAWL_FRAME_END) {
        if (step == TRAWL_FRAME_FAULT) {
            trawl_frame_fault_to_error(&f, err);
            st = TRAWL_EFORMAT;
            break;
        }
        const trawl_frame_l4 *l4 = &pkt.l4;
        if (!l4->has_payload || l4->payload.len == 0)
            continue;
        if (in->n >= 0x7FFFFFFF || !grow_capture(in, l4->payload.len)) {
            st = in->n >= 0x7FFFFFFF ? trawl__fail(err, TRAWL_ELIMIT, "more than 2^31 messages")
                                     : trawl__fail(err, TRAWL_ENOMEM, "out of memory");
            break;
        }
        memcpy(in->bytes + in->used, l4->payload.ptr, l4->payload.len);
        trawl_infer_msg *m = &in->m[in->n];
        memset(m, 0, sizeof(*m));
        m->data = (trawl_span){(const uint8_t *)(uintptr_t)in->used, l4->payload.len};
        m->src_port = l4->src_port;
        m->dst_port = l4->dst_port;
        uint16_t lo = l4->src_port < l4->dst_port ? l4->src_port : l4->dst_port;
        uint16_t hi = l4->src_port < l4->dst_port ? l4->dst_port : l4->src_port;
        m->flow = (uint32_t)lo << 16 | hi;
        m->dir = l4->src_port > l4->dst_port;
        m->ts = (double)pkt.ts_sec + pkt.ts_nsec * 1e-9;
        in->frame[in->n++] = pkt.index + 1;
        in->used += l4->payload.len;
    }
    trawl_frame_pcap_free(p);
    if (st != TRAWL_OK) {
        trawl_infer_input_free(in);
        return st;
    }
    for (size_t i = 0; i < in->n; i++)
        in->m[i].data.ptr = in->bytes + (uintptr_t)in->m[i].data.ptr;
    *out = in;
    return TRAWL_OK;
}
