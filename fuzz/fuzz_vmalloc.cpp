// fuzz_vmalloc.cpp — the fuzz_vmalloc target: the vmalloc op families only.
#include "fuzz/fuzz_target.h"

namespace kmf::fuzz {
const CodecOptions TARGET_OPTIONS = codec_options_for_target("fuzz_vmalloc");
const char* const TARGET_NAME = "fuzz_vmalloc";
}  // namespace kmf::fuzz
