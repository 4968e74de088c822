// page_bench.cpp — the buddy allocator (through Kernel::alloc_pages /
// free_pages) against the naive bitmap first-fit baseline, on the same traces.
//
//   page/order0_{lifo,fifo,random}/{buddy,bitmap_baseline}   1024 order-0 blocks, then freed
//   page/churn_occ{50,90}/{buddy,bitmap_baseline}             orders 0..10 at 50 % / 90 % occupancy
#include <benchmark/benchmark.h>

#include <string>

#include "alloc/kernel.h"
#include "bench/bitmap_page_allocator_baseline.h"
#include "bench/replay.h"

namespace kmf::bench {
namespace {

constexpr std::uint64_t PAGE_BENCH_MEM = 256 * MiB;
constexpr std::uint32_t ORDER0_BATCH = 1024;
constexpr std::uint32_t CHURN_STEPS = 2000;
constexpr std::uint64_t SEED = 0x6b6d66;  // "kmf"

MachineConfig page_machine() {
  MachineConfig c;
  c.mem_bytes = PAGE_BENCH_MEM;
  c.slab_debug = false;
  return c;
}

void run_buddy(benchmark::State& state, const Trace& t) {
  Kernel k(page_machine());
  const std::uint64_t boot_free = k.nr_free_pages();
  replay_trace(
      state, t, Pfn::none(), [&](std::uint32_t order) { return k.alloc_pages(GFP_KERNEL, order); },
      [&](Pfn pfn, std::uint32_t order) { k.free_pages(pfn, order); });
  if (!k.reports().empty()) state.SkipWithError("the buddy allocator reported misuse");
  if (k.nr_free_pages() != boot_free) state.SkipWithError("the trace left frames allocated");
}

void run_bitmap(benchmark::State& state, const Trace& t) {
  BitmapPageAllocatorBaseline b(PAGE_BENCH_MEM >> PAGE_SHIFT);
  const std::uint64_t boot_free = b.free_frames();
  replay_trace(
      state, t, BitmapPageAllocatorBaseline::NONE, [&](std::uint32_t order) { return b.alloc(order); },
      [&](std::uint64_t pfn, std::uint32_t order) { b.free(pfn, order); });
  if (b.free_frames() != boot_free) state.SkipWithError("the trace left frames allocated");
}

void add(const std::string& name, Trace t) {
  auto shared = std::make_shared<const Trace>(std::move(t));
  benchmark::RegisterBenchmark(("page/" + name + "/buddy").c_str(), [shared](benchmark::State& s) {
    run_buddy(s, *shared);
  })->UseManualTime();
  benchmark::RegisterBenchmark(("page/" + name + "/bitmap_baseline").c_str(), [shared](benchmark::State& s) {
    run_bitmap(s, *shared);
  })->UseManualTime();
}

[[maybe_unused]] const bool registered = [] {
  add("order0_lifo", page_batch(ORDER0_BATCH, FreeOrder::lifo, SEED));
  add("order0_fifo", page_batch(ORDER0_BATCH, FreeOrder::fifo, SEED));
  add("order0_random", page_batch(ORDER0_BATCH, FreeOrder::random, SEED));
  // The same frame count for both subjects: the model's managed frames (pfn 0 is reserved in both).
  const std::uint64_t frames = (PAGE_BENCH_MEM >> PAGE_SHIFT) - 1;
  add("churn_occ50", page_churn(frames, 0.5, CHURN_STEPS, MAX_PAGE_ORDER, SEED + 50));
  add("churn_occ90", page_churn(frames, 0.9, CHURN_STEPS, MAX_PAGE_ORDER, SEED + 90));
  return true;
}();

}  // namespace
}  // namespace kmf::bench
