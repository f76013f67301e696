/* net.c -- from a captured link-layer frame to its TCP/UDP payload.
 *
 * Each layer is checked in the order the bytes are read, against both the
 * captured length and the length the enclosing header declares, and the
 * payload ends where the IP header says the packet ends (Ethernet pads short
 * frames; the padding is not payload). `avail` is always what is left of
 * the captured bytes, `end` what the headers declare. */
#include <pcap/dlt.h>
#include <string.h>
#include <trawl/frame.h>

#define ETH_IPV4 0x0800
#define ETH_IPV6 0x86DD
#define ETH_VLAN 0x8100
#define ETH_QINQ 0x88A8

static uint16_t be16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

/* TCP or UDP at p[0..n); cut says the IP packet was cut by the capture. */
static bool transport(uint8_t proto, const uint8_t *frame, const uint8_t *p, size_t n, bool cut,
                      trawl_frame_l4 *out)
{
    size_t hdr;
    if (proto == 6) {
        if (n < 20 || (hdr = (size_t)(p[12] >> 4) * 4) < 20 || hdr > n)
            return false;
    } else if (proto == 17) {
        if (n < 8)
            return false;
        size_t ulen = be16(p + 4);
        if (ulen < 8)
            return false;
        if (ulen < n)
            n = ulen; /* the UDP length ends the datagram */
        else if (ulen > n)
            cut = true;
        hdr = 8;
    } else {
        return false;
    }
    out->src_port = be16(p);
    out->dst_port = be16(p + 2);
    out->has_payload = true;
    out->truncated = cut;
    out->payload_offset = (size_t)(p + hdr - frame);
    out->payload.ptr = p + hdr;
    out->payload.len = n - hdr;
    return true;
}

static bool ipv4(const uint8_t *frame, const uint8_t *p, size_t n, trawl_frame_l4 *out)
{
    if (n < 20 || p[0] >> 4 != 4)
        return false;
    size_t ihl = (size_t)(p[0] & 15) * 4, total = be16(p + 2);
    if (ihl < 20 || ihl > n || total < ihl)
        return false;
    out->ip_version = 4;
    out->proto = p[9];
    bool cut = total > n;
    if (!cut)
        n = total;
    if (be16(p + 6) & 0x1FFF)
        return false; /* not the first fragment: no transport header here */
    return transport(p[9], frame, p + ihl, n - ihl, cut, out);
}

static bool ipv6(const uint8_t *frame, const uint8_t *p, size_t n, trawl_frame_l4 *out)
{
    if (n < 40 || p[0] >> 4 != 6)
        return false;
    size_t plen = be16(p + 4);
    bool cut = plen > n - 40;
    if (!cut)
        n = 40 + plen;
    out->ip_version = 6;
    uint8_t next = p[6];
    size_t off = 40;
    for (int hops = 0; hops < 8; hops++) {
        out->proto = next;
        if (next != 0 && next != 43 && next != 60 && next != 44)
            return transport(next, frame, p + off, n - off, cut, out);
        if (n - off < 8)
            return false;
        size_t len = next == 44 ? 8 : ((size_t)p[off + 1] + 1) * 8;
        if (len > n - off)
            return false;
        if (next == 44 && (be16(p + off + 2) & 0xFFF8))
            return false; /* not the first fragment */
        next = p[off];
        off += len;
    }
    return false;
}

static bool ip(const uint8_t *frame, const uint8_t *p, size_t n, trawl_frame_l4 *out)
{
    if (n < 1)
        return false;
    if (p[0] >> 4 == 4)
        return ipv4(frame, p, n, out);
    if (p[0] >> 4 == 6)
        return ipv6(frame, p, n, out);
    return false;
}

static bool ethertype(uint16_t type, const uint8_t *frame, const uint8_t *p, size_t n,
                      trawl_frame_l4 *out)
{
    if (type == ETH_IPV4)
        return ipv4(frame, p, n, out);
    if (type == ETH_IPV6)
        return ipv6(frame, p, n, out);
    return false;
}

static bool ethernet(const uint8_t *f, size_t n, trawl_frame_l4 *out)
{
    if (n < 14)
        return false;
    size_t off = 12;
    uint16_t type = be16(f + off);
    for (int tags = 0; tags < 2 && (type == ETH_VLAN || type == ETH_QINQ); tags++) {
        if (n - off < 6)
            return false;
        off += 4;
        type = be16(f + off);
    }
    off += 2;
    return ethertype(type, f, f + off, n - off, out);
}

static bool null_loop(int linktype, const uint8_t *f, size_t n, trawl_frame_l4 *out)
{
    if (n < 4)
        return false;
    uint32_t fam;
    memcpy(&fam, f, 4);
    if (linktype == DLT_LOOP)
        fam = (uint32_t)f[0] << 24 | (uint32_t)f[1] << 16 | (uint32_t)f[2] << 8 | f[3];
    else if (fam > 0xFFFF)
        fam = (uint32_t)f[3] | (uint32_t)f[2] << 8; /* written on a host of the other order */
    if (fam != 2 && fam != 24 && fam != 28 && fam != 30)
        return false;
    return ip(f, f + 4, n - 4, out);
}

bool trawl_frame_l4_decode(int linktype, const uint8_t *frame, size_t caplen, trawl_frame_l4 *out)
{
    if (!out)
        return false;
    memset(out, 0, sizeof(*out));
    if (!frame)
        return false;
    switch (linktype) {
    case DLT_EN10MB:
        return ethernet(frame, caplen, out);
    case DLT_LINUX_SLL:
        return caplen >= 16 && ethertype(be16(frame + 14), frame, frame + 16, caplen - 16, out);
    case DLT_NULL:
    case DLT_LOOP:
        return null_loop(linktype, frame, caplen, out);
    case DLT_RAW:
    case DLT_IPV4:
    case DLT_IPV6:
        return ip(frame, frame, caplen, out);
    default:
        return false;
    }
}
