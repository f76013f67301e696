/* poly.h -- the parts of the polymorphic detector: the entropy window
 * geometry (the entropy itself is trawl/analyze.h's), bounded ELF and PE
 * parsers, XOR key recovery against a known executable header, and
 * behaviour scoring. Internal to src/detect/.
 *
 * The parsers read untrusted bytes: every offset and size is checked against
 * the input length before use, counts are capped (POLY_MAX_SECTIONS,
 * POLY_MAX_SEGMENTS), and nothing is allocated. A malformed header is not an
 * error: the parser records what it could read and names the first problem
 * in img->problem. */
#ifndef TRAWL_DETECT_POLY_H
#define TRAWL_DETECT_POLY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- entropy ------------------------------------------------------------- */

#define POLY_WINDOW 4096 /* sliding-window size, bytes */
#define POLY_STRIDE 1024 /* distance between window starts, bytes */

/* The detector's window scan and all entropy measures are trawl/analyze.h's
 * (trawl_analyze_entropy_scan with a POLY_WINDOW / POLY_STRIDE scanner). */

/* ---- executable structure --------------------------------------------------- */

#define POLY_MAX_SECTIONS 128
#define POLY_MAX_SEGMENTS 64
#define POLY_NAME_MAX     24

typedef enum poly_format { POLY_FMT_NONE, POLY_FMT_ELF, POLY_FMT_PE } poly_format;

typedef struct poly_section {
    char name[POLY_NAME_MAX]; /* printable, truncated, NUL-terminated */
    uint64_t offset, size;    /* file bytes, clipped to the input; size 0 = none */
    uint64_t addr, vsize;     /* virtual address (PE: RVA) and size */
    bool exec, write, alloc;
    bool code; /* PE: IMAGE_SCN_CNT_CODE; ELF: same as exec */
} poly_section;

typedef struct poly_segment { /* ELF program header */
    uint32_t type;
    uint64_t offset, filesz; /* clipped to the input */
    uint64_t vaddr, memsz;
    bool r, w, x;
} poly_segment;

typedef struct poly_image {
    poly_format fmt;
    int bits;        /* 32 or 64 */
    bool big_endian; /* ELF only */
    uint16_t type;   /* ELF e_type; PE: 1 for a DLL, 0 otherwise */
    uint16_t machine;
    bool has_entry;    /* an entry point is declared (ELF e_entry != 0, PE AddressOfEntryPoint) */
    uint64_t entry;    /* ELF: virtual address; PE: RVA */
    bool entry_mapped; /* the entry point lies in the file's bytes */
    uint64_t entry_offset; /* its file offset when mapped */
    int entry_section;     /* index in sections, -1 when in none */
    int entry_segment;     /* index in segments (ELF), -1 when in none */
    size_t n_sections, n_sections_declared;
    poly_section sections[POLY_MAX_SECTIONS];
    size_t n_segments, n_segments_declared;
    poly_segment segments[POLY_MAX_SEGMENTS];
    uint64_t end;         /* end of the last byte the headers account for */
    uint64_t cert_offset; /* PE: attribute certificate table, 0 when none */
    uint64_t cert_size;
    const char *problem; /* first structural problem, static text, or NULL */
    uint64_t problem_offset;
} poly_image;

/* Parse p[0..n) as ELF32/ELF64 (either byte order) or PE32/PE32+. Return true
 * when the magic and the fixed header were read (img->fmt set), false when
 * the bytes are not that format (img->fmt = POLY_FMT_NONE). O(headers);
 * reads no byte outside p[0..n). */
bool poly_elf_parse(const uint8_t *p, size_t n, poly_image *img);
bool poly_pe_parse(const uint8_t *p, size_t n, poly_image *img);

/* ---- XOR-encoded executables ------------------------------------------------ */

#define POLY_XOR_MAX_KEY 16

typedef struct poly_xor_hit {
    uint64_t offset; /* where the encoded header starts */
    size_t key_len;  /* repeating key length, 1..POLY_XOR_MAX_KEY */
    uint8_t key[POLY_XOR_MAX_KEY];
    int bits;         /* ELF class of the decoded header */
    uint16_t machine; /* e_machine of the decoded header */
} poly_xor_hit;

/* Known-plaintext test: does p[off..] decode, with some repeating XOR key of
 * 1..POLY_XOR_MAX_KEY bytes, to a consistent ELF header (magic, class, byte
 * order, version, e_version, header and table entry sizes)? The key is
 * solved from the 16 bytes of e_ident, which are known up to a few
 * alternatives, and checked on the 36 or 48 bytes that follow. An all-zero
 * key (plain ELF) is not a hit. O(1). */
bool poly_xor_elf_at(const uint8_t *p, size_t n, uint64_t off, poly_xor_hit *hit);

/* ---- shellcode idioms --------------------------------------------------------- */

/* Checks that an x86 XOR instruction at p[s] (opcodes 30, 31, 80 /6, 81 /6;
 * in 64-bit code optionally REX.W-prefixed) is the body of a decoder loop: a memory operand
 * [reg] or [reg+disp8], the same register advanced (inc, add, sub of a
 * negative) within 8 bytes after it, and directly after the advance (or
 * after one more advance) a backward loop/loope/loopne whose target is at
 * most 12 bytes before the XOR. On success *loop_at is the offset of the
 * loop instruction. x64 decodes as 64-bit code: 40-4F are REX prefixes
 * there, not inc/dec. */
bool poly_xor_loop_at(const uint8_t *p, size_t n, size_t s, bool x64, size_t *loop_at);
/* For a match p[s..s+len) that ends in a backward loop instruction (the
 * tail of a decoder loop), finds the XOR that poly_xor_loop_at accepts
 * between the loop's target and s. mode is 32 or 64 when the code's width
 * is known (from the executable's headers), 0 to try both. *xor_at is the
 * XOR's offset. */
bool poly_xor_loop_tail(const uint8_t *p, size_t n, size_t s, size_t len, int mode, size_t *xor_at);
/* jmp short forward onto a call whose backward target is a pop r32 just
 * after the jmp (the jmp/call/pop GetPC idiom), for a call E8 at p[s]. */
bool poly_jmp_call_pop_at(const uint8_t *p, size_t n, size_t s);
/* The tails of XOR decoder loops, which packers.rules does not hold as
 * regexes (it says why): a pointer advance then loop/loope/loopne (E0-E2)
 * with a backward rel8 (80-FF). The forms, in the order they are reported,
 * with the bytes before the loop opcode:
 *   xor_loop_inc      40-47                      inc r32
 *   xor_loop_inc_ff   FF C0-C7                   inc r32
 *   xor_loop_add      83 C0-C7 01-7F             add r32, +imm8
 *   xor_loop_sub      83 E8-EF 80-FF             sub r32, -imm8
 *   xor_loop_sub_eax  2D .. .. .. 80-FF          sub eax, -imm32
 * A match of form f at loop opcode q starts at q - poly_loop_back[f] and
 * ends at q + 2, as the regex's match did. */
typedef enum poly_loop_form {
    POLY_LOOP_INC,
    POLY_LOOP_INC_FF,
    POLY_LOOP_ADD,
    POLY_LOOP_SUB,
    POLY_LOOP_SUB_EAX,
    POLY_LOOP_FORMS
} poly_loop_form;
extern const char *const poly_loop_label[POLY_LOOP_FORMS];
extern const unsigned char poly_loop_back[POLY_LOOP_FORMS];

/* The first loop opcode q >= from (q + 2 <= n) that ends at least one form;
 * *forms gets the bit (1 << form) of each. n when there is none. O(n -
 * from), thirty-two positions per step. */
size_t poly_loop_tail_next(const uint8_t *p, size_t n, size_t from, unsigned *forms);

#endif
