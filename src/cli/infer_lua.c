/* infer_lua.c -- `trawl infer --lua FILE`: a Wireshark Lua dissector for
 * the inferred format. One protocol per service port, registered on that
 * TCP and UDP port; the type field picks the type's field list; a field
 * that a message is too short for is left out (never a malformed packet). */
#include "infer_cli.h"

#include <string.h>

static const char *ftype(const trawl_infer_field *f)
{
    switch (f->size) {
    case 1:
        return "uint8";
    case 2:
        return "uint16";
    case 3:
        return "uint24";
    case 4:
        return "uint32";
    default:
        return "bytes";
    }
}

static bool is_uint(const trawl_infer_field *f)
{
    return f->size >= 1 && f->size <= 4 && f->kind != TRAWL_FIELD_TEXT;
}

int infer_write_lua(const char *path, const trawl_infer_result *r, const infer_msgs *m)
{
    (void)m;
    FILE *out = fopen(path, "w");
    if (!out) {
        cli_errorf("infer", "%s: cannot write", path);
        return CLI_ERROR;
    }
    size_t nt = trawl_infer_type_count(r);
    fprintf(out,
            "-- Wireshark dissector written by `trawl infer` from %zu inferred type%s.\n"
            "-- Load with: wireshark -X lua_script:%s (or tshark).\n",
            nt, nt == 1 ? "" : "s", path);
    /* ports in order of first appearance */
    unsigned ports[256];
    size_t np = 0;
    for (size_t t = 0; t < nt; t++) {
        unsigned p = trawl_infer_type_get(r, t)->port;
        bool seen = false;
        for (size_t k = 0; k < np; k++)
            seen |= ports[k] == p;
        if (!seen && np < 256 && p)
            ports[np++] = p;
    }
    for (size_t pi = 0; pi < np; pi++) {
        unsigned port = ports[pi];
        fprintf(out,
                "\ndo\n  local p = Proto(\"trawl_%u\", \"trawl-inferred protocol on port %u\")\n",
                port, port);
        fprintf(out, "  local f = {}\n  local types = {}\n");
        int key = -1;
        for (size_t t = 0; t < nt; t++) {
            const trawl_infer_type *ty = trawl_infer_type_get(r, t);
            /* types from clustering have no field to tell them apart on
             * the wire: the dissector shows the first one's fields */
            if (ty->port != port || ty->cluster > 0)
                continue;
            key = ty->key_offset;
            fprintf(out, "  types[%llu] = {\n",
                    ty->key_offset >= 0 ? (unsigned long long)ty->key_value : 0ull);
            for (size_t k = 0; k < ty->n_fields; k++) {
                const trawl_infer_field *fd = &ty->fields[k];
                fprintf(out, "    {%u, %u, %s},\n", fd->offset, fd->size,
                        is_uint(fd) && !fd->big_endian ? "true" : "false");
            }
            fprintf(out, "  }\n");
            for (size_t k = 0; k < ty->n_fields; k++) {
                const trawl_infer_field *fd = &ty->fields[k];
                const char *kind = trawl_field_kind_name(fd->kind);
                if (is_uint(fd))
                    fprintf(out,
                            "  f[\"t%u_%u\"] = ProtoField.%s(\"trawl_%u.t%u.o%u\", \"%s @%u\", "
                            "base.HEX)\n",
                            ty->id, fd->offset, ftype(fd), port, ty->id, fd->offset, kind,
                            fd->offset);
                else
                    fprintf(
                        out,
                        "  f[\"t%u_%u\"] = ProtoField.bytes(\"trawl_%u.t%u.o%u\", \"%s @%u\")\n",
                        ty->id, fd->offset, port, ty->id, fd->offset, kind, fd->offset);
            }
            fprintf(out, "  types[%llu].id = %u\n",
                    ty->key_offset >= 0 ? (unsigned long long)ty->key_value : 0ull, ty->id);
        }
        fprintf(out, "  local list = {}\n  for _, v in pairs(f) do list[#list + 1] = v end\n"
                     "  p.fields = list\n");
        fprintf(out, "  function p.dissector(buf, pinfo, tree)\n"
                     "    local n = buf:len()\n"
                     "    if n == 0 then return 0 end\n"
                     "    local k = 0\n");
        if (key >= 0)
            fprintf(out, "    if n > %d then k = buf(%d, 1):uint() end\n", key, key);
        fprintf(out,
                "    local ty = types[k]\n"
                "    pinfo.cols.protocol = \"TRAWL%u\"\n"
                "    local sub = tree:add(p, buf(), \"trawl-inferred, port %u\")\n"
                "    if not ty then return n end\n"
                "    for _, fd in ipairs(ty) do\n"
                "      local off, size, le = fd[1], fd[2], fd[3]\n"
                "      if size == 0 then size = n - off end\n"
                "      if off + size <= n and size > 0 then\n"
                "        local pf = f[\"t\" .. ty.id .. \"_\" .. off]\n"
                "        if le then sub:add_le(pf, buf(off, size)) else sub:add(pf, buf(off, "
                "size)) end\n"
                "      end\n"
                "    end\n"
                "    return n\n"
                "  end\n"
                "  DissectorTable.get(\"tcp.port\"):add(%u, p)\n"
                "  DissectorTable.get(\"udp.port\"):add(%u, p)\n"
                "end\n",
                port, port, port, port);
    }
    if (fclose(out) != 0) {
        cli_errorf("infer", "%s: write failed", path);
        return CLI_ERROR;
    }
    return 0;
}
