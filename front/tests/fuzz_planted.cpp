// fuzz_planted.cpp — fuzz targets over the planted-bug allocators
// (planted.h), one binary per -DPLANTED_BUG=none|abort|segv|hang|….
#include "front/fuzz_target.h"
#include "front/tests/planted.h"

KMF_FUZZ_TARGET(planted::PlantedSubject, planted::Bug::PLANTED_BUG)
