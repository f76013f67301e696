/* onnx.c -- the model as an ONNX graph, protobuf encoded by hand (the ONNX
 * schema's field numbers are stable: onnx/onnx.proto). Opset 13, IR 7.
 *
 *   x [N, B + D] --MatMul W1--> Add b1 --Relu--> MatMul w2 --> Add b2     (mlp)
 *   x [N, B + D] --MatMul W1--> Add b1                                     (linear)
 *   --> Mul a --> Add b --> Sigmoid --> p [N, 1]
 *
 * W1 is the table E [B, H] on top of the dense weights Wd [D, H]: the
 * pooled features times E is the mean of the text's rows. In the int8 form
 * E stays int8 with its per-row scales and is dequantised in the graph
 * (DequantizeLinear, axis 0), then concatenated with Wd. */
#include <stdio.h>
#include <stdlib.h>

#include "common/error.h"
#include "model/model_int.h"

typedef struct pb {
    uint8_t *p;
    size_t n, cap;
    bool oom;
} pb;

static void put(pb *b, const void *src, size_t n)
{
    if (b->oom)
        return;
    if (b->n + n > b->cap) {
        size_t cap = (b->cap ? b->cap * 2 : 256) + n;
        uint8_t *p = realloc(b->p, cap);
        if (!p) {
            b->oom = true;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->n, src, n);
    b->n += n;
}

static void varint(pb *b, uint64_t v)
{
    uint8_t t[10];
    size_t n = 0;
    do {
        t[n++] = (uint8_t)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
        v >>= 7;
    } while (v);
    put(b, t, n);
}

static void f_int(pb *b, unsigned field, int64_t v)
{
    varint(b, (uint64_t)field << 3);
    varint(b, (uint64_t)v);
}

static void f_bytes(pb *b, unsigned field, const void *p, size_t n)
{
    varint(b, (uint64_t)field << 3 | 2);
    varint(b, n);
    put(b, p, n);
}

static void f_str(pb *b, unsigned field, const char *s)
{
    f_bytes(b, field, s, strlen(s));
}

/* Appends child as a length-delimited field and frees it. */
static void f_msg(pb *b, unsigned field, pb *child)
{
    if (child->oom)
        b->oom = true;
    f_bytes(b, field, child->p ? child->p : (uint8_t *)"", child->n);
    free(child->p);
    *child = (pb){0};
}

enum { T_FLOAT = 1, T_INT8 = 3, A_FLOAT = 1, A_INT = 2 };

static void tensor(pb *g, const char *name, int type, const int64_t *dims, size_t nd,
                   const void *raw, size_t bytes)
{
    pb t = {0};
    for (size_t i = 0; i < nd; i++)
        f_int(&t, 1, dims[i]);
    f_int(&t, 2, type);
    f_str(&t, 8, name);
    f_bytes(&t, 9, raw, bytes);
    f_msg(g, 5, &t);
}

static void node(pb *g, const char *op, const char *const *in, size_t nin, const char *out,
                 const char *attr, int64_t attr_v)
{
    pb n = {0};
    for (size_t i = 0; i < nin; i++)
        f_str(&n, 1, in[i]);
    f_str(&n, 2, out);
    f_str(&n, 3, out);
    f_str(&n, 4, op);
    if (attr) {
        pb a = {0};
        f_str(&a, 1, attr);
        f_int(&a, 3, attr_v);
        f_int(&a, 20, A_INT);
        f_msg(&n, 5, &a);
    }
    f_msg(g, 1, &n);
}

static void value_info(pb *g, unsigned field, const char *name, const char *dim0, int64_t dim1)
{
    pb shape = {0}, d0 = {0}, d1 = {0}, tt = {0}, type = {0}, vi = {0};
    f_str(&d0, 2, dim0);
    f_msg(&shape, 1, &d0);
    f_int(&d1, 1, dim1);
    f_msg(&shape, 1, &d1);
    f_int(&tt, 1, T_FLOAT);
    f_msg(&tt, 2, &shape);
    f_msg(&type, 1, &tt);
    f_str(&vi, 1, name);
    f_msg(&vi, 2, &type);
    f_msg(g, field, &vi);
}

#define IN(...)                                                                                    \
    (const char *const[]){__VA_ARGS__}, sizeof((const char *const[]){__VA_ARGS__}) / sizeof(char *)

trawl_status trawl_model_export_onnx(const trawl_model *m, uint8_t **out, size_t *len,
                                     trawl_error *err)
{
    trawl_error_clear(err);
    *out = NULL;
    *len = 0;
    const trawl_model_info *in = &m->info;
    if (in->sparse || in->format == TRAWL_MODEL_INT4)
        return trawl__fail(err, TRAWL_EUNSUPPORTED,
                           "ONNX export takes f32 and int8 models that are not row-pruned");
    uint32_t B = in->feat.buckets;
    unsigned H = in->hidden, D = in->n_dense;
    pb g = {0};
    f_str(&g, 2, in->name);
    float *w =
        malloc(((size_t)(in->format == TRAWL_MODEL_F32 ? B : 0) + D) * H * sizeof(float) + 4);
    if (!w)
        return trawl__fail(err, TRAWL_ENOMEM, "out of memory");
    if (in->format == TRAWL_MODEL_F32) {
        for (uint32_t b = 0; b < B; b++)
            trawl__tm_row(m, b, w + (size_t)b * H);
        memcpy(w + (size_t)B * H, m->Wd, (size_t)D * H * sizeof(float));
        tensor(&g, "W1", T_FLOAT, (int64_t[]){(int64_t)B + D, H}, 2, w,
               ((size_t)B + D) * H * sizeof(float));
    } else {
        int8_t *zp = calloc(B, 1);
        if (!zp) {
            free(w);
            return trawl__fail(err, TRAWL_ENOMEM, "out of memory");
        }
        tensor(&g, "E_q", T_INT8, (int64_t[]){B, H}, 2, m->table, (size_t)B * H);
        tensor(&g, "E_scale", T_FLOAT, (int64_t[]){B}, 1, m->scales, (size_t)B * 4);
        tensor(&g, "E_zero", T_INT8, (int64_t[]){B}, 1, zp, B);
        memcpy(w, m->Wd, (size_t)D * H * sizeof(float));
        tensor(&g, "Wd", T_FLOAT, (int64_t[]){D, H}, 2, w, (size_t)D * H * sizeof(float));
        free(zp);
        node(&g, "DequantizeLinear", IN("E_q", "E_scale", "E_zero"), "E", "axis", 0);
        node(&g, "Concat", IN("E", "Wd"), "W1", "axis", 0);
    }
    free(w);
    tensor(&g, "b1", T_FLOAT, (int64_t[]){H}, 1, m->b1, H * sizeof(float));
    node(&g, "MatMul", IN("x", "W1"), "pre", NULL, 0);
    node(&g, "Add", IN("pre", "b1"), "a", NULL, 0);
    const char *z = "a";
    if (in->kind == TRAWL_MODEL_MLP) {
        tensor(&g, "w2", T_FLOAT, (int64_t[]){H, 1}, 2, m->w2, H * sizeof(float));
        tensor(&g, "b2", T_FLOAT, (int64_t[]){1}, 1, &m->b2, sizeof(float));
        node(&g, "Relu", IN("a"), "h", NULL, 0);
        node(&g, "MatMul", IN("h", "w2"), "hz", NULL, 0);
        node(&g, "Add", IN("hz", "b2"), "z", NULL, 0);
        z = "z";
    }
    float pa = in->platt_a, pbias = in->platt_b;
    tensor(&g, "platt_a", T_FLOAT, (int64_t[]){1}, 1, &pa, 4);
    tensor(&g, "platt_b", T_FLOAT, (int64_t[]){1}, 1, &pbias, 4);
    node(&g, "Mul", IN(z, "platt_a"), "za", NULL, 0);
    node(&g, "Add", IN("za", "platt_b"), "zc", NULL, 0);
    node(&g, "Sigmoid", IN("zc"), "p", NULL, 0);
    value_info(&g, 11, "x", "N", (int64_t)B + D);
    value_info(&g, 12, "p", "N", 1);
    pb mo = {0}, op = {0};
    f_int(&mo, 1, 7); /* IR version 7: opset 13 */
    f_str(&mo, 2, "trawl");
    f_str(&mo, 3, TRAWL_VERSION_STRING);
    f_msg(&mo, 7, &g);
    f_str(&op, 1, "");
    f_int(&op, 2, 13);
    f_msg(&mo, 8, &op);
    if (mo.oom) {
        free(mo.p);
        return trawl__fail(err, TRAWL_ENOMEM, "out of memory");
    }
    *out = mo.p;
    *len = mo.n;
    return TRAWL_OK;
}
