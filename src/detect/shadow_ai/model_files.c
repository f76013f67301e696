/* shadow_ai/model_files.c -- is this a machine-learning model file? By content (the
 * header's magic and the structure right behind it) and by name.
 *
 * Confidence follows what was verified, not just what was seen: a 4-byte
 * magic alone is weaker than a magic whose version field, counts or header
 * structure also check out, and formats that also hold non-model data
 * (HDF5, NumPy arrays, pickles) score lower than model-only formats (GGUF,
 * safetensors, TFLite). The numbers are documented in
 * docs/detect-shadow_ai.md; every hit's detail string says what was checked.
 * Input is hostile: only the n bytes given are read, every length is
 * checked against them. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/error.h"
#include "detect/shadow_ai/shadow.h"

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t le64(const uint8_t *p)
{
    return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

static uint16_t le16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

static bool hit_set(shadow_model_hit *h, const char *format, double conf, const char *fmt, ...)
    TRAWL__PRINTF(4, 5);

static bool hit_set(shadow_model_hit *h, const char *format, double conf, const char *fmt, ...)
{
    h->format = format;
    h->confidence = conf;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(h->detail, sizeof(h->detail), fmt, ap);
    va_end(ap);
    return true;
}

static bool contains(const uint8_t *p, size_t n, const char *s)
{
    size_t k = strlen(s);
    if (k == 0 || n < k)
        return false;
    for (const uint8_t *q = p; (q = memchr(q, s[0], (size_t)(p + n - q))) != NULL; q++) {
        if ((size_t)(p + n - q) < k)
            return false;
        if (!memcmp(q, s, k))
            return true;
    }
    return false;
}

/* GGUF: "GGUF", u32 version, u64 tensor count, u64 metadata kv count. */
static bool gguf(const uint8_t *p, size_t n, shadow_model_hit *h)
{
    if (n < 4 || memcmp(p, "GGUF", 4))
        return false;
    if (n < 24)
        return hit_set(h, "GGUF", 0.6, "magic 'GGUF' at offset 0, header cut at %zu bytes", n);
    uint32_t v = le32(p + 4);
    uint64_t tensors = le64(p + 8), kv = le64(p + 16);
    if (v >= 1 && v <= 3 && tensors < (1u << 24) && kv < (1u << 24))
        return hit_set(h, "GGUF", 0.95,
                       "magic 'GGUF' at offset 0, version %u, %llu tensors, %llu metadata keys", v,
                       (unsigned long long)tensors, (unsigned long long)kv);
    return hit_set(h, "GGUF", 0.6, "magic 'GGUF' at offset 0, implausible version %u", v);
}

/* Legacy GGML family: a little-endian u32 magic ('ggml' unversioned; 'ggmf',
 * 'ggjt' and the LoRA 'ggla' followed by a u32 version). */
static bool ggml(const uint8_t *p, size_t n, shadow_model_hit *h)
{
    if (n < 4)
        return false;
    uint32_t m = le32(p);
    const char *name = m == 0x67676d6cu   ? "ggml"
                       : m == 0x67676d66u ? "ggmf"
                       : m == 0x67676a74u ? "ggjt"
                       : m == 0x67676c61u ? "ggla"
                                          : NULL;
    if (!name)
        return false;
    if (m == 0x67676d6cu)
        return hit_set(h, "GGML", 0.8, "legacy magic '%s' (u32 LE) at offset 0", name);
    uint32_t v = n >= 8 ? le32(p + 4) : 0;
    if (v >= 1 && v <= 3)
        return hit_set(h, "GGML", 0.85, "legacy magic '%s' (u32 LE) at offset 0, version %u", name,
                       v);
    return hit_set(h, "GGML", 0.6, "legacy magic '%s' (u32 LE) at offset 0, no valid version",
                   name);
}

/* safetensors: u64 LE header length N, then N bytes of JSON starting '{'
 * whose entries carry "dtype", "shape", "data_offsets". */
static bool safetensors(const uint8_t *p, size_t n, uint64_t total, shadow_model_hit *h)
{
    if (n < 10 || p[8] != '{')
        return false;
    uint64_t hl = le64(p);
    if (hl < 2 || hl > (100u << 20) || (total && hl > total - 8))
        return false;
    size_t seen = hl < n - 8 ? (size_t)hl : n - 8;
    const uint8_t *j = p + 8;
    bool dtype = contains(j, seen, "\"dtype\""), shape = contains(j, seen, "\"shape\""),
         offs = contains(j, seen, "\"data_offsets\"");
    if (!(dtype || shape || offs || contains(j, seen, "\"__metadata__\"")))
        return false; /* 8 bytes and a '{' alone are too common to call */
    double c = dtype && shape && offs ? 0.95 : 0.7;
    return hit_set(h, "safetensors", c,
                   "8-byte LE header length %llu then JSON at offset 8 with%s%s%s%s",
                   (unsigned long long)hl, dtype ? " dtype" : "", shape ? " shape" : "",
                   offs ? " data_offsets" : "", dtype || shape || offs ? "" : " __metadata__");
}

/* Reads a protobuf varint; 0 bytes when malformed or past n. */
static size_t varint(const uint8_t *p, size_t n, uint64_t *v)
{
    *v = 0;
    for (size_t i = 0; i < n && i < 10; i++) {
        *v |= (uint64_t)(p[i] & 0x7f) << (7 * i);
        if (!(p[i] & 0x80))
            return i + 1;
    }
    return 0;
}

/* ONNX ModelProto: field 1 ir_version (varint) first, as every exporter
 * writes it, then fields from ModelProto's set with the right wire types
 * and lengths inside the file. */
static bool onnx(const uint8_t *p, size_t n, uint64_t total, shadow_model_hit *h)
{
    uint64_t ir;
    size_t k;
    if (n < 4 || p[0] != 0x08 || !(k = varint(p + 1, n - 1, &ir)) || ir < 1 || ir > 15)
        return false;
    size_t i = 1 + k, fields = 1;
    bool graph = false, opset = false;
    char producer[40] = "";
    uint64_t limit = total ? total : n;
    while (i < n && fields < 16) {
        uint64_t tag, v;
        size_t t = varint(p + i, n - i, &tag);
        if (!t)
            break;
        unsigned field = (unsigned)(tag >> 3), wt = (unsigned)(tag & 7);
        bool len_field = field == 2 || field == 3 || field == 4 || field == 6 || field == 7 ||
                         field == 8 || field == 14 || field == 20 || field == 25;
        if (!((field == 5 && wt == 0) || (len_field && wt == 2)))
            return false; /* not a ModelProto field: not ONNX */
        i += t;
        size_t vl = varint(p + i, n - i, &v);
        if (!vl)
            break;
        i += vl;
        if (wt == 2) {
            if (v > limit - i && i <= limit)
                return false; /* a length past the end of the file */
            if (field == 2 && v < sizeof(producer) && i + v <= n) {
                memcpy(producer, p + i, (size_t)v);
                producer[v] = 0;
                for (char *c = producer; *c; c++)
                    if ((unsigned char)*c < 0x20 || (unsigned char)*c > 0x7e)
                        *c = '?';
            }
            graph |= field == 7;
            opset |= field == 8;
            if (v > n - i)
                break; /* the rest is past what we read */
            i += (size_t)v;
        }
        fields++;
    }
    if (fields < 2)
        return false;
    double c = graph || opset || producer[0] ? 0.8 : 0.5;
    return hit_set(h, "ONNX", c, "protobuf ModelProto: ir_version %llu, %zu valid fields%s%s%s%s",
                   (unsigned long long)ir, fields, producer[0] ? ", producer '" : "", producer,
                   producer[0] ? "'" : "",
                   graph   ? ", graph"
                   : opset ? ", opset_import"
                           : "");
}

/* Zip: PyTorch (an entry "data.pkl" or ".../data.pkl"), Keras 3 (.keras:
 * "config.json" + "model.weights.h5"), NumPy .npz (".npy" entries). Walks
 * the local file headers inside the bytes given. */
static bool zip(const uint8_t *p, size_t n, shadow_model_hit *h)
{
    if (n < 30 || memcmp(p, "PK\x03\x04", 4))
        return false;
    bool cfg = false, weights = false;
    size_t npy = 0, i = 0;
    for (int entries = 0; entries < 64 && i + 30 <= n && !memcmp(p + i, "PK\x03\x04", 4);
         entries++) {
        uint16_t flags = le16(p + i + 6);
        uint32_t csize = le32(p + i + 18);
        size_t nl = le16(p + i + 26), xl = le16(p + i + 28);
        if (i + 30 + nl > n)
            break;
        const char *name = (const char *)p + i + 30;
        if (nl >= 8 && !memcmp(name + nl - 8, "data.pkl", 8) && (nl == 8 || name[nl - 9] == '/'))
            return hit_set(h, "PyTorch", 0.9, "zip archive with entry '%.*s' at offset %zu",
                           (int)(nl < 100 ? nl : 100), name, i + 30);
        cfg |= nl == 11 && !memcmp(name, "config.json", 11);
        weights |= nl == 16 && !memcmp(name, "model.weights.h5", 16);
        npy += nl > 4 && !memcmp(name + nl - 4, ".npy", 4);
        if (flags & 0x08)
            break; /* sizes follow the data: cannot walk on */
        i += 30 + nl + xl + csize;
    }
    if (cfg && weights)
        return hit_set(h, "Keras", 0.85,
                       "zip archive with entries config.json and "
                       "model.weights.h5 (Keras 3)");
    if (npy)
        return hit_set(h, "NumPy", 0.45, "zip archive of %zu .npy entries (npz)", npy);
    return false;
}

/* Python pickle: PROTO opcode 0x80 then protocol 2..5; protocols 4 and 5
 * frame their opcodes (0x95 FRAME follows). The legacy torch.save format is
 * a pickle whose first object is torch's magic number 0x1950a86a20f9469cfc6c. */
static bool pickle(const uint8_t *p, size_t n, shadow_model_hit *h)
{
    static const uint8_t torch_magic[] = {0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46,
                                          0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19};
    if (n < 3 || p[0] != 0x80 || p[1] < 2 || p[1] > 5)
        return false;
    if (n >= 2 + sizeof(torch_magic) && !memcmp(p + 2, torch_magic, sizeof(torch_magic)))
        return hit_set(h, "PyTorch", 0.85,
                       "pickle protocol %u at offset 0 starting with torch's magic number "
                       "0x1950a86a20f9469cfc6c (legacy torch.save)",
                       p[1]);
    /* The opcode after PROTO: FRAME for 4/5; for 2/3 one that can start a
     * pickled object (EMPTY_DICT, EMPTY_LIST, MARK, GLOBAL, ...). */
    static const char starts[] = "}]()cKJMXUCqhGN\x88\x89\x8a\x8c\x95";
    bool ok = p[1] >= 4 ? p[2] == 0x95 : (p[2] && memchr(starts, p[2], sizeof(starts) - 1));
    if (!ok)
        return false;
    bool torchy = contains(p, n, "torch") || contains(p, n, "collections\nOrderedDict") ||
                  contains(p, n, "_rebuild_tensor");
    return hit_set(h, "pickle", torchy ? 0.7 : 0.4,
                   "pickle protocol %u at offset 0%s (pickles run code when loaded)", p[1],
                   torchy ? ", mentions torch tensors" : "");
}

static bool hdf5(const uint8_t *p, size_t n, shadow_model_hit *h)
{
    static const uint8_t sig[8] = {0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};
    /* The superblock may sit at 0, 512, 1024, 2048, ... */
    for (size_t off = 0; off <= 4096 && off + 8 <= n; off = off ? off * 2 : 512) {
        if (memcmp(p + off, sig, 8))
            continue;
        bool keras = contains(p, n, "keras_version") || contains(p, n, "model_config") ||
                     contains(p, n, "model_weights");
        return hit_set(h, keras ? "Keras" : "HDF5", keras ? 0.8 : 0.45,
                       "HDF5 signature at offset %zu%s", off,
                       keras ? ", Keras attributes (keras_version/model_config/model_weights)"
                             : " (HDF5 also holds non-model data)");
    }
    return false;
}

static bool tflite(const uint8_t *p, size_t n, uint64_t total, shadow_model_hit *h)
{
    if (n < 8 || memcmp(p + 4, "TFL3", 4))
        return false;
    uint32_t root = le32(p);
    bool plausible = root >= 8 && (total ? root < total : true) && root % 4 == 0;
    return hit_set(h, "TFLite", plausible ? 0.85 : 0.55,
                   "FlatBuffer identifier 'TFL3' at offset 4, root table offset %u%s", root,
                   plausible ? "" : " (implausible)");
}

static bool numpy(const uint8_t *p, size_t n, shadow_model_hit *h)
{
    if (n < 10 || memcmp(p, "\x93NUMPY", 6))
        return false;
    if (p[6] < 1 || p[6] > 3)
        return false;
    bool dict = n > 10 && contains(p + 8, n - 8 < 64 ? n - 8 : 64, "'descr'");
    return hit_set(h, "NumPy", dict ? 0.45 : 0.3,
                   "magic '\\x93NUMPY' at offset 0, format %u.%u%s (an array; may be weights)",
                   p[6], p[7], dict ? ", header dict with 'descr'" : "");
}

bool shadow_model_magic(const uint8_t *p, size_t n, uint64_t total, shadow_model_hit *hit)
{
    memset(hit, 0, sizeof(*hit));
    return gguf(p, n, hit) || ggml(p, n, hit) || safetensors(p, n, total, hit) ||
           tflite(p, n, total, hit) || zip(p, n, hit) || pickle(p, n, hit) || hdf5(p, n, hit) ||
           numpy(p, n, hit) || onnx(p, n, total, hit);
}

/* ---- by name -------------------------------------------------------------------- */

static const struct {
    const char *ext, *format;
    double conf;
} exts[] = {
    /* model-only extensions */
    {".gguf", "GGUF", 0.6},
    {".ggml", "GGML", 0.6},
    {".safetensors", "safetensors", 0.6},
    {".tflite", "TFLite", 0.55},
    {".onnx", "ONNX", 0.55},
    {".llamafile", "llamafile", 0.55},
    /* PyTorch: .ckpt is also used by other tools */
    {".pt", "PyTorch", 0.5},
    {".pth", "PyTorch", 0.5},
    {".ckpt", "checkpoint", 0.45},
    {".keras", "Keras", 0.5},
    {".mlmodel", "Core ML", 0.5},
    {".pb", "TensorFlow", 0.3}, /* any protobuf */
    {".h5", "HDF5", 0.35},      /* HDF5 holds any data */
    {".hdf5", "HDF5", 0.35},
    {".pkl", "pickle", 0.3},
    {".pickle", "pickle", 0.3},
    {".npy", "NumPy", 0.25},
    {".npz", "NumPy", 0.25},
};

/* Words that make a .bin (or other generic) name a model's. */
static const char *const model_words[] = {
    "model", "ggml",  "gguf", "llama",  "mistral", "weights", "lora", "adapter", "checkpoint",
    "qwen",  "gemma", "phi-", "falcon", "gpt",     "bert",    "q4_",  "q8_",
};

static bool ends_with_ci(const char *s, size_t n, const char *suf)
{
    size_t k = strlen(suf);
    if (n < k)
        return false;
    for (size_t i = 0; i < k; i++) {
        char c = s[n - k + i];
        if (c >= 'A' && c <= 'Z')
            c += 32;
        if (c != suf[i])
            return false;
    }
    return true;
}

bool shadow_model_name(const char *path, shadow_model_hit *hit)
{
    memset(hit, 0, sizeof(*hit));
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    size_t n = strlen(base);
    if (n > 255)
        return false;
    for (size_t i = 0; i < sizeof(exts) / sizeof(exts[0]); i++)
        if (n > strlen(exts[i].ext) && ends_with_ci(base, n, exts[i].ext))
            return hit_set(hit, exts[i].format, exts[i].conf, "file name ends in '%s'",
                           exts[i].ext);
    if (!ends_with_ci(base, n, ".bin"))
        return false;
    char low[256];
    for (size_t i = 0; i <= n; i++)
        low[i] = base[i] >= 'A' && base[i] <= 'Z' ? (char)(base[i] + 32) : base[i];
    for (size_t i = 0; i < sizeof(model_words) / sizeof(model_words[0]); i++)
        if (strstr(low, model_words[i]))
            return hit_set(hit, "model weights", 0.4, "'.bin' file named with '%s'",
                           model_words[i]);
    return false;
}
