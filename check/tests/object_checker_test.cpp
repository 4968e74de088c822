// object_checker_test.cpp — the generic invariants on a real allocator no
// one here wrote (Boost.Container's pmr pool), and on deliberately broken
// adapters that each invariant must catch.
#include "check/object_checker.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <new>
#include <vector>

#include "alloc/tests/test_util.h"
#include "check/pmr_subject.h"

namespace kmf {
namespace {

TEST(PmrPool, boost_unsynchronized_pool_resource_passes_the_generic_invariants) {
  const std::uint64_t seed = testing::test_seed(31337);
  for (std::uint64_t i = 0; i < 20; ++i) {
    PmrPoolSubject pool;
    const auto v =
        check_object_program(pool, random_object_program(seed + i, 3000, alignof(std::max_align_t)));
    EXPECT_FALSE(v) << format_violation(*v);
  }
}

// A finding, kept as a characterization test: Boost 1.74's pool resource
// does not honour alignments above alignof(max_align_t) (it pools by size
// only), and the checker says so. If a newer Boost fixes it, this test fails
// and should be turned into a passing property.
TEST(PmrPool, boost_1_74_pool_ignores_over_alignment_and_the_checker_says_so) {
  PmrPoolSubject pool;
  std::vector<ObjectOp> ops{{ObjectOp::alloc, 1, 16, 0}, {ObjectOp::alloc, 1, 128, 0}};
  const auto v = check_object_program(pool, ops);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->id, Inv::S_ALIGN) << format_violation(*v);
}

/// A bump allocator over one arena; `bug` picks what it gets wrong.
class BrokenBump : public ObjectSubject {
 public:
  enum class Bug { none, overlap, misalign, scribble, leak };
  explicit BrokenBump(Bug bug) : bug_(bug), arena_(8 * MiB) {}
  std::string_view name() const override { return "broken bump allocator"; }
  void* allocate(std::size_t size, std::size_t align) override {
    ++calls_;
    std::size_t at = (top_ + align - 1) / align * align;
    if (bug_ == Bug::misalign && calls_ == 5) at += 1;
    if (at + size > arena_.size()) return nullptr;
    if (bug_ == Bug::overlap && calls_ == 7 && last_ != SIZE_MAX) at = last_;  // hands a live block out again
    last_ = at;
    top_ = std::max(top_, at + size);
    live_ += 1;
    if (bug_ == Bug::scribble && calls_ == 9 && at > 0) arena_[at - 1] ^= std::byte{0xff};  // metadata write
    return arena_.data() + at;
  }
  void deallocate(void*, std::size_t, std::size_t) override { live_ -= 1; }
  std::optional<std::size_t> outstanding() const override {
    return bug_ == Bug::leak ? std::optional<std::size_t>(64) : std::optional<std::size_t>(live_);
  }

 private:
  Bug bug_;
  std::vector<std::byte> arena_;
  std::size_t top_ = 0, last_ = SIZE_MAX, calls_ = 0, live_ = 0;
};

std::vector<ObjectOp> allocs_only(std::size_t n) {
  std::vector<ObjectOp> ops;
  for (std::size_t i = 0; i < n; ++i) ops.push_back({ObjectOp::alloc, 48, 16, 0});
  return ops;
}

TEST(BrokenAdapters, a_correct_bump_allocator_passes) {
  BrokenBump ok(BrokenBump::Bug::none);
  const auto v = check_object_program(ok, allocs_only(20));
  EXPECT_FALSE(v) << format_violation(*v);
}

TEST(BrokenAdapters, overlapping_blocks_are_caught_as_no_overlap) {
  BrokenBump b(BrokenBump::Bug::overlap);
  const auto v = check_object_program(b, allocs_only(20));
  ASSERT_TRUE(v);
  EXPECT_EQ(v->id, Inv::NO_OVERLAP) << format_violation(*v);
  EXPECT_EQ(v->op_index, 6u);
}

TEST(BrokenAdapters, misaligned_blocks_are_caught_as_s_align) {
  BrokenBump b(BrokenBump::Bug::misalign);
  const auto v = check_object_program(b, allocs_only(20));
  ASSERT_TRUE(v);
  EXPECT_EQ(v->id, Inv::S_ALIGN) << format_violation(*v);
}

TEST(BrokenAdapters, a_write_into_a_live_block_is_caught_as_integrity) {
  BrokenBump b(BrokenBump::Bug::scribble);
  const auto v = check_object_program(b, allocs_only(20));
  ASSERT_TRUE(v);
  EXPECT_EQ(v->id, Inv::INTEGRITY) << format_violation(*v);
}

TEST(BrokenAdapters, memory_kept_after_release_is_caught_as_no_leak) {
  BrokenBump b(BrokenBump::Bug::leak);
  const auto v = check_object_program(b, allocs_only(20));
  ASSERT_TRUE(v);
  EXPECT_EQ(v->id, Inv::NO_LEAK) << format_violation(*v);
}

}  // namespace
}  // namespace kmf
