/* fuzz_pcap.c -- pcap/pcapng input through libpcap (pcap_fopen_offline on
 * an fmemopen'd copy of the input), every packet's transport payload decoded
 * and touched; plus the link/IP/transport decoder alone on the raw input
 * under each link type. */
#include <pcap/dlt.h>
#include <stdio.h>
#include <string.h>
#include <trawl/frame.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static volatile uint32_t sink;

static void touch(trawl_span s)
{
    uint32_t h = 0;
    for (size_t i = 0; i < s.len; i++)
        h = h * 31 + s.ptr[i];
    sink = h;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const int links[] = {DLT_EN10MB, DLT_LINUX_SLL, DLT_NULL, DLT_LOOP, DLT_RAW, DLT_IPV4};
    trawl_frame_l4 l4;
    for (size_t k = 0; k < sizeof(links) / sizeof(links[0]); k++)
        if (trawl_frame_l4_decode(links[k], data, size, &l4)) {
            if (l4.payload.ptr < data || l4.payload.ptr + l4.payload.len > data + size)
                __builtin_trap();
            touch(l4.payload);
        }
    if (size == 0)
        return 0;
    FILE *fp = fmemopen((void *)data, size, "rb");
    if (!fp)
        return 0;
    trawl_frame_pcap *p;
    if (trawl_frame_pcap_open(fp, &p, NULL) != TRAWL_OK)
        return 0;
    trawl_frame_packet pkt;
    trawl_frame_fault flt;
    int n = 0;
    while (trawl_frame_pcap_next(p, &pkt, &flt) == TRAWL_FRAME_UNIT && n++ < 10000) {
        touch(pkt.data);
        if (pkt.l4.has_payload)
            touch(pkt.l4.payload);
    }
    trawl_frame_pcap_free(p);
    return 0;
}
