// props_mimalloc.cpp — the mimalloc example's properties: a private heap
// keeps every object invariant and MIMALLOC_PROMISES; the broken wrappers
// are found: usable_size one byte short (USABLE-SIZE), p freed by a failed
// realloc (CONTRACT). ctest expects those cases to fail.
#include "front/props.h"
#include "mimalloc_adapter.h"

KMF_PROPERTY(Mimalloc, private_heap_keeps_every_object_invariant, example::MimallocSubject)
KMF_PROPERTY(MimallocBrokenWrapper, is_found, example::MimallocSubject,
             example::MimallocMode::usable_size_one_short)
KMF_PROPERTY(MimallocReallocFrees, is_found, example::MimallocSubject,
             example::MimallocMode::frees_on_failed_realloc)
