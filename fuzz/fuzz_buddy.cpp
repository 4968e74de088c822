// fuzz_buddy.cpp — the fuzz_buddy target: the buddy op families only.
#include "fuzz/fuzz_target.h"

namespace kmf::fuzz {
const CodecOptions TARGET_OPTIONS = codec_options_for_target("fuzz_buddy");
const char* const TARGET_NAME = "fuzz_buddy";
}  // namespace kmf::fuzz
