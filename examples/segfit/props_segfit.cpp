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
