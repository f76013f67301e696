/* trawl.h -- the umbrella header: everything public in trawl. */
#ifndef TRAWL_H
#define TRAWL_H

#include <trawl/common.h>
#include <trawl/fuzzy.h>

#endif
