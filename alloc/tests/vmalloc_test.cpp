// vmalloc_test.cpp — the vmalloc space (alloc/vmalloc.h) through the Kernel:
// the documents' experiment, frames and page tables behind an area, guard
// pages, ioremap, /proc/vmallocinfo, failure undo, and every misuse.
#include "alloc/vmalloc.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <functional>
#include <limits>
#include <regex>
#include <set>
#include <sstream>
#include <vector>

#include "alloc/kernel.h"
#include "alloc/tests/test_util.h"
#include "alloc/tests/vmalloc_test_util.h"

namespace kmf {
namespace {

using testing::expect_boot_state;
using testing::expect_no_report_and_no_change;
using testing::expect_one_report_and_no_change;
using testing::snapshot;
using testing::vm_snapshot;

constexpr std::uint64_t P = PAGE_SIZE;

std::size_t ptes_in(const Kernel& k, VirtAddr start, VirtAddr end) {
  std::size_t n = 0;
  k.vmap().page_table().for_each_pte([&](VirtAddr va, const Pte&) { n += va >= start && va < end; });
  return n;
}

// ---- the documents' machine -----------------------------------------------------

TEST(Vmalloc, the_documents_experiment_maps_245_pages_above_high_memory_plus_8_mib) {
  Kernel k;  // 160 MiB i386
  const auto boot = snapshot(k);
  const VirtAddr page = k.get_free_page(GFP_KERNEL);
  const VirtAddr v = k.vmalloc(1000000);
  ASSERT_TRUE(v);
  EXPECT_TRUE(page_aligned(v.value));
  EXPECT_GE(v.value, 0xC0000000ULL + 160 * MiB + 8 * MiB);
  EXPECT_LT(v.value, k.layout().vmalloc_end);
  EXPECT_TRUE(k.is_vmalloc_addr(v));
  EXPECT_FALSE(k.is_vmalloc_addr(page));

  const VmArea* a = k.vmap().find_area(v);
  ASSERT_NE(a, nullptr);
  ASSERT_EQ(a->nr_pages(), 245u);  // ceil(1000000 / 4096)
  for (std::uint64_t i = 0; i < 245; ++i) {
    const auto pa = k.translate(v + i * P + 17);
    ASSERT_TRUE(pa) << i;
    EXPECT_EQ(*pa, pfn_to_phys(a->pages[i]) + 17);
  }
  // The page after the area is its guard: the next area starts one page
  // later, the guard stays unmapped, and touching it faults.
  const VirtAddr guard = v + 245 * P;
  const VirtAddr next = k.vmalloc(P);
  EXPECT_EQ(next, guard + P);
  EXPECT_FALSE(k.translate(guard));
  std::array<std::byte, 2> buf{};
  EXPECT_TRUE(k.read(VirtAddr{guard.value - 2}, buf));
  EXPECT_FALSE(k.read(VirtAddr{guard.value - 1}, buf));  // runs one byte into the guard
  ASSERT_EQ(k.reports().size(), 1u);
  EXPECT_EQ(k.reports()[0].kind, ReportKind::page_fault);
  EXPECT_EQ(k.reports()[0].addr, guard.value);

  k.vfree(next);
  k.vfree(v);
  EXPECT_FALSE(k.read(v, buf));  // use after vfree faults too
  EXPECT_EQ(k.reports().back().kind, ReportKind::page_fault);
  k.free_page(page);
  EXPECT_EQ(k.reports().size(), 2u);
  expect_boot_state(k, boot);
}

TEST(Vmalloc, succeeds_where_a_physically_contiguous_order_8_allocation_fails) {
  Kernel k;
  const auto boot = snapshot(k);
  // Take every frame as order 0 (GFP_ATOMIC reaches deepest into the
  // reserves), then give back the even ones: no two free frames are buddies.
  std::vector<Pfn> all;
  for (Pfn p; (p = k.alloc_pages(GFP_ATOMIC, 0));) all.push_back(p);
  std::vector<Pfn> kept;
  for (Pfn p : all) {
    if (p.value % 2 == 0)
      k.free_pages(p, 0);
    else
      kept.push_back(p);
  }
  for (const auto& [pfn, order] : k.buddy().free_blocks()) ASSERT_LT(order, 8u) << pfn;
  EXPECT_FALSE(k.get_free_pages(GFP_KERNEL, 8));

  const VirtAddr v = k.vmalloc(256 * P);
  ASSERT_TRUE(v);
  const VmArea* a = k.vmap().find_area(v);
  ASSERT_NE(a, nullptr);
  ASSERT_EQ(a->pages.size(), 256u);
  std::size_t adjacent = 0;
  for (std::size_t i = 1; i < a->pages.size(); ++i)
    adjacent += a->pages[i].value == a->pages[i - 1].value + 1;
  EXPECT_EQ(adjacent, 0u);  // virtually contiguous, physically scattered
  EXPECT_TRUE(k.reports().empty());

  k.vfree(v);
  for (Pfn p : kept) k.free_pages(p, 0);
  expect_boot_state(k, boot);
}

TEST(Vmalloc, frames_are_distinct_owned_by_their_area_and_highmem_first) {
  Kernel k(MachineConfig{.mem_bytes = 1 * GiB});
  const auto boot = snapshot(k);
  const VirtAddr v = k.vmalloc(300 * P);
  const VmArea* a = k.vmap().find_area(v);
  ASSERT_NE(a, nullptr);
  ASSERT_EQ(a->pages.size(), 300u);
  std::set<std::uint64_t> distinct;
  for (std::uint64_t i = 0; i < 300; ++i) {
    const Pfn pfn = a->pages[i];
    distinct.insert(pfn.value);
    const Page& pg = k.mem().page(pfn.value);
    EXPECT_EQ(pg.state, PageState::allocated);
    EXPECT_EQ(pg.owner, PageOwner::vmalloc);
    EXPECT_EQ(pg.priv, a->id);
    EXPECT_EQ(k.buddy().free_block_containing(pfn.value), PFN_NIL);
    EXPECT_GE(pfn_to_phys(pfn).value, 896 * MiB);  // GFP_HIGHMEM: highmem is welcome
    EXPECT_EQ(k.vmalloc_to_pfn(v + i * P), pfn);
    EXPECT_EQ(k.vmalloc_to_page(v + i * P + 4095), pfn);
  }
  EXPECT_EQ(distinct.size(), 300u);
  EXPECT_EQ(k.vmap().area_by_id(a->id), a);
  EXPECT_EQ(k.vmap().used_pages(), 300u);
  EXPECT_NE(k.proc_meminfo().find("VmallocUsed:        1200 kB\n"), std::string::npos) << k.proc_meminfo();

  const std::vector<Pfn> frames = a->pages;
  const VirtAddr end = a->reserved_end();
  k.vfree(v);
  for (Pfn pfn : frames) EXPECT_NE(k.buddy().free_block_containing(pfn.value), PFN_NIL);
  EXPECT_EQ(ptes_in(k, v, end), 0u);
  EXPECT_EQ(k.vmap().area_by_id(1), nullptr);
  expect_boot_state(k, boot);
}

TEST(Vmalloc, bytes_written_through_the_area_land_in_its_frames) {
  Kernel k(MachineConfig{.mem_bytes = 1 * GiB});
  const std::size_t len = 5 * P + 100;
  const VirtAddr v = k.vmalloc(len);
  ASSERT_TRUE(v);
  std::vector<std::byte> data(len), back(len);
  for (std::size_t i = 0; i < len; ++i) data[i] = static_cast<std::byte>(i * 7 + 3);
  ASSERT_TRUE(k.write(v, data));
  ASSERT_TRUE(k.read(v, back));
  EXPECT_EQ(back, data);
  const VmArea* a = k.vmap().find_area(v);
  for (std::size_t i = 0; i < a->pages.size(); ++i) {
    const std::size_t n = std::min<std::size_t>(P, len - i * P);
    std::vector<std::byte> frame(n);
    ASSERT_TRUE(k.read_phys(pfn_to_phys(a->pages[i]), frame));
    EXPECT_TRUE(std::equal(frame.begin(), frame.end(), data.begin() + static_cast<std::ptrdiff_t>(i * P)))
        << i;
  }
  k.vfree(v);
  EXPECT_TRUE(k.reports().empty());
}

TEST(Vzalloc, memory_reads_zero_even_on_frames_just_dirtied) {
  Kernel k;
  const auto boot = snapshot(k);
  const VirtAddr v = k.vmalloc(8 * P);
  std::vector<std::byte> junk(8 * P, std::byte{0x5a});
  ASSERT_TRUE(k.write(v, junk));
  const std::vector<Pfn> dirty = k.vmap().find_area(v)->pages;
  k.vfree(v);
  const VirtAddr z = k.vzalloc(8 * P);
  ASSERT_EQ(z, v);
  EXPECT_EQ(k.vmap().find_area(z)->pages, dirty);  // the same frames come back, last freed first
  std::vector<std::byte> back(8 * P, std::byte{1});
  ASSERT_TRUE(k.read(z, back));
  EXPECT_EQ(std::count(back.begin(), back.end(), std::byte{0}), static_cast<std::ptrdiff_t>(8 * P));
  k.vfree(z);
  expect_boot_state(k, boot);
}

// ---- page tables ------------------------------------------------------------------

TEST(Vmalloc, page_tables_are_taken_at_first_use_and_all_given_back) {
  for (Profile p : {Profile::i386, Profile::x86_64}) {
    Kernel k(MachineConfig{.mem_bytes = 256 * MiB, .profile = p});
    const auto boot = snapshot(k);
    EXPECT_EQ(k.nr_free_pages(), k.buddy().totalram_pages());  // boot takes no frame
    const VirtAddr v = k.vmalloc(P);
    const std::uint64_t tables = p == Profile::i386 ? 2 : 4;
    EXPECT_EQ(k.vmap().pagetable_pages(), tables);
    EXPECT_EQ(k.nr_free_pages(), k.buddy().totalram_pages() - 1 - tables);
    k.vmap().page_table().for_each_table([&](Pfn t, unsigned, VirtAddr) {
      EXPECT_EQ(k.mem().page(t.value).owner, PageOwner::pagetable);
      EXPECT_LT(pfn_to_phys(t).value, k.layout().lowmem_bytes);  // kernel page tables live in lowmem
    });
    const std::string meminfo = k.proc_meminfo();
    char line[64];
    std::snprintf(line, sizeof line, "PageTables:     %8llu kB\n",
                  static_cast<unsigned long long>(tables * 4));
    EXPECT_NE(meminfo.find(line), std::string::npos) << meminfo;
    k.vfree(v);
    expect_boot_state(k, boot);
  }
}

TEST(Vmalloc, an_area_across_a_4_mib_boundary_needs_a_second_pte_table_on_i386) {
  Kernel k;
  const auto boot = snapshot(k);
  const VirtAddr a = k.vmalloc(1023 * P);  // with its guard: exactly the 4 MiB one PTE table maps
  ASSERT_EQ(a.value, 0xCA800000ULL);
  EXPECT_EQ(k.vmap().pagetable_pages(), 2u);
  const VirtAddr b = k.vmalloc(P);
  ASSERT_EQ(b.value, 0xCAC00000ULL);
  EXPECT_EQ(k.vmap().pagetable_pages(), 3u);
  k.vfree(a);  // its PTE table empties and goes
  EXPECT_EQ(k.vmap().pagetable_pages(), 2u);
  k.vfree(b);
  expect_boot_state(k, boot);
}

// ---- failures: NULL, nothing changed ------------------------------------------------

TEST(Vmalloc, sizes_that_cannot_be_served_return_null_and_change_nothing) {
  Kernel k;
  const std::size_t max = std::numeric_limits<std::size_t>::max();
  for (std::size_t size : {std::size_t{0}, max, max - P + 2, (k.buddy().totalram_pages() + 1) * P}) {
    expect_no_report_and_no_change(k, [&] { EXPECT_FALSE(k.vmalloc(size)) << size; });
    expect_no_report_and_no_change(k, [&] { EXPECT_FALSE(k.vzalloc(size)) << size; });
  }
  for (std::size_t align : {std::size_t{0}, 3 * P, P + 1, std::size_t{1} << 63})
    expect_no_report_and_no_change(
        k, [&] { EXPECT_FALSE(k.vmalloc_node_range(P, align, GFP_KERNEL, VM_NONE)); });
}

TEST(Vmalloc, the_small_i386_vmalloc_area_runs_out_before_a_1_gib_machines_ram) {
  Kernel k(MachineConfig{.mem_bytes = 1 * GiB});
  // high_memory = 3G + 896M, so vmalloc has [0xF8800000, 0xFF7FE000): ~112 MiB.
  EXPECT_LT(k.layout().vmalloc_end - k.layout().vmalloc_start, 112 * MiB);
  expect_no_report_and_no_change(k, [&] { EXPECT_FALSE(k.vmalloc(120 * MiB)); });
  const VirtAddr v = k.vmalloc(100 * MiB);
  EXPECT_TRUE(v);
  k.vfree(v);
}

TEST(Vmalloc, running_out_of_frames_part_way_undoes_everything) {
  Kernel k(MachineConfig{.mem_bytes = 16 * MiB});
  const auto boot = snapshot(k);
  expect_no_report_and_no_change(k, [&] { EXPECT_FALSE(k.vmalloc(k.buddy().totalram_pages() * P)); });
  // Also with page tables already in place.
  const VirtAddr v = k.vmalloc(P);
  expect_no_report_and_no_change(k, [&] { EXPECT_FALSE(k.vmalloc(k.buddy().totalram_pages() * P)); });
  k.vfree(v);
  expect_boot_state(k, boot);
}

FaultAttr& fail_every_page_after(Kernel& k, std::uint64_t passing) {
  FaultAttr& f = k.fail_page_alloc();
  f.probability = 100;
  f.times = 1;
  f.min_order = 0;
  f.ignore_gfp_wait = false;
  f.ignore_gfp_highmem = false;
  f.space = passing * P + 1;  // `passing` order-0 requests pass, the next fails
  return f;
}

TEST(Vmalloc, an_injected_fault_at_any_frame_or_table_undoes_everything) {
  for (Profile p : {Profile::i386, Profile::x86_64}) {
    Kernel k(MachineConfig{.mem_bytes = 16 * MiB, .profile = p});
    const auto boot = snapshot(k);
    const std::uint64_t pages = 5, tables = k.layout().pt_levels;
    // Frames are taken first, then the tables as the mapping needs them.
    for (std::uint64_t passing = 0; passing < pages + tables; ++passing) {
      fail_every_page_after(k, passing);
      expect_no_report_and_no_change(k, [&] { EXPECT_FALSE(k.vmalloc(pages * P)) << passing; });
      EXPECT_EQ(k.fail_page_alloc().failures, 1u);
      k.fail_page_alloc().disable();
    }
    fail_every_page_after(k, pages + tables);
    const VirtAddr v = k.vmalloc(pages * P);
    EXPECT_TRUE(v);
    EXPECT_EQ(k.fail_page_alloc().failures, 0u);
    k.fail_page_alloc().disable();
    // An ioremap that cannot get its leaf table fails whole too.
    const VirtAddr far_phys_ok = k.ioremap(PhysAddr{0xfe000000}, P);  // shares v's tables
    EXPECT_TRUE(far_phys_ok);
    fail_every_page_after(k, 0);
    expect_no_report_and_no_change(k, [&] { EXPECT_FALSE(k.ioremap(PhysAddr{0xfe000000}, 8 * MiB)); });
    k.fail_page_alloc().disable();
    k.iounmap(far_phys_ok);
    k.vfree(v);
    expect_boot_state(k, boot);
  }
}

// ---- misuse: one report, nothing changed ---------------------------------------------

TEST(Vmalloc, sleeping_calls_in_atomic_context_are_reported_and_change_nothing) {
  Kernel k;
  const auto boot = snapshot(k);
  k.set_atomic(true);
  expect_one_report_and_no_change(k, ReportKind::sleep_in_atomic, [&] { EXPECT_FALSE(k.vmalloc(P)); });
  EXPECT_NE(k.reports().back().message.find("sleeping function called from invalid context: vmalloc"),
            std::string::npos);
  expect_one_report_and_no_change(k, ReportKind::sleep_in_atomic, [&] { EXPECT_FALSE(k.vzalloc(P)); });
  expect_one_report_and_no_change(k, ReportKind::sleep_in_atomic,
                                  [&] { EXPECT_FALSE(k.ioremap(PhysAddr{0xfebf0000}, P)); });
  expect_one_report_and_no_change(k, ReportKind::sleep_in_atomic,
                                  [&] { EXPECT_FALSE(k.vmalloc_node_range(P, P, GFP_KERNEL, VM_NONE)); });
  // A request that does not sleep is legal there, and so is vfree.
  const VirtAddr v = k.vmalloc_node_range(P, P, GFP_ATOMIC, VM_NONE);
  EXPECT_TRUE(v);
  k.vfree(v);
  EXPECT_EQ(k.reports().size(), 4u);
  k.set_atomic(false);
  expect_boot_state(k, boot);
}

TEST(Vfree, anything_but_the_start_of_a_live_vmalloc_area_is_reported_and_changes_nothing) {
  Kernel k;
  const auto boot = snapshot(k);
  const VirtAddr v = k.vmalloc(3 * P);
  const VirtAddr r = k.ioremap(PhysAddr{0xfebf0000}, P);
  const VirtAddr page = k.get_free_page(GFP_KERNEL);
  ASSERT_TRUE(v && r && page);
  for (VirtAddr bad : {v + P, v + 3 * P, VirtAddr{k.layout().vmalloc_start + 100 * P}, page, VirtAddr{0x1000},
                       VirtAddr{~std::uint64_t{0} & PAGE_MASK}, r})
    expect_one_report_and_no_change(k, ReportKind::invalid_free, [&] { k.vfree(bad); });
  expect_one_report_and_no_change(k, ReportKind::invalid_free, [&] { k.vfree(v + 8); });
  EXPECT_EQ(
      k.reports().back().message, "WARNING: Trying to vfree() bad address (0x" + [&] {
        std::ostringstream s;
        s << std::hex << (v + 8).value;
        return s.str();
      }() + ")");
  expect_no_report_and_no_change(k, [&] { k.vfree(VirtAddr{0}); });  // vfree(NULL) is a no-op

  k.vfree(v);
  expect_one_report_and_no_change(k, ReportKind::double_free, [&] { k.vfree(v); });
  EXPECT_NE(k.reports().back().message.find("double free"), std::string::npos);
  // Once a new area covers the freed start, vfree names what is there now.
  const VirtAddr w = k.vmalloc(P);
  ASSERT_EQ(w, v);
  k.vfree(w);  // a legitimate free of the new area
  expect_one_report_and_no_change(k, ReportKind::double_free, [&] { k.vfree(w); });
  const VirtAddr big = k.vmalloc(2 * P);  // starts at v again
  ASSERT_EQ(big, v);
  expect_one_report_and_no_change(k, ReportKind::invalid_free, [&] { k.vfree(big + P); });
  k.vfree(big);
  k.iounmap(r);
  k.free_page(page);
  EXPECT_EQ(k.reports().size(), 11u);
  expect_boot_state(k, boot);
}

TEST(Iounmap, anything_but_a_live_ioremap_area_is_reported_and_changes_nothing) {
  Kernel k;
  const auto boot = snapshot(k);
  const VirtAddr v = k.vmalloc(P);
  const VirtAddr r =
      k.ioremap(PhysAddr{0xfebf0010}, 2 * P);  // three pages: the range straddles two boundaries
  ASSERT_EQ(r.value & (P - 1), 0x10u);
  for (VirtAddr bad : {v, r + P, r + 3 * P, VirtAddr{0x1000}, VirtAddr{k.layout().vmalloc_end - P}})
    expect_one_report_and_no_change(k, ReportKind::invalid_free, [&] { k.iounmap(bad); });
  expect_no_report_and_no_change(k, [&] { k.iounmap(VirtAddr{0}); });
  k.iounmap(r + 0x100);  // any address in the first page names the area, as in Linux
  EXPECT_EQ(k.vmap().nr_areas(), 1u);
  expect_one_report_and_no_change(k, ReportKind::double_free, [&] { k.iounmap(r); });
  k.vfree(v);
  EXPECT_EQ(k.reports().size(), 6u);
  expect_boot_state(k, boot);
}

TEST(Ioremap, normal_ram_and_unencodable_addresses_are_reported_and_change_nothing) {
  Kernel k;  // 160 MiB of RAM, i386 without PAE: physical addresses end at 4 GiB
  const auto boot = snapshot(k);
  expect_one_report_and_no_change(k, ReportKind::bad_address,
                                  [&] { EXPECT_FALSE(k.ioremap(PhysAddr{0x100000}, P)); });
  EXPECT_NE(k.reports().back().message.find("ioremap on RAM"), std::string::npos);
  expect_one_report_and_no_change(k, ReportKind::bad_address,
                                  [&] { EXPECT_FALSE(k.ioremap(PhysAddr{160 * MiB - P}, 2 * P)); });
  expect_one_report_and_no_change(k, ReportKind::bad_address,
                                  [&] { EXPECT_FALSE(k.ioremap(PhysAddr{0x100000000ULL}, P)); });
  expect_one_report_and_no_change(k, ReportKind::bad_address,
                                  [&] { EXPECT_FALSE(k.ioremap(PhysAddr{0xfffff000ULL}, 2 * P)); });
  // Linux returns NULL quietly for an empty or wrapping range.
  expect_no_report_and_no_change(k, [&] { EXPECT_FALSE(k.ioremap(PhysAddr{0xfebf0000}, 0)); });
  expect_no_report_and_no_change(k, [&] { EXPECT_FALSE(k.ioremap(PhysAddr{~std::uint64_t{0}}, 2)); });
  // The reserved first frame (the BIOS page) may be remapped: it is not the page allocator's.
  const VirtAddr bios = k.ioremap(PhysAddr{0xa0}, 0x10);
  ASSERT_TRUE(bios);
  EXPECT_EQ(k.translate(bios), PhysAddr{0xa0});
  k.iounmap(bios);
  EXPECT_EQ(k.reports().size(), 4u);
  expect_boot_state(k, boot);
}

TEST(VmallocToPfn, answers_none_for_unmapped_vmalloc_addresses_and_reports_other_addresses) {
  Kernel k;
  const VirtAddr v = k.vmalloc(P);
  expect_no_report_and_no_change(k, [&] { EXPECT_EQ(k.vmalloc_to_pfn(v + P), Pfn::none()); });  // the guard
  expect_no_report_and_no_change(k, [&] { EXPECT_EQ(k.vmalloc_to_pfn(v + 64 * P), Pfn::none()); });
  const VirtAddr page = k.get_free_page(GFP_KERNEL);
  expect_one_report_and_no_change(k, ReportKind::bad_address,
                                  [&] { EXPECT_EQ(k.vmalloc_to_pfn(page), Pfn::none()); });
  expect_one_report_and_no_change(k, ReportKind::bad_address,
                                  [&] { EXPECT_EQ(k.vmalloc_to_pfn(VirtAddr{0}), Pfn::none()); });
  k.free_page(page);
  k.vfree(v);
}

// ---- ioremap -------------------------------------------------------------------------

TEST(Ioremap, maps_exactly_the_range_keeps_the_page_offset_and_allocates_no_frame) {
  for (Profile p : {Profile::i386, Profile::x86_64}) {
    Kernel k(MachineConfig{.mem_bytes = 256 * MiB, .profile = p});
    const auto boot = snapshot(k);
    const PhysAddr phys{0xfebf0123};  // device memory above RAM
    const std::size_t size = 0x2f00;  // ends at 0xfebf3022: four pages
    const VirtAddr r = k.ioremap(phys, size);
    ASSERT_TRUE(r);
    EXPECT_EQ(r.value & (P - 1), 0x123u);
    for (std::size_t i = 0; i < size; ++i) ASSERT_EQ(k.translate(r + i), phys + i) << i;
    const VirtAddr start{r.value & PAGE_MASK};
    EXPECT_FALSE(k.translate(start + 4 * P));  // its guard page
    // Only page tables were taken; no frame backs the area.
    EXPECT_EQ(k.buddy().totalram_pages() - k.nr_free_pages(), k.vmap().pagetable_pages());
    EXPECT_EQ(k.vmap().used_pages(), 0u);
    const VmArea* a = k.vmap().find_area(start);
    ASSERT_NE(a, nullptr);
    EXPECT_EQ(a->kind, VmAreaKind::ioremap);
    EXPECT_EQ(a->phys, PhysAddr{0xfebf0000});
    EXPECT_EQ(a->nr_pages(), 4u);
    EXPECT_TRUE(a->pages.empty());
    EXPECT_TRUE(k.vmap().page_table().lookup(r)->entry & PTE_PCD);  // uncached
    // No RAM answers there: reads see all ones, writes go nowhere.
    std::array<std::byte, 4> buf{};
    EXPECT_TRUE(k.read(r, buf));
    EXPECT_EQ(buf[0], std::byte{0xff});
    EXPECT_TRUE(k.write(r, buf));
    k.iounmap(r);
    EXPECT_EQ(ptes_in(k, start, start + 5 * P), 0u);
    EXPECT_TRUE(k.reports().empty());
    expect_boot_state(k, boot);
  }
}

TEST(Ioremap, areas_are_aligned_to_their_size_up_to_512_kib) {
  Kernel k;
  const VirtAddr v = k.vmalloc(P);  // [start, start + 2 pages)
  const VirtAddr r = k.ioremap(PhysAddr{0xfe000000}, 64 * KiB);
  EXPECT_EQ(r.value % (64 * KiB), 0u);
  EXPECT_EQ(r.value, k.layout().vmalloc_start + 64 * KiB);
  const VirtAddr big = k.ioremap(PhysAddr{0xfe100000}, 2 * MiB);
  EXPECT_EQ(big.value % (512 * KiB), 0u);
  k.iounmap(big);
  k.iounmap(r);
  k.vfree(v);
  EXPECT_TRUE(k.reports().empty());
}

// ---- /proc/vmallocinfo -------------------------------------------------------------

TEST(ProcVmallocinfo, matches_linux_format_with_8_hex_digits_on_i386) {
  Kernel k;
  EXPECT_EQ(k.proc_vmallocinfo(), "");
  const VirtAddr v = k.vmalloc(1000000);                        // 245 pages + guard at VMALLOC_START
  const VirtAddr r = k.ioremap(PhysAddr{0xfebf0000}, 8 * KiB);  // 8 KiB aligned: right after
  const VirtAddr z = k.vzalloc(1);
  EXPECT_EQ(k.proc_vmallocinfo(),
            "0xca800000-0xca8f6000 1007616 vmalloc+0x0/0x0 pages=245 vmalloc\n"
            "0xca8f6000-0xca8f9000   12288 ioremap+0x0/0x0 phys=0xfebf0000 ioremap\n"
            "0xca8f9000-0xca8fb000    8192 vzalloc+0x0/0x0 pages=1 vmalloc\n");
  k.vfree(v);
  const VirtAddr w = k.vmalloc(P);  // the lowest hole again
  EXPECT_EQ(k.proc_vmallocinfo(),
            "0xca800000-0xca802000    8192 vmalloc+0x0/0x0 pages=1 vmalloc\n"
            "0xca8f6000-0xca8f9000   12288 ioremap+0x0/0x0 phys=0xfebf0000 ioremap\n"
            "0xca8f9000-0xca8fb000    8192 vzalloc+0x0/0x0 pages=1 vmalloc\n");
  k.vfree(w);
  k.vfree(z);
  k.iounmap(r);
  EXPECT_EQ(k.proc_vmallocinfo(), "");
}

TEST(ProcVmallocinfo, matches_linux_format_with_16_hex_digits_on_x86_64) {
  Kernel k(MachineConfig{.mem_bytes = 256 * MiB, .profile = Profile::x86_64});
  const VirtAddr v = k.vmalloc(3 * P + 1);                                 // 4 pages
  const VirtAddr r = k.ioremap(PhysAddr{0x40000000}, P);                   // 1 GiB, above RAM
  const VirtAddr n = k.vmalloc_node_range(P, P, GFP_KERNEL, VM_NO_GUARD);  // no guard page
  const std::string info = k.proc_vmallocinfo();
  EXPECT_EQ(info,
            "0xffffc90000000000-0xffffc90000005000   20480 vmalloc+0x0/0x0 pages=4 vmalloc\n"
            "0xffffc90000005000-0xffffc90000007000    8192 ioremap+0x0/0x0 phys=0x0000000040000000 ioremap\n"
            "0xffffc90000007000-0xffffc90000008000    4096 vmalloc_node_range+0x0/0x0 pages=1 vmalloc\n");
  // The shape of the kernel's own lines (s_show in mm/vmalloc.c), which the
  // sample in the docs follows too.
  const std::regex line(R"(0x[0-9a-f]{16}-0x[0-9a-f]{16} [ 0-9]{6}[0-9]+ \S+\+0x[0-9a-f]+/0x[0-9a-f]+)"
                        R"(( pages=[0-9]+)?( phys=0x[0-9a-f]{16})? (vmalloc|ioremap))");
  std::istringstream in(info);
  for (std::string l; std::getline(in, l);) EXPECT_TRUE(std::regex_match(l, line)) << l;
  EXPECT_TRUE(
      std::regex_match("0x000000005cf8088e-0x000000007de6182e    8192 acpi_os_map_iomem+0x1bc/0x1e0 "
                       "phys=0x00000000000a0000 ioremap",
                       line));
  k.vfree(n);
  k.iounmap(r);
  k.vfree(v);
}

// ---- introspection and test hooks ------------------------------------------------------

TEST(VmapSpace, introspection_finds_areas_by_start_address_and_id) {
  Kernel k;
  const VirtAddr a = k.vmalloc(2 * P), b = k.vmalloc(P);
  const VmArea* aa = k.vmap().find_area(a);
  ASSERT_NE(aa, nullptr);
  EXPECT_EQ(aa->start, a);
  EXPECT_EQ(aa->size, 2 * P);
  EXPECT_EQ(aa->guard, P);
  EXPECT_EQ(aa->flags, VM_ALLOC);
  EXPECT_EQ(k.vmap().area_containing(a + P + 5), aa);
  EXPECT_EQ(k.vmap().area_containing(a + 2 * P), aa);  // its guard page belongs to its reservation
  EXPECT_EQ(k.vmap().area_containing(b)->start, b);
  EXPECT_EQ(k.vmap().area_containing(b + 2 * P), nullptr);
  EXPECT_EQ(k.vmap().area_containing(VirtAddr{0x1000}), nullptr);
  EXPECT_EQ(k.vmap().find_area(a + P), nullptr);
  std::vector<std::uint64_t> starts;
  k.vmap().for_each_area([&](const VmArea& x) { starts.push_back(x.start.value); });
  EXPECT_EQ(starts, (std::vector<std::uint64_t>{a.value, b.value}));
  EXPECT_EQ(k.vmap().area_by_id(k.mem().page(k.vmalloc_to_pfn(b).value).priv)->start, b);
  EXPECT_EQ(k.vmap().area_by_id(0), nullptr);
  EXPECT_EQ(k.vmap().area_by_id(99), nullptr);
  k.vfree(a);
  k.vfree(b);
}

TEST(VmapSpace, testing_hooks_corrupt_exactly_what_they_name) {
  Kernel k;
  const auto boot = snapshot(k);
  const VirtAddr v = k.vmalloc(2 * P);
  const VmArea* a = k.vmap().find_area(v);
  VmapSpace& vm = k.vmap_for_testing();
  // A hole inside the area.
  EXPECT_TRUE(vm.clear_pte_for_testing(v + P));
  EXPECT_FALSE(k.translate(v + P));
  EXPECT_FALSE(vm.clear_pte_for_testing(v + P));
  // The guard page mapped.
  EXPECT_TRUE(vm.map_pte_for_testing(v + 2 * P, a->pages[0]));
  EXPECT_EQ(k.translate(v + 2 * P), pfn_to_phys(a->pages[0]));
  // A PTE pointing at a frame on a buddy free list.
  const std::uint64_t free_pfn = k.buddy().free_blocks().front().first;
  EXPECT_TRUE(vm.map_pte_for_testing(v, Pfn{free_pfn}));
  EXPECT_EQ(k.vmalloc_to_pfn(v), Pfn{free_pfn});
  // A raw entry, flags and all.
  EXPECT_TRUE(vm.set_pte_raw_for_testing(v, (std::uint64_t{free_pfn} << PAGE_SHIFT) | PTE_PRESENT));
  EXPECT_FALSE(vm.set_pte_raw_for_testing(VirtAddr{0xF0000000ULL}, 0));  // no table there
  // vfree still gives back everything the area owns; the guard's PTE stays
  // behind: what the checker's V-UNMAP must catch.
  k.vfree(v);
  EXPECT_TRUE(k.reports().empty());
  std::vector<std::uint64_t> left;
  k.vmap().page_table().for_each_pte([&](VirtAddr va, const Pte&) { left.push_back(va.value); });
  EXPECT_EQ(left, (std::vector<std::uint64_t>{(v + 2 * P).value}));
  EXPECT_TRUE(vm.clear_pte_for_testing(v + 2 * P));
  expect_boot_state(k, boot);
}

TEST(Vmalloc, an_i386_machine_beyond_4_gib_keeps_vmalloc_frames_where_a_32_bit_pte_reaches) {
  Kernel k(MachineConfig{.mem_bytes = 8 * GiB});
  const VirtAddr v = k.vmalloc(64 * P);
  ASSERT_TRUE(v);
  for (Pfn pfn : k.vmap().find_area(v)->pages) EXPECT_LT(pfn.value, std::uint64_t{1} << 20);
  k.vfree(v);
  EXPECT_TRUE(k.reports().empty());
}

/// The vmalloc side agrees with itself: free ranges and reservations tile
/// the whole area, every mapped page belongs to an area, counters add up.
void expect_consistent(const Kernel& k) {
  const VmapSpace& vm = k.vmap();
  ASSERT_TRUE(vm.free_ranges().validate());
  std::uint64_t reserved = 0, pages = 0, mapped = 0;
  vm.for_each_area([&](const VmArea& a) {
    reserved += a.size + a.guard;
    if (a.kind == VmAreaKind::vmalloc) {
      pages += a.nr_pages();
      ASSERT_EQ(a.pages.size(), a.nr_pages());
    }
    ASSERT_TRUE(vm.free_ranges().is_allocated(a.start.value, a.size + a.guard));
  });
  vm.page_table().for_each_pte([&](VirtAddr va, const Pte&) {
    const VmArea* a = vm.area_containing(va);
    ASSERT_NE(a, nullptr) << std::hex << va.value;
    ASSERT_LT(va, a->end()) << "a guard page is mapped";
    ++mapped;
  });
  EXPECT_EQ(reserved + vm.free_ranges().free_bytes(), k.layout().vmalloc_end - k.layout().vmalloc_start);
  EXPECT_EQ(pages, vm.used_pages());
  EXPECT_EQ(mapped * P, [&] {
    std::uint64_t bytes = 0;
    vm.for_each_area([&](const VmArea& a) { bytes += a.size; });
    return bytes;
  }());
}

TEST(VmapSpace, arbitrary_arguments_never_crash_and_keep_the_space_consistent) {
  const std::uint64_t seed = testing::test_seed(77);
  for (Profile p : {Profile::i386, Profile::x86_64}) {
    Rng rng(seed);
    Kernel k(MachineConfig{.mem_bytes = 16 * MiB, .profile = p, .seed = seed});
    const auto boot = snapshot(k);
    std::vector<VirtAddr> live;  // addresses handed out (vmalloc and ioremap alike)
    auto keep = [&](VirtAddr v) {
      if (v) live.push_back(v);
    };
    auto any_value = [&]() -> std::uint64_t {
      const std::uint64_t edges[] = {0,
                                     1,
                                     P - 1,
                                     P,
                                     P + 1,
                                     3 * P,
                                     64 * KiB,
                                     16 * MiB,
                                     0xffffffffULL,
                                     0x100000000ULL,
                                     std::uint64_t{1} << 52,
                                     std::uint64_t{1} << 63,
                                     ~std::uint64_t{0},
                                     ~std::uint64_t{0} - P + 2,
                                     k.layout().vmalloc_start,
                                     k.layout().vmalloc_end - P,
                                     k.layout().vmalloc_end,
                                     k.layout().page_offset};
      switch (rng.below(5)) {
        case 0: return edges[rng.below(std::size(edges))];
        case 1: return rng.next();
        case 2:
        case 3: {  // mostly exactly what was handed out: frees, double frees, wrong-API frees
          const std::uint64_t v = live.empty() ? 0 : live[rng.below(live.size())].value;
          return rng.below(4) ? v : v + rng.below(3) * P - rng.below(2);
        }
        default: return rng.below(40 * P);
      }
    };
    for (int op = 0; op < 3000; ++op) {
      const std::uint64_t a = any_value(), b = any_value();
      switch (rng.below(8)) {
        case 0: keep(k.vmalloc(b)); break;
        case 1: keep(k.vzalloc(b % (64 * P))); break;
        case 2: keep(k.vmalloc_node_range(b % (32 * P), a, GFP_KERNEL, VmFlags(a))); break;
        case 3: keep(k.ioremap(PhysAddr{rng.below(2) ? a : 16 * MiB + a % (64 * MiB)}, b % (64 * P))); break;
        case 4: k.vfree(VirtAddr{a}); break;
        case 5: k.iounmap(VirtAddr{a}); break;
        case 6: k.vmalloc_to_pfn(VirtAddr{a}); break;
        default: {
          std::array<std::byte, 16> buf{};
          if (rng.below(2))
            k.read(VirtAddr{a}, buf);
          else
            k.write(VirtAddr{a}, buf);
        }
      }
      if (op % 50 == 0) expect_consistent(k);
      if (::testing::Test::HasFatalFailure()) return;
    }
    expect_consistent(k);
    std::vector<VirtAddr> starts;
    k.vmap().for_each_area([&](const VmArea& x) { starts.push_back(x.start); });
    for (VirtAddr s : starts) {
      if (k.vmap().find_area(s)->kind == VmAreaKind::vmalloc)
        k.vfree(s);
      else
        k.iounmap(s);
    }
    expect_boot_state(k, boot);
  }
}

TEST(Vmalloc, the_same_calls_give_the_same_addresses_and_frames) {
  auto run = [] {
    Kernel k(MachineConfig{.mem_bytes = 64 * MiB, .seed = 3});
    std::vector<std::uint64_t> out;
    std::vector<VirtAddr> live;
    Rng rng(11);
    for (int i = 0; i < 300; ++i) {
      if (live.empty() || rng.below(3) != 0) {
        const VirtAddr v = k.vmalloc((1 + rng.below(20)) * P);
        out.push_back(v.value);
        out.push_back(k.vmalloc_to_pfn(v).value);
        live.push_back(v);
      } else {
        const std::size_t j = rng.below(live.size());
        k.vfree(live[j]);
        live.erase(live.begin() + static_cast<std::ptrdiff_t>(j));
      }
    }
    out.push_back(std::hash<std::string>{}(k.proc_vmallocinfo()));
    return out;
  };
  EXPECT_EQ(run(), run());
}

}  // namespace
}  // namespace kmf
