// fuzz_jemalloc.cpp — the jemalloc example's fuzz target. Built twice:
// fuzz_jemalloc (jemalloc as it is) and fuzz_jemalloc_broken
// (-DPLANTED_BUG=1: a wrapper that hands a live block out twice).
#include "front/fuzz_target.h"
#include "jemalloc_adapter.h"

#ifndef PLANTED_BUG
#define PLANTED_BUG 0
#endif

KMF_FUZZ_TARGET(example::JemallocSubject,
                PLANTED_BUG ? example::JemallocBug::returns_a_block_twice : example::JemallocBug::none)
