/* http_dashboard.c -- GET /dashboard: one static page (HTML, its script
 * and style, and the vendored uPlot chart library, all embedded in the
 * binary), and GET /dashboard/api/stats, the figures it polls once a
 * second. Live events come from GET /v1/events (http_events.c). Nothing
 * is loaded from the network: the page's Content-Security-Policy allows
 * only this origin. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "serve/dashboard_assets.h"
#include "serve/internal.h"

static const char *content_type(const char *name)
{
    const char *dot = strrchr(name, '.');
    if (dot && !strcmp(dot, ".html"))
        return "text/html; charset=utf-8";
    if (dot && !strcmp(dot, ".js"))
        return "text/javascript; charset=utf-8";
    if (dot && !strcmp(dot, ".css"))
        return "text/css; charset=utf-8";
    return "application/octet-stream";
}

void trawl__serve_dashboard(trawl_server *s, const char *url, srv_reply *r)
{
    const char *rest = url + strlen("/dashboard");
    if (!strcmp(rest, "/api/stats")) {
        r->code = 200;
        r->type = "application/json";
        r->body = trawl__serve_dash_stats(s);
        r->len = r->body ? strlen(r->body) : 0;
        return;
    }
    const char *name = !*rest || !strcmp(rest, "/") ? "index.html" : rest + 1;
    for (const srv_asset *a = trawl__serve_assets; a->name; a++)
        if (!strcmp(a->name, name)) {
            r->body = malloc(a->len ? a->len : 1);
            if (!r->body)
                return; /* send_reply answers 500 */
            memcpy(r->body, a->bytes, a->len);
            r->len = a->len;
            r->code = 200;
            r->type = content_type(a->name);
            return;
        }
    trawl__serve_error(r, 404, "no such endpoint: %s", url);
}
