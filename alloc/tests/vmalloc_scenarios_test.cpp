// vmalloc_scenarios_test.cpp — workloads after Linux's lib/test_vmalloc.c,
// run on the vmalloc space (alloc/vmalloc.h): fixed-size loops, full fit,
// a long busy list, random sizes, aligned and guard-less areas. Each ends
// with a full teardown back to the boot free lists and an empty area.
#include <gtest/gtest.h>

#include <array>
#include <cstring>
#include <vector>

#include "alloc/kernel.h"
#include "alloc/tests/test_util.h"
#include "alloc/tests/vmalloc_test_util.h"
#include "alloc/vmalloc.h"

namespace kmf {
namespace {

using testing::expect_boot_state;
using testing::snapshot;

constexpr std::uint64_t P = PAGE_SIZE;

std::array<std::byte, 8> stamp(std::uint64_t v) {
  std::array<std::byte, 8> s;
  std::memcpy(s.data(), &v, sizeof v);
  return s;
}

TEST(VmallocScenario, fixed_size_alloc_free_loop_reuses_the_same_range) {
  Kernel k;
  const auto boot = snapshot(k);
  const VirtAddr first = k.vmalloc(3 * P);
  k.vfree(first);
  for (int i = 0; i < 1000; ++i) {
    const VirtAddr v = k.vmalloc(3 * P);
    ASSERT_EQ(v, first) << i;
    ASSERT_TRUE(k.write(v + (3 * P - 8), stamp(static_cast<std::uint64_t>(i))));
    k.vfree(v);
  }
  EXPECT_TRUE(k.reports().empty());
  expect_boot_state(k, boot);
}

TEST(VmallocScenario, full_fit_fills_every_hole_without_growing) {
  Kernel k;
  const auto boot = snapshot(k);
  constexpr int N = 500;
  // Pairs of 1-page areas, then the second of each pair freed: N holes of
  // exactly one page plus its guard.
  std::vector<VirtAddr> kept, junk;
  for (int i = 0; i < N; ++i) {
    kept.push_back(k.vmalloc(P));
    junk.push_back(k.vmalloc(P));
  }
  const VirtAddr top = junk.back() + 2 * P;
  for (VirtAddr j : junk) k.vfree(j);
  EXPECT_EQ(k.vmap().free_ranges().nr_free_ranges(), N);  // the last hole merged with the free tail
  // Each new 1-page area takes the lowest hole, exactly.
  std::vector<VirtAddr> fill;
  for (int i = 0; i < N; ++i) {
    fill.push_back(k.vmalloc(P));
    ASSERT_EQ(fill.back(), junk[static_cast<std::size_t>(i)]) << i;
  }
  EXPECT_EQ(k.vmap().free_ranges().nr_free_ranges(), 1u);
  EXPECT_EQ(k.vmap().area_containing(VirtAddr{top.value - 1})->start, junk.back());
  EXPECT_EQ(k.vmap().area_containing(top), nullptr);
  EXPECT_TRUE(k.vmap().free_ranges().validate());
  for (VirtAddr v : fill) k.vfree(v);
  for (VirtAddr v : kept) k.vfree(v);
  EXPECT_TRUE(k.reports().empty());
  expect_boot_state(k, boot);
}

TEST(VmallocScenario, long_busy_list_one_allocation_among_15000_live_areas_is_lowest_fit) {
  Kernel k(MachineConfig{.mem_bytes = 256 * MiB, .profile = Profile::x86_64});
  const auto boot = snapshot(k);
  constexpr std::uint64_t N = 15000;
  std::vector<VirtAddr> busy;
  busy.reserve(N);
  for (std::uint64_t i = 0; i < N; ++i) {
    busy.push_back(k.vmalloc(P));
    ASSERT_TRUE(busy.back()) << i;
  }
  EXPECT_EQ(k.vmap().nr_areas(), N);
  EXPECT_EQ(k.vmap().used_pages(), N);
  const VirtAddr tail{k.layout().vmalloc_start + N * 2 * P};
  for (int i = 0; i < 1000; ++i) {
    const VirtAddr v = k.vmalloc(P);
    ASSERT_EQ(v, tail) << i;
    k.vfree(v);
  }
  // A hole in the middle is found before the tail.
  k.vfree(busy[7777]);
  const VirtAddr hole = k.vmalloc(P);
  EXPECT_EQ(hole, busy[7777]);
  busy[7777] = hole;
  for (VirtAddr v : busy) k.vfree(v);
  EXPECT_TRUE(k.reports().empty());
  expect_boot_state(k, boot);
}

TEST(VmallocScenario, random_sizes_of_1_to_100_pages_keep_their_contents_and_guards) {
  const std::uint64_t seed = testing::test_seed(4);
  Rng rng(seed);
  Kernel k(MachineConfig{.mem_bytes = 256 * MiB, .seed = seed});
  const auto boot = snapshot(k);
  struct Live {
    VirtAddr v;
    std::uint64_t pages;
    std::uint64_t tag;
  };
  std::vector<Live> live;
  auto check = [&](const Live& l) {
    std::array<std::byte, 8> got{};
    for (std::uint64_t page = 0; page < l.pages; ++page) {
      ASSERT_TRUE(k.read(l.v + page * P + (l.tag % 4088), got));
      ASSERT_EQ(got, stamp(l.tag + page));
    }
    ASSERT_FALSE(k.translate(l.v + l.pages * P)) << "guard mapped";
  };
  for (std::uint64_t op = 0; op < 3000; ++op) {
    if (live.empty() || rng.below(100) < 55) {
      const std::uint64_t pages = 1 + rng.below(100);
      const VirtAddr v = rng.below(4) == 0 ? k.vzalloc(pages * P) : k.vmalloc(pages * P);
      ASSERT_TRUE(v) << op;
      const Live l{v, pages, op * 1000003};
      for (std::uint64_t page = 0; page < pages; ++page)
        ASSERT_TRUE(k.write(v + page * P + (l.tag % 4088), stamp(l.tag + page)));
      live.push_back(l);
    } else {
      const std::size_t i = rng.below(live.size());
      check(live[i]);
      k.vfree(live[i].v);
      live[i] = live.back();
      live.pop_back();
    }
    if (op % 250 == 0) {
      ASSERT_TRUE(k.vmap().free_ranges().validate());
    }
  }
  for (const Live& l : live) {
    check(l);
    k.vfree(l.v);
  }
  EXPECT_TRUE(k.reports().empty());
  expect_boot_state(k, boot);
}

TEST(VmallocScenario, aligned_allocations_start_on_every_power_of_two_up_to_4_mib) {
  Kernel k;
  const auto boot = snapshot(k);
  const VirtAddr odd = k.vmalloc(P);  // keeps the next free address unaligned
  std::vector<VirtAddr> got;
  for (unsigned shift = PAGE_SHIFT; shift <= 22; ++shift) {
    const std::uint64_t align = std::uint64_t{1} << shift;
    const VirtAddr v = k.vmalloc_node_range(P, align, GFP_KERNEL, VM_NONE);
    ASSERT_TRUE(v) << shift;
    EXPECT_EQ(v.value % align, 0u) << shift;
    got.push_back(v);
  }
  for (VirtAddr v : got) k.vfree(v);
  k.vfree(odd);
  EXPECT_TRUE(k.reports().empty());
  expect_boot_state(k, boot);
}

TEST(VmallocScenario, areas_without_a_guard_page_sit_back_to_back) {
  Kernel k;
  const auto boot = snapshot(k);
  const VirtAddr a = k.vmalloc_node_range(2 * P, P, GFP_KERNEL, VM_NO_GUARD);
  const VirtAddr b = k.vmalloc_node_range(P, P, GFP_KERNEL, VM_NO_GUARD);
  const VirtAddr c = k.vmalloc(P);
  EXPECT_EQ(b, a + 2 * P);
  EXPECT_EQ(c, b + P);
  EXPECT_EQ(k.vmap().find_area(a)->guard, 0u);
  EXPECT_EQ(k.vmap().find_area(a)->flags, VM_ALLOC | VM_NO_GUARD);
  // One write runs from a straight into b: nothing unmapped in between.
  std::vector<std::byte> bytes(3 * P, std::byte{0x11});
  EXPECT_TRUE(k.write(a, bytes));
  EXPECT_FALSE(k.write(c, bytes));  // c has its guard: the write faults there
  EXPECT_EQ(k.reports().size(), 1u);
  EXPECT_EQ(k.reports()[0].addr, (c + P).value);
  k.vfree(b);
  k.vfree(a);
  k.vfree(c);
  expect_boot_state(k, boot);
}

TEST(VmallocScenario, scullv_quanta_vmalloc_and_vfree_in_any_order) {
  // LDD3's scullv keeps each quantum as vmalloc(PAGE_SIZE << order).
  Kernel k(MachineConfig{.mem_bytes = 64 * MiB});
  const auto boot = snapshot(k);
  std::vector<VirtAddr> quanta;
  for (int i = 0; i < 64; ++i) quanta.push_back(k.vmalloc(P << (i % 5)));
  for (std::size_t i = 0; i < quanta.size(); i += 2) k.vfree(quanta[i]);
  for (std::size_t i = 1; i < quanta.size(); i += 2) k.vfree(quanta[i]);
  EXPECT_TRUE(k.reports().empty());
  expect_boot_state(k, boot);
}

}  // namespace
}  // namespace kmf
