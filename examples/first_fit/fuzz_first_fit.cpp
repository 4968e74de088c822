// fuzz_first_fit.cpp — the first-fit example's fuzz target. Built twice:
// fuzz_first_fit (fixed) and fuzz_first_fit_buggy (-DPLANTED_BUG=1).
#include "first_fit.h"
#include "front/fuzz_target.h"

#ifndef PLANTED_BUG
#define PLANTED_BUG 0
#endif

KMF_FUZZ_TARGET(example::FirstFitSubject, PLANTED_BUG)
