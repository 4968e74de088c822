// fuzz_trivial.cpp — the yardstick for fuzz_kernel's throughput: a target
// that only sums its input bytes, built with the same compiler, sanitizers,
// coverage instrumentation and engine as the real targets. ci/fuzz-ratio.sh
// runs it beside fuzz_kernel in one session, so their exec/s ratio says what
// the model and its checks cost over libFuzzer's own per-input overhead.
#include <cstddef>
#include <cstdint>

namespace {
volatile std::uint64_t sink;  // keeps the sum from being optimized away
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::uint64_t sum = 0;
  for (std::size_t i = 0; i < size; ++i) sum += data[i];
  sink = sum;
  return 0;
}
