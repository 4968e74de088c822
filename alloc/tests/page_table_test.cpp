// page_table_test.cpp — the simulated MMU (alloc/page_table.h): entry
// format and placement per profile, table frames taken from and returned to
// the buddy allocator, undo on a missing table frame, walks.
#include "alloc/page_table.h"

#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "alloc/kernel.h"
#include "alloc/tests/test_util.h"

namespace kmf {
namespace {

using testing::snapshot;

/// Table frames straight from a machine's buddy allocator; can be told to
/// refuse after `budget` frames.
class BuddyFrames final : public PageTableFrames {
 public:
  explicit BuddyFrames(Kernel& k) : k_(k) {}
  Pfn alloc_table_frame() override {
    if (budget_ == 0) return Pfn::none();
    if (budget_ > 0) --budget_;
    const Pfn pfn = k_.buddy_for_testing().alloc(GFP_KERNEL, 0, PageOwner::pagetable);
    if (pfn) k_.mem_for_testing().zero(pfn_to_phys(pfn), PAGE_SIZE);
    return pfn;
  }
  void free_table_frame(Pfn pfn) override { k_.buddy_for_testing().free_block(pfn.value, 0); }
  long budget_ = -1;  ///< frames still allowed; -1: unlimited

 private:
  Kernel& k_;
};

std::uint64_t raw_entry(const Kernel& k, PhysAddr at, unsigned bytes) {
  std::uint64_t v = 0;
  std::memcpy(&v, k.mem().data(at), bytes);  // little endian, like x86
  return v;
}

TEST(PageTableI386, one_mapping_takes_a_page_directory_and_a_pte_table) {
  Kernel k;
  BuddyFrames frames(k);
  PageTable pt(Profile::i386, k.mem_for_testing(), frames);
  const auto boot = snapshot(k);
  EXPECT_EQ(pt.levels(), 2u);
  EXPECT_EQ(pt.entries_per_table(), 1024u);
  EXPECT_FALSE(pt.root());  // nothing is allocated before the first mapping

  const VirtAddr va{0xCA800000ULL + 5 * PAGE_SIZE};
  const Pfn data{0x1234};
  ASSERT_TRUE(pt.map(va, data, pt.kernel_prot()));
  EXPECT_EQ(pt.nr_tables(), 2u);
  EXPECT_EQ(k.nr_free_pages(), k.buddy().totalram_pages() - 2);

  // The PGD entry for va[31:22] = 0x32a points at the PTE table; the PTE for
  // va[21:12] = 5 holds the frame with P|RW|A|D|G.
  const Pfn pgd = pt.root();
  const std::uint64_t pde = raw_entry(k, pfn_to_phys(pgd) + 0x32a * 4, 4);
  EXPECT_EQ(pde & 0xfff, PTE_TABLE_BITS);
  const Pfn pte_table{pde >> PAGE_SHIFT};
  const auto pte = pt.lookup(va);
  ASSERT_TRUE(pte);
  EXPECT_EQ(pte->location, pfn_to_phys(pte_table) + 5 * 4);
  EXPECT_EQ(raw_entry(k, pte->location, 4), (0x1234ULL << PAGE_SHIFT) | 0x163);
  EXPECT_EQ(pte->pfn(), data);
  EXPECT_EQ(pt.translate(va + 0x123), PhysAddr{0x1234123});

  // struct page of each table: owner, height, count of present entries.
  EXPECT_EQ(k.mem().page(pgd.value).owner, PageOwner::pagetable);
  EXPECT_EQ(k.mem().page(pgd.value).flags & PT_HEIGHT_MASK, 2);
  EXPECT_EQ(k.mem().page(pgd.value).priv, 1u);
  EXPECT_EQ(k.mem().page(pte_table.value).flags & PT_HEIGHT_MASK, 1);
  EXPECT_EQ(k.mem().page(pte_table.value).priv, 1u);

  EXPECT_EQ(pt.unmap(va), (0x1234ULL << PAGE_SHIFT) | 0x163);
  EXPECT_FALSE(pt.lookup(va));
  EXPECT_FALSE(pt.root());
  EXPECT_EQ(pt.nr_tables(), 0u);
  EXPECT_EQ(snapshot(k), boot);
}

TEST(PageTableX86_64, one_mapping_takes_four_levels_of_64_bit_entries) {
  Kernel k(MachineConfig{.mem_bytes = 64 * MiB, .profile = Profile::x86_64});
  BuddyFrames frames(k);
  PageTable pt(Profile::x86_64, k.mem_for_testing(), frames);
  const auto boot = snapshot(k);
  EXPECT_EQ(pt.levels(), 4u);
  EXPECT_EQ(pt.entries_per_table(), 512u);
  const VirtAddr va{0xffffc90000000000ULL + 3 * PAGE_SIZE};
  ASSERT_TRUE(pt.map(va, Pfn{0x4321}, pt.kernel_prot()));
  EXPECT_EQ(pt.nr_tables(), 4u);
  // PGD index va[47:39] = 0x192; the other levels index 0 except the PTE (3).
  std::uint64_t e = raw_entry(k, pfn_to_phys(pt.root()) + 0x192 * 8, 8);
  for (unsigned height = 3; height >= 2; --height) {
    EXPECT_EQ(e & 0xfff, PTE_TABLE_BITS);
    EXPECT_EQ(k.mem().page(e >> PAGE_SHIFT).flags & PT_HEIGHT_MASK, height);
    e = raw_entry(k, PhysAddr{e & PAGE_MASK}, 8);
  }
  const auto pte = pt.lookup(va);
  ASSERT_TRUE(pte);
  EXPECT_EQ(pte->location, PhysAddr{(e & PAGE_MASK) + 3 * 8});
  EXPECT_EQ(pte->entry, (0x4321ULL << PAGE_SHIFT) | 0x163 | PTE_NX);
  EXPECT_EQ(pt.translate(va + 7), PhysAddr{0x4321007});
  // Non-canonical addresses translate to nothing.
  EXPECT_FALSE(pt.translate(VirtAddr{0x0000c90000003000ULL}));
  pt.unmap(va);
  EXPECT_EQ(pt.nr_tables(), 0u);
  EXPECT_EQ(snapshot(k), boot);
}

TEST(PageTableI386, a_table_is_freed_when_its_last_entry_goes) {
  Kernel k;
  BuddyFrames frames(k);
  PageTable pt(Profile::i386, k.mem_for_testing(), frames);
  const auto boot = snapshot(k);
  // Two pages on either side of a 4 MiB boundary: two PTE tables.
  const VirtAddr below{0xCAC00000ULL - PAGE_SIZE}, above{0xCAC00000ULL};
  ASSERT_TRUE(pt.map(below, Pfn{10}, pt.kernel_prot()));
  ASSERT_TRUE(pt.map(above, Pfn{11}, pt.kernel_prot()));
  ASSERT_TRUE(pt.map(above + PAGE_SIZE, Pfn{12}, pt.kernel_prot()));
  EXPECT_EQ(pt.nr_tables(), 3u);
  EXPECT_EQ(k.mem().page(pt.root().value).priv, 2u);
  pt.unmap(above);
  EXPECT_EQ(pt.nr_tables(), 3u);  // the upper table still maps above + 4 KiB
  pt.unmap(below);
  EXPECT_EQ(pt.nr_tables(), 2u);
  EXPECT_EQ(pt.unmap(below), 0u);  // nothing left there: a no-op
  pt.unmap(above + PAGE_SIZE);
  EXPECT_EQ(pt.nr_tables(), 0u);
  EXPECT_EQ(snapshot(k), boot);
}

TEST(PageTableI386, remapping_a_present_entry_replaces_it_without_a_new_table) {
  Kernel k;
  BuddyFrames frames(k);
  PageTable pt(Profile::i386, k.mem_for_testing(), frames);
  const VirtAddr va{0xD0000000ULL};
  ASSERT_TRUE(pt.map(va, Pfn{100}, pt.kernel_prot()));
  ASSERT_TRUE(pt.map(va, Pfn{200}, pt.io_prot()));
  EXPECT_EQ(pt.nr_tables(), 2u);
  EXPECT_EQ(pt.lookup(va)->entry, (200ULL << PAGE_SHIFT) | 0x173);
  const auto leaf_table = phys_to_pfn(pt.lookup(va)->location);
  EXPECT_EQ(k.mem().page(leaf_table.value).priv, 1u);
  pt.unmap(va);
  EXPECT_EQ(pt.nr_tables(), 0u);
}

TEST(PageTable, a_missing_table_frame_undoes_every_table_the_map_allocated) {
  for (Profile p : {Profile::i386, Profile::x86_64}) {
    Kernel k(MachineConfig{.mem_bytes = 64 * MiB, .profile = p});
    BuddyFrames frames(k);
    PageTable pt(p, k.mem_for_testing(), frames);
    const VirtAddr va{k.layout().vmalloc_start};
    const auto boot = snapshot(k);
    for (long budget = 0; budget < static_cast<long>(pt.levels()); ++budget) {
      frames.budget_ = budget;
      EXPECT_FALSE(pt.map(va, Pfn{77}, pt.kernel_prot())) << budget;
      EXPECT_EQ(pt.nr_tables(), 0u);
      EXPECT_FALSE(pt.root());
      EXPECT_EQ(snapshot(k), boot);
    }
    // With the upper levels in place, a map that needs only a new leaf table
    // keeps what was there before.
    frames.budget_ = -1;
    ASSERT_TRUE(pt.map(va, Pfn{77}, pt.kernel_prot()));
    const auto one = snapshot(k);
    frames.budget_ = 0;
    const VirtAddr far = va + (std::uint64_t{pt.entries_per_table()} << PAGE_SHIFT);  // the next leaf table
    EXPECT_FALSE(pt.map(far, Pfn{78}, pt.kernel_prot()));
    EXPECT_EQ(snapshot(k), one);
    EXPECT_EQ(pt.nr_tables(), pt.levels());
    frames.budget_ = -1;
    pt.unmap(va);
    EXPECT_EQ(snapshot(k), boot);
  }
}

TEST(PageTable, walks_visit_every_entry_in_address_order_and_parents_first) {
  Kernel k(MachineConfig{.mem_bytes = 64 * MiB, .profile = Profile::x86_64});
  BuddyFrames frames(k);
  PageTable pt(Profile::x86_64, k.mem_for_testing(), frames);
  const std::uint64_t base = k.layout().vmalloc_start;
  const std::vector<std::uint64_t> vas{base + (1ULL << 30) + 0x5000, base, base + 0x200000, base + 0x1000};
  for (std::size_t i = 0; i < vas.size(); ++i)
    ASSERT_TRUE(pt.map(VirtAddr{vas[i]}, Pfn{i + 1}, pt.kernel_prot()));
  std::vector<std::uint64_t> seen;
  pt.for_each_pte([&](VirtAddr va, const Pte& pte) {
    seen.push_back(va.value);
    EXPECT_EQ(pt.lookup(va), pte);
  });
  EXPECT_EQ(seen,
            (std::vector<std::uint64_t>{base, base + 0x1000, base + 0x200000, base + (1ULL << 30) + 0x5000}));
  std::vector<unsigned> heights;
  pt.for_each_table([&](Pfn t, unsigned h, VirtAddr) {
    heights.push_back(h);
    EXPECT_EQ(k.mem().page(t.value).flags & PT_HEIGHT_MASK, h);
  });
  // PGD, PUD, PMD for the first GiB with two PTE tables, PMD for the second GiB with one.
  EXPECT_EQ(heights, (std::vector<unsigned>{4, 3, 2, 1, 1, 2, 1}));
  EXPECT_EQ(pt.nr_tables(), heights.size());
  for (std::uint64_t va : vas) pt.unmap(VirtAddr{va});
  EXPECT_EQ(pt.nr_tables(), 0u);
}

TEST(PageTable, a_corrupted_upper_entry_pointing_outside_ram_reads_as_unmapped) {
  Kernel k;
  BuddyFrames frames(k);
  PageTable pt(Profile::i386, k.mem_for_testing(), frames);
  const VirtAddr va{0xD0000000ULL};
  ASSERT_TRUE(pt.map(va, Pfn{5}, pt.kernel_prot()));
  const PhysAddr pde = pfn_to_phys(pt.root()) + (va.value >> 22) * 4;
  const std::uint64_t good = raw_entry(k, pde, 4);
  const std::uint32_t bad = 0xfffff000u | PTE_TABLE_BITS;  // a frame far beyond 160 MiB
  std::memcpy(k.mem_for_testing().writable(pde, 4), &bad, 4);
  EXPECT_FALSE(pt.translate(va));
  EXPECT_EQ(pt.unmap(va), 0u);
  int n = 0;
  pt.for_each_pte([&](VirtAddr, const Pte&) { ++n; });
  EXPECT_EQ(n, 0);
  const auto fixed = static_cast<std::uint32_t>(good);
  std::memcpy(k.mem_for_testing().writable(pde, 4), &fixed, 4);
  EXPECT_EQ(pt.unmap(va), (5ULL << PAGE_SHIFT) | 0x163);
  EXPECT_EQ(pt.nr_tables(), 0u);
}

}  // namespace
}  // namespace kmf
