// props_segfit.cpp — the segregated-fit example's RapidCheck properties:
// the fixed allocator keeps every generic invariant (hostile requests and
// calloc included); each planted bug makes the same property fail (ctest
// expects these to fail, naming the id).
#include "front/props.h"
#include "segfit.h"

using example::SegFit;

KMF_PROPERTY(SegFit, keeps_every_generic_invariant, example::SegFitSubject)
KMF_PROPERTY(SegFitRoundingOverflow, is_found, example::SegFitSubject, SegFit::Bug::rounding_overflow)
KMF_PROPERTY(SegFitCallocProduct, is_found, example::SegFitSubject, SegFit::Bug::calloc_product)
KMF_PROPERTY(SegFitWrongList, is_found, example::SegFitSubject, SegFit::Bug::wrong_list)
KMF_PROPERTY(SegFitMetadataPastEnd, is_found, example::SegFitSubject, SegFit::Bug::metadata_past_end)
KMF_PROPERTY(SegFitStatsDiv0, is_found, example::SegFitSubject, SegFit::Bug::stats_div0)
KMF_PROPERTY(SegFitNoBackwardMerge, is_found_without_the_self_check, example::SegFitSubject,
             SegFit::Bug::no_backward_merge, /*self_check=*/false)
KMF_PROPERTY(SegFitNoBackwardMergeNoModel, is_found_by_restore, example::SegFitSubject,
             SegFit::Bug::no_backward_merge, /*self_check=*/false, /*model=*/false)
KMF_PROPERTY(SegFitInitKeepsHeap, is_found, example::SegFitSubject, SegFit::Bug::init_keeps_heap)
KMF_PROPERTY(SegFitHalfInit, is_found, example::SegFitSubject, SegFit::Bug::half_init)
KMF_PROPERTY(SegFitPoolWrongClass, is_found, example::SegFitSubject, SegFit::Bug::pool_wrong_class)
KMF_PROPERTY(SegFitShrinkSpin, is_found, example::SegFitSubject, SegFit::Bug::shrink_spin)

using HeapBug = example::SegFitHeapsSubject::HeapBug;
KMF_PROPERTY(SegFitHeaps, keeps_every_generic_invariant_per_heap, example::SegFitHeapsSubject)
KMF_PROPERTY(SegFitHeapsAllocDefault, is_found, example::SegFitHeapsSubject, HeapBug::alloc_default)
KMF_PROPERTY(SegFitHeapsCallocDefault, is_found, example::SegFitHeapsSubject, HeapBug::calloc_default)
KMF_PROPERTY(SegFitHeapsReallocDefault, is_found, example::SegFitHeapsSubject, HeapBug::realloc_default)
KMF_PROPERTY(SegFitHeapsWalkDefault, is_found, example::SegFitHeapsSubject, HeapBug::walk_default)
KMF_PROPERTY(SegFitHeapsStatsDefault, is_found, example::SegFitHeapsSubject, HeapBug::stats_default)
KMF_PROPERTY(SegFitHeapsEmptyDefault, is_found, example::SegFitHeapsSubject, HeapBug::empty_default)
