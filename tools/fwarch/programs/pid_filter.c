/* pid_filter.c -- fixed-point control loop: moving average, IIR low pass,
 * a PID controller with anti-windup, a lookup-table sine and a median of
 * five. Training material for the architecture classifier. */
#include <stdint.h>

#define Q 16

typedef struct {
    int32_t kp, ki, kd;
    int32_t integ, prev_err;
    int32_t out_min, out_max;
} pid_t32;

static int32_t qmul(int32_t a, int32_t b)
{
    return (int32_t)(((int64_t)a * b) >> Q);
}

int32_t pid_step(pid_t32 *c, int32_t setpoint, int32_t measured)
{
    int32_t err = setpoint - measured;
    int32_t p = qmul(c->kp, err);
    int32_t d = qmul(c->kd, err - c->prev_err);
    int32_t i = c->integ + qmul(c->ki, err);
    int32_t out = p + i + d;
    if (out > c->out_max) {
        out = c->out_max;
    } else if (out < c->out_min) {
        out = c->out_min;
    } else {
        c->integ = i;
    }
    c->prev_err = err;
    return out;
}

typedef struct {
    int32_t buf[16];
    int64_t sum;
    unsigned idx, n;
} mavg;

int32_t mavg_push(mavg *m, int32_t v)
{
    if (m->n == 16)
        m->sum -= m->buf[m->idx];
    else
        m->n++;
    m->buf[m->idx] = v;
    m->sum += v;
    m->idx = (m->idx + 1) & 15;
    return (int32_t)(m->sum / (int64_t)m->n);
}

int32_t iir_lowpass(int32_t *state, int32_t x, int32_t alpha)
{
    *state += qmul(alpha, x - *state);
    return *state;
}

static const int16_t sine_q15[65] = {
    0,     804,   1608,  2410,  3212,  4011,  4808,  5602,  6393,  7179,  7962,  8739,  9512,
    10278, 11039, 11793, 12539, 13279, 14010, 14732, 15446, 16151, 16846, 17530, 18204, 18868,
    19519, 20159, 20787, 21403, 22005, 22594, 23170, 23731, 24279, 24811, 25329, 25832, 26319,
    26790, 27245, 27683, 28105, 28510, 28898, 29268, 29621, 29956, 30273, 30571, 30852, 31113,
    31356, 31580, 31785, 31971, 32137, 32285, 32412, 32521, 32609, 32678, 32728, 32757, 32767};

int16_t sin_q15(uint16_t phase)
{
    unsigned quadrant = phase >> 14;
    unsigned idx = (phase >> 8) & 63;
    unsigned frac = phase & 255;
    if (quadrant & 1)
        idx = 63 - idx;
    int32_t a = sine_q15[idx], b = sine_q15[idx + 1];
    int32_t v = a + (((b - a) * (int32_t)frac) >> 8);
    return (int16_t)((quadrant & 2) ? -v : v);
}

static void swap(int32_t *a, int32_t *b)
{
    if (*a > *b) {
        int32_t t = *a;
        *a = *b;
        *b = t;
    }
}

int32_t median5(int32_t a, int32_t b, int32_t c, int32_t d, int32_t e)
{
    swap(&a, &b);
    swap(&d, &e);
    swap(&a, &d);
    swap(&b, &e);
    swap(&c, &d);
    swap(&b, &c);
    swap(&c, &d);
    return c;
}

uint32_t isqrt32(uint32_t x)
{
    uint32_t r = 0, bit = 1u << 30;
    while (bit > x)
        bit >>= 2;
    while (bit) {
        if (x >= r + bit) {
            x -= r + bit;
            r = (r >> 1) + bit;
        } else {
            r >>= 1;
        }
        bit >>= 2;
    }
    return r;
}

int32_t control_tick(pid_t32 *c, mavg *m, int32_t *lp, int32_t raw[5], int32_t setpoint)
{
    int32_t med = median5(raw[0], raw[1], raw[2], raw[3], raw[4]);
    int32_t avg = mavg_push(m, med);
    int32_t f = iir_lowpass(lp, avg, 1 << 12);
    return pid_step(c, setpoint, f);
}
