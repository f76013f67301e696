/* uart_printf.c -- the formatted output both test firmwares link: number
 * conversion, padding and a small command table, enough code that the
 * images span several 4 KiB windows. */
#include <stdarg.h>
#include <stdint.h>

void uart_put(char c);

static void put_str(const char *s)
{
    while (*s)
        uart_put(*s++);
}

static void put_num(unsigned long v, unsigned base, int width, char pad, int upper)
{
    char buf[24];
    int n = 0;
    const char *dig = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    do {
        buf[n++] = dig[v % base];
        v /= base;
    } while (v && n < 24);
    while (width-- > n)
        uart_put(pad);
    while (n--)
        uart_put(buf[n]);
}

int tiny_printf_to_uart(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int count = 0;
    for (; *fmt; fmt++) {
        if (*fmt != '%') {
            uart_put(*fmt);
            count++;
            continue;
        }
        int width = 0;
        char pad = ' ';
        fmt++;
        if (*fmt == '0')
            pad = '0';
        while (*fmt >= '0' && *fmt <= '9')
            width = width * 10 + (*fmt++ - '0');
        switch (*fmt) {
        case 'd': {
            int v = va_arg(ap, int);
            if (v < 0) {
                uart_put('-');
                v = -v;
            }
            put_num((unsigned long)v, 10, width, pad, 0);
            break;
        }
        case 'u': put_num(va_arg(ap, unsigned), 10, width, pad, 0); break;
        case 'x': put_num(va_arg(ap, unsigned), 16, width, pad, 0); break;
        case 'X': put_num(va_arg(ap, unsigned), 16, width, pad, 1); break;
        case 'o': put_num(va_arg(ap, unsigned), 8, width, pad, 0); break;
        case 's': put_str(va_arg(ap, const char *)); break;
        case 'c': uart_put((char)va_arg(ap, int)); break;
        default: uart_put(*fmt);
        }
        count++;
    }
    va_end(ap);
    return count;
}

static uint32_t crc32_table[256];

void crc32_init(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        crc32_table[i] = c;
    }
}

uint32_t crc32(const uint8_t *p, uint32_t n)
{
    uint32_t c = 0xFFFFFFFFu;
    while (n--)
        c = crc32_table[(c ^ *p++) & 0xFF] ^ (c >> 8);
    return c ^ 0xFFFFFFFFu;
}

struct cmd {
    const char *name;
    int (*fn)(int argc, char **argv);
};

static int cmd_help(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    put_str("help version crc dump\r\n");
    return 0;
}

static int cmd_version(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    tiny_printf_to_uart("fw %d.%d.%d\r\n", 1, 4, 2);
    return 0;
}

static int cmd_crc(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        uint32_t n = 0;
        while (argv[i][n])
            n++;
        tiny_printf_to_uart("%s %08x\r\n", argv[i], (unsigned)crc32((const uint8_t *)argv[i], n));
    }
    return 0;
}

static int cmd_dump(int argc, char **argv)
{
    const uint8_t *p = (const uint8_t *)0x20000000u;
    (void)argc;
    (void)argv;
    for (int row = 0; row < 8; row++) {
        tiny_printf_to_uart("%08x:", (unsigned)(uintptr_t)(p + row * 16));
        for (int i = 0; i < 16; i++)
            tiny_printf_to_uart(" %02x", p[row * 16 + i]);
        put_str("\r\n");
    }
    return 0;
}

static const struct cmd cmds[] = {
    {"help", cmd_help}, {"version", cmd_version}, {"crc", cmd_crc}, {"dump", cmd_dump}};

int shell_line(char *line)
{
    char *argv[8];
    int argc = 0;
    while (*line && argc < 8) {
        while (*line == ' ')
            *line++ = 0;
        if (!*line)
            break;
        argv[argc++] = line;
        while (*line && *line != ' ')
            line++;
    }
    if (!argc)
        return 0;
    for (unsigned i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
        const char *a = cmds[i].name, *b = argv[0];
        while (*a && *a == *b) {
            a++;
            b++;
        }
        if (!*a && !*b)
            return cmds[i].fn(argc, argv);
    }
    tiny_printf_to_uart("unknown: %s\r\n", argv[0]);
    return -1;
}
