// fuzz_segfit.cpp — the segregated-fit example's fuzz target. Built once
// fixed (fuzz_segfit) and once per planted bug (-DPLANTED_BUG=N, SegFit::Bug's
// order); -DSELF_CHECK=0 and -DMODEL=0 withhold the allocator's own check
// and the reference model, to show what the other oracles find alone.
#include "front/fuzz_target.h"
#include "segfit.h"

#ifndef PLANTED_BUG
#define PLANTED_BUG 0
#endif
#ifndef SEGFIT_SELF_CHECK
#define SEGFIT_SELF_CHECK 1
#endif
#ifndef SEGFIT_MODEL
#define SEGFIT_MODEL 1
#endif

KMF_FUZZ_TARGET(example::SegFitSubject, PLANTED_BUG, SEGFIT_SELF_CHECK != 0, SEGFIT_MODEL != 0)
