/* pcap.c -- pcap and pcapng captures through libpcap, with nanosecond
 * timestamps, file offsets per record, and the transport payload of each
 * frame (net.c).
 *
 * libpcap reports a damaged file as a sentence; the two sentences that mean
 * "the file ends inside a record" are turned into truncated-header and
 * truncated-value so that callers can treat pcap faults like the others. */
#include "common/error.h"

#include <errno.h>
#include <fcntl.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <trawl/frame.h>

struct trawl_frame_pcap {
    pcap_t *pc;
    FILE *fp;
    int linktype;
    uint64_t index;
    bool stopped;
    char message[PCAP_ERRBUF_SIZE];
};

trawl_status trawl_frame_pcap_open(FILE *fp, trawl_frame_pcap **out, trawl_error *err)
{
    if (out)
        *out = NULL;
    if (!fp || !out) {
        if (fp)
            fclose(fp);
        return trawl__fail(err, TRAWL_EINVAL, "pcap: NULL argument");
    }
    trawl_frame_pcap *p = calloc(1, sizeof(*p));
    if (!p) {
        fclose(fp);
        return trawl__fail(err, TRAWL_ENOMEM, "pcap: out of memory");
    }
    char errbuf[PCAP_ERRBUF_SIZE] = "";
    p->pc = pcap_fopen_offline_with_tstamp_precision(fp, PCAP_TSTAMP_PRECISION_NANO, errbuf);
    if (!p->pc) {
        fclose(fp); /* libpcap leaves fp open when it refuses it */
        free(p);
        return trawl__fail_at(err, TRAWL_EFORMAT, 0, -1, "pcap: %s", errbuf);
    }
    p->fp = fp;
    p->linktype = pcap_datalink(p->pc);
    *out = p;
    return TRAWL_OK;
}

trawl_status trawl_frame_pcap_open_path(const char *path, trawl_frame_pcap **out, trawl_error *err)
{
    if (out)
        *out = NULL;
    if (!path || !out)
        return trawl__fail(err, TRAWL_EINVAL, "pcap: NULL argument");
    /* Non-blocking open, type checked on the descriptor: a directory or a
     * device is an I/O error, and a FIFO no writer has open ends at once
     * instead of blocking the open forever. */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC), fl;
    struct stat st;
    if (fd < 0)
        return trawl__fail(err, TRAWL_EIO, "%s: %s", path, strerror(errno));
    const char *why = NULL;
    if (fstat(fd, &st) != 0)
        why = strerror(errno);
    else if (S_ISDIR(st.st_mode))
        why = strerror(EISDIR);
    else if (!S_ISREG(st.st_mode) && !S_ISFIFO(st.st_mode))
        why = "not a regular file or FIFO";
    else if ((fl = fcntl(fd, F_GETFL)) < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) != 0)
        why = strerror(errno);
    FILE *fp = why ? NULL : fdopen(fd, "rb");
    if (!fp) {
        close(fd);
        return trawl__fail(err, TRAWL_EIO, "%s: %s", path, why ? why : strerror(errno));
    }
    return trawl_frame_pcap_open(fp, out, err);
}

int trawl_frame_pcap_linktype(const trawl_frame_pcap *p)
{
    return p ? p->linktype : -1;
}

static trawl_frame_fault_kind classify(const char *msg)
{
    if (!strstr(msg, "truncated"))
        return TRAWL_FRAME_BAD_CAPTURE;
    if (strstr(msg, "header"))
        return TRAWL_FRAME_TRUNCATED_HEADER;
    return TRAWL_FRAME_TRUNCATED_VALUE;
}

trawl_frame_step trawl_frame_pcap_next(trawl_frame_pcap *p, trawl_frame_packet *pkt,
                                       trawl_frame_fault *fault)
{
    if (!p || p->stopped)
        return TRAWL_FRAME_END;
    long at = ftell(p->fp);
    struct pcap_pkthdr *h;
    const u_char *data;
    int r = pcap_next_ex(p->pc, &h, &data);
    if (r == 1) {
        memset(pkt, 0, sizeof(*pkt));
        pkt->index = p->index++;
        pkt->offset = at < 0 ? 0 : (uint64_t)at;
        pkt->ts_sec = (int64_t)h->ts.tv_sec;
        pkt->ts_nsec = (uint32_t)h->ts.tv_usec; /* nanoseconds: opened with NANO precision */
        pkt->caplen = h->caplen;
        pkt->len = h->len;
        pkt->data.ptr = data;
        pkt->data.len = h->caplen;
        trawl_frame_l4_decode(p->linktype, data, h->caplen, &pkt->l4);
        return TRAWL_FRAME_UNIT;
    }
    p->stopped = true;
    if (r == PCAP_ERROR_BREAK)
        return TRAWL_FRAME_END;
    snprintf(p->message, sizeof(p->message), "%s", pcap_geterr(p->pc));
    memset(fault, 0, sizeof(*fault));
    fault->kind = classify(p->message);
    fault->offset = at < 0 ? 0 : (uint64_t)at;
    fault->index = p->index;
    return TRAWL_FRAME_FAULT;
}

const char *trawl_frame_pcap_message(const trawl_frame_pcap *p)
{
    return p ? p->message : "";
}

void trawl_frame_pcap_free(trawl_frame_pcap *p)
{
    if (!p)
        return;
    pcap_close(p->pc); /* closes p->fp */
    free(p);
}
