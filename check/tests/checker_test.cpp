// checker_test.cpp — every invariant of check/kernel_checker.h can fire:
// a `*_for_testing` hook corrupts the subject (or the checker is shown a
// request outcome the rules forbid) and the checker names exactly that id.
#include <gtest/gtest.h>

#include "alloc/kernel.h"
#include "check/catalog.h"
#include "check/kernel_checker.h"
#include "check/ledger.h"

namespace kmf {
namespace {

void expect_fires(const Check& c, Inv id) {
  ASSERT_TRUE(c.has_value()) << "expected " << invariant_name(id) << " to fire";
  EXPECT_EQ(invariant_name(c->id), invariant_name(id)) << c->explanation;
  EXPECT_FALSE(c->explanation.empty());
}

struct Machine {
  Kernel k{MachineConfig{.mem_bytes = 32 * MiB}};
  KernelChecker chk{k};
  Ledger ledger;
};

TEST(Catalog, every_id_has_a_name_a_claim_and_round_trips) {
  ASSERT_EQ(invariant_catalog().size(), NR_INVARIANTS);
  for (const InvariantInfo& i : invariant_catalog()) {
    EXPECT_FALSE(i.claim.empty());
    EXPECT_EQ(invariant_from_name(i.name), i.id);
  }
  EXPECT_EQ(invariant_name(Inv::B_COALESCE), "B-COALESCE");
  EXPECT_FALSE(invariant_from_name("B-NOPE"));
}

TEST(Stamps, stamp_bytes_writes_what_stamp_byte_says_and_differs_by_id_and_offset) {
  std::vector<std::byte> buf(300);
  for (std::uint32_t id : {0u, 1u, 77u, 0xfffffffeu, 0xffffffffu})
    for (std::uint64_t off :
         {std::uint64_t{0}, std::uint64_t{5}, std::uint64_t{4093}, std::uint64_t{1} << 40}) {
      stamp_bytes(id, off, buf);
      for (std::size_t i = 0; i < buf.size(); ++i)
        ASSERT_EQ(std::to_integer<std::uint8_t>(buf[i]), stamp_byte(id, off + i))
            << id << " " << off << " " << i;
    }
  // A byte copied from another allocation or another offset reads wrong
  // somewhere in a 64-byte stamp (what INTEGRITY relies on).
  std::vector<std::byte> a(64), b(64), c(64);
  stamp_bytes(3, 0, a);
  stamp_bytes(4, 0, b);
  stamp_bytes(3, 64, c);
  EXPECT_NE(a, b);
  EXPECT_NE(a, c);
}

TEST(KernelChecker, a_clean_machine_passes_the_sweep_and_restore) {
  Machine m;
  EXPECT_FALSE(m.chk.sweep(m.ledger));
  EXPECT_FALSE(m.chk.restored());
}

TEST(KernelChecker, b_coalesce_fires_when_free_buddies_are_not_merged) {
  Machine m;
  BuddyAllocator& b = m.k.buddy_for_testing();
  // Split a free order-1 block into two free order-0 buddies behind the
  // allocator's back: counts stay right, only the merge is missing.
  std::uint64_t pfn = 0;
  for (auto [p, o] : b.free_blocks())
    if (o == 1) pfn = p;
  ASSERT_NE(pfn, 0u);
  b.list_del_for_testing(pfn, 1);
  b.list_add_for_testing(pfn, 0);
  b.list_add_for_testing(pfn + 1, 0);
  expect_fires(m.chk.sweep(m.ledger), Inv::B_COALESCE);
  expect_fires(m.chk.around_free(pfn + 1), Inv::B_COALESCE);
}

TEST(KernelChecker, b_freelist_fires_when_a_free_block_leaves_its_list) {
  Machine m;
  BuddyAllocator& b = m.k.buddy_for_testing();
  const auto [pfn, order] = b.free_blocks().back();
  b.list_del_for_testing(pfn, order);  // lost: the zone still counts its pages
  expect_fires(m.chk.sweep(m.ledger), Inv::B_FREELIST);
}

TEST(KernelChecker, b_freelist_fires_when_a_free_block_is_marked_with_another_order) {
  Machine m;
  const auto [pfn, order] = m.k.buddy().free_blocks().back();
  m.k.mem_for_testing().page(pfn).order = static_cast<std::uint8_t>(order - 1);
  expect_fires(m.chk.sweep(m.ledger), Inv::B_FREELIST);
}

TEST(KernelChecker, b_align_fires_for_a_misaligned_free_block) {
  Machine m;
  BuddyAllocator& b = m.k.buddy_for_testing();
  // Re-file an order-0 block at an odd pfn as order 1.
  std::uint64_t pfn = 0;
  for (auto [p, o] : b.free_blocks())
    if (o == 0 && (p & 1)) pfn = p;
  ASSERT_NE(pfn, 0u);
  b.list_del_for_testing(pfn, 0);
  b.list_add_for_testing(pfn, 1);
  b.zone_for_testing(0).free_pages += 1;
  expect_fires(m.chk.sweep(m.ledger), Inv::B_ALIGN);
}

TEST(KernelChecker, b_account_fires_when_a_frame_belongs_to_no_block) {
  Machine m;
  const Pfn p = m.k.alloc_pages(GFP_KERNEL, 0);
  m.k.mem_for_testing().page(p.value).state = PageState::none;  // leaked without trace
  expect_fires(m.chk.sweep(m.ledger), Inv::B_ACCOUNT);
}

TEST(KernelChecker, b_account_fires_when_the_zone_counter_drifts) {
  Machine m;
  m.k.buddy_for_testing().zone_for_testing(1).free_pages -= 1;
  const Check c = m.chk.sweep(m.ledger);
  ASSERT_TRUE(c);  // the lists no longer add up to the counter
  EXPECT_TRUE(c->id == Inv::B_FREELIST || c->id == Inv::B_ACCOUNT) << invariant_name(c->id);
  m.k.buddy_for_testing().zone_for_testing(1).free_pages += 1;
  EXPECT_FALSE(m.chk.sweep(m.ledger));
}

TEST(KernelChecker, b_avail_fires_when_a_servable_request_fails) {
  Machine m;
  expect_fires(m.chk.page_failure(m.chk.zones(), GFP_KERNEL, 3), Inv::B_AVAIL);
  // Order 11 may always fail; an empty zone may fail.
  EXPECT_FALSE(m.chk.page_failure(m.chk.zones(), GFP_KERNEL, 11));
  auto drained = m.chk.zones();
  for (Zone& z : drained) {
    z.free_pages = z.wmark_min;
    for (FreeArea& a : z.free_area) a.nr_free = 0;
    z.free_area[0].nr_free = z.wmark_min;
  }
  EXPECT_FALSE(m.chk.page_failure(drained, GFP_KERNEL, 0));
}

TEST(KernelChecker, b_wmark_fires_when_a_sleeping_request_dips_below_min) {
  Machine m;
  auto low = m.chk.zones();
  for (Zone& z : low) {
    z.free_pages = z.wmark_min / 2;
    for (FreeArea& a : z.free_area) a.nr_free = 0;
    z.free_area[0].nr_free = z.free_pages;
  }
  const Pfn p{low.back().start_pfn + 8};
  expect_fires(m.chk.page_success(low, GFP_KERNEL, 0, p), Inv::B_WMARK);
  // GFP_ATOMIC may go there (3/8 of min), but not to zero.
  for (Zone& z : low) z.free_pages = z.wmark_min / 2;
  EXPECT_FALSE(m.chk.page_success(low, GFP_ATOMIC, 0, p));
  for (Zone& z : low) z.free_pages = z.wmark_min / 4;
  expect_fires(m.chk.page_success(low, GFP_ATOMIC, 0, p), Inv::B_WMARK);
}

TEST(KernelChecker, b_zone_fires_for_a_dma_request_served_from_normal) {
  Machine m;
  const Pfn normal{m.chk.zones().back().start_pfn};
  expect_fires(m.chk.page_success(m.chk.zones(), GFP_DMA, 0, normal), Inv::B_ZONE);
  // Through a ledger entry too: a GFP_DMA block above 16 MiB.
  const Pfn p = m.k.alloc_pages(GFP_KERNEL, 0);
  m.ledger.resize(1);
  Entry& e = m.ledger[0];
  e.kind = EntryKind::pages;
  e.live = e.bound = true;
  e.pfn = p;
  e.gfp = GFP_DMA;
  e.span = PAGE_SIZE;
  expect_fires(m.chk.entry(m.ledger, 0), Inv::B_ZONE);
}

TEST(KernelChecker, b_order_fires_when_order_11_succeeds) {
  Machine m;
  expect_fires(m.chk.page_success(m.chk.zones(), GFP_KERNEL, 11, Pfn{0}), Inv::B_ORDER);
}

TEST(KernelChecker, b_restore_fires_when_free_lists_differ_from_boot) {
  Machine m;
  BuddyAllocator& b = m.k.buddy_for_testing();
  const auto [pfn, order] = b.free_blocks().back();
  ASSERT_EQ(order, 10u);
  // Same pages, other shape: two order-9 halves (themselves a coalescing bug,
  // but restore compares shapes and must notice on its own).
  b.list_del_for_testing(pfn, 10);
  b.list_add_for_testing(pfn, 9);
  b.list_add_for_testing(pfn + 512, 9);
  expect_fires(m.chk.restored(), Inv::B_RESTORE);
}

TEST(KernelChecker, no_leak_fires_and_lists_what_is_still_held) {
  Machine m;
  const Pfn p = m.k.alloc_pages(GFP_KERNEL, 2);
  const Check c = m.chk.restored();
  expect_fires(c, Inv::NO_LEAK);
  EXPECT_NE(c->explanation.find("unreferenced object 0x"), std::string::npos) << c->explanation;
  EXPECT_NE(c->explanation.find("(size 16384)"), std::string::npos) << c->explanation;
  m.k.free_pages(p, 2);
  EXPECT_FALSE(m.chk.restored());
}

TEST(KernelChecker, phys_contig_and_layout_fire_for_bad_direct_map_entries) {
  Machine m;
  const VirtAddr a = m.k.get_free_pages(GFP_KERNEL, 1);
  m.ledger.resize(1);
  Entry& e = m.ledger[0];
  e.kind = EntryKind::free_pages;
  e.live = e.bound = true;
  e.pfn = m.k.virt_to_pfn(a);
  e.va = a;
  e.order = 1;
  e.gfp = GFP_KERNEL;
  e.span = 2 * PAGE_SIZE;
  EXPECT_FALSE(m.chk.entry(m.ledger, 0));
  e.va = VirtAddr{0x1000};
  expect_fires(m.chk.entry(m.ledger, 0), Inv::LAYOUT);
  e.va = VirtAddr{m.k.layout().high_memory - PAGE_SIZE};  // its second page runs off the direct map
  expect_fires(m.chk.entry(m.ledger, 0), Inv::PHYS_CONTIG);
  m.k.free_pages(a, 1);
}

TEST(KernelChecker, no_overlap_fires_when_two_live_entries_share_memory) {
  Machine m;
  const Pfn p = m.k.alloc_pages(GFP_KERNEL, 2);
  m.ledger.resize(2);
  for (int i = 0; i < 2; ++i) {
    Entry& e = m.ledger[static_cast<std::size_t>(i)];
    e.kind = EntryKind::pages;
    e.live = e.bound = true;
    e.pfn = Pfn{p.value + static_cast<std::uint64_t>(i)};  // the second starts inside the first
    e.order = 0;
    e.span = i == 0 ? 4 * PAGE_SIZE : PAGE_SIZE;
  }
  m.ledger.add_phys(p.value << PAGE_SHIFT, (p.value + 4) << PAGE_SHIFT, 0);
  expect_fires(m.chk.overlap(m.ledger, 1), Inv::NO_OVERLAP);
  m.ledger.add_phys((p.value + 1) << PAGE_SHIFT, (p.value + 2) << PAGE_SHIFT, 1);
  const Check c = m.chk.sweep(m.ledger);
  ASSERT_TRUE(c);
  m.k.free_pages(p, 2);
}

}  // namespace
}  // namespace kmf
