// vmalloc_bench.cpp — vmalloc + vfree pairs, on an empty vmalloc space and
// with 100 and 15,000 live areas.
//
//   vmalloc/pages{1,64}/live{0,100,15000}
//
// The live areas are one page each with a one-page hole after every one (made
// by allocating twice as many and freeing every other), so the free ranges
// number as many as the live areas and the lowest-fit search really walks a
// tree of that size: a 1-page request (2 pages with its guard) lands in the
// first hole, a 64-page request passes every hole to reach the tail.
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "alloc/kernel.h"
#include "alloc/vmalloc.h"

namespace kmf::bench {
namespace {

MachineConfig vmalloc_machine() {
  MachineConfig c;
  c.mem_bytes = 512 * MiB;  // 2 × 15,000 one-page areas fit with room to spare
  c.profile = Profile::x86_64;
  c.slab_debug = false;
  return c;
}

void vmalloc_pair(benchmark::State& state, std::uint64_t pages, std::uint32_t live) {
  Kernel k(vmalloc_machine());
  std::vector<VirtAddr> areas;
  areas.reserve(2 * std::size_t{live});
  for (std::uint32_t i = 0; i < 2 * live; ++i) areas.push_back(k.vmalloc(PAGE_SIZE));
  for (std::uint32_t i = 0; i < 2 * live; i += 2) k.vfree(areas[i]);
  if (k.vmap().nr_areas() != live) {
    state.SkipWithError("could not set up the live areas");
    return;
  }
  const std::uint64_t bytes = pages * PAGE_SIZE;
  std::uint64_t failed = 0;
  for (auto _ : state) {
    const VirtAddr va = k.vmalloc(bytes);
    benchmark::DoNotOptimize(va);
    if (va)
      k.vfree(va);
    else
      ++failed;
  }
  state.counters["live_areas"] = live;
  state.counters["failed"] = static_cast<double>(failed);
  state.SetItemsProcessed(state.iterations());
  for (std::uint32_t i = 1; i < 2 * live; i += 2) k.vfree(areas[i]);
  if (!k.reports().empty()) state.SkipWithError("vmalloc reported misuse");
}

[[maybe_unused]] const bool registered = [] {
  for (std::uint64_t pages : {1, 64})
    for (std::uint32_t live : {0u, 100u, 15000u})
      benchmark::RegisterBenchmark(
          ("vmalloc/pages" + std::to_string(pages) + "/live" + std::to_string(live)).c_str(),
          [pages, live](benchmark::State& s) { vmalloc_pair(s, pages, live); });
  return true;
}();

}  // namespace
}  // namespace kmf::bench
