// test_util.h — helpers shared by the alloc tests: seeds and snapshots.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <string>

#include "alloc/kernel.h"

namespace kmf::testing {

/// The seed of a randomized test: KMF_SEED from the environment, else the
/// given default. Always printed, so every run can be reproduced.
inline std::uint64_t test_seed(std::uint64_t fallback) {
  std::uint64_t seed = fallback;
  if (const char* env = std::getenv("KMF_SEED")) seed = std::strtoull(env, nullptr, 0);
  std::cout << "[ seed     ] KMF_SEED=" << seed << " reproduces this run\n";
  ::testing::Test::RecordProperty("seed", std::to_string(seed));
  return seed;
}

/// Everything observable about the page allocator's state.
struct BuddySnapshot {
  std::vector<std::pair<std::uint64_t, unsigned>> blocks;
  std::vector<std::uint64_t> zone_free;
  std::string buddyinfo;
  friend bool operator==(const BuddySnapshot&, const BuddySnapshot&) = default;
};

inline BuddySnapshot snapshot(const Kernel& k) {
  BuddySnapshot s;
  s.blocks = k.buddy().free_blocks();
  for (const Zone& z : k.buddy().zones()) s.zone_free.push_back(z.free_pages);
  s.buddyinfo = k.proc_buddyinfo();
  return s;
}

}  // namespace kmf::testing
