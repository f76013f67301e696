/* thumb.c -- the peripheral addresses Thumb code uses, found by following
 * register values through the instructions Capstone decodes.
 *
 * A linear sweep: Capstone decodes one instruction at a time; an
 * undecodable halfword is skipped. The words that literal loads read are
 * marked as data and stepped over when the sweep reaches them, so that a
 * literal pool is not decoded as instructions. Each register holds a known
 * value or none:
 *   LDR Rd, [PC, #imm]          Rd = the literal word (if it is in the image)
 *   MOV Rd, #imm / MOVW / MOVT  Rd = imm, or its low / high half
 *   MOV Rd, Rm                  Rd = Rm
 *   LSL Rd, Rm, #n; ADD, SUB, ORR with an immediate or two known registers
 *   ADR Rd, label               Rd = the label's address
 * A load or store through a register with a known value is a READ or a
 * WRITE of (value + offset). A register that receives a peripheral address
 * and is overwritten, clobbered by a call or reaches the end of the block
 * without being dereferenced records a REF of that address (passed to a
 * function, stored in a table). Anything else a register is written with
 * makes it unknown, and so does any conditional (IT block) write. Branches
 * end the block: after an unconditional one nothing is known; calls
 * clobber R0-R3, R12 and LR (AAPCS). */
#include "firmware/fw_int.h"

#include <capstone/capstone.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"

typedef struct regs {
    uint32_t val[16];
    uint16_t known;
    uint16_t pending;  /* holds a peripheral address not yet dereferenced */
    uint64_t from[16]; /* file offset of the instruction that set it */
} regs;

typedef struct sweep {
    const uint8_t *d;
    size_t len;
    uint32_t base;
    uint8_t *data_words; /* bit per 4-byte word: a literal read by some LDR */
    fw_uses *out;
    bool nomem;
} sweep;

static bool periph_space(uint32_t a)
{
    return (a >= 0x40000000u && a < 0x60000000u) || (a >= 0x60000000u && a < 0x60000400u) ||
           (a >= 0xA0000000u && a < 0xA0100000u) || (a >= 0xD0000000u && a < 0xD0001000u) ||
           (a >= 0xE0000000u && a < 0xE0100000u) || (a >= 0x14000000u && a < 0x14000100u) ||
           (a >= 0x18000000u && a < 0x18000100u);
}

/* nRF52's FICR and UICR: read as registers, but their addresses are also
 * RP2040's flash, so only dereferences count. */
static bool info_space(uint32_t a)
{
    return a >= 0x10000000u && a < 0x10002000u;
}

static void emit(sweep *s, uint32_t addr, uint8_t kind, uint64_t off)
{
    fw_uses *u = s->out;
    if (u->n == u->cap) {
        size_t cap = u->cap ? u->cap * 2 : 256;
        fw_use *g = realloc(u->u, cap * sizeof(*g));
        if (!g) {
            s->nomem = true;
            return;
        }
        u->u = g;
        u->cap = cap;
    }
    u->u[u->n++] = (fw_use){addr, kind, off};
}

static int rnum(int r)
{
    if (r >= ARM_REG_R0 && r <= ARM_REG_R12)
        return r - ARM_REG_R0;
    if (r == ARM_REG_SP)
        return 13;
    if (r == ARM_REG_LR)
        return 14;
    if (r == ARM_REG_PC)
        return 15;
    return -1;
}

/* Forgets register n, recording a REF when it held an unused address. */
static void forget(sweep *s, regs *g, int n)
{
    if (n < 0 || n > 14)
        return;
    if (g->pending & (1u << n))
        emit(s, g->val[n], TRAWL_FW_REF, g->from[n]);
    g->known &= (uint16_t) ~(1u << n);
    g->pending &= (uint16_t) ~(1u << n);
}

static void forget_all(sweep *s, regs *g)
{
    for (int n = 0; n < 15; n++)
        forget(s, g, n);
}

static void set(sweep *s, regs *g, int n, uint32_t v, uint64_t off)
{
    if (n < 0 || n > 14)
        return;
    forget(s, g, n);
    g->val[n] = v;
    g->known |= (uint16_t)(1u << n);
    g->from[n] = off;
    if (periph_space(v))
        g->pending |= (uint16_t)(1u << n);
}

static bool known(const regs *g, int n)
{
    return n >= 0 && n < 15 && (g->known & (1u << n));
}

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static bool is_load(unsigned id)
{
    switch (id) {
    case ARM_INS_LDR:
    case ARM_INS_LDRB:
    case ARM_INS_LDRH:
    case ARM_INS_LDRSB:
    case ARM_INS_LDRSH:
    case ARM_INS_LDRD:
    case ARM_INS_LDREX:
    case ARM_INS_LDREXB:
    case ARM_INS_LDREXH:
    case ARM_INS_LDRT:
    case ARM_INS_LDRBT:
    case ARM_INS_LDRHT:
    case ARM_INS_LDM:
    case ARM_INS_LDMDB:
        return true;
    default:
        return false;
    }
}

static bool is_store(unsigned id)
{
    switch (id) {
    case ARM_INS_STR:
    case ARM_INS_STRB:
    case ARM_INS_STRH:
    case ARM_INS_STRD:
    case ARM_INS_STREX:
    case ARM_INS_STREXB:
    case ARM_INS_STREXH:
    case ARM_INS_STRT:
    case ARM_INS_STRBT:
    case ARM_INS_STRHT:
    case ARM_INS_STM:
    case ARM_INS_STMDB:
        return true;
    default:
        return false;
    }
}

/* A memory operand through a known register: the access; true when handled. */
static bool memory(sweep *s, regs *g, const cs_insn *in, const cs_arm *a, uint64_t off)
{
    unsigned id = in->id;
    bool load = is_load(id), store = is_store(id);
    if (!load && !store)
        return false;
    if (id == ARM_INS_LDM || id == ARM_INS_LDMDB || id == ARM_INS_STM || id == ARM_INS_STMDB) {
        int b = a->op_count ? rnum(a->operands[0].reg) : -1;
        if (known(g, b) && (periph_space(g->val[b]) || info_space(g->val[b])))
            emit(s, g->val[b], load ? TRAWL_FW_READ : TRAWL_FW_WRITE, off);
        if (b >= 0 && b < 15) {
            g->pending &= (uint16_t) ~(1u << b);
            if (a->writeback)
                forget(s, g, b);
        }
        for (int i = 1; load && i < a->op_count; i++)
            if (a->operands[i].type == ARM_OP_REG)
                forget(s, g, rnum(a->operands[i].reg));
        return true;
    }
    const cs_arm_op *m = NULL;
    for (int i = 0; i < a->op_count; i++)
        if (a->operands[i].type == ARM_OP_MEM)
            m = &a->operands[i];
    if (!m)
        return false;
    int b = rnum(m->mem.base);
    int dst = a->operands[0].type == ARM_OP_REG ? rnum(a->operands[0].reg) : -1;
    int32_t disp = m->mem.disp;
    if (m->subtracted)
        disp = -disp;
    if (b == 15 && id == ARM_INS_LDR) {
        /* literal: the word at Align(PC, 4) + disp, PC = this + 4 */
        uint64_t at = ((in->address + 4) & ~3ull) + (int64_t)disp;
        if (at >= s->base && at - s->base + 4 <= s->len) {
            uint64_t fo = at - s->base;
            if (!(fo & 3))
                s->data_words[fo >> 5] |= (uint8_t)(1u << ((fo >> 2) & 7));
            set(s, g, dst, rd32(s->d + fo), off);
            return true;
        }
        forget(s, g, dst);
        return true;
    }
    if (known(g, b)) {
        uint32_t addr = g->val[b] + (uint32_t)disp;
        int x = m->mem.index != ARM_REG_INVALID ? rnum(m->mem.index) : -1;
        bool ok = x < 0 || known(g, x);
        if (x >= 0 && ok)
            addr += g->val[x] << (m->mem.lshift > 0 ? m->mem.lshift : 0);
        if (ok && (periph_space(addr) || info_space(addr)))
            emit(s, addr, load ? TRAWL_FW_READ : TRAWL_FW_WRITE, off);
        g->pending &= (uint16_t) ~(1u << b);
    }
    if (a->writeback)
        forget(s, g, b);
    if (load) {
        forget(s, g, dst);
        if (id == ARM_INS_LDRD && a->op_count > 1 && a->operands[1].type == ARM_OP_REG)
            forget(s, g, rnum(a->operands[1].reg));
    }
    return true;
}

/* Value-tracking instructions; true when handled. */
static bool arith(sweep *s, regs *g, const cs_insn *in, const cs_arm *a, uint64_t off)
{
    if (a->op_count < 2 || a->operands[0].type != ARM_OP_REG)
        return false;
    int d = rnum(a->operands[0].reg);
    const cs_arm_op *o1 = &a->operands[1], *o2 = a->op_count > 2 ? &a->operands[2] : NULL;
    int r1 = o1->type == ARM_OP_REG ? rnum(o1->reg) : -1;
    switch (in->id) {
    case ARM_INS_MOV:
    case ARM_INS_MOVW:
        if (o1->type == ARM_OP_IMM && a->op_count == 2)
            set(s, g, d, (uint32_t)o1->imm, off);
        else if (known(g, r1) && a->op_count == 2 && o1->shift.type == ARM_SFT_INVALID) {
            uint32_t v = g->val[r1];
            uint64_t from = g->from[r1];
            g->pending &= (uint16_t) ~(1u << r1); /* the copy carries it on */
            set(s, g, d, v, from);
        } else
            forget(s, g, d);
        return true;
    case ARM_INS_MOVT:
        if (known(g, d) && o1->type == ARM_OP_IMM) {
            uint32_t v = (g->val[d] & 0xFFFFu) | ((uint32_t)o1->imm << 16);
            g->pending &= (uint16_t) ~(1u << d); /* the low half alone was no address */
            g->known &= (uint16_t) ~(1u << d);
            set(s, g, d, v, off);
        } else {
            forget(s, g, d);
        }
        return true;
    case ARM_INS_ADR:
        if (o1->type == ARM_OP_IMM)
            set(s, g, d, (uint32_t)(((in->address + 4) & ~3ull) + (uint32_t)o1->imm), off);
        else
            forget(s, g, d);
        return true;
    case ARM_INS_LSL:
    case ARM_INS_ADD:
    case ARM_INS_SUB:
    case ARM_INS_ORR: {
        /* two operands (Rd, #imm: Rd op= imm) or three (Rd, Rn, #imm / Rm) */
        int src = o2 ? r1 : d;
        const cs_arm_op *rhs = o2 ? o2 : o1;
        uint32_t y;
        if (rhs->type == ARM_OP_IMM)
            y = (uint32_t)rhs->imm;
        else if (rhs->type == ARM_OP_REG && known(g, rnum(rhs->reg)) &&
                 rhs->shift.type == ARM_SFT_INVALID)
            y = g->val[rnum(rhs->reg)];
        else {
            forget(s, g, d);
            return true;
        }
        if (!known(g, src) || (o1->type != ARM_OP_REG && o2)) {
            forget(s, g, d);
            return true;
        }
        uint32_t x = g->val[src], v;
        switch (in->id) {
        case ARM_INS_LSL:
            v = y < 32 ? x << y : 0;
            break;
        case ARM_INS_ADD:
            v = x + y;
            break;
        case ARM_INS_SUB:
            v = x - y;
            break;
        default:
            v = x | y;
            break;
        }
        if (src == d)
            g->pending &= (uint16_t) ~(1u << d);
        set(s, g, d, v, off);
        return true;
    }
    default:
        return false;
    }
}

static bool branch_ends_block(const cs_insn *in, const cs_arm *a)
{
    switch (in->id) {
    case ARM_INS_B:
    case ARM_INS_BX:
        return a->cc == ARM_CC_AL || a->cc == ARM_CC_INVALID;
    case ARM_INS_POP:
    case ARM_INS_LDM:
        for (int i = 0; i < a->op_count; i++)
            if (a->operands[i].type == ARM_OP_REG && a->operands[i].reg == ARM_REG_PC)
                return true;
        return false;
    default:
        return false;
    }
}

static void step(sweep *s, csh h, regs *g, const cs_insn *in)
{
    const cs_arm *a = &in->detail->arm;
    uint64_t off = in->address - s->base;
    bool conditional = a->cc != ARM_CC_AL && a->cc != ARM_CC_INVALID;
    if (in->id == ARM_INS_BL || in->id == ARM_INS_BLX) {
        for (int n = 0; n <= 3; n++)
            forget(s, g, n);
        forget(s, g, 12);
        forget(s, g, 14);
        return;
    }
    if (branch_ends_block(in, a)) {
        memory(s, g, in, a, off); /* pop {..., pc} reads nothing we track */
        forget_all(s, g);
        return;
    }
    if (!conditional && (memory(s, g, in, a, off) || arith(s, g, in, a, off)))
        return;
    if (conditional && (is_load(in->id) || is_store(in->id)))
        memory(s, g, in, a, off);
    cs_regs rr, rw;
    uint8_t nr = 0, nw = 0;
    if (cs_regs_access(h, in, rr, &nr, rw, &nw) == CS_ERR_OK)
        for (uint8_t i = 0; i < nw; i++)
            forget(s, g, rnum(rw[i]));
    else
        forget_all(s, g);
}

trawl_status trawl__fw_thumb_uses(const uint8_t *d, size_t len, uint32_t base, uint64_t skip_lo,
                                  uint64_t skip_hi, const fw_range *ranges, size_t n_ranges,
                                  fw_uses *out, trawl_error *err)
{
    csh h;
    if (cs_open(CS_ARCH_ARM, (cs_mode)(CS_MODE_THUMB | CS_MODE_MCLASS), &h) != CS_ERR_OK)
        return trawl__fail(err, TRAWL_EENGINE, "firmware: Capstone failed to start");
    cs_option(h, CS_OPT_DETAIL, CS_OPT_ON);
    cs_insn *in = cs_malloc(h);
    sweep s = {d, len, base, calloc(len / 32 + 1, 1), out, false};
    if (!in || !s.data_words) {
        free(s.data_words);
        if (in)
            cs_free(in, 1);
        cs_close(&h);
        return trawl__fail(err, TRAWL_ENOMEM, "firmware: out of memory");
    }
    regs g;
    memset(&g, 0, sizeof(g));
    size_t pos = 0, ri = 0;
    while (pos + 2 <= len && !s.nomem) {
        while (n_ranges && ri < n_ranges && ranges[ri].hi <= pos)
            ri++;
        if (n_ranges && (ri == n_ranges || pos < ranges[ri].lo)) {
            forget_all(&s, &g);
            if (ri == n_ranges)
                break;
            pos = (size_t)ranges[ri].lo;
            continue;
        }
        if (pos >= skip_lo && pos < skip_hi) {
            forget_all(&s, &g);
            pos = (size_t)skip_hi;
            continue;
        }
        if (!(pos & 3) && (s.data_words[pos >> 5] & (1u << ((pos >> 2) & 7)))) {
            forget_all(&s, &g);
            pos += 4;
            continue;
        }
        const uint8_t *code = d + pos;
        size_t size = len - pos > 4 ? 4 : len - pos;
        uint64_t addr = (uint64_t)base + pos;
        if (!cs_disasm_iter(h, &code, &size, &addr, in)) {
            forget_all(&s, &g);
            pos += 2;
            continue;
        }
        out->instructions++;
        out->code_bytes += in->size;
        step(&s, h, &g, in);
        pos += in->size;
    }
    forget_all(&s, &g);
    free(s.data_words);
    cs_free(in, 1);
    cs_close(&h);
    if (s.nomem)
        return trawl__fail(err, TRAWL_ENOMEM, "firmware: out of memory");
    return TRAWL_OK;
}
