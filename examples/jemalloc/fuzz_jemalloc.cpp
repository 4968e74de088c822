// fuzz_jemalloc.cpp — the jemalloc example's fuzz target. Built three times:
// fuzz_jemalloc (jemalloc as it is), fuzz_jemalloc_broken (-DPLANTED_BUG=1:
// a wrapper that hands a live block out twice) and fuzz_jemalloc_rounding
// (-DPLANTED_BUG=2: a wrapper whose size rounding wraps near SIZE_MAX).
#include "front/fuzz_target.h"
#include "jemalloc_adapter.h"

#ifndef PLANTED_BUG
#define PLANTED_BUG 0
#endif

KMF_FUZZ_TARGET(example::JemallocSubject, static_cast<example::JemallocBug>(PLANTED_BUG))
