/* models.h -- the model files under models/, embedded in the library at
 * build time (cmake/embed.cmake), so that no file is needed at run
 * time. The bytes are untrusted until a loader has checked them. */
#ifndef TRAWL_DETECT_MODELS_H
#define TRAWL_DETECT_MODELS_H

#include <stddef.h>

typedef struct det_model_blob {
    const char *name;           /* file name without .tmodel */
    const unsigned char *bytes; /* followed by one NUL, not counted */
    size_t len;
} det_model_blob;

/* Terminated by an entry whose name is NULL. */
extern const det_model_blob det_model_blobs[];

/* The model called name, or NULL. */
const det_model_blob *det_models_find(const char *name);

#endif
