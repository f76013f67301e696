/* infer_out.c -- what `trawl infer` prints: the table, the JSON spec with
 * per-message boundaries, and the `trawl frame packets` options. */
#include "infer_cli.h"

#include <string.h>

static const char *const sig_names[] = {"const-run", "int-bytes", "text",    "type-key",
                                        "length",    "checksum",  "counter", "align",
                                        "message",   "values",    "tail",    "record"};
#define NSIG (sizeof(sig_names) / sizeof(sig_names[0]))

static void print_signals(FILE *out, uint32_t s, bool json)
{
    bool first = true;
    if (json)
        fputc('[', out);
    for (unsigned k = 0; k < NSIG; k++) {
        if (!(s >> k & 1))
            continue;
        if (json)
            fprintf(out, "%s\"%s\"", first ? "" : ",", sig_names[k]);
        else
            fprintf(out, "%s%s", first ? "" : ",", sig_names[k]);
        first = false;
    }
    if (json)
        fputc(']', out);
    else if (first)
        fputc('-', out);
}

/* A few words on what makes the field what it is. */
static void detail(char *buf, size_t cap, const trawl_infer_field *f)
{
    buf[0] = 0;
    switch (f->kind) {
    case TRAWL_FIELD_CONST:
        if (f->size && f->size <= 8)
            snprintf(buf, cap, "0x%0*llx", (int)(2 * f->size), (unsigned long long)f->value);
        break;
    case TRAWL_FIELD_LENGTH:
        if (f->sect_size)
            snprintf(buf, cap, "= a section's size (with @%u)", f->sect_with);
        else
            snprintf(buf, cap, "= length - %d%+d", f->len_from, f->len_adjust);
        break;
    case TRAWL_FIELD_CHECKSUM:
        trawl_check_describe(&f->algo, buf, cap);
        break;
    case TRAWL_FIELD_TIMESTAMP:
        snprintf(buf, cap, "%s since 1970",
                 f->ts_unit == 1      ? "s"
                 : f->ts_unit == 1000 ? "ms"
                                      : "us");
        break;
    default:
        break;
    }
}

static const char *order(const trawl_infer_field *f)
{
    if (f->size < 2 || f->kind == TRAWL_FIELD_TEXT || f->kind == TRAWL_FIELD_CONST ||
        f->kind == TRAWL_FIELD_PAYLOAD)
        return "-";
    return f->big_endian ? "be" : "le";
}

int infer_print_table(FILE *out, const trawl_infer_result *r)
{
    size_t nt = trawl_infer_type_count(r);
    for (size_t t = 0; t < nt; t++) {
        const trawl_infer_type *ty = trawl_infer_type_get(r, t);
        fprintf(out, "type %u  port %u  ", ty->id, ty->port);
        if (ty->key_offset >= 0)
            fprintf(out, "key @%d=0x%02llx  ", ty->key_offset, (unsigned long long)ty->key_value);
        else if (ty->cluster >= 0)
            fprintf(out, "cluster %d  ", ty->cluster);
        else
            fprintf(out, "no key  ");
        fprintf(out, "%zu message%s  length %u..%u  %s endian\n", ty->n_msgs,
                ty->n_msgs == 1 ? "" : "s", ty->min_len, ty->max_len,
                ty->big_endian ? "big" : "little");
        fprintf(out, "  %6s %5s  %-9s %-5s %6s  %-40s %s\n", "offset", "size", "kind", "order",
                "values", "detail", "signals");
        for (size_t k = 0; k < ty->n_fields; k++) {
            const trawl_infer_field *f = &ty->fields[k];
            char d[160], sz[16];
            detail(d, sizeof d, f);
            if (f->size)
                snprintf(sz, sizeof sz, "%u", f->size);
            else
                snprintf(sz, sizeof sz, "rest");
            fprintf(out, "  %6u %5s  %-9s %-5s %6u  %-40s ", f->offset, sz,
                    trawl_field_kind_name(f->kind), order(f), f->n_values, d);
            print_signals(out, f->signals, false);
            fputc('\n', out);
        }
        fputc('\n', out);
    }
    return 0;
}

int infer_print_json(FILE *out, const trawl_infer_result *r, const infer_msgs *m)
{
    size_t nt = trawl_infer_type_count(r);
    for (size_t t = 0; t < nt; t++) {
        const trawl_infer_type *ty = trawl_infer_type_get(r, t);
        fprintf(out, "{\"type\":%u,\"port\":%u,", ty->id, ty->port);
        if (ty->key_offset >= 0)
            fprintf(out, "\"key\":{\"offset\":%d,\"size\":%u,\"value\":%llu},", ty->key_offset,
                    ty->key_size, (unsigned long long)ty->key_value);
        else
            fputs("\"key\":null,", out);
        if (ty->cluster >= 0)
            fprintf(out, "\"cluster\":%d,", ty->cluster);
        fprintf(out,
                "\"messages\":%zu,\"min_length\":%u,\"max_length\":%u,\"byte_order\":\"%s\","
                "\"fields\":[",
                ty->n_msgs, ty->min_len, ty->max_len, ty->big_endian ? "big" : "little");
        for (size_t k = 0; k < ty->n_fields; k++) {
            const trawl_infer_field *f = &ty->fields[k];
            const char *o = order(f);
            fprintf(out, "%s{\"offset\":%u,\"size\":", k ? "," : "", f->offset);
            if (f->size)
                fprintf(out, "%u", f->size);
            else
                fputs("null", out);
            fprintf(out, ",\"kind\":\"%s\",\"byte_order\":%s,\"confidence\":%.2f,\"values\":%u,",
                    trawl_field_kind_name(f->kind),
                    !strcmp(o, "-")    ? "null"
                    : !strcmp(o, "be") ? "\"big\""
                                       : "\"little\"",
                    (double)f->confidence, f->n_values);
            if (f->kind == TRAWL_FIELD_CONST && f->size && f->size <= 8)
                fprintf(out, "\"value\":%llu,", (unsigned long long)f->value);
            if (f->kind == TRAWL_FIELD_LENGTH && f->sect_size)
                fprintf(out, "\"section_with\":%u,", f->sect_with);
            else if (f->kind == TRAWL_FIELD_LENGTH)
                fprintf(out, "\"counts_from\":%d,\"adjust\":%d,", f->len_from, f->len_adjust);
            if (f->kind == TRAWL_FIELD_TIMESTAMP)
                fprintf(out, "\"units_per_second\":%u,", f->ts_unit);
            if (f->kind == TRAWL_FIELD_CHECKSUM) {
                char d[160];
                trawl_check_describe(&f->algo, d, sizeof d);
                fputs("\"algorithm\":", out);
                cli_json_string(out, d);
                fprintf(out, ",\"covers_from\":%u,", f->check.from);
            }
            fputs("\"evidence\":", out);
            print_signals(out, f->signals, true);
            fputc('}', out);
        }
        fputs("]}\n", out);
    }
    for (size_t i = 0; i < m->n; i++) {
        size_t nb;
        const uint32_t *sig;
        const uint32_t *b = trawl_infer_msg_bounds(r, i, &nb, &sig);
        fprintf(out, "{\"message\":%zu,\"frame\":%llu,\"type\":%d,\"length\":%zu,\"bounds\":[", i,
                (unsigned long long)m->frame[i], trawl_infer_msg_type(r, i), m->m[i].data.len);
        for (size_t k = 0; k < nb; k++)
            fprintf(out, "%s%u", k ? "," : "", b[k]);
        fputs("],\"signals\":[", out);
        for (size_t k = 0; k < nb; k++) {
            fputs(k ? "," : "", out);
            print_signals(out, sig[k], true);
        }
        fputs("]}\n", out);
    }
    return 0;
}

/* A length field at the same place in every type, counting to the end of
 * the message: the header format and options of `trawl frame packets`. */
int infer_print_struct(FILE *out, const trawl_infer_result *r)
{
    size_t nt = trawl_infer_type_count(r);
    const trawl_infer_field *len = NULL;
    for (size_t t = 0; t < nt; t++) {
        const trawl_infer_type *ty = trawl_infer_type_get(r, t);
        const trawl_infer_field *found = NULL;
        for (size_t k = 0; k < ty->n_fields; k++)
            if (ty->fields[k].kind == TRAWL_FIELD_LENGTH && !ty->fields[k].sect_size)
                found = &ty->fields[k];
        if (!found ||
            (len && (found->offset != len->offset || found->size != len->size ||
                     found->big_endian != len->big_endian || found->len_from != len->len_from ||
                     found->len_adjust != len->len_adjust))) {
            fprintf(stderr, "trawl infer: no length field common to every type\n");
            return CLI_NONE;
        }
        len = found;
    }
    if (!len || (len->size != 1 && len->size != 2 && len->size != 4)) {
        fprintf(stderr, "trawl infer: no length field common to every type\n");
        return CLI_NONE;
    }
    char code = len->size == 1 ? 'B' : len->size == 2 ? 'H' : 'I';
    /* packet = value + header + adjust, header = offset + size */
    long header = (long)len->offset + len->size;
    long adjust = (long)len->len_from - len->len_adjust - header;
    fprintf(out, "--header '%c", len->big_endian ? '>' : '<');
    if (len->offset)
        fprintf(out, "%ux", len->offset);
    fprintf(out, "%c' --length-field 0", code);
    if (adjust)
        fprintf(out, " --adjust %ld", adjust);
    fputc('\n', out);
    return 0;
}
