// fault_shadow.h — a shadow model of fault injection (fail_page_alloc and
// failslab) that predicts which call fails.
//
// FAULT used to check only that a failed call returned null and changed
// nothing; a fault_attr that counted calls its filters exclude, or failed
// the wrong call, passed. The shadow keeps its own copy of both attributes
// (set from the program's `fail` ops, never read back from the subject),
// replays every call that reached an injection point (Kernel::fault_calls)
// and predicts each decision from the kernel's documented rules, written here
// independently of alloc/fault.cpp:
//
//   filters (a filtered call is not counted and never fails)
//     fail_page_alloc: order < min_order; __GFP_NOFAIL; ignore_gfp_highmem
//                      and __GFP_HIGHMEM; ignore_gfp_wait and a sleeping request
//     failslab:        __GFP_NOFAIL; ignore_gfp_wait and a sleeping request;
//                      a cache filter naming another cache
//   then: probability 0 → pass; times 0 → pass; space > size → space -= size,
//   pass; count the call; interval > 1 and count % interval ≠ 0 → pass;
//   probability < 100 and a roll of [0, 100) ≥ probability → pass;
//   fail (times decremented unless −1).
//
// The roll is the machine's seeded stream (seed ^ "pageallo" / "failslab",
// kmf::Rng), drawn only when probability < 100. `fail off` turns both
// attributes off, resets the counts and restarts both streams. A decision
// the shadow does not predict is a FAULT finding.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "alloc/fault.h"
#include "check/kernel_checker.h"

namespace kmf {

/// What a `fail` op configures (times and space are consumed as calls go by).
struct FaultConfig {
  unsigned probability = 0;
  unsigned interval = 1;
  std::int64_t times = 1;
  std::uint64_t space = 0;
  bool ignore_gfp_wait = true;
  bool ignore_gfp_highmem = true;  ///< fail_page_alloc only
  unsigned min_order = 1;          ///< fail_page_alloc only
  std::string cache_filter;        ///< failslab only; empty: every cache
};

class FaultShadow {
 public:
  explicit FaultShadow(std::uint64_t machine_seed);

  /// A `fail` op for one target: its configuration replaces the old one;
  /// the count of calls and the random stream go on.
  void configure(bool slab, const FaultConfig& config);
  /// `fail off`: both targets off, counts reset, streams restarted.
  void off();

  /// Predicts each call in order (advancing the shadow) and compares with
  /// the subject's decision; the first difference is a FAULT finding.
  Check judge(std::span<const FaultCall> calls);

  /// The shadow's prediction for one call (advances the shadow).
  bool predict(const FaultCall& call);

 private:
  struct Target {
    FaultConfig config;
    std::uint64_t seed = 0;
    std::uint64_t counted = 0;  ///< calls past the filters, space and times
    Rng rng{0};
  };
  static bool decide(Target& t, std::uint64_t size);

  Target page_, slab_;
  std::uint64_t judged_ = 0;  ///< calls judged so far (for messages)
};

}  // namespace kmf
