// fault_test.cpp — fail_page_alloc (alloc/fault.h) in Linux's evaluation
// order, through the Kernel.
#include "alloc/fault.h"

#include <gtest/gtest.h>

#include <vector>

#include "alloc/kernel.h"
#include "alloc/tests/test_util.h"

namespace kmf {
namespace {

/// Arms fail_page_alloc to fail whatever it is asked about.
FaultAttr& arm(Kernel& k) {
  FaultAttr& f = k.fail_page_alloc();
  f.probability = 100;
  f.times = -1;
  f.min_order = 0;
  f.ignore_gfp_wait = false;
  return f;
}

/// Allocates `n` order-`order` blocks; returns which calls failed (1-based)
/// and frees what succeeded.
std::vector<int> failing_calls(Kernel& k, int n, gfp_t gfp, unsigned order) {
  std::vector<int> failed;
  std::vector<Pfn> got;
  for (int i = 1; i <= n; ++i) {
    const Pfn p = k.alloc_pages(gfp, order);
    if (p)
      got.push_back(p);
    else
      failed.push_back(i);
  }
  for (Pfn p : got) k.free_pages(p, order);
  return failed;
}

TEST(FailPageAlloc, interval_3_fails_exactly_every_third_eligible_call) {
  Kernel k;
  arm(k).interval = 3;
  EXPECT_EQ(failing_calls(k, 10, GFP_KERNEL, 0), (std::vector<int>{3, 6, 9}));
  EXPECT_EQ(k.fail_page_alloc().failures, 3u);
}

TEST(FailPageAlloc, times_1_stops_after_one_failure) {
  Kernel k;
  arm(k).times = 1;
  EXPECT_EQ(failing_calls(k, 5, GFP_KERNEL, 0), (std::vector<int>{1}));
  EXPECT_EQ(k.fail_page_alloc().times, 0);
}

TEST(FailPageAlloc, min_order_1_spares_order_0) {
  Kernel k;
  arm(k).min_order = 1;
  EXPECT_TRUE(failing_calls(k, 5, GFP_KERNEL, 0).empty());
  EXPECT_EQ(failing_calls(k, 2, GFP_KERNEL, 1), (std::vector<int>{1, 2}));
}

TEST(FailPageAlloc, ignore_gfp_wait_spares_sleeping_calls) {
  Kernel k;
  arm(k).ignore_gfp_wait = true;
  EXPECT_TRUE(failing_calls(k, 5, GFP_KERNEL, 0).empty());
  EXPECT_EQ(failing_calls(k, 2, GFP_ATOMIC, 0), (std::vector<int>{1, 2}));
}

TEST(FailPageAlloc, ignore_gfp_highmem_spares_highmem_calls) {
  Kernel k(MachineConfig{.mem_bytes = 1 * GiB});
  arm(k).ignore_gfp_highmem = true;
  EXPECT_TRUE(failing_calls(k, 3, GFP_HIGHUSER, 0).empty());
  EXPECT_EQ(failing_calls(k, 1, GFP_KERNEL, 0), (std::vector<int>{1}));
}

TEST(FailPageAlloc, space_lets_that_many_bytes_pass_first) {
  Kernel k;
  arm(k).space = 3 * PAGE_SIZE + 1;  // three pages pass, the fourth fails
  EXPECT_EQ(failing_calls(k, 5, GFP_KERNEL, 0), (std::vector<int>{4, 5}));
}

TEST(FailPageAlloc, an_injected_failure_changes_nothing) {
  Kernel k;
  const auto before = testing::snapshot(k);
  arm(k);
  EXPECT_FALSE(k.alloc_pages(GFP_KERNEL, 3));
  EXPECT_EQ(testing::snapshot(k), before);
  EXPECT_TRUE(k.reports().empty());
}

TEST(FailPageAlloc, probability_rolls_are_deterministic_from_the_machine_seed) {
  const std::uint64_t seed = testing::test_seed(5);
  auto pattern = [](std::uint64_t s) {
    Kernel k(MachineConfig{.mem_bytes = 16 * MiB, .seed = s});
    arm(k).probability = 30;
    return failing_calls(k, 200, GFP_KERNEL, 0);
  };
  const auto a = pattern(seed);
  EXPECT_EQ(a, pattern(seed));
  EXPECT_NE(a, pattern(seed + 1));
  EXPECT_GT(a.size(), 30u);  // about 60 expected
  EXPECT_LT(a.size(), 100u);
}

TEST(FailPageAlloc, probability_0_never_fails) {
  Kernel k;
  FaultAttr& f = arm(k);
  f.probability = 0;
  EXPECT_TRUE(failing_calls(k, 20, GFP_ATOMIC, 0).empty());
  EXPECT_EQ(f.calls, 0u);
}

}  // namespace
}  // namespace kmf
