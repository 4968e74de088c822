// fuzz_kernel.cpp — the fuzz_kernel target: every allocator together, with misuse ops, atomic context and
// fault injection.
#include "fuzz/fuzz_target.h"

namespace kmf::fuzz {
const CodecOptions TARGET_OPTIONS = codec_options_for_target("fuzz_kernel");
const char* const TARGET_NAME = "fuzz_kernel";
}  // namespace kmf::fuzz
