// fuzz_slab.cpp — the fuzz_slab target: the slab op families only.
#include "fuzz/fuzz_target.h"

namespace kmf::fuzz {
const CodecOptions TARGET_OPTIONS = codec_options_for_target("fuzz_slab");
const char* const TARGET_NAME = "fuzz_slab";
}  // namespace kmf::fuzz
