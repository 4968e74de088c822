// fuzz_vmalloc.cpp — the fuzz_vmalloc target: the vmalloc op families only.
#include "fuzz/fuzz_target.h"

namespace kmf::fuzz {
const CodecOptions TARGET_OPTIONS{.families = FAMILY_VMALLOC | FAMILY_MEMORY};
const char* const TARGET_NAME = "fuzz_vmalloc";
}  // namespace kmf::fuzz
