/* trawl.h -- the umbrella header: everything public in trawl. */
#ifndef TRAWL_H
#define TRAWL_H

#include <trawl/common.h>
#include <trawl/pattern.h>
#include <trawl/frame.h>
#include <trawl/struct.h>
#include <trawl/detect.h>
#include <trawl/fuzzy.h>
#include <trawl/model.h>
#include <trawl/analyze.h>
#include <trawl/infer.h>
#include <trawl/firmware.h>
#include <trawl/anomaly.h>
/* trawl/serve.h is the service library (libtrawl-serve); include it alone. */

#endif
