/* stm32f4_uart.c -- test firmware for tests/cli/firmware.sh: an STM32F4
 * program (vector table at 0x08000000) that clocks GPIOA and USART2 in RCC,
 * sets PA2/PA3 to their alternate function, sends over USART2, toggles PA5
 * and runs SysTick. Register addresses from RM0090 (stm32f407xx.h). */
#include <stdint.h>

#define REG(a)      (*(volatile uint32_t *)(a))
#define RCC_AHB1ENR REG(0x40023830u)
#define RCC_APB1ENR REG(0x40023840u)
#define GPIOA_MODER REG(0x40020000u)
#define GPIOA_IDR   REG(0x40020010u)
#define GPIOA_ODR   REG(0x40020014u)
#define GPIOA_AFRL  REG(0x40020020u)
#define USART2_SR   REG(0x40004400u)
#define USART2_DR   REG(0x40004404u)
#define USART2_BRR  REG(0x40004408u)
#define USART2_CR1  REG(0x4000440Cu)
#define SYST_CSR    REG(0xE000E010u)
#define SYST_RVR    REG(0xE000E014u)

extern uint32_t _estack;
void reset_handler(void);
int tiny_printf_to_uart(const char *fmt, ...);
void default_handler(void)
{
    for (;;)
        ;
}
volatile uint32_t ticks;
void systick_handler(void)
{
    ticks++;
}

__attribute__((section(".vectors"), used)) const void *vectors[16 + 82] = {
    &_estack,        reset_handler,   default_handler, default_handler, default_handler,
    default_handler, default_handler, 0,               0,               0,
    0,               default_handler, default_handler, 0,               default_handler,
    systick_handler,
};

void uart_put(char c)
{
    while (!(USART2_SR & 0x80))
        ;
    USART2_DR = (uint32_t)(uint8_t)c;
}

void reset_handler(void)
{
    RCC_AHB1ENR |= 1u;
    RCC_APB1ENR |= 1u << 17;
    GPIOA_MODER = (GPIOA_MODER & ~0xFF0u) | 0x4A0u;
    GPIOA_AFRL = (GPIOA_AFRL & ~0xFF00u) | 0x7700u;
    USART2_BRR = 0x683;
    USART2_CR1 = 0x200C;
    SYST_RVR = 16000 - 1;
    SYST_CSR = 7;
    for (uint32_t n = 0;; n++) {
        if (GPIOA_IDR & 1)
            tiny_printf_to_uart("tick %u\r\n", (unsigned)ticks);
        GPIOA_ODR ^= 1u << 5;
        for (volatile int i = 0; i < 100000; i++)
            ;
    }
}
