// props_jemalloc.cpp — the jemalloc example's properties: a private arena
// keeps every object invariant; the broken wrapper (a live block handed out
// twice) is found and named NO-OVERLAP (ctest expects that case to fail).
#include "front/props.h"
#include "jemalloc_adapter.h"

KMF_PROPERTY(Jemalloc, private_arena_keeps_every_object_invariant, example::JemallocSubject)
KMF_PROPERTY(JemallocBrokenWrapper, is_found, example::JemallocSubject,
             example::JemallocBug::returns_a_block_twice)
