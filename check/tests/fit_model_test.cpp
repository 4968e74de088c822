// fit_model_test.cpp — the reference models answer "must this fit?" from
// the ledger alone: exact for the allocator classes they model, and never
// claiming a request fits when it cannot.
#include "check/fit_model.h"

#include <gtest/gtest.h>

namespace kmf {
namespace {

TEST(FitModel, free_gaps_are_the_complement_of_the_occupied_ranges) {
  EXPECT_EQ(free_gaps({0, 100}, {{10, 20}, {15, 30}, {90, 120}}),
            (std::vector<AddrRange>{{0, 10}, {30, 90}}));
  EXPECT_EQ(free_gaps({0, 100}, {}), (std::vector<AddrRange>{{0, 100}}));
  EXPECT_TRUE(free_gaps({0, 100}, {{0, 100}}).empty());
}

TEST(FitModel, first_fit_needs_one_gap_for_header_and_rounded_body) {
  const FitModel m = FitModel::first_fit(16, 16);
  // Two live blocks in [0, 240) leave two gaps of 64 bytes.
  const std::vector<AddrRange> live{model_extent(m, 16, 40), model_extent(m, 144, 30)};
  EXPECT_EQ(live[0], (AddrRange{0, 64}));
  EXPECT_TRUE(must_fit(m, {0, 240}, live, 48, 0, 16));   // 16 + 48 = 64: the first gap
  EXPECT_FALSE(must_fit(m, {0, 240}, live, 49, 0, 16));  // 16 + 64 > 64 and > 48
  EXPECT_FALSE(must_fit(m, {0, 240}, live, 0, 0, 16));   // a zero-byte request promises nothing
  EXPECT_FALSE(must_fit(m, {0, 240}, live, 8, 64, 16));  // over-alignment costs header + granule + align
  EXPECT_EQ(largest_must_fit(m, {0, 240}, live, 16), 48u);
}

TEST(FitModel, the_usable_size_widens_a_blocks_extent) {
  const FitModel m = FitModel::first_fit(16, 16);
  EXPECT_EQ(model_extent(m, 16, 40, 64), (AddrRange{0, 80}));
  EXPECT_EQ(model_extent(FitModel{}, 100, 0), (AddrRange{100, 101}));
}

TEST(FitModel, a_buddy_request_needs_a_free_aligned_power_of_two_block) {
  const FitModel m = FitModel::buddy(64, 0, 4096);
  // 1 KiB space, one live 64-byte block at offset 256: 512 at 512 is free.
  const std::vector<AddrRange> live{model_extent(m, 256, 10)};
  EXPECT_EQ(live[0], (AddrRange{256, 320}));
  EXPECT_TRUE(must_fit(m, {0, 1024}, live, 512, 0, 64));
  EXPECT_FALSE(must_fit(m, {0, 1024}, live, 513, 0, 64));  // a 1 KiB block: only the whole space, taken
  EXPECT_TRUE(must_fit(m, {0, 1024}, live, 200, 0, 64));   // 256 at 0
  // The same free bytes, unaligned: [64, 576) holds 512 bytes but no aligned 512 block.
  EXPECT_FALSE(must_fit(m, {0, 1024}, {{0, 64}, {576, 1024}}, 512, 0, 64));
  EXPECT_TRUE(must_fit(m, {0, 1024}, {}, 10, 256, 64));    // alignment picks a bigger block
  EXPECT_FALSE(must_fit(m, {64, 1088}, {}, 10, 256, 64));  // not when the base is off that alignment
  EXPECT_FALSE(must_fit(FitModel::buddy(64, 0, 256), {0, 1024}, {}, 512, 0, 64));  // above max_block
}

TEST(FitModel, a_buddy_space_need_not_be_a_power_of_two) {
  const FitModel m = FitModel::buddy(64, 0);
  EXPECT_TRUE(must_fit(m, {0, 320}, {}, 256, 0, 64));
  EXPECT_FALSE(must_fit(m, {0, 320}, {{0, 64}}, 256, 0, 64));
  EXPECT_EQ(largest_must_fit(m, {0, 320}, {}, 64), 256u);
}

TEST(FitModel, a_reservation_must_fit_only_with_room_for_a_free_block_on_each_side) {
  const FitModel m = FitModel::first_fit(16, 16);
  EXPECT_TRUE(must_fit_at(m, {0, 1024}, {}, {256, 320}));
  EXPECT_TRUE(must_fit_at(m, {0, 1024}, {}, {16, 1024}));   // the whole space: no remainders
  EXPECT_FALSE(must_fit_at(m, {0, 1024}, {}, {32, 64}));    // 16 bytes left before the header
  EXPECT_FALSE(must_fit_at(m, {0, 1024}, {}, {264, 320}));  // off the granule
  EXPECT_FALSE(must_fit_at(m, {0, 1024}, {{300, 310}}, {256, 320}));
  EXPECT_FALSE(must_fit_at(FitModel::buddy(64), {0, 1024}, {}, {256, 320}));  // no claim
}

TEST(FitModel, a_segregated_request_rounds_to_the_start_of_the_next_class) {
  const FitModel m = FitModel::segregated(2, 16, 16, 16);
  EXPECT_EQ(segregated_class(m, 1), 16u);
  EXPECT_EQ(segregated_class(m, 48), 48u);  // small classes: one granule apart
  EXPECT_EQ(segregated_class(m, 65), 80u);  // [64, 128) in 4 classes of 16
  EXPECT_EQ(segregated_class(m, 100), 112u);
  EXPECT_EQ(segregated_class(m, 129), 160u);  // [128, 256) in 4 classes of 32
  // a 100-byte request needs a gap of 16 + 112: a 120-byte gap is not enough
  EXPECT_FALSE(must_fit(m, {0, 1024}, {{120, 1024}}, 100, 0, 16));
  EXPECT_TRUE(must_fit(m, {0, 1024}, {{128, 1024}}, 100, 0, 16));
  EXPECT_FALSE(must_fit(m, {0, 1024}, {}, ~std::uint64_t{0}, 0, 16));  // never for a huge request
  EXPECT_EQ(
      explain_fit(m, 100, 0, 16),
      "a request of 100 bytes rounds to the 112-byte class, so it needs one gap of 128 bytes (header 16 + "
      "class + slack 0)");
}

}  // namespace
}  // namespace kmf
