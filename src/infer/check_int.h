/* check_int.h -- what the checksum files of infer/ share. */
#ifndef TRAWL_SRC_INFER_CHECK_INT_H
#define TRAWL_SRC_INFER_CHECK_INT_H

#include <trawl/infer.h>

/* CRC recovery (crc.c): see trawl_check_recover. */
trawl_status trawl__crc_recover(const trawl_check_sample *s, size_t n, unsigned w, bool search,
                                trawl_crc_params *out, bool *found);

#endif
