// self_test_props.cpp — the properties can fail. Against a deliberately
// broken subject (a bug planted at boot) a claim's property must fail, and
// the counterexample it prints as a .kmf script must reproduce the same
// violation when replayed (exactly what `kmemfuzz run` does with it).
#include <gtest/gtest.h>
#include <rapidcheck.h>

#include <optional>

#include "alloc/kernel.h"
#include "ops/executor.h"
#include "ops/kmf_text.h"
#include "props/generators.h"

namespace kmf::props {
namespace {

struct Outcome {
  bool property_failed = false;
  std::optional<Program> counterexample;
  std::optional<Inv> id;
};

/// Runs the "clean programs never break an invariant" property against a
/// machine with `plant` applied at boot.
Outcome check_with_bug(const std::function<void(Kernel&)>& plant, const Shape& shape) {
  Outcome out;
  ExecOptions options;
  options.after_boot = plant;
  const bool passed = rc::check("programs on a machine with a planted bug never break an invariant", [&] {
    const Program p = *gen_program(shape, 4, 16);
    const ExecResult r = execute(p, options);
    if (!r.ok()) {
      out.counterexample = p;  // the last failing one is the shrunk one
      out.id = r.violation->id;
    }
    RC_ASSERT(r.ok());
  });
  out.property_failed = !passed;
  return out;
}

void expect_found_and_reproduced(const Outcome& o, const std::function<void(Kernel&)>& plant) {
  ASSERT_TRUE(o.property_failed) << "the property did not notice the planted bug";
  ASSERT_TRUE(o.counterexample);
  // The printed script, parsed back, fails the same way on the same broken machine.
  const std::string script = print_kmf(*o.counterexample);
  ParseResult parsed = parse_kmf(script, "counterexample.kmf");
  ASSERT_TRUE(parsed.ok()) << parsed.error().to_string() << "\n" << script;
  ExecOptions options;
  options.after_boot = plant;
  const ExecResult again = execute(parsed.program(), options);
  ASSERT_FALSE(again.ok()) << script;
  EXPECT_EQ(again.violation->id, *o.id) << script;
  // And on a correct machine the same script passes: the bug, not the script, fails.
  EXPECT_TRUE(execute(parsed.program()).ok()) << script;
}

TEST(SelfTest, a_buddy_that_skips_coalescing_at_order_3_is_caught_and_reproduced) {
  const auto plant = [](Kernel& k) {
    k.buddy_for_testing().plant_bug_for_testing(BuddyAllocator::BugForTesting::skip_coalesce_order_3);
  };
  expect_found_and_reproduced(check_with_bug(plant, Shape{.slab = false, .vmalloc = false}), plant);
}

TEST(SelfTest, a_buddy_that_hands_a_block_out_twice_is_caught_and_reproduced) {
  const auto plant = [](Kernel& k) {
    k.buddy_for_testing().plant_bug_for_testing(BuddyAllocator::BugForTesting::hand_out_twice);
  };
  expect_found_and_reproduced(check_with_bug(plant, Shape{.slab = false, .vmalloc = false}), plant);
}

TEST(SelfTest, a_kernel_that_ignores_gfp_zero_is_caught_and_reproduced) {
  const auto plant = [](Kernel& k) { k.plant_bug_for_testing(Kernel::BugForTesting::ignore_gfp_zero); };
  expect_found_and_reproduced(check_with_bug(plant, Shape{}), plant);
}

}  // namespace
}  // namespace kmf::props
