/* dashboard_assets.h -- the dashboard's files, embedded in the binary by
 * cmake/embed.cmake from src/serve/dashboard/ (gen/dashboard_embed.c). */
#ifndef TRAWL_SRC_SERVE_DASHBOARD_ASSETS_H
#define TRAWL_SRC_SERVE_DASHBOARD_ASSETS_H

#include <stddef.h>

typedef struct srv_asset {
    const char *name; /* file name, e.g. "dashboard.js" */
    const unsigned char *bytes;
    size_t len;
} srv_asset;

/* NULL-terminated. */
extern const srv_asset trawl__serve_assets[];

#endif
