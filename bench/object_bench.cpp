// object_bench.cpp — kmem_cache_alloc/free (64 B) and kmalloc/kfree (mixed
// sizes) against glibc malloc/free, std::pmr::unsynchronized_pool_resource and
// boost::container::pmr::unsynchronized_pool_resource, on the same traces.
//
//   object/<what>_<pattern>/<subject>
//     what:    cache64 (every object 64 B) | kmalloc_mixed (5..4096 B, see traces.h)
//     pattern: lifo_batches | fifo | random_free | sliding_window   (4096 objects)
//     subject: kmf (slab_debug off) | kmf_debug (slab_debug on, the fuzzing default)
//              | glibc | std_pmr | boost_pmr
//
// Every allocation is touched: one byte is written. Host allocators get a
// store through the pointer; kmemfuzz hands out simulated addresses and has
// no public host pointer, so the byte goes through Kernel::write (the
// simulated MMU). object/touch/kmf_write measures that write alone.
#include <benchmark/benchmark.h>

#include <boost/container/pmr/unsynchronized_pool_resource.hpp>
#include <cstddef>
#include <cstdlib>
#include <memory_resource>
#include <string>

#include "alloc/kernel.h"
#include "bench/replay.h"

namespace kmf::bench {
namespace {

constexpr std::uint32_t OBJECTS = 4096;
constexpr std::uint64_t SEED = 0x6f626a;  // "obj"
constexpr std::size_t HOST_ALIGN = alignof(std::max_align_t);
constexpr std::byte TOUCH{0x5a};

MachineConfig object_machine(bool slab_debug) {
  MachineConfig c;  // the documents' machine: 160 MiB, i386, 2.6.18 kmalloc
  c.slab_debug = slab_debug;
  return c;
}

void touch_kmf(Kernel& k, VirtAddr va) {
  if (va) k.write(va, {&TOUCH, 1});
}

void touch_host(void* p) {
  if (p != nullptr) *static_cast<volatile std::byte*>(p) = TOUCH;
}

void run_kmf_cache(benchmark::State& state, const Trace& t, bool slab_debug) {
  Kernel k(object_machine(slab_debug));
  KmemCache* cache = k.kmem_cache_create("bench_64", 64, 0, SLAB_NONE);
  replay_trace(
      state, t, VirtAddr{0},
      [&](std::uint32_t) {
        const VirtAddr va = k.kmem_cache_alloc(cache, GFP_KERNEL);
        touch_kmf(k, va);
        return va;
      },
      [&](VirtAddr va, std::uint32_t) { k.kmem_cache_free(cache, va); });
  k.kmem_cache_destroy(cache);
  if (!k.reports().empty()) state.SkipWithError("kmemfuzz reported misuse");
}

void run_kmf_kmalloc(benchmark::State& state, const Trace& t, bool slab_debug) {
  Kernel k(object_machine(slab_debug));
  replay_trace(
      state, t, VirtAddr{0},
      [&](std::uint32_t size) {
        const VirtAddr va = k.kmalloc(size, GFP_KERNEL);
        touch_kmf(k, va);
        return va;
      },
      [&](VirtAddr va, std::uint32_t) { k.kfree(va); });
  if (!k.reports().empty()) state.SkipWithError("kmemfuzz reported misuse");
}

void run_glibc(benchmark::State& state, const Trace& t) {
  replay_trace(
      state, t, static_cast<void*>(nullptr),
      [](std::uint32_t size) {
        void* p = std::malloc(size);
        touch_host(p);
        return p;
      },
      [](void* p, std::uint32_t) { std::free(p); });
}

template <class Resource>
void run_pmr(benchmark::State& state, const Trace& t) {
  Resource r;  // upstream: the default new/delete resource
  replay_trace(
      state, t, static_cast<void*>(nullptr),
      [&](std::uint32_t size) {
        void* p = r.allocate(size, HOST_ALIGN);
        touch_host(p);
        return p;
      },
      [&](void* p, std::uint32_t size) { r.deallocate(p, size, HOST_ALIGN); });
}

void add(const std::string& what, ObjectPattern pattern, SizeDist sizes) {
  const std::string base = "object/" + what + "_" + std::string(pattern_name(pattern)) + "/";
  auto t = std::make_shared<const Trace>(object_trace(pattern, OBJECTS, sizes, SEED));
  const bool cache = sizes.fixed != 0;
  auto reg = [](const std::string& name, auto fn) {
    benchmark::RegisterBenchmark(name.c_str(), fn)->UseManualTime();
  };
  for (bool debug : {false, true}) {
    reg(base + (debug ? "kmf_debug" : "kmf"), [t, cache, debug](benchmark::State& s) {
      if (cache)
        run_kmf_cache(s, *t, debug);
      else
        run_kmf_kmalloc(s, *t, debug);
    });
  }
  reg(base + "glibc", [t](benchmark::State& s) { run_glibc(s, *t); });
  reg(base + "std_pmr", [t](benchmark::State& s) { run_pmr<std::pmr::unsynchronized_pool_resource>(s, *t); });
  reg(base + "boost_pmr",
      [t](benchmark::State& s) { run_pmr<boost::container::pmr::unsynchronized_pool_resource>(s, *t); });
}

/// The cost of the touch alone: one Kernel::write of one byte to a live kmalloc object.
void touch_kmf_write(benchmark::State& state) {
  Kernel k(object_machine(false));
  const VirtAddr va = k.kmalloc(64, GFP_KERNEL);
  for (auto _ : state) {
    k.write(va, {&TOUCH, 1});
    benchmark::ClobberMemory();
  }
  k.kfree(va);
}

[[maybe_unused]] const bool registered = [] {
  for (ObjectPattern p : {ObjectPattern::lifo_batches, ObjectPattern::fifo, ObjectPattern::random_free,
                          ObjectPattern::sliding_window}) {
    add("cache64", p, SizeDist{64});
    add("kmalloc_mixed", p, SizeDist{0});
  }
  benchmark::RegisterBenchmark("object/touch/kmf_write", touch_kmf_write);
  return true;
}();

}  // namespace
}  // namespace kmf::bench
