// props_mimalloc.cpp — the mimalloc example's properties: a private heap
// keeps every object invariant; the broken wrapper (usable_size one byte
// short) is found and named USABLE-SIZE (ctest expects that case to fail).
#include "front/props.h"
#include "mimalloc_adapter.h"

KMF_PROPERTY(Mimalloc, private_heap_keeps_every_object_invariant, example::MimallocSubject)
KMF_PROPERTY(MimallocBrokenWrapper, is_found, example::MimallocSubject,
             example::MimallocMode::usable_size_one_short)
