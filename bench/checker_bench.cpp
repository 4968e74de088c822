// checker_bench.cpp — the executor under the checker, and an in-process proxy
// for the fuzz_kernel target's exec/s.
//
//   checker/exec/{none,incremental,full}  one op mix at three check levels;
//                                         counter ops_per_s (ops run / second)
//   checker/fuzz_kernel_proxy             decode + execute of random 4096-byte
//                                         inputs, fuzz_target.cpp's path minus the
//                                         abort; counter inputs_per_s
//
// Programs come from decode_program on seeded random bytes (with
// fuzz_kernel's op families: every allocator, misuse, faults), generated
// outside the timed loop; every iteration runs all of them on fresh machines
// (execute boots one per program). checker/exec uses 8 programs from 8 KiB
// inputs that run clean at every level; the proxy uses 64 inputs as they come.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <vector>

#include "alloc/fault.h"
#include "ops/binary_codec.h"
#include "ops/executor.h"

namespace kmf::bench {
namespace {

constexpr std::uint64_t SEED = 0x636865636b;  // "check"
constexpr std::size_t EXEC_PROGRAMS = 8;
constexpr std::size_t EXEC_INPUT_BYTES = 8 * 1024;

std::vector<std::vector<std::uint8_t>> random_inputs(std::size_t count, std::size_t bytes,
                                                     std::uint64_t seed) {
  Rng rng(seed);
  std::vector<std::vector<std::uint8_t>> out(count, std::vector<std::uint8_t>(bytes));
  for (auto& in : out)
    for (std::uint8_t& b : in) b = static_cast<std::uint8_t>(rng.next());
  return out;
}

const CodecOptions& kernel_options() {
  static const CodecOptions o = codec_options_for_target("fuzz_kernel");
  return o;
}

/// Decoded programs that run to the end without a violation even under full
/// checks, so that every check level runs exactly the same ops. (Random
/// programs often stop at a violation, and where depends on the level: the
/// proxy below keeps those.) Chosen once per process, outside every timing.
const std::vector<Program>& clean_programs() {
  static const std::vector<Program> programs = [] {
    std::vector<Program> out;
    ExecOptions full;
    full.level = CheckLevel::full;
    std::uint64_t seed = SEED;
    for (int tries = 0; out.size() < EXEC_PROGRAMS && tries < 200; ++tries) {
      Program p = decode_program(random_inputs(1, EXEC_INPUT_BYTES, seed++)[0], kernel_options());
      if (execute(p, full).ok()) out.push_back(std::move(p));
    }
    return out;
  }();
  return programs;
}

void exec_level(benchmark::State& state, CheckLevel level) {
  const std::vector<Program>& programs = clean_programs();
  if (programs.size() < EXEC_PROGRAMS) {
    state.SkipWithError("too few random programs run clean under full checks");
    return;
  }
  ExecOptions opts;
  opts.level = level;
  std::uint64_t ops = 0, violations = 0;
  for (auto _ : state) {
    for (const Program& p : programs) {
      const ExecResult r = execute(p, opts);
      ops += r.ops_run;
      violations += r.ok() ? 0 : 1;
    }
  }
  std::uint64_t decoded = 0;
  for (const Program& p : programs) decoded += p.ops.size();
  state.counters["ops_per_s"] = benchmark::Counter(static_cast<double>(ops), benchmark::Counter::kIsRate);
  state.counters["ops_per_iter"] = static_cast<double>(decoded);
  state.counters["violations"] =
      benchmark::Counter(static_cast<double>(violations), benchmark::Counter::kAvgIterations);
}

void fuzz_kernel_proxy(benchmark::State& state) {
  const auto inputs = random_inputs(64, 4096, SEED + 1);
  std::uint64_t runs = 0, violations = 0;
  for (auto _ : state) {
    for (const auto& in : inputs) {
      const Program p = decode_program(in, kernel_options());
      const ExecResult r = execute(p);
      violations += r.ok() ? 0 : 1;
      ++runs;
    }
  }
  state.counters["inputs_per_s"] = benchmark::Counter(static_cast<double>(runs), benchmark::Counter::kIsRate);
  state.counters["violations"] =
      benchmark::Counter(static_cast<double>(violations), benchmark::Counter::kAvgIterations);
}

[[maybe_unused]] const bool registered = [] {
  benchmark::RegisterBenchmark("checker/exec/none", exec_level, CheckLevel::none);
  benchmark::RegisterBenchmark("checker/exec/incremental", exec_level, CheckLevel::incremental);
  benchmark::RegisterBenchmark("checker/exec/full", exec_level, CheckLevel::full);
  benchmark::RegisterBenchmark("checker/fuzz_kernel_proxy", fuzz_kernel_proxy);
  return true;
}();

}  // namespace
}  // namespace kmf::bench
