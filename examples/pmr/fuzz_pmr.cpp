// fuzz_pmr.cpp — the pmr example's fuzz target: Boost's unsynchronized pool.
#include "front/fuzz_target.h"
#include "pmr_adapter.h"

KMF_FUZZ_TARGET(example::UnsynchronizedPool)
