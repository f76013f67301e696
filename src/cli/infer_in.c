/* infer_in.c -- messages for `trawl infer`: from a capture (every TCP/UDP
 * payload, no reassembly), from a framer over a file, or from text. */
#include "infer_cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void infer_msgs_free(infer_msgs *m)
{
    free(m->m);
    free(m->frame);
    free(m->owned);
    trawl_infer_input_free(m->text);
    memset(m, 0, sizeof(*m));
}

static bool grow(infer_msgs *o, size_t *cap, size_t *bcap, size_t *used, size_t need)
{
    if (o->n == *cap) {
        size_t c = *cap ? 2 * *cap : 256;
        trawl_infer_msg *m = realloc(o->m, c * sizeof(*m));
        uint64_t *f = m ? realloc(o->frame, c * sizeof(*f)) : NULL;
        if (m)
            o->m = m;
        if (!f)
            return false;
        o->frame = f;
        *cap = c;
    }
    if (*used + need > *bcap) {
        size_t c = *bcap ? *bcap : 65536;
        while (c < *used + need)
            c *= 2;
        uint8_t *b = realloc(o->owned, c);
        if (!b)
            return false;
        o->owned = b;
        *bcap = c;
    }
    return true;
}

/* Byte offsets were stored in data.ptr while the buffer could move. */
static void fix_pointers(infer_msgs *o)
{
    for (size_t i = 0; i < o->n; i++)
        o->m[i].data.ptr = o->owned + (uintptr_t)o->m[i].data.ptr;
}

static int load_pcap(const char *cmd, const char *path, infer_msgs *o)
{
    trawl_error err;
    trawl_error_clear(&err);
    if (trawl_infer_input_pcap(path, &o->text, &err) != TRAWL_OK) {
        cli_errorf(cmd, "%s: %s", path, err.message);
        return CLI_ERROR;
    }
    return 0;
}

static int load_frames(const char *cmd, const cli_input *in, const char *spec, infer_msgs *o)
{
    cli_frames spec_out;
    if (cli_frame_spec(spec, &spec_out) != 0)
        return CLI_ERROR;
    trawl_framer *fr = spec_out.framer;
    bool resync = spec_out.resync;
    if (!fr) { /* pcap: infer reads captures itself (a .pcap input) */
        cli_errorf(cmd, "--frames pcap: give the capture itself as the input");
        return CLI_ERROR;
    }
    trawl_frame_iter *it;
    if (trawl_frame_iter_new(fr, resync ? TRAWL_FRAME_RESYNC : 0, &it, NULL) != TRAWL_OK) {
        trawl_framer_free(fr);
        cli_errorf(cmd, "out of memory");
        return CLI_ERROR;
    }
    trawl_frame_iter_reset(it, in->data, in->len);
    size_t cap = 0, bcap = 0, used = 0;
    trawl_frame_unit u;
    trawl_frame_fault f;
    trawl_frame_step st;
    int rc = 0;
    while ((st = trawl_frame_iter_next(it, &u, &f)) != TRAWL_FRAME_END) {
        if (st == TRAWL_FRAME_FAULT) {
            cli_errorf(cmd, "%s: %s at offset %llu (unit %llu)", in->name,
                       trawl_frame_fault_message(f.kind), (unsigned long long)f.offset,
                       (unsigned long long)f.index);
            rc = CLI_ERROR;
            break;
        }
        if (!grow(o, &cap, &bcap, &used, u.data.len)) {
            cli_errorf(cmd, "out of memory");
            rc = CLI_ERROR;
            break;
        }
        memcpy(o->owned + used, u.data.ptr, u.data.len);
        trawl_infer_msg *m = &o->m[o->n];
        memset(m, 0, sizeof(*m));
        m->data = (trawl_span){(const uint8_t *)(uintptr_t)used, u.data.len};
        o->frame[o->n++] = u.index;
        used += u.data.len;
    }
    trawl_frame_iter_free(it);
    trawl_framer_free(fr);
    fix_pointers(o);
    return rc;
}

uint8_t *infer_slurp(const cli_input *in, size_t max, size_t *n)
{
    size_t cap = 65536, k = 0;
    uint8_t *b = malloc(cap);
    while (b && k < max) {
        if (k == cap) {
            uint8_t *nb = realloc(b, cap * 2);
            if (!nb)
                break;
            b = nb;
            cap *= 2;
        }
        size_t want = cap - k < max - k ? cap - k : max - k;
        ssize_t r = read(in->fd, b + k, want);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            *n = k;
            return r == 0 ? b : (free(b), NULL);
        }
        k += (size_t)r;
    }
    if (b && k >= max) {
        *n = k;
        return b;
    }
    free(b);
    return NULL;
}

/* Copies the messages and frame numbers of o->text into o. */
static int take_input(infer_msgs *o)
{
    size_t n;
    const trawl_infer_msg *m = trawl_infer_input_msgs(o->text, &n);
    o->m = malloc((n ? n : 1) * sizeof(*o->m));
    o->frame = malloc((n ? n : 1) * sizeof(*o->frame));
    if (!o->m || !o->frame)
        return CLI_ERROR;
    memcpy(o->m, m, n * sizeof(*m));
    for (size_t i = 0; i < n; i++)
        o->frame[i] = trawl_infer_input_frame(o->text, i);
    o->n = n;
    return 0;
}

int infer_load(const char *cmd, const char *path, const char *frames_spec, infer_msgs *o)
{
    memset(o, 0, sizeof(*o));
    cli_input in;
    if (cli_input_open(path, &in) != 0)
        return CLI_ERROR;
    const uint8_t *data = in.data;
    size_t len = in.len;
    uint8_t *copy = NULL;
    if (!data) {
        copy = infer_slurp(&in, SIZE_MAX, &len);
        if (!copy) {
            cli_errorf(cmd, "%s: cannot read", path);
            cli_input_close(&in);
            return CLI_ERROR;
        }
        data = copy;
    }
    static const uint8_t magics[4][4] = {{0xd4, 0xc3, 0xb2, 0xa1},
                                         {0xa1, 0xb2, 0xc3, 0xd4},
                                         {0x4d, 0x3c, 0xb2, 0xa1},
                                         {0x0a, 0x0d, 0x0d, 0x0a}};
    bool pcap = false;
    for (int k = 0; k < 4 && len >= 4; k++)
        pcap |= !memcmp(data, magics[k], 4);
    if (copy)
        in.data = copy, in.len = len;
    int rc;
    if (pcap && strcmp(path, "-") != 0) {
        rc = load_pcap(cmd, path, o);
        if (rc == 0)
            rc = take_input(o);
    } else if (pcap) {
        cli_errorf(cmd, "a capture must be a file, not a pipe");
        rc = CLI_ERROR;
    } else if (frames_spec) {
        rc = load_frames(cmd, &in, frames_spec, o);
    } else {
        trawl_error err;
        trawl_error_clear(&err);
        if (trawl_infer_input_parse((const char *)data, len, &o->text, &err) != TRAWL_OK) {
            cli_errorf(cmd, "%s: %s", path, err.message);
            rc = CLI_ERROR;
        } else {
            rc = take_input(o);
        }
    }
    if (copy) {
        in.data = NULL;
        in.len = 0;
    }
    free(copy);
    cli_input_close(&in);
    if (rc != 0)
        infer_msgs_free(o);
    return rc;
}
