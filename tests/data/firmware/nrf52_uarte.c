/* nrf52_uarte.c -- test firmware for tests/cli/firmware.sh: an nRF52 program
 * (vector table at 0) that drives P0.17 through OUTSET/OUTCLR/DIRSET,
 * transmits with UARTE0 (EasyDMA) and counts with TIMER0. Register
 * addresses from the nRF52832 Product Specification (nrf52.h). */
#include <stdint.h>

#define REG(a)              (*(volatile uint32_t *)(a))
#define P0_OUTSET           REG(0x50000508u)
#define P0_OUTCLR           REG(0x5000050Cu)
#define P0_DIRSET           REG(0x50000518u)
#define UARTE0_STARTTX      REG(0x40002008u)
#define UARTE0_ENDTX        REG(0x40002120u)
#define UARTE0_ENABLE       REG(0x40002500u)
#define UARTE0_PSEL_TXD     REG(0x4000250Cu)
#define UARTE0_BAUDRATE     REG(0x40002524u)
#define UARTE0_TXD_PTR      REG(0x40002544u)
#define UARTE0_TXD_MAXCNT   REG(0x40002548u)
#define TIMER0_START        REG(0x40008000u)
#define TIMER0_CAPTURE0     REG(0x40008040u)
#define TIMER0_MODE         REG(0x40008504u)
#define TIMER0_PRESCALER    REG(0x40008510u)
#define TIMER0_CC0          REG(0x40008540u)

extern uint32_t _estack;
void reset_handler(void);
int tiny_printf_to_uart(const char *fmt, ...);
void default_handler(void)
{
    for (;;)
        ;
}

__attribute__((section(".vectors"), used)) const void *vectors[16 + 38] = {
    &_estack,        reset_handler,   default_handler, default_handler, default_handler,
    default_handler, default_handler, 0,               0,               0,
    0,               default_handler, default_handler, 0,               default_handler,
    default_handler,
};

static uint8_t txbuf[64];

void uart_put(char c)
{
    txbuf[0] = (uint8_t)c;
    UARTE0_TXD_PTR = (uint32_t)(uintptr_t)txbuf;
    UARTE0_TXD_MAXCNT = 1;
    UARTE0_ENDTX = 0;
    UARTE0_STARTTX = 1;
    while (!UARTE0_ENDTX)
        ;
}

void reset_handler(void)
{
    P0_DIRSET = 1u << 17;
    UARTE0_PSEL_TXD = 6;
    UARTE0_BAUDRATE = 0x01D7E000u;
    UARTE0_ENABLE = 8;
    TIMER0_MODE = 0;
    TIMER0_PRESCALER = 4;
    TIMER0_START = 1;
    for (;;) {
        TIMER0_CAPTURE0 = 1;
        tiny_printf_to_uart("t=%u\r\n", (unsigned)TIMER0_CC0);
        P0_OUTSET = 1u << 17;
        for (volatile int i = 0; i < 100000; i++)
            ;
        P0_OUTCLR = 1u << 17;
    }
}
