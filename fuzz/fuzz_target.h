// fuzz_target.h — what every kmemfuzz fuzz target does with one input.
//
// A fresh machine per input, nothing kept between inputs: decode the bytes
// (total: any bytes are a program), run them under the checker, and on a
// violation print the report and the reproducer as a .kmf script to stderr,
// then abort so the fuzzer saves the input.
#pragma once

#include <cstddef>
#include <cstdint>

#include "ops/binary_codec.h"

namespace kmf::fuzz {

/// The op families of one target (fuzz_buddy: pages, …). Defined per target.
extern const CodecOptions TARGET_OPTIONS;
/// The target's name for messages ("fuzz_kernel").
extern const char* const TARGET_NAME;

/// Decodes, executes and aborts on a violation. Returns 0.
int run_input(const std::uint8_t* data, std::size_t size);

}  // namespace kmf::fuzz
