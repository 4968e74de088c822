// generic_props.cpp — the generic catalog ids as properties: generated
// programs (front/props.h) on the correct adapters each id applies to, one
// property per id named as its claim; and the planted bugs of the examples,
// which the same properties must find.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <cstdio>

#include "check/pmr_subject.h"
#include "check/subjects/kernel_subjects.h"
#include "examples/buddy/buddy_arena.h"
#include "examples/first_fit/first_fit.h"
#include "examples/segfit/segfit.h"
#include "front/props.h"

namespace kmf::props {
namespace {

using example::BuddyArenaSubject;
using example::FirstFitSubject;
using example::SegFit;
using example::SegFitSubject;

// Every property runs every check, so any id can fail it; the name says which
// claim the adapters were chosen for.
KMF_PROPERTY(GenericClaims, in_bounds_first_fit_blocks_lie_inside_the_arena, FirstFitSubject)
KMF_PROPERTY(GenericClaims, in_bounds_buddy_blocks_lie_inside_the_resized_arena, BuddyArenaSubject)
KMF_PROPERTY(GenericClaims, in_bounds_page_blocks_lie_inside_the_frame_range, KernelPageSubject)
KMF_PROPERTY(GenericClaims, alignment_buddy_blocks_honour_requested_alignments, BuddyArenaSubject)
KMF_PROPERTY(GenericClaims, alignment_order_k_page_blocks_start_at_multiples_of_2_pow_k, KernelPageSubject)
KMF_PROPERTY(GenericClaims, no_spurious_failure_first_fit_fails_only_when_no_gap_fits, FirstFitSubject)
KMF_PROPERTY(GenericClaims, no_spurious_failure_buddy_fails_only_when_no_aligned_block_is_free,
             BuddyArenaSubject)
KMF_PROPERTY(GenericClaims, resize_a_shrink_succeeds_exactly_when_every_live_block_fits, BuddyArenaSubject)
KMF_PROPERTY(GenericClaims, walk_reports_exactly_the_live_blocks, FirstFitSubject)
KMF_PROPERTY(GenericClaims, empty_is_empty_and_can_shrink_agree_with_the_ledger, BuddyArenaSubject)
KMF_PROPERTY(GenericClaims, stale_free_a_double_free_never_hands_out_a_live_block, FirstFitSubject)
KMF_PROPERTY(GenericClaims, usable_size_is_at_least_the_request, BuddyArenaSubject)
KMF_PROPERTY(GenericClaims, translate_live_vmalloc_pages_map_distinct_frames_and_freed_ones_none,
             KernelVmallocSubject)
KMF_PROPERTY(GenericClaims, the_boost_pmr_pool_keeps_the_object_invariants, PmrPoolSubject)
KMF_PROPERTY(GenericClaims, self_check_the_segregated_fit_allocators_own_check_holds_after_every_op,
             SegFitSubject)
KMF_PROPERTY(GenericClaims, contract_hostile_requests_get_the_answers_the_contract_promises, SegFitSubject)
KMF_PROPERTY(GenericClaims, calloc_overflowing_products_fail_and_blocks_read_as_zero, SegFitSubject)
KMF_PROPERTY(GenericClaims, restore_the_emptied_arena_serves_what_a_fresh_twin_serves, SegFitSubject,
             SegFit::Bug::none, /*self_check=*/false, /*model=*/false)
KMF_PROPERTY(GenericClaims, restore_holds_for_the_first_fit_and_buddy_examples_too, FirstFitSubject)
KMF_PROPERTY(GenericClaims, metadata_the_sentinel_stays_inside_the_resized_arena, SegFitSubject)
KMF_PROPERTY(GenericClaims, stats_the_allocators_counters_agree_with_the_ledger, SegFitSubject)
KMF_PROPERTY(GenericClaims, in_bounds_every_block_lies_inside_its_own_heap, example::SegFitHeapsSubject)
KMF_PROPERTY(GenericClaims, no_spurious_failure_segregated_fit_fails_only_when_no_gap_holds_the_class,
             SegFitSubject, SegFit::Bug::none, /*self_check=*/false)

/// Runs the property on `make`'s subjects through rc::check and returns the
/// first violation it found (RapidCheck prints the shrunk counterexample).
template <class Factory>
std::optional<Violation> find_with_rapidcheck(Factory make) {
  std::optional<Violation> found;
  std::size_t cases = 0, first = 0;
  const bool passed = rc::check([&] {
    const GenericProgram program = *front::gen_generic_program(generic_target(make()));
    ++cases;
    const GenericResult result = execute_generic_fresh(make, program);
    if (!result.ok()) {
      if (!found) first = cases;
      found = result.violation;
      RC_FAIL(format_violation(*result.violation));
    }
  });
  EXPECT_FALSE(passed);
  if (found)
    std::printf("found by generated case %zu (%s)\n", first, std::string(invariant_name(found->id)).c_str());
  return found;
}

TEST(PlantedBugs, the_first_fit_merge_bug_is_found_as_a_spurious_failure) {
  const auto v = find_with_rapidcheck([] { return FirstFitSubject(true); });
  ASSERT_TRUE(v);
  EXPECT_EQ(invariant_name(v->id), "NO-SPURIOUS-FAILURE") << format_violation(*v);
}

TEST(PlantedBugs, the_buddy_shrink_bug_is_found_as_a_stranded_block) {
  const auto v = find_with_rapidcheck([] { return BuddyArenaSubject(true); });
  ASSERT_TRUE(v);
  EXPECT_EQ(invariant_name(v->id), "RESIZE") << format_violation(*v);
}

TEST(PlantedBugs, the_segfit_rounding_overflow_is_found_as_a_broken_contract) {
  const auto v = find_with_rapidcheck([] { return SegFitSubject(SegFit::Bug::rounding_overflow); });
  ASSERT_TRUE(v);
  // alloc(SIZE_MAX) breaks the contract; calloc(1, SIZE_MAX) reaches the same
  // rounding and breaks calloc's own rule (a product above the arena is null).
  EXPECT_TRUE(v->id == Inv::CONTRACT || v->id == Inv::CALLOC) << format_violation(*v);
}

TEST(PlantedBugs, the_segfit_unchecked_calloc_product_is_found) {
  const auto v = find_with_rapidcheck([] { return SegFitSubject(SegFit::Bug::calloc_product); });
  ASSERT_TRUE(v);
  EXPECT_EQ(invariant_name(v->id), "CALLOC") << format_violation(*v);
}

TEST(PlantedBugs, the_segfit_wrong_free_list_is_found_by_the_allocators_own_check) {
  const auto v = find_with_rapidcheck([] { return SegFitSubject(SegFit::Bug::wrong_list); });
  ASSERT_TRUE(v);
  EXPECT_EQ(invariant_name(v->id), "SELF-CHECK") << format_violation(*v);
}

TEST(PlantedBugs, the_segfit_sentinel_left_past_the_end_is_found) {
  const auto v = find_with_rapidcheck([] { return SegFitSubject(SegFit::Bug::metadata_past_end); });
  ASSERT_TRUE(v);
  EXPECT_EQ(invariant_name(v->id), "METADATA") << format_violation(*v);
}

TEST(PlantedBugs, the_segfit_metric_dividing_by_zero_on_an_empty_heap_is_found) {
  const auto v = find_with_rapidcheck([] { return SegFitSubject(SegFit::Bug::stats_div0); });
  ASSERT_TRUE(v);
  EXPECT_EQ(invariant_name(v->id), "STATS") << format_violation(*v);
}

TEST(PlantedBugs, the_per_heap_alloc_that_uses_the_default_heap_is_found) {
  const auto v = find_with_rapidcheck([] { return example::SegFitHeapsSubject(true); });
  ASSERT_TRUE(v);
  EXPECT_EQ(invariant_name(v->id), "IN-BOUNDS") << format_violation(*v);
}

TEST(PlantedBugs, the_segfit_missed_backward_merge_is_found_by_the_model_without_the_self_check) {
  const auto v = find_with_rapidcheck([] { return SegFitSubject(SegFit::Bug::no_backward_merge, false); });
  ASSERT_TRUE(v);
  EXPECT_EQ(invariant_name(v->id), "NO-SPURIOUS-FAILURE") << format_violation(*v);
}

TEST(PlantedBugs, the_segfit_missed_backward_merge_is_found_by_restore_without_a_model) {
  const auto v =
      find_with_rapidcheck([] { return SegFitSubject(SegFit::Bug::no_backward_merge, false, false); });
  ASSERT_TRUE(v);
  EXPECT_EQ(invariant_name(v->id), "RESTORE") << format_violation(*v);
}

}  // namespace
}  // namespace kmf::props
