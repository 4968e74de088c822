// fuzz_segfit_heaps.cpp — the segregated-fit example behind a heap-handle
// API (two heaps besides the default one): fuzz_segfit_heaps (fixed) and
// one target per planted bug (-DPLANTED_BUG=N, SegFitHeapsSubject::HeapBug's
// order: 1 alloc_in, 2 calloc_in, 3 realloc_in use the default heap
// (IN-BOUNDS), 4 walk_in walks it (WALK), 5 stats_in counts it (STATS),
// 6 is_empty_in asks it (EMPTY)).
#include "front/fuzz_target.h"
#include "segfit.h"

#ifndef PLANTED_BUG
#define PLANTED_BUG 0
#endif

KMF_FUZZ_TARGET(example::SegFitHeapsSubject, PLANTED_BUG)
