// kernel_test.cpp — the Kernel facade (alloc/kernel.h): misuse of the page
// API is reported once and changes nothing; atomic context; translation and
// memory access.
#include "alloc/kernel.h"

#include <gtest/gtest.h>

#include <array>
#include <cstring>
#include <stdexcept>

#include "alloc/tests/test_util.h"

namespace kmf {
namespace {

using testing::snapshot;

/// Runs `misuse` and checks: exactly one new report of `kind`, a message in
/// the kernel's words, and the page allocator exactly as before.
template <class Fn>
void expect_reported_and_unchanged(Kernel& k, ReportKind kind, Fn&& misuse) {
  const auto before = snapshot(k);
  const std::size_t reports = k.reports().size();
  misuse();
  ASSERT_EQ(k.reports().size(), reports + 1);
  EXPECT_EQ(report_kind_name(k.reports().back().kind), report_kind_name(kind)) << k.reports().back().message;
  EXPECT_EQ(k.reports().back().message.rfind("BUG: ", 0), 0u) << k.reports().back().message;
  EXPECT_EQ(snapshot(k), before);
}

TEST(KernelPages, double_free_is_reported_and_changes_nothing) {
  Kernel k;
  const Pfn keep = k.alloc_pages(GFP_KERNEL, 0);  // keeps the buddy busy
  const Pfn pfn = k.alloc_pages(GFP_KERNEL, 2);
  k.free_pages(pfn, 2);
  expect_reported_and_unchanged(k, ReportKind::double_free, [&] { k.free_pages(pfn, 2); });
  // The upper half of an order-0 block that merged on free is also caught.
  const Pfn a = k.alloc_pages(GFP_KERNEL, 0);
  const Pfn b = k.alloc_pages(GFP_KERNEL, 0);
  k.free_pages(a, 0);
  k.free_pages(b, 0);
  expect_reported_and_unchanged(k, ReportKind::double_free, [&] { k.free_pages(b, 0); });
  k.free_pages(keep, 0);  // now a and b lie inside one large free block
  ASSERT_EQ(k.buddy().free_block_containing(a.value), keep.value);
  expect_reported_and_unchanged(k, ReportKind::double_free, [&] { k.free_pages(b, 0); });
  expect_reported_and_unchanged(k, ReportKind::double_free, [&] { k.free_pages(a, 0); });
}

TEST(KernelPages, free_with_the_wrong_order_is_reported_and_changes_nothing) {
  Kernel k;
  const Pfn pfn = k.alloc_pages(GFP_KERNEL, 3);
  expect_reported_and_unchanged(k, ReportKind::bad_order, [&] { k.free_pages(pfn, 2); });
  expect_reported_and_unchanged(k, ReportKind::bad_order, [&] { k.free_pages(pfn, 4); });
  expect_reported_and_unchanged(k, ReportKind::bad_order, [&] { k.free_pages(pfn, 11); });
  k.free_pages(pfn, 3);
  EXPECT_EQ(k.reports().size(), 3u);
}

TEST(KernelPages, freeing_a_block_never_handed_out_is_reported) {
  Kernel k;
  // Inside a free block on a fresh machine.
  expect_reported_and_unchanged(k, ReportKind::invalid_free, [&] { k.free_pages(Pfn{5000}, 0); });
  // The tail of an allocated block.
  const Pfn pfn = k.alloc_pages(GFP_KERNEL, 3);
  expect_reported_and_unchanged(k, ReportKind::invalid_free, [&] { k.free_pages(Pfn{pfn.value + 1}, 0); });
  // Beyond the end of memory, and no page at all.
  expect_reported_and_unchanged(k, ReportKind::invalid_free, [&] { k.free_pages(Pfn{1u << 30}, 0); });
  expect_reported_and_unchanged(k, ReportKind::invalid_free, [&] { k.free_pages(Pfn::none(), 0); });
  // The reserved first page.
  expect_reported_and_unchanged(k, ReportKind::bad_page, [&] { k.free_pages(Pfn{0}, 0); });
  k.free_pages(pfn, 3);
}

TEST(KernelPages, bad_virtual_addresses_are_reported) {
  MachineConfig cfg;
  cfg.mem_bytes = 1 * GiB;
  Kernel k(cfg);
  const VirtAddr page = k.get_free_page(GFP_KERNEL);
  ASSERT_TRUE(page);
  // Unaligned.
  expect_reported_and_unchanged(k, ReportKind::invalid_free, [&] { k.free_pages(page + 8, 0); });
  // Outside the direct map: user space, and where a highmem page would be
  // if it had a linear address (it has none).
  expect_reported_and_unchanged(k, ReportKind::invalid_free, [&] { k.free_page(VirtAddr{0x08048000}); });
  const Pfn high = k.alloc_pages(GFP_HIGHUSER, 0);
  ASSERT_GE(pfn_to_phys(high).value, 896 * MiB);
  const VirtAddr fake{0xC0000000ULL + pfn_to_phys(high).value};
  expect_reported_and_unchanged(k, ReportKind::invalid_free, [&] { k.free_page(fake); });
  // free_pages(0) is a no-op, as in Linux.
  const auto before = snapshot(k);
  k.free_page(VirtAddr{0});
  EXPECT_EQ(snapshot(k), before);
  EXPECT_EQ(k.reports().size(), 3u);
  k.free_page(page);
  k.free_pages(high, 0);
  EXPECT_EQ(k.reports().size(), 3u);
}

TEST(KernelPages, get_free_pages_never_returns_highmem) {
  MachineConfig cfg;
  cfg.mem_bytes = 1 * GiB;
  Kernel k(cfg);
  const VirtAddr a = k.get_free_pages(GFP_HIGHUSER, 0);
  ASSERT_TRUE(a);
  EXPECT_TRUE(k.layout().in_direct_map(a));
  k.free_page(a);
}

TEST(KernelPages, sleeping_allocation_in_atomic_context_is_reported) {
  Kernel k;
  k.set_atomic(true);
  const auto before = snapshot(k);
  EXPECT_FALSE(k.alloc_pages(GFP_KERNEL, 0));
  ASSERT_EQ(k.reports().size(), 1u);
  EXPECT_EQ(k.reports()[0].kind, ReportKind::sleep_in_atomic);
  EXPECT_NE(k.reports()[0].message.find("sleeping function called from invalid context"), std::string::npos);
  EXPECT_EQ(snapshot(k), before);
  const Pfn atomic = k.alloc_pages(GFP_ATOMIC, 0);  // legal in atomic context
  EXPECT_TRUE(atomic);
  EXPECT_EQ(k.reports().size(), 1u);
  k.set_atomic(false);
  k.free_pages(atomic, 0);
}

TEST(KernelPages, gfp_zero_memory_reads_zero_after_reuse) {
  Kernel k;
  const VirtAddr a = k.get_free_page(GFP_KERNEL);
  std::array<std::byte, 64> junk;
  junk.fill(std::byte{0x5a});
  ASSERT_TRUE(k.write(a + 100, junk));
  k.free_page(a);
  const VirtAddr b = k.get_zeroed_page(GFP_KERNEL);
  ASSERT_EQ(b, a);  // LIFO: the same frame comes back
  std::array<std::byte, PAGE_SIZE> page{};
  page.fill(std::byte{1});
  ASSERT_TRUE(k.read(b, page));
  for (std::byte c : page) ASSERT_EQ(c, std::byte{0});
  k.free_page(b);
}

TEST(KernelMemory, access_to_unmapped_addresses_is_a_page_fault_report) {
  Kernel k;
  std::array<std::byte, 16> buf{};
  EXPECT_FALSE(k.read(VirtAddr{0x1000}, buf));                       // user space: nothing mapped
  EXPECT_FALSE(k.write(VirtAddr{k.layout().high_memory - 8}, buf));  // runs off the direct map
  ASSERT_EQ(k.reports().size(), 2u);
  EXPECT_EQ(k.reports()[0].kind, ReportKind::page_fault);
  EXPECT_EQ(k.reports()[1].kind, ReportKind::page_fault);
  EXPECT_EQ(k.reports()[1].addr, k.layout().high_memory);
  EXPECT_TRUE(k.read(VirtAddr{k.layout().high_memory - 16}, buf));
}

TEST(KernelMemory, direct_map_translation_round_trips) {
  for (Profile p : {Profile::i386, Profile::x86_64}) {
    MachineConfig cfg;
    cfg.profile = p;
    Kernel k(cfg);
    const VirtAddr a = k.get_free_pages(GFP_KERNEL, 4);
    for (std::uint64_t off = 0; off < 16 * PAGE_SIZE; off += 777) {
      const auto pa = k.translate(a + off);
      ASSERT_TRUE(pa);
      EXPECT_EQ(pa->value, k.virt_to_phys(a).value + off);
    }
    EXPECT_EQ(k.pfn_to_virt(k.virt_to_pfn(a)), a);
    k.free_pages(a, 4);
  }
}

TEST(KernelMachine, layouts_follow_the_profiles) {
  Kernel small(MachineConfig{.mem_bytes = 1 * MiB});
  EXPECT_EQ(small.buddy().zones().size(), 1u);  // DMA only
  EXPECT_EQ(small.buddy().totalram_pages(), 255u);
  EXPECT_TRUE(small.get_free_page(GFP_KERNEL));  // falls back to DMA

  Kernel i386(MachineConfig{});
  EXPECT_EQ(i386.layout().high_memory, 0xC0000000ULL + 160 * MiB);
  EXPECT_EQ(i386.layout().vmalloc_start, 0xC0000000ULL + 168 * MiB);
  EXPECT_LT(i386.layout().vmalloc_end, 0x100000000ULL);
  EXPECT_EQ(i386.layout().pt_levels, 2u);

  Kernel big(MachineConfig{.mem_bytes = 2 * GiB});
  EXPECT_EQ(big.layout().high_memory, 0xC0000000ULL + 896 * MiB);
  EXPECT_EQ(big.buddy().zones().size(), 3u);

  Kernel x64(MachineConfig{.mem_bytes = 8 * GiB, .profile = Profile::x86_64});
  EXPECT_EQ(x64.layout().page_offset, 0xffff888000000000ULL);
  EXPECT_EQ(x64.layout().vmalloc_start, 0xffffc90000000000ULL);
  EXPECT_EQ(x64.layout().vmalloc_end - x64.layout().vmalloc_start, 32ULL << 40);
  EXPECT_EQ(x64.buddy().zones()[1].type, ZoneType::DMA32);
  EXPECT_EQ(x64.buddy().zones()[2].start_pfn, 4 * GiB / PAGE_SIZE);
  EXPECT_EQ(x64.layout().pt_levels, 4u);

  EXPECT_THROW(Kernel(MachineConfig{.mem_bytes = 512 * KiB}), std::invalid_argument);
  EXPECT_THROW(Kernel(MachineConfig{.mem_bytes = 65 * GiB}), std::invalid_argument);
}

TEST(KernelMachine, the_same_calls_give_the_same_addresses) {
  auto run = [] {
    Kernel k(MachineConfig{.mem_bytes = 32 * MiB, .seed = 7});
    std::vector<std::uint64_t> out;
    Rng rng(9);
    std::vector<std::pair<Pfn, unsigned>> live;
    for (int i = 0; i < 500; ++i) {
      const auto order = static_cast<unsigned>(rng.below(6));
      const Pfn p = k.alloc_pages(GFP_KERNEL, order);
      out.push_back(p.value);
      if (p) live.emplace_back(p, order);
      if (rng.below(2) && !live.empty()) {
        k.free_pages(live.back().first, live.back().second);
        live.pop_back();
      }
    }
    return out;
  };
  EXPECT_EQ(run(), run());
}

/// True when every byte of RAM and every frame's metadata of `k` is zero.
bool machine_is_zeroed(const Kernel& k) {
  const PhysMem& m = k.mem();
  for (std::uint64_t pfn = 0; pfn < m.nr_frames(); ++pfn) {
    const Page& pg = m.page(pfn);
    if (pg.next || pg.prev || pg.priv || pg.state != PageState::none || pg.order ||
        pg.owner != PageOwner::none || pg.flags)
      return false;
  }
  const std::byte* ram = m.data(PhysAddr{0});
  for (std::uint64_t i = 0; i < m.bytes(); ++i)
    if (ram[i] != std::byte{0}) return false;
  return true;
}

/// Dirties RAM and metadata every way the allocators do: pages, kmalloc
/// objects with slab debug poison, vmalloc page tables, raw writes.
void scribble_all_over(Kernel& k) {
  const std::array<std::byte, 64> junk = [] {
    std::array<std::byte, 64> a{};
    a.fill(std::byte{0xa5});
    return a;
  }();
  for (unsigned order = 0; order < 4; ++order) {
    const VirtAddr a = k.get_free_pages(GFP_KERNEL, order);
    ASSERT_TRUE(a);
    ASSERT_TRUE(k.write(a, junk));
  }
  for (std::size_t size : {8u, 100u, 3000u}) {
    const VirtAddr o = k.kmalloc(size, GFP_KERNEL);
    ASSERT_TRUE(o);
    ASSERT_TRUE(k.write(o, std::span(junk).first(std::min<std::size_t>(size, junk.size()))));
    k.kfree(o);  // poisons under slab debug
  }
  const VirtAddr v = k.vmalloc(5 * PAGE_SIZE);
  ASSERT_TRUE(v);
  ASSERT_TRUE(k.write(v + 3 * PAGE_SIZE, junk));
  ASSERT_TRUE(k.write_phys(PhysAddr{k.mem().bytes() - junk.size()}, junk));
}

TEST(PhysMemPool, a_small_machine_reuses_host_memory_and_starts_zeroed) {
  PhysMem::drain_pool();
  const MachineConfig cfg{.mem_bytes = 24 * MiB, .slab_debug = true};
  {
    Kernel k(cfg);
    EXPECT_TRUE(k.mem().pooled());
    scribble_all_over(k);
    EXPECT_FALSE(machine_is_zeroed(k));
  }
  ASSERT_EQ(PhysMem::pooled_mappings_for_testing(), 1u);
  EXPECT_TRUE(PhysMem::pool_is_clean_for_testing());
  {
    Kernel a(MachineConfig{.mem_bytes = 8 * MiB});  // a smaller machine on the same mapping
    EXPECT_EQ(PhysMem::pooled_mappings_for_testing(), 0u);
    Kernel b(cfg);  // and a second one alive beside it maps its own
    scribble_all_over(a);
    scribble_all_over(b);
  }
  EXPECT_EQ(PhysMem::pooled_mappings_for_testing(), 2u);
  EXPECT_TRUE(PhysMem::pool_is_clean_for_testing());
  // A large machine does not use the pool.
  Kernel big(MachineConfig{.mem_bytes = PhysMem::POOLED_BYTES + 4 * MiB});
  EXPECT_FALSE(big.mem().pooled());
  EXPECT_EQ(PhysMem::pooled_mappings_for_testing(), 2u);
}

TEST(PhysMemPool, the_same_calls_give_the_same_contents_after_a_dirty_predecessor) {
  const MachineConfig cfg{.mem_bytes = 16 * MiB, .slab_debug = true, .seed = 3};
  auto contents = [&] {
    Kernel k(cfg);
    // Memory handed out without zeroing shows whatever the frames held.
    EXPECT_TRUE(k.kmalloc(3000, GFP_KERNEL));
    EXPECT_TRUE(k.get_free_pages(GFP_KERNEL, 2));
    EXPECT_TRUE(k.vmalloc(3 * PAGE_SIZE));
    std::vector<std::byte> out(k.mem().bytes());
    EXPECT_TRUE(k.read_phys(PhysAddr{0}, out));
    return out;
  };
  PhysMem::drain_pool();
  const auto fresh = contents();  // a new host mapping
  {
    Kernel k(cfg);
    scribble_all_over(k);
  }
  EXPECT_EQ(contents(), fresh);  // a reused one
}

TEST(PhysMemPool, zero_clears_the_dirty_frames_of_a_range_and_leaves_the_rest_alone) {
  PhysMem::drain_pool();
  PhysMem m(4 * MiB);
  ASSERT_TRUE(m.pooled());
  // Frames 1 and 3 written, 2 and 4 clean; zero [1.5, 4.5) pages.
  for (std::uint64_t f : {1, 3}) std::memset(m.writable(PhysAddr{f * PAGE_SIZE}, PAGE_SIZE), 0xab, PAGE_SIZE);
  m.zero(PhysAddr{PAGE_SIZE + PAGE_SIZE / 2}, 3 * PAGE_SIZE);
  auto at = [&](std::uint64_t off) { return std::to_integer<int>(*m.data(PhysAddr{off})); };
  EXPECT_EQ(at(PAGE_SIZE), 0xab);                      // before the range: kept
  EXPECT_EQ(at(PAGE_SIZE + PAGE_SIZE / 2 - 1), 0xab);  // the last byte before it
  for (std::uint64_t off = PAGE_SIZE + PAGE_SIZE / 2; off < 5 * PAGE_SIZE; ++off)
    ASSERT_EQ(at(off), 0) << off;
}

TEST(PhysMemPool, a_write_dirties_only_the_64_byte_granules_it_touches) {
  PhysMem::drain_pool();
  {
    PhysMem m(4 * MiB);
    ASSERT_TRUE(m.pooled());
    std::memset(m.writable(PhysAddr{2 * PAGE_SIZE + 100}, 8), 0xab, 8);  // granule 1 of frame 2
    EXPECT_EQ(m.dirty_granules(2), std::uint64_t{1} << 1);
    // 200 bytes across the boundary of frames 3 and 4: granules 62, 63 and 0, 1.
    std::memset(m.writable(PhysAddr{4 * PAGE_SIZE - 100}, 200), 0xcd, 200);
    EXPECT_EQ(m.dirty_granules(3), std::uint64_t{3} << 62);
    EXPECT_EQ(m.dirty_granules(4), std::uint64_t{3});
    EXPECT_EQ(m.dirty_granules(5), 0u);
    // A frame written whole has every granule dirty.
    std::memset(m.writable(PhysAddr{6 * PAGE_SIZE}, PAGE_SIZE), 0xef, PAGE_SIZE);
    EXPECT_EQ(m.dirty_granules(6), ~std::uint64_t{0});
  }
  // The teardown zeroed exactly those granules: the whole mapping reads zero.
  EXPECT_TRUE(PhysMem::pool_is_clean_for_testing());
}

TEST(PhysMemPool, zero_clears_the_granules_it_covers_and_keeps_the_rest_dirty) {
  PhysMem::drain_pool();
  PhysMem m(4 * MiB);
  const PhysAddr f1{PAGE_SIZE};
  std::memset(m.writable(f1, 128), 0xab, 128);  // granules 0 and 1
  m.zero(f1 + 32, 64);                          // half of each: both stay dirty
  auto at = [&](std::uint64_t off) { return std::to_integer<int>(*m.data(f1 + off)); };
  EXPECT_EQ(at(31), 0xab);
  EXPECT_EQ(at(32), 0);
  EXPECT_EQ(at(95), 0);
  EXPECT_EQ(at(96), 0xab);
  EXPECT_EQ(m.dirty_granules(1), 3u);
  m.zero(f1, 64);  // granule 0 whole: clean again
  EXPECT_EQ(m.dirty_granules(1), 2u);
  EXPECT_EQ(at(0), 0);
  EXPECT_EQ(at(127), 0xab);
  m.zero(f1, PAGE_SIZE);
  EXPECT_EQ(m.dirty_granules(1), 0u);
  EXPECT_EQ(at(127), 0);
}

TEST(PhysMemPool, a_write_that_bypasses_writable_is_caught_by_the_pool_check) {
  PhysMem::drain_pool();
  {
    Kernel k(MachineConfig{.mem_bytes = 4 * MiB});
    // What a careless new write path would do: write without marking dirty.
    const_cast<std::byte*>(k.mem().data(PhysAddr{5 * PAGE_SIZE + 17}))[0] = std::byte{1};
  }
  EXPECT_FALSE(PhysMem::pool_is_clean_for_testing());
  PhysMem::drain_pool();  // leave no dirty mapping to the tests that follow
  EXPECT_TRUE(PhysMem::pool_is_clean_for_testing());
}

TEST(Gfp, names_print_and_parse) {
  EXPECT_EQ(gfp_to_string(GFP_KERNEL), "GFP_KERNEL");
  EXPECT_EQ(gfp_to_string(GFP_DMA | GFP_ZERO | GFP_KERNEL), "GFP_KERNEL|GFP_DMA|GFP_ZERO");
  EXPECT_EQ(gfp_to_string(GFP_HIGHUSER), "GFP_HIGHUSER");
  EXPECT_EQ(gfp_to_string(GFP_ATOMIC), "GFP_ATOMIC");
  EXPECT_EQ(gfp_from_string("GFP_KERNEL|__GFP_ZERO"), GFP_KERNEL | GFP_ZERO);
  EXPECT_EQ(gfp_from_string("GFP_DMA|GFP_ZERO"), GFP_DMA | GFP_ZERO);
  EXPECT_EQ(gfp_from_string("0"), 0u);
  EXPECT_FALSE(gfp_from_string("GFP_BOGUS"));
  EXPECT_FALSE(gfp_from_string("GFP_KERNEL|"));
  EXPECT_FALSE(gfp_from_string("0x100000"));
  for (gfp_t g : {GFP_KERNEL, GFP_ATOMIC, GFP_NOWAIT, GFP_USER, GFP_HIGHUSER, GFP_DMA | GFP_ATOMIC,
                  GFP_KERNEL | GFP_NOWARN | GFP_NOFAIL | GFP_HIGH, gfp_t{0}})
    EXPECT_EQ(gfp_from_string(gfp_to_string(g)), g) << gfp_to_string(g);
}

}  // namespace
}  // namespace kmf
