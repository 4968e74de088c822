// props_first_fit.cpp — the first-fit example's RapidCheck properties: the
// fixed allocator keeps every generic invariant; with the planted bug the
// same property fails (this test is expected to fail: ctest checks that it
// does, and that it names NO-SPURIOUS-FAILURE).
#include "first_fit.h"
#include "front/props.h"

KMF_PROPERTY(FirstFit, keeps_every_generic_invariant, example::FirstFitSubject)
KMF_PROPERTY(FirstFitPlantedBug, is_found, example::FirstFitSubject, /*planted_bug=*/true)
