/* analyze_input.c -- the messages `trawl analyze` reads: each file whole,
 * the units a framer cuts (--frames SPEC, as `trawl scan`), the transport
 * payloads of a capture (--frames pcap; pcap,flows joins each flow
 * direction's payloads into one message), or one message per line of hex
 * (--hex-lines). Inputs are mapped when they are files and read whole,
 * up to a bound, when they are pipes: an analysis needs all its bytes. */
#include "analyze.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int grow(an_msgs *m)
{
    if (m->n < m->cap)
        return 0;
    size_t nc = m->cap ? m->cap * 2 : 256;
    trawl_span *a = realloc(m->m, nc * sizeof(*a));
    if (a)
        m->m = a;
    an_src *b = realloc(m->src, nc * sizeof(*b));
    if (b)
        m->src = b;
    if (!a || !b)
        return -1;
    m->cap = nc;
    return 0;
}

static int own(an_msgs *m, uint8_t *p)
{
    if (m->nowned == m->owned_cap) {
        size_t nc = m->owned_cap ? m->owned_cap * 2 : 16;
        uint8_t **t = realloc(m->owned, nc * sizeof(*t));
        if (!t)
            return -1;
        m->owned = t;
        m->owned_cap = nc;
    }
    m->owned[m->nowned++] = p;
    return 0;
}

static int add(an_msgs *m, const uint8_t *p, size_t n, an_src s)
{
    if (grow(m))
        return -1;
    m->m[m->n] = (trawl_span){p, n};
    m->src[m->n++] = s;
    return 0;
}

int an_read_whole(const char *cmd, const char *path, uint64_t max, cli_input *in, uint8_t **owned)
{
    *owned = NULL;
    if (cli_input_open(path, in) != 0)
        return -1;
    if (in->data)
        return 0;
    size_t cap = 1 << 16, len = 0;
    uint8_t *buf = malloc(cap);
    for (;;) {
        if (!buf) {
            cli_errorf(cmd, "%s: out of memory", path);
            return -1;
        }
        if (len == cap) {
            if (cap >= max) {
                free(buf);
                cli_errorf(cmd, "%s: more than %" PRIu64 " bytes from a pipe (--max-input)", path,
                           max);
                return -1;
            }
            cap = cap * 2 > max ? (size_t)max : cap * 2;
            uint8_t *t = realloc(buf, cap);
            if (!t) {
                free(buf);
                buf = NULL;
                continue;
            }
            buf = t;
        }
        ssize_t r = read(in->fd, buf + len, cap - len);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            cli_errorf(cmd, "%s: %s", path, strerror(errno));
            free(buf);
            return -1;
        }
        if (r == 0)
            break;
        len += (size_t)r;
    }
    in->data = buf;
    in->len = len;
    *owned = buf;
    return 0;
}

/* --frames pcap[,flows]: payloads copied out of libpcap's buffer. */
static int load_pcap(const char *cmd, const char *path, uint32_t fi, bool flows, an_msgs *m)
{
    trawl_frame_pcap *pc;
    trawl_error err;
    trawl_error_clear(&err);
    if (trawl_frame_pcap_open_path(path, &pc, &err) != TRAWL_OK) {
        cli_report(cmd, path, &err);
        return -1;
    }
    trawl_frame_packet pkt;
    trawl_frame_fault f;
    trawl_frame_step st;
    size_t first = m->n;
    int rc = 0;
    while ((st = trawl_frame_pcap_next(pc, &pkt, &f)) != TRAWL_FRAME_END) {
        if (st == TRAWL_FRAME_FAULT) {
            fprintf(stderr, "trawl %s: %s: packet %" PRIu64 " at offset %" PRIu64 ": %s %s\n", cmd,
                    path, f.index, f.offset, trawl_frame_fault_name(f.kind),
                    trawl_frame_pcap_message(pc));
            rc = -1;
            break;
        }
        const trawl_frame_l4 *l = &pkt.l4;
        if (!l->has_payload || !l->payload.len)
            continue;
        an_src s = {.kind = flows ? AN_FLOW : AN_PACKET,
                    .file = fi,
                    .number = pkt.index,
                    .sport = l->src_port,
                    .dport = l->dst_port,
                    .proto = l->proto};
        if (flows) { /* append to this direction's message, if there is one */
            size_t k = first;
            while (k < m->n && !(m->src[k].proto == s.proto && m->src[k].sport == s.sport &&
                                 m->src[k].dport == s.dport))
                k++;
            if (k < m->n) {
                size_t len = m->m[k].len + l->payload.len;
                uint8_t *b = realloc((uint8_t *)m->m[k].ptr, len);
                if (!b) {
                    rc = -1;
                    break;
                }
                memcpy(b + m->m[k].len, l->payload.ptr, l->payload.len);
                for (size_t o = 0; o < m->nowned; o++)
                    if (m->owned[o] == m->m[k].ptr)
                        m->owned[o] = b;
                m->m[k] = (trawl_span){b, len};
                continue;
            }
        }
        uint8_t *b = malloc(l->payload.len);
        if (!b || own(m, b) || add(m, b, l->payload.len, s)) {
            free(b);
            rc = -1;
            break;
        }
        memcpy(b, l->payload.ptr, l->payload.len);
    }
    trawl_frame_pcap_free(pc);
    if (rc && st != TRAWL_FRAME_FAULT)
        cli_errorf(cmd, "%s: out of memory", path);
    return rc;
}

static int load_units(const char *cmd, const char *path, uint32_t fi, const cli_input *in,
                      const trawl_framer *fr, bool resync, an_msgs *m)
{
    trawl_frame_iter *it;
    trawl_error err;
    trawl_error_clear(&err);
    if (trawl_frame_iter_new(fr, resync ? TRAWL_FRAME_RESYNC : 0, &it, &err) != TRAWL_OK) {
        cli_report(cmd, path, &err);
        return -1;
    }
    trawl_frame_iter_reset(it, in->data, in->len);
    trawl_frame_unit u;
    trawl_frame_fault f;
    trawl_frame_step st;
    int rc = 0;
    while ((st = trawl_frame_iter_next(it, &u, &f)) != TRAWL_FRAME_END) {
        if (st == TRAWL_FRAME_FAULT) {
            fprintf(stderr, "trawl %s: %s: record %" PRIu64 " at offset %" PRIu64 ": %s%s\n", cmd,
                    path, f.index, f.offset, trawl_frame_fault_name(f.kind),
                    resync ? " (skipped)" : "");
            if (!resync) {
                rc = -1;
                break;
            }
            continue;
        }
        if (u.container)
            continue;
        an_src s = {.kind = AN_UNIT,
                    .file = fi,
                    .offset = (uint64_t)(u.value.ptr - in->data),
                    .number = u.index};
        if (add(m, u.value.ptr, u.value.len, s)) {
            cli_errorf(cmd, "out of memory");
            rc = -1;
            break;
        }
    }
    trawl_frame_iter_free(it);
    return rc;
}

static int load_hex(const char *cmd, const char *path, uint32_t fi, const cli_input *in, an_msgs *m)
{
    trawl_analyze_messages h;
    trawl_error err;
    trawl_error_clear(&err);
    if (trawl_analyze_parse_hex_lines(in->data, in->len, &h, &err) != TRAWL_OK) {
        fprintf(stderr, "trawl %s: %s: %s\n", cmd, path, err.message);
        return -1;
    }
    /* keep the bytes; the span and line arrays are copied into ours */
    if (own(m, h.bytes)) {
        trawl_analyze_messages_free(&h);
        return -1;
    }
    int rc = 0;
    for (size_t i = 0; i < h.count && !rc; i++)
        rc = add(m, h.msgs[i].ptr, h.msgs[i].len,
                 (an_src){.kind = AN_LINE, .file = fi, .number = h.lines[i]});
    free(h.msgs);
    free(h.lines);
    return rc;
}

int an_load(const char *cmd, char **paths, size_t npaths, const an_load_opts *o, an_msgs *m)
{
    memset(m, 0, sizeof(*m));
    m->files = calloc(npaths ? npaths : 1, sizeof(*m->files));
    m->inputs = calloc(npaths ? npaths : 1, sizeof(*m->inputs));
    if (!m->files || !m->inputs) {
        cli_errorf(cmd, "out of memory");
        return CLI_ERROR;
    }
    trawl_framer *fr = NULL;
    bool resync = false, pcap = false, flows = false;
    if (o->frames) {
        if (!strcmp(o->frames, "pcap") || !strcmp(o->frames, "pcap,flows")) {
            pcap = true;
            flows = strcmp(o->frames, "pcap") != 0;
        } else {
            cli_frames fs;
            if (cli_frame_spec(o->frames, &fs) != 0)
                return CLI_ERROR;
            fr = fs.framer;
            resync = fs.resync;
            if (fs.pcap) { /* "pcap,payload" and the like: pcap,flows is the form here */
                pcap = true;
                flows = false;
            }
        }
    }
    int rc = 0;
    for (size_t i = 0; i < npaths && !rc; i++) {
        const char *path = paths[i];
        m->files[m->nfiles++] = strcmp(path, "-") ? path : "(stdin)";
        uint32_t fi = (uint32_t)i;
        if (pcap) {
            rc = load_pcap(cmd, path, fi, flows, m);
            continue;
        }
        uint8_t *owned;
        if (an_read_whole(cmd, path, o->max_input, &m->inputs[i], &owned) != 0) {
            rc = -1;
            break;
        }
        if (owned && own(m, owned)) {
            free(owned);
            m->inputs[i].data = NULL;
            rc = -1;
            break;
        }
        const cli_input *in = &m->inputs[i];
        if (o->hex_lines)
            rc = load_hex(cmd, m->files[i], fi, in, m);
        else if (fr)
            rc = load_units(cmd, m->files[i], fi, in, fr, resync, m);
        else
            rc = add(m, in->data, in->len, (an_src){.kind = AN_FILE, .file = fi});
    }
    trawl_framer_free(fr);
    return rc ? CLI_ERROR : 0;
}

void an_free(an_msgs *m)
{
    for (size_t i = 0; i < m->nfiles; i++)
        if (m->inputs[i].mapped)
            cli_input_close(&m->inputs[i]);
        else if (m->inputs[i].fd > STDIN_FILENO)
            close(m->inputs[i].fd);
    for (size_t i = 0; i < m->nowned; i++)
        free(m->owned[i]);
    free(m->owned);
    free(m->inputs);
    free(m->files);
    free(m->m);
    free(m->src);
    memset(m, 0, sizeof(*m));
}

void an_src_json(FILE *out, const an_msgs *m, size_t i)
{
    const an_src *s = &m->src[i];
    fputs(",\"file\":", out);
    cli_json_string(out, m->files[s->file]);
    switch (s->kind) {
    case AN_UNIT:
        fprintf(out, ",\"record\":%" PRIu64 ",\"offset\":%" PRIu64, s->number, s->offset);
        break;
    case AN_PACKET:
        fprintf(out, ",\"packet\":%" PRIu64 ",\"proto\":%u,\"sport\":%u,\"dport\":%u", s->number,
                s->proto, s->sport, s->dport);
        break;
    case AN_FLOW:
        fprintf(out, ",\"first_packet\":%" PRIu64 ",\"proto\":%u,\"sport\":%u,\"dport\":%u",
                s->number, s->proto, s->sport, s->dport);
        break;
    case AN_LINE:
        fprintf(out, ",\"line\":%" PRIu64, s->number);
        break;
    default:
        break;
    }
}

void an_src_text(FILE *out, const an_msgs *m, size_t i)
{
    const an_src *s = &m->src[i];
    const char *f = m->files[s->file];
    switch (s->kind) {
    case AN_UNIT:
        fprintf(out, "%s#%" PRIu64, f, s->number);
        break;
    case AN_PACKET:
        fprintf(out, "%s#%" PRIu64 " %u->%u", f, s->number, s->sport, s->dport);
        break;
    case AN_FLOW:
        fprintf(out, "%s %s %u->%u", f, s->proto == 6 ? "tcp" : "udp", s->sport, s->dport);
        break;
    case AN_LINE:
        fprintf(out, "%s:%" PRIu64, f, s->number);
        break;
    default:
        fputs(f, out);
    }
}

void an_ascii(FILE *out, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        fputc(p[i] >= 0x20 && p[i] < 0x7F ? p[i] : '.', out);
}

bool an_parse_u64(const char *s, uint64_t *v)
{
    return cli_parse_size(s, v);
}

bool an_parse_double(const char *s, double *v)
{
    if (!s || !*s)
        return false;
    char *end;
    errno = 0;
    *v = strtod(s, &end);
    return !*end && errno == 0 && *v == *v;
}
