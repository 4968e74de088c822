// buddy_test.cpp — the buddy page allocator (alloc/buddy.h) through the
// Kernel's page API: alignment, zones, split and coalesce, watermarks.
#include "alloc/buddy.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

#include "alloc/kernel.h"
#include "alloc/tests/test_util.h"

namespace kmf {
namespace {

using testing::snapshot;

constexpr std::uint64_t PAGE_OFFSET_I386 = 0xC0000000ULL;

TEST(Buddy, documents_experiment_get_free_page_lies_in_the_direct_map) {
  Kernel k;  // the documents' machine: 160 MiB, i386
  const VirtAddr page = k.get_free_page(GFP_KERNEL);
  ASSERT_TRUE(page);
  EXPECT_GE(page.value, PAGE_OFFSET_I386);
  EXPECT_LT(page.value, PAGE_OFFSET_I386 + 160 * MiB);
  EXPECT_TRUE(page_aligned(page.value));
  EXPECT_EQ(k.virt_to_phys(page).value, page.value - PAGE_OFFSET_I386);
  EXPECT_EQ(k.phys_to_virt(k.virt_to_phys(page)), page);
  k.free_page(page);
  EXPECT_TRUE(k.reports().empty());
}

TEST(Buddy, order_10_succeeds_on_a_fresh_machine) {
  Kernel k;
  const Pfn pfn = k.alloc_pages(GFP_KERNEL, 10);
  ASSERT_TRUE(pfn);
  EXPECT_EQ(pfn.value % 1024, 0u);
  k.free_pages(pfn, 10);
  EXPECT_TRUE(k.reports().empty());
}

TEST(Buddy, order_11_fails_and_changes_nothing) {
  Kernel k;
  const auto before = snapshot(k);
  EXPECT_FALSE(k.alloc_pages(GFP_KERNEL, 11));
  EXPECT_FALSE(k.get_free_pages(GFP_KERNEL, 11));
  EXPECT_FALSE(k.alloc_pages(GFP_ATOMIC, 64));
  EXPECT_EQ(snapshot(k), before);
  EXPECT_TRUE(k.reports().empty());
}

TEST(Buddy, every_block_is_aligned_to_its_order) {
  Kernel k;
  Rng rng(testing::test_seed(1));
  std::vector<std::pair<Pfn, unsigned>> live;
  for (int i = 0; i < 2000; ++i) {
    const auto order = static_cast<unsigned>(rng.below(11));
    const Pfn pfn = k.alloc_pages(GFP_KERNEL, order);
    if (!pfn) continue;
    EXPECT_EQ(pfn.value & ((std::uint64_t{1} << order) - 1), 0u) << "order " << order;
    live.emplace_back(pfn, order);
  }
  ASSERT_FALSE(live.empty());
  for (auto [pfn, order] : live) k.free_pages(pfn, order);
  EXPECT_TRUE(k.reports().empty());
}

TEST(Buddy, split_returns_upper_halves_and_free_coalesces_them) {
  MachineConfig cfg;
  cfg.mem_bytes = 8 * MiB;  // DMA only: [1 frame reserved][…][order-10 block at 1024]
  Kernel k(cfg);
  const auto boot = snapshot(k);
  // The order-10 block at pfn 1024 is the only one; an order-0 request takes
  // the order-0 block at pfn 1 first (smallest fit).
  const Pfn a = k.alloc_pages(GFP_KERNEL, 0);
  ASSERT_EQ(a.value, 1u);
  const Pfn b = k.alloc_pages(GFP_KERNEL, 0);  // splits order 1 at pfn 2
  ASSERT_EQ(b.value, 2u);
  const Pfn c = k.alloc_pages(GFP_KERNEL, 0);  // the upper half, pfn 3
  ASSERT_EQ(c.value, 3u);
  k.free_pages(b, 0);
  k.free_pages(c, 0);  // 2 and 3 are buddies: they merge to an order-1 block
  bool merged = false;
  for (auto [pfn, order] : k.buddy().free_blocks()) merged |= (pfn == 2 && order == 1);
  EXPECT_TRUE(merged);
  k.free_pages(a, 0);
  EXPECT_EQ(snapshot(k), boot);
}

TEST(Buddy, gfp_dma_frames_lie_below_16_MiB) {
  Kernel k;
  int n = 0;
  while (true) {
    const Pfn pfn = k.alloc_pages(GFP_KERNEL | GFP_DMA, 2);
    if (!pfn) break;
    EXPECT_LT(pfn_to_phys(pfn).value + 4 * PAGE_SIZE, 16 * MiB + 1);
    ++n;
  }
  EXPECT_GT(n, 900);  // nearly all of ZONE_DMA (4095 frames) was served
}

TEST(Buddy, without_gfp_highmem_frames_are_lowmem_and_highuser_can_be_high) {
  MachineConfig cfg;
  cfg.mem_bytes = 1 * GiB;
  Kernel k(cfg);
  ASSERT_EQ(k.layout().lowmem_bytes, 896 * MiB);
  const Pfn high = k.alloc_pages(GFP_HIGHUSER, 0);
  ASSERT_TRUE(high);
  EXPECT_GE(pfn_to_phys(high).value, 896 * MiB);
  EXPECT_FALSE(k.pfn_to_virt(high));  // highmem has no direct-map address
  std::uint64_t served = 0;
  while (true) {
    const Pfn pfn = k.alloc_pages(GFP_KERNEL, 10);
    if (!pfn) break;
    EXPECT_LT(pfn_to_phys(pfn).value, 896 * MiB);
    ++served;
  }
  EXPECT_GT(served, 200u);  // lowmem exhausted at order 10, highmem untouched
  EXPECT_GT(k.buddy().zones().back().free_pages, 30000u);
}

TEST(Buddy, random_alloc_then_random_free_restores_the_boot_free_lists) {
  for (Profile profile : {Profile::i386, Profile::x86_64}) {
    MachineConfig cfg;
    cfg.mem_bytes = 64 * MiB;
    cfg.profile = profile;
    Kernel k(cfg);
    const auto boot = snapshot(k);
    Rng rng(testing::test_seed(42 + static_cast<int>(profile)));
    std::vector<std::pair<Pfn, unsigned>> live;
    for (int i = 0; i < 5000; ++i) {
      const auto order = static_cast<unsigned>(std::min<std::uint64_t>(rng.below(8), rng.below(11)));
      const gfp_t gfp = rng.below(4) == 0 ? GFP_ATOMIC : (rng.below(5) == 0 ? GFP_DMA : GFP_KERNEL);
      const Pfn pfn = k.alloc_pages(gfp, order);
      if (pfn) live.emplace_back(pfn, order);
      if (!live.empty() && rng.below(3) == 0) {  // interleave some frees
        const std::size_t i2 = rng.below(live.size());
        k.free_pages(live[i2].first, live[i2].second);
        live[i2] = live.back();
        live.pop_back();
      }
    }
    ASSERT_GT(live.size(), 100u);
    for (std::size_t i = live.size(); i > 1; --i) std::swap(live[i - 1], live[rng.below(i)]);
    for (auto [pfn, order] : live) k.free_pages(pfn, order);
    EXPECT_EQ(snapshot(k), boot) << profile_name(profile);
    EXPECT_TRUE(k.reports().empty());
  }
}

TEST(Buddy, gfp_atomic_dips_below_min_where_gfp_kernel_fails) {
  MachineConfig cfg;
  cfg.mem_bytes = 32 * MiB;
  Kernel k(cfg);
  std::vector<Pfn> held;
  while (const Pfn p = k.alloc_pages(GFP_KERNEL, 0)) held.push_back(p);
  // Every zone is now at or below its min watermark for sleeping requests…
  for (const Zone& z : k.buddy().zones()) {
    EXPECT_LE(z.free_pages, z.wmark_min + 1) << zone_name(z.type);
    EXPECT_GT(z.free_pages, 0u);
  }
  // …but an atomic request may use part of the reserve.
  const Pfn atomic = k.alloc_pages(GFP_ATOMIC, 0);
  ASSERT_TRUE(atomic);
  EXPECT_FALSE(k.alloc_pages(GFP_KERNEL, 0));
  // Atomic requests stop at their own reserve (3/8 of min), never at zero.
  std::uint64_t atomic_served = 1;
  while (const Pfn p = k.alloc_pages(GFP_ATOMIC, 0)) {
    held.push_back(p);
    ++atomic_served;
  }
  held.push_back(atomic);
  for (const Zone& z : k.buddy().zones()) {
    EXPECT_GT(z.free_pages, 0u);
    const std::uint64_t high = z.wmark_min - z.wmark_min / 2;  // GFP_HIGH: half off
    EXPECT_LE(z.free_pages, high - high / 4);                  // atomic: a quarter more
  }
  EXPECT_GT(atomic_served, 1u);
  // GFP_NOWAIT has no reserve rights: it fails too.
  EXPECT_FALSE(k.alloc_pages(GFP_NOWAIT, 0));
  for (Pfn p : held) k.free_pages(p, 0);
  EXPECT_TRUE(k.reports().empty());
}

TEST(Buddy, watermark_check_matches_the_2_6_rule) {
  Zone z{};
  z.free_pages = 100;
  z.free_area[0].nr_free = 60;
  EXPECT_TRUE(BuddyAllocator::watermark_ok(z, 0, 98, 0));            // 100 > 98
  EXPECT_FALSE(BuddyAllocator::watermark_ok(z, 0, 100, 0));          // 100 <= 100
  EXPECT_TRUE(BuddyAllocator::watermark_ok(z, 0, 150, ALLOC_HIGH));  // min 75
  // Order 1: 100-2+1 = 99 > 40, then minus 60 order-0 pages = 39 <= 20? no: > 20.
  EXPECT_TRUE(BuddyAllocator::watermark_ok(z, 1, 40, 0));
  EXPECT_FALSE(BuddyAllocator::watermark_ok(z, 1, 80, 0));  // 39 <= 40
}

TEST(Buddy, a_64_GiB_x86_64_machine_boots_and_serves_order_10) {
  MachineConfig cfg;
  cfg.mem_bytes = 64 * GiB;
  cfg.profile = Profile::x86_64;
  Kernel k(cfg);
  ASSERT_EQ(k.buddy().zones().size(), 3u);
  EXPECT_EQ(k.buddy().totalram_pages(), 64 * GiB / PAGE_SIZE - 1);
  const Pfn pfn = k.alloc_pages(GFP_KERNEL, 10);
  ASSERT_TRUE(pfn);
  EXPECT_GE(pfn_to_phys(pfn).value, 4 * GiB);  // ZONE_NORMAL first
  const VirtAddr va = k.pfn_to_virt(pfn);
  EXPECT_EQ(va.value, 0xffff888000000000ULL + pfn_to_phys(pfn).value);
  std::cout << "[ info     ] 64 GiB machine: host resident " << k.mem().resident_bytes() / KiB << " KiB\n";
  k.free_pages(pfn, 10);
}

}  // namespace
}  // namespace kmf
