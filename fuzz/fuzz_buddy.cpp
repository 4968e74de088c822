// fuzz_buddy.cpp — the fuzz_buddy target: the buddy op families only.
#include "fuzz/fuzz_target.h"

namespace kmf::fuzz {
const CodecOptions TARGET_OPTIONS{.families = FAMILY_PAGES | FAMILY_MEMORY};
const char* const TARGET_NAME = "fuzz_buddy";
}  // namespace kmf::fuzz
