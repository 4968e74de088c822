// traces.h — the pre-generated, seeded allocation traces every allocator in
// the suite replays, so that kmemfuzz and its peers run exactly the same
// sequence of requests.
//
// A trace names objects by slot: `alloc slot=3 arg=64` binds slot 3,
// `free slot=3 arg=64` releases it (arg is the order or the byte size again,
// because free_pages and pmr's deallocate need it). Traces are generated
// outside the timed region and are balanced: setup + timed + teardown frees
// everything it allocates, so every benchmark iteration starts from the same
// allocator state.
//
//   setup (untimed)      timed                          teardown (untimed)
//   fill to occupancy | free/alloc churn, or batches | free what is live
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

namespace kmf::bench {

struct TraceOp {
  std::uint32_t slot;
  std::uint32_t arg;  ///< page order, or object size in bytes
  bool alloc;
};

struct Trace {
  std::vector<TraceOp> setup;
  std::vector<TraceOp> timed;
  std::vector<TraceOp> teardown;
  std::uint32_t slots = 0;         ///< slot ids are [0, slots)
  std::uint64_t timed_allocs = 0;  ///< allocations in `timed`: the "pairs" a result is divided by
};

/// The order in which a batch is freed.
enum class FreeOrder : std::uint8_t {
  lifo,    ///< reverse of allocation
  fifo,    ///< allocation order
  random,  ///< a seeded random permutation
};

// ---- page level ------------------------------------------------------------------

/// `n` order-0 allocations, then `n` frees in `order`. All timed.
Trace page_batch(std::uint32_t n, FreeOrder order, std::uint64_t seed);

/// Random orders in [0, max_order] (uniform, clipped to what is left below the
/// target): setup fills `occupancy` (0..1) of `frames`; each of `steps` timed
/// steps frees one random live block and refills up to the target.
Trace page_churn(std::uint64_t frames, double occupancy, std::uint32_t steps, unsigned max_order,
                 std::uint64_t seed);

// ---- object level ----------------------------------------------------------------

/// Object sizes: every object `fixed` bytes, or (fixed == 0) mixed: size class
/// 2^k with k uniform in [3, 12], the size uniform in (2^(k-1), 2^k], so
/// 5..4096 bytes, every kmalloc class from 8 to 4096 about equally often.
struct SizeDist {
  std::uint32_t fixed = 0;
};

enum class ObjectPattern : std::uint8_t {
  lifo_batches,    ///< batches of 1..32 objects, each freed in reverse
  fifo,            ///< n objects, then freed in allocation order
  random_free,     ///< n objects, then freed in a random order
  sliding_window,  ///< each object lives for the next `window` allocations (a queue)
};

std::string_view pattern_name(ObjectPattern p);

/// `n` allocations in `pattern`, all timed; `window` only for sliding_window.
Trace object_trace(ObjectPattern pattern, std::uint32_t n, SizeDist sizes, std::uint64_t seed,
                   std::uint32_t window = 256);

}  // namespace kmf::bench
