/* uart_proto.c -- a framed serial protocol: ring buffers, byte stuffing, a
 * CRC-16/CCITT and a command table. Training material for the firmware
 * architecture classifier (compiled, never run). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define RING 128
#define FLAG 0x7e
#define ESC  0x7d

struct ring {
    uint8_t buf[RING];
    volatile uint16_t head, tail;
};

static struct ring rx, tx;
static uint8_t frame[96];
static size_t frame_len;
static int in_escape;
static uint32_t counters[8];

static int ring_put(struct ring *r, uint8_t b)
{
    uint16_t next = (uint16_t)((r->head + 1) % RING);
    if (next == r->tail)
        return -1;
    r->buf[r->head] = b;
    r->head = next;
    return 0;
}

static int ring_get(struct ring *r, uint8_t *b)
{
    if (r->head == r->tail)
        return -1;
    *b = r->buf[r->tail];
    r->tail = (uint16_t)((r->tail + 1) % RING);
    return 0;
}

uint16_t crc16_ccitt(const uint8_t *p, size_t n)
{
    uint16_t crc = 0xffff;
    while (n--) {
        crc ^= (uint16_t)(*p++ << 8);
        for (int i = 0; i < 8; i++)
            crc = (crc & 0x8000) ? (uint16_t)((crc << 1) ^ 0x1021) : (uint16_t)(crc << 1);
    }
    return crc;
}

static void send_byte(uint8_t b)
{
    if (b == FLAG || b == ESC) {
        ring_put(&tx, ESC);
        b ^= 0x20;
    }
    ring_put(&tx, b);
}

void send_frame(uint8_t cmd, const uint8_t *payload, size_t n)
{
    uint8_t hdr[2] = {cmd, (uint8_t)n};
    uint16_t crc = crc16_ccitt(hdr, 2);
    ring_put(&tx, FLAG);
    send_byte(cmd);
    send_byte((uint8_t)n);
    for (size_t i = 0; i < n; i++) {
        send_byte(payload[i]);
        crc ^= (uint16_t)(payload[i] << 8);
        for (int k = 0; k < 8; k++)
            crc = (crc & 0x8000) ? (uint16_t)((crc << 1) ^ 0x1021) : (uint16_t)(crc << 1);
    }
    send_byte((uint8_t)(crc >> 8));
    send_byte((uint8_t)crc);
    ring_put(&tx, FLAG);
}

typedef void (*handler)(const uint8_t *p, size_t n);

static void cmd_ping(const uint8_t *p, size_t n)
{
    send_frame(0x81, p, n);
}
static void cmd_count(const uint8_t *p, size_t n)
{
    uint8_t out[32];
    size_t k = 0;
    (void)p;
    (void)n;
    for (int i = 0; i < 8; i++) {
        out[k++] = (uint8_t)(counters[i] >> 24);
        out[k++] = (uint8_t)(counters[i] >> 16);
        out[k++] = (uint8_t)(counters[i] >> 8);
        out[k++] = (uint8_t)counters[i];
    }
    send_frame(0x82, out, k);
}
static void cmd_reset(const uint8_t *p, size_t n)
{
    (void)p;
    (void)n;
    memset(counters, 0, sizeof(counters));
    send_frame(0x83, NULL, 0);
}

static const struct {
    uint8_t id;
    handler fn;
} table[] = {{1, cmd_ping}, {2, cmd_count}, {3, cmd_reset}};

static void dispatch(void)
{
    if (frame_len < 4)
        return;
    size_t n = frame_len - 2;
    uint16_t want = (uint16_t)(frame[n] << 8 | frame[n + 1]);
    if (crc16_ccitt(frame, n) != want) {
        counters[1]++;
        return;
    }
    for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
        if (table[i].id == frame[0]) {
            counters[2]++;
            table[i].fn(frame + 2, frame[1] < n - 2 ? frame[1] : n - 2);
            return;
        }
    counters[3]++;
}

void uart_rx_isr(uint8_t b)
{
    ring_put(&rx, b);
}

int uart_tx_next(uint8_t *b)
{
    return ring_get(&tx, b);
}

void poll(void)
{
    uint8_t b;
    while (ring_get(&rx, &b) == 0) {
        counters[0]++;
        if (b == FLAG) {
            dispatch();
            frame_len = 0;
            in_escape = 0;
        } else if (b == ESC) {
            in_escape = 1;
        } else if (frame_len < sizeof(frame)) {
            frame[frame_len++] = in_escape ? (uint8_t)(b ^ 0x20) : b;
            in_escape = 0;
        } else {
            counters[4]++;
        }
    }
}
