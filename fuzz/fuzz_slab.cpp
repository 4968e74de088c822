// fuzz_slab.cpp — the fuzz_slab target: the slab op families only.
#include "fuzz/fuzz_target.h"

namespace kmf::fuzz {
const CodecOptions TARGET_OPTIONS{.families = FAMILY_SLAB | FAMILY_MEMORY};
const char* const TARGET_NAME = "fuzz_slab";
}  // namespace kmf::fuzz
