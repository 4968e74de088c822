// fuzz_segfit_heaps.cpp — the segregated-fit example behind a heap-handle
// API (two heaps besides the default one): fuzz_segfit_heaps (fixed) and
// fuzz_segfit_heaps_buggy (-DPLANTED_BUG=1: the per-heap alloc uses the
// default heap, found as IN-BOUNDS).
#include "front/fuzz_target.h"
#include "segfit.h"

#ifndef PLANTED_BUG
#define PLANTED_BUG 0
#endif

KMF_FUZZ_TARGET(example::SegFitHeapsSubject, PLANTED_BUG != 0)
