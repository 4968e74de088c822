// props_planted.cpp — the property test over the planted-bug allocators
// (planted.h). Only Fixed is expected to pass; front/tests/crash_test.sh
// runs the others one at a time and checks the reproducer each leaves.
#include "front/props.h"
#include "front/tests/planted.h"

using planted::Bug;
using planted::PlantedSubject;

KMF_PROPERTY(Planted, fixed, PlantedSubject, Bug::none)
KMF_PROPERTY(Planted, abort, PlantedSubject, Bug::abort)
KMF_PROPERTY(Planted, segv, PlantedSubject, Bug::segv)
KMF_PROPERTY(Planted, hang, PlantedSubject, Bug::hang)
KMF_PROPERTY(Planted, two, PlantedSubject, Bug::two)
