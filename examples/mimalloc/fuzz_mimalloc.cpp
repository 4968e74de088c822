// fuzz_mimalloc.cpp — the mimalloc example's fuzz target, built four
// times: fuzz_mimalloc (MODE aligned_at, clean), fuzz_mimalloc_aligned
// (mi_heap_malloc_aligned: upstream issue 700 on Debian's 2.0.9),
// fuzz_mimalloc_broken (a wrapper whose usable_size is one byte short) and
// fuzz_mimalloc_realloc_frees (a wrapper that frees p when a realloc fails).
#include "front/fuzz_target.h"
#include "mimalloc_adapter.h"

#ifndef MODE
#define MODE aligned_at
#endif

KMF_FUZZ_TARGET(example::MimallocSubject, example::MimallocMode::MODE)
