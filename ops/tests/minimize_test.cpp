// minimize_test.cpp — the minimizer (ops/minimize.h) shrinks a long failing
// program against a deliberately broken subject to a few ops that fail with
// the same invariant id.
#include "ops/minimize.h"

#include <gtest/gtest.h>

#include "alloc/fault.h"
#include "alloc/kernel.h"
#include "alloc/tests/test_util.h"
#include "ops/kmf_text.h"

namespace kmf {
namespace {

/// 200 page ops: allocations of mixed orders and frees of random live ones.
Program long_page_program(std::uint64_t seed) {
  Rng rng(seed);
  Program p;
  p.machine.mem_bytes = 16 * MiB;
  std::vector<Slot> live;
  while (p.ops.size() < 200) {
    if (live.empty() || rng.below(3) != 0) {
      live.push_back(p.add(AllocPagesOp{NO_SLOT, static_cast<unsigned>(rng.below(4)), GFP_KERNEL}));
    } else {
      const std::size_t i = rng.below(live.size());
      p.add(FreePagesOp{live[i], std::nullopt});
      live.erase(live.begin() + static_cast<std::ptrdiff_t>(i));
    }
  }
  return p;
}

TEST(Minimize, a_200_op_failure_on_a_broken_buddy_shrinks_to_at_most_10_ops_with_the_same_id) {
  const std::uint64_t seed = testing::test_seed(7);
  for (auto bug : {BuddyAllocator::BugForTesting::skip_coalesce_order_3,
                   BuddyAllocator::BugForTesting::hand_out_twice}) {
    MinimizeOptions options;
    options.exec.after_boot = [bug](Kernel& k) { k.buddy_for_testing().plant_bug_for_testing(bug); };
    // Find a seed whose program fails on the broken subject (most do).
    Program p;
    ExecResult first;
    for (std::uint64_t s = seed; s < seed + 50; ++s) {
      p = long_page_program(s);
      first = execute(p, options.exec);
      if (!first.ok()) break;
    }
    ASSERT_FALSE(first.ok()) << "no program failed on the broken subject";
    ASSERT_EQ(p.ops.size(), 200u);
    const auto m = minimize(p, options);
    ASSERT_TRUE(m);
    EXPECT_EQ(m->id, first.violation->id);
    EXPECT_LE(m->program.ops.size(), 10u) << print_kmf(m->program);
    // The minimized program still fails the same way, and only because of the bug.
    const ExecResult again = execute(m->program, options.exec);
    ASSERT_FALSE(again.ok());
    EXPECT_EQ(again.violation->id, first.violation->id);
    EXPECT_TRUE(execute(m->program).ok()) << print_kmf(m->program);
    // Its script form round-trips.
    const ParseResult parsed = parse_kmf(print_kmf(m->program), "min.kmf");
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(parsed.program(), m->program);
  }
}

}  // namespace
}  // namespace kmf
