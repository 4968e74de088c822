// fault.h — fault injection after Linux's fault_attr (failslab,
// fail_page_alloc), deterministic from the machine seed.
//
// Evaluation order (Linux's fault-injection docs): the caller's filters first (min_order,
// ignore_gfp_wait, ignore_gfp_highmem, cache filter), then
//   probability 0 → never; times 0 → never; space left → pass and subtract;
//   interval > 1 → fail only on every interval-th eligible call;
//   probability roll; a failure decrements times (unless times is -1).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "alloc/gfp.h"

namespace kmf {

/// A small deterministic PRNG (splitmix64): no global state, seeded per use.
class Rng {
 public:
  explicit Rng(std::uint64_t seed = 0) : state_(seed) {}
  std::uint64_t next() {
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  /// Uniform in [0, bound) for bound > 0.
  std::uint64_t below(std::uint64_t bound) { return next() % bound; }

 private:
  std::uint64_t state_;
};

/// One call that reached a fault-injection point, and the decision the
/// subject made there. The Kernel keeps these only while asked to
/// (Kernel::record_fault_calls); the checker's shadow of fault injection
/// (check/fault_shadow.h) replays them and predicts each decision itself.
struct FaultCall {
  bool slab = false;       ///< failslab; else fail_page_alloc
  gfp_t gfp = 0;           ///< the request's flags
  unsigned order = 0;      ///< fail_page_alloc: the block's order
  std::uint64_t size = 0;  ///< failslab: the cache's object size
  std::string cache;       ///< failslab: the cache's name
  bool failed = false;     ///< the subject injected a failure
};

struct FaultAttr {
  unsigned probability = 0;  ///< percent, 0..100
  unsigned interval = 1;     ///< fail only every interval-th eligible call (1: any)
  std::int64_t times = 1;    ///< failures left; -1 = unlimited
  std::uint64_t space = 0;   ///< bytes allowed to pass before failures start
  bool verbose = false;
  bool ignore_gfp_wait = true;     ///< spare requests that may sleep
  bool ignore_gfp_highmem = true;  ///< (fail_page_alloc) spare GFP_HIGHMEM requests
  unsigned min_order = 1;          ///< (fail_page_alloc) spare orders below this
  std::string cache_filter;        ///< (failslab) only this cache when non-empty

  // Counters (not configuration).
  std::uint64_t calls = 0;     ///< eligible calls seen by should_fail
  std::uint64_t failures = 0;  ///< failures injected

  /// Turns injection off and resets the counters; keeps the PRNG stream.
  void disable() {
    std::uint64_t seed_state = rng_seed_;
    *this = FaultAttr{};
    probability = 0;
    reseed(seed_state);
  }
  void reseed(std::uint64_t seed) {
    rng_seed_ = seed;
    rng_ = Rng(seed);
  }

  /// The common decision after the caller's filters: `size` is the request
  /// in bytes (for `space`).
  bool should_fail(std::uint64_t size);

 private:
  std::uint64_t rng_seed_ = 0;
  Rng rng_{0};
};

}  // namespace kmf
