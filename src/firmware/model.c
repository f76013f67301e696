/* model.c -- loading architecture models (format in fw_int.h). The bytes
 * are untrusted, the built-in model included: every field is checked before
 * it is used, and a failure names the offset of the bad field. */
#include "firmware/fw_int.h"

#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "detect/models.h" /* the library's embedded model table (cmake/embed.cmake) */

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static trawl_status bad(trawl_error *err, size_t off, const char *what)
{
    return trawl__fail_at(err, TRAWL_EFORMAT, (int64_t)off, -1, "firmware model: %s", what);
}

/* A NUL-terminated string of at most cap - 1 bytes; names are [a-z0-9_-]. */
static bool field_ok(const uint8_t *p, size_t cap, bool is_name)
{
    size_t n = 0;
    while (n < cap && p[n])
        n++;
    if (n == 0 || n == cap)
        return false;
    for (size_t i = 0; i < n; i++) {
        uint8_t c = p[i];
        if (is_name ? !((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-')
                    : (c < 0x20 || c > 0x7e))
            return false;
    }
    return true;
}

static trawl_status parse_header(trawl_fw_model *m, const uint8_t *buf, size_t len,
                                 trawl_error *err)
{
    if (len < FW_MODEL_HEADER)
        return bad(err, len, "shorter than its header");
    if (memcmp(buf, FW_MODEL_MAGIC, 8) != 0)
        return bad(err, 0, "bad magic");
    if (rd32(buf + 8) != FW_MODEL_VERSION)
        return trawl__fail_at(err, TRAWL_EVERSION, 8, -1, "firmware model: version %u, want %u",
                              rd32(buf + 8), FW_MODEL_VERSION);
    m->n_arch = rd32(buf + 12);
    if (m->n_arch == 0 || m->n_arch > TRAWL_FW_MAX_ARCH)
        return bad(err, 12, "architecture count not in 1..16");
    m->scale = rd32(buf + 16);
    if (m->scale == 0 || m->scale > 64)
        return bad(err, 16, "scale not in 1..64");
    uint32_t margin = rd32(buf + 20);
    if (margin > 8000)
        return bad(err, 20, "margin above 8 bits");
    m->min_margin = margin / 1000.0;
    uint32_t maxb = rd32(buf + 24);
    if (maxb > 16000)
        return bad(err, 24, "bit ceiling above 16");
    m->max_bits = maxb / 1000.0;
    if (rd32(buf + 28) != 0)
        return bad(err, 28, "reserved field not zero");
    size_t need = FW_MODEL_HEADER + (size_t)m->n_arch * (FW_MODEL_DESC + FW_TABLE);
    if (len != need)
        return bad(err, len < need ? len : need, len < need ? "truncated" : "trailing bytes");
    return TRAWL_OK;
}

static trawl_status parse_desc(trawl_fw_model *m, unsigned a, const uint8_t *d, size_t off,
                               trawl_error *err)
{
    if (!field_ok(d, 16, true))
        return bad(err, off, "bad architecture name");
    if (!field_ok(d + 16, 40, false))
        return bad(err, off + 16, "bad architecture description");
    if (d[56] > 2)
        return bad(err, off + 56, "bad byte order");
    if (d[57] != 8 && d[57] != 16 && d[57] != 32 && d[57] != 64)
        return bad(err, off + 57, "bad word size");
    for (int i = 58; i < 64; i++)
        if (d[i])
            return bad(err, off + (size_t)i, "reserved byte not zero");
    memcpy(m->name[a], d, 16);
    memcpy(m->desc[a], d + 16, 40);
    m->endian[a] = (trawl_fw_endian)d[56];
    m->word_bits[a] = d[57];
    for (unsigned b = 0; b < a; b++)
        if (!strcmp(m->name[b], m->name[a]))
            return bad(err, off, "duplicate architecture name");
    return TRAWL_OK;
}

trawl_status trawl_fw_model_load(const uint8_t *buf, size_t len, trawl_fw_model **out,
                                 trawl_error *err)
{
    if (!out || (!buf && len))
        return trawl__fail(err, TRAWL_EINVAL, "firmware model: NULL argument");
    *out = NULL;
    trawl_fw_model *m = calloc(1, sizeof(*m));
    if (!m)
        return trawl__fail(err, TRAWL_ENOMEM, "firmware model: out of memory");
    trawl_status s = parse_header(m, buf, len, err);
    for (unsigned a = 0; s == TRAWL_OK && a < m->n_arch; a++) {
        size_t off = FW_MODEL_HEADER + (size_t)a * FW_MODEL_DESC;
        s = parse_desc(m, a, buf + off, off, err);
    }
    if (s == TRAWL_OK) {
        m->lanes_alloc = malloc((size_t)FW_TABLE * FW_LANES + 63);
        if (!m->lanes_alloc)
            s = trawl__fail(err, TRAWL_ENOMEM, "firmware model: out of memory");
    }
    if (s != TRAWL_OK) {
        trawl_fw_model_free(m);
        return s;
    }
    m->lanes = (uint8_t *)(((uintptr_t)m->lanes_alloc + 63) & ~(uintptr_t)63);
    memset(m->lanes, 0, (size_t)FW_TABLE * FW_LANES);
    const uint8_t *tables = buf + FW_MODEL_HEADER + (size_t)m->n_arch * FW_MODEL_DESC;
    for (unsigned a = 0; a < m->n_arch; a++)
        for (size_t pair = 0; pair < FW_TABLE; pair++)
            m->lanes[pair * FW_LANES + a] = tables[(size_t)a * FW_TABLE + pair];
    *out = m;
    return TRAWL_OK;
}

trawl_status trawl_fw_model_builtin(trawl_fw_model **out, trawl_error *err)
{
    const det_model_blob *b = det_models_find("firmware_arch");
    if (!b) {
        if (out)
            *out = NULL;
        return trawl__fail(err, TRAWL_EFORMAT, "firmware model: none built in");
    }
    return trawl_fw_model_load(b->bytes, b->len, out, err);
}

void trawl_fw_model_free(trawl_fw_model *m)
{
    if (!m)
        return;
    free(m->lanes_alloc);
    free(m);
}

size_t trawl_fw_model_arch_count(const trawl_fw_model *m)
{
    return m ? m->n_arch : 0;
}

bool trawl_fw_model_arch(const trawl_fw_model *m, size_t i, trawl_fw_arch_info *info)
{
    if (!m || i >= m->n_arch || !info)
        return false;
    info->name = m->name[i];
    info->description = m->desc[i];
    info->endian = m->endian[i];
    info->word_bits = m->word_bits[i];
    return true;
}

int trawl_fw_model_arch_find(const trawl_fw_model *m, const char *name)
{
    for (unsigned a = 0; m && name && a < m->n_arch; a++)
        if (!strcmp(m->name[a], name))
            return (int)a;
    return -1;
}
