// vmap_area_test.cpp — the vmap area allocator (alloc/vmap_area.h): lowest
// fit, merging of free neighbours, alignment, and agreement with a naive
// model under random operations.
#include "alloc/vmap_area.h"

#include <gtest/gtest.h>

#include <map>
#include <utility>
#include <vector>

#include "alloc/tests/test_util.h"
#include "alloc/types.h"

namespace kmf {
namespace {

constexpr std::uint64_t BASE = 0xCA800000ULL;
constexpr std::uint64_t P = PAGE_SIZE;

using Ranges = std::vector<std::pair<std::uint64_t, std::uint64_t>>;

Ranges free_ranges(const VmapAreaAllocator& a) {
  Ranges out;
  a.for_each_free([&](std::uint64_t s, std::uint64_t e) { out.emplace_back(s, e); });
  return out;
}

TEST(VmapArea, a_fresh_allocator_is_one_free_range) {
  VmapAreaAllocator a(BASE, BASE + 100 * P, 1);
  EXPECT_EQ(free_ranges(a), (Ranges{{BASE, BASE + 100 * P}}));
  EXPECT_EQ(a.largest_free(), 100 * P);
  EXPECT_EQ(a.free_bytes(), 100 * P);
  EXPECT_TRUE(a.validate());
}

TEST(VmapArea, allocation_takes_the_lowest_hole_that_fits) {
  VmapAreaAllocator a(BASE, BASE + 100 * P, 1);
  const auto x = a.alloc(2 * P, P), y = a.alloc(5 * P, P), z = a.alloc(3 * P, P);
  ASSERT_TRUE(x && y && z);
  EXPECT_EQ(*x, BASE);
  EXPECT_EQ(*y, BASE + 2 * P);
  EXPECT_EQ(*z, BASE + 7 * P);
  a.free(*x, 2 * P);  // hole of 2 pages at BASE
  a.free(*y, 5 * P);  // touches x's hole: they merge into one hole of 7 pages
  EXPECT_EQ(free_ranges(a), (Ranges{{BASE, BASE + 7 * P}, {BASE + 10 * P, BASE + 100 * P}}));
  const auto w = a.alloc(7 * P, P);  // exactly fills the hole
  EXPECT_EQ(w, BASE);
  const auto v = a.alloc(P, P);  // the hole is gone: after z
  EXPECT_EQ(v, BASE + 10 * P);
  EXPECT_TRUE(a.validate());
}

TEST(VmapArea, freeing_merges_with_both_neighbours) {
  VmapAreaAllocator a(BASE, BASE + 10 * P, 3);
  std::vector<std::uint64_t> got;
  for (int i = 0; i < 10; ++i) got.push_back(*a.alloc(P, P));
  EXPECT_EQ(a.nr_free_ranges(), 0u);
  EXPECT_FALSE(a.alloc(P, P));
  a.free(got[3], P);
  a.free(got[5], P);
  EXPECT_EQ(a.nr_free_ranges(), 2u);
  a.free(got[4], P);  // joins [3] and [5]
  EXPECT_EQ(free_ranges(a), (Ranges{{BASE + 3 * P, BASE + 6 * P}}));
  for (int i : {0, 9, 2, 6, 1, 8, 7}) a.free(got[i], P);
  EXPECT_EQ(free_ranges(a), (Ranges{{BASE, BASE + 10 * P}}));
  EXPECT_TRUE(a.validate());
}

TEST(VmapArea, aligned_requests_start_on_their_alignment) {
  VmapAreaAllocator a(BASE + P, BASE + 1024 * P, 5);
  ASSERT_EQ(a.alloc(P, P), BASE + P);
  const auto x = a.alloc(3 * P, 16 * P);
  ASSERT_TRUE(x);
  EXPECT_EQ(*x % (16 * P), 0u);
  EXPECT_EQ(*x, BASE + 16 * P);  // BASE is 4 MiB aligned
  // The skipped pages stay free and are handed out next.
  EXPECT_EQ(a.alloc(P, P), BASE + 2 * P);
  EXPECT_TRUE(a.validate());
}

TEST(VmapArea, requests_larger_than_the_space_fail_without_change) {
  VmapAreaAllocator a(BASE, BASE + 10 * P, 1);
  EXPECT_FALSE(a.alloc(11 * P, P));
  EXPECT_FALSE(a.alloc(~std::uint64_t{0} & PAGE_MASK, P));
  EXPECT_FALSE(a.alloc(P, std::uint64_t{1} << 63));
  EXPECT_EQ(free_ranges(a), (Ranges{{BASE, BASE + 10 * P}}));
}

TEST(VmapArea, is_free_and_is_allocated_see_exact_boundaries) {
  VmapAreaAllocator a(BASE, BASE + 10 * P, 1);
  ASSERT_EQ(a.alloc(4 * P, P), BASE);
  EXPECT_TRUE(a.is_allocated(BASE, 4 * P));
  EXPECT_FALSE(a.is_allocated(BASE, 5 * P));
  EXPECT_TRUE(a.is_free(BASE + 4 * P, 6 * P));
  EXPECT_FALSE(a.is_free(BASE + 3 * P, 2 * P));
  EXPECT_FALSE(a.is_free(BASE + 4 * P, 7 * P));
}

/// A naive model: a page bitmap with a linear lowest-fit search.
class NaiveSpace {
 public:
  explicit NaiveSpace(std::size_t pages) : used_(pages, false) {}
  std::optional<std::size_t> alloc(std::size_t n) {
    for (std::size_t i = 0; i + n <= used_.size(); ++i) {
      std::size_t j = 0;
      while (j < n && !used_[i + j]) ++j;
      if (j == n) {
        for (j = 0; j < n; ++j) used_[i + j] = true;
        return i;
      }
      i += j;
    }
    return std::nullopt;
  }
  void free(std::size_t at, std::size_t n) {
    for (std::size_t j = 0; j < n; ++j) used_[at + j] = false;
  }
  Ranges ranges(std::uint64_t base) const {
    Ranges out;
    for (std::size_t i = 0; i < used_.size();) {
      if (used_[i]) {
        ++i;
        continue;
      }
      std::size_t j = i;
      while (j < used_.size() && !used_[j]) ++j;
      out.emplace_back(base + i * P, base + j * P);
      i = j;
    }
    return out;
  }

 private:
  std::vector<bool> used_;
};

TEST(VmapArea, random_operations_agree_with_a_naive_lowest_fit_model) {
  const std::uint64_t seed = testing::test_seed(20240504);
  Rng rng(seed);
  constexpr std::size_t PAGES = 4096;
  VmapAreaAllocator a(BASE, BASE + PAGES * P, seed);
  NaiveSpace model(PAGES);
  std::vector<std::pair<std::uint64_t, std::size_t>> live;  // start, pages
  for (int op = 0; op < 6000; ++op) {
    if (live.empty() || rng.below(100) < 55) {
      const std::size_t n = 1 + rng.below(rng.below(4) == 0 ? 200 : 8);
      const auto got = a.alloc(n * P, P);
      const auto want = model.alloc(n);
      ASSERT_EQ(got.has_value(), want.has_value()) << "op " << op;
      if (got) {
        ASSERT_EQ(*got, BASE + *want * P) << "op " << op;
        live.emplace_back(*got, n);
      }
    } else {
      const std::size_t i = rng.below(live.size());
      a.free(live[i].first, live[i].second * P);
      model.free((live[i].first - BASE) / P, live[i].second);
      live[i] = live.back();
      live.pop_back();
    }
    if (op % 97 == 0) {
      ASSERT_TRUE(a.validate()) << "op " << op;
      ASSERT_EQ(free_ranges(a), model.ranges(BASE)) << "op " << op;
    }
  }
  for (const auto& [start, n] : live) a.free(start, n * P);
  EXPECT_EQ(free_ranges(a), (Ranges{{BASE, BASE + PAGES * P}}));
  EXPECT_TRUE(a.validate());
}

}  // namespace
}  // namespace kmf
