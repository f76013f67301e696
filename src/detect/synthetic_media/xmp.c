/* synthetic_media/xmp.c -- XMP packets (RDF/XML text). No XML parser: the packet is
 * searched for the few things that matter, which is robust to the two RDF
 * spellings of a property (attribute `p="v"` and element `<p>v</p>`) and
 * to hostile markup, and costs one pass per property.
 *
 * Read: the IPTC digital source type (Iptc4xmpExt:DigitalSourceType, whose
 * value is a URL under http://cv.iptc.org/newscodes/digitalsourcetype/), and
 * the tool names in xmp:CreatorTool, tiff:Software and the history entries'
 * stEvt:softwareAgent. */
#include <stdio.h>
#include <string.h>

#include "detect/synthetic_media/media.h"

#define MAX_TOOLS 8   /* distinct tool values judged per packet */
#define MAX_VALUE 256 /* bytes of a tool-name value */

static bool is_letter(uint8_t c)
{
    return (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
}

void media_source_types(media_ctx *m, const char *where, uint64_t base, const uint8_t *x, size_t n)
{
    static const char key[] = "digitalsourcetype/";
    size_t from = 0;
    long at;
    while (from < n && (at = media_find(x + from, n - from, key)) >= 0) {
        size_t s = from + (size_t)at, t = s + sizeof key - 1, e = t;
        while (e < n && is_letter(x[e]))
            e++;
        /* The property name precedes its value within a few hundred bytes
         * (attribute or element form); the URL alone may sit anywhere. */
        size_t w = s > 200 ? s - 200 : 0;
        bool in_prop = media_find(x + w, s - w, "sourcetype") >= 0;
        if (e > t)
            media_source_type(m, where, base + s, x + t, e - t, in_prop);
        from = e > s ? e : s + 1;
    }
}

/* The value of property name at x[i..] (just past the name), or false. */
static bool prop_value(const uint8_t *x, size_t n, size_t i, size_t *vs, size_t *ve)
{
    while (i < n && (x[i] == ' ' || x[i] == '\t' || x[i] == '\r' || x[i] == '\n'))
        i++;
    if (i >= n)
        return false;
    uint8_t end;
    if (x[i] == '=') {
        i++;
        while (i < n && (x[i] == ' ' || x[i] == '\t'))
            i++;
        if (i >= n || (x[i] != '"' && x[i] != '\''))
            return false;
        end = x[i++];
    } else if (x[i] == '>') {
        i++;
        end = '<';
    } else {
        return false;
    }
    /* Tool names are short; a bounded look keeps a packet full of unclosed
     * properties linear. */
    size_t lim = n - i < MAX_VALUE ? n - i : MAX_VALUE;
    const uint8_t *q = memchr(x + i, end, lim);
    if (!q)
        return false;
    *vs = i;
    *ve = (size_t)(q - x);
    return *ve > *vs;
}

static void tools(media_ctx *m, const char *where, uint64_t base, const uint8_t *x, size_t n)
{
    static const char *const props[] = {"xmp:CreatorTool", "tiff:Software", "stEvt:softwareAgent"};
    size_t seen_s[MAX_TOOLS], seen_e[MAX_TOOLS], nseen = 0;
    for (size_t p = 0; p < sizeof props / sizeof props[0]; p++) {
        size_t k = strlen(props[p]);
        for (size_t from = 0; from + k <= n;) {
            const uint8_t *q = media_mem(x + from, n - from, props[p], k);
            if (!q)
                break;
            size_t at = (size_t)(q - x), vs, ve;
            from = at + k;
            if (!prop_value(x, n, from, &vs, &ve))
                continue;
            bool dup = false;
            for (size_t i = 0; i < nseen && !dup; i++)
                dup = seen_e[i] - seen_s[i] == ve - vs && !memcmp(x + seen_s[i], x + vs, ve - vs);
            if (dup)
                continue;
            if (nseen == MAX_TOOLS)
                return;
            seen_s[nseen] = vs;
            seen_e[nseen++] = ve;
            char loc[160];
            snprintf(loc, sizeof loc, "%s %s", where, props[p]);
            media_field_value(m, MEDIA_SOFTWARE, loc, base + vs, x + vs, ve - vs);
        }
    }
}

void media_xmp(media_ctx *m, const char *where, uint64_t base, const uint8_t *x, size_t n)
{
    media_source_types(m, where, base, x, n);
    tools(m, where, base, x, n);
}
