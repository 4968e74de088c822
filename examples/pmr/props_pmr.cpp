// props_pmr.cpp — the pmr example's properties: both Boost pool resources
// keep the object invariants.
#include "front/props.h"
#include "pmr_adapter.h"

KMF_PROPERTY(PmrPool, unsynchronized_pool_keeps_every_object_invariant, example::UnsynchronizedPool)
KMF_PROPERTY(PmrPool, synchronized_pool_keeps_every_object_invariant, example::SynchronizedPool)
