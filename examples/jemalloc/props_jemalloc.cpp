// props_jemalloc.cpp — the jemalloc example's properties: a private arena
// keeps every object invariant and JEMALLOC_PROMISES; the broken wrappers
// are found: a live block handed out twice (NO-OVERLAP), a size rounding
// that wraps near SIZE_MAX (CONTRACT). ctest expects those cases to fail.
#include "front/props.h"
#include "jemalloc_adapter.h"

KMF_PROPERTY(Jemalloc, private_arena_keeps_every_object_invariant, example::JemallocSubject)
KMF_PROPERTY(JemallocBrokenWrapper, is_found, example::JemallocSubject,
             example::JemallocBug::returns_a_block_twice)
KMF_PROPERTY(JemallocRoundingOverflow, is_found, example::JemallocSubject,
             example::JemallocBug::rounds_size_up)
