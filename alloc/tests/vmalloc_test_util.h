// vmalloc_test_util.h — helpers shared by the vmalloc tests: a snapshot of
// everything observable about the vmalloc side, and the checks every test
// ends with.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "alloc/kernel.h"
#include "alloc/tests/test_util.h"
#include "alloc/vmalloc.h"

namespace kmf::testing {

using RangeList = std::vector<std::pair<std::uint64_t, std::uint64_t>>;

/// The buddy free lists plus the whole vmalloc side: areas, free ranges,
/// every present PTE, and the counters.
struct VmSnapshot {
  BuddySnapshot buddy;
  std::string vmallocinfo;
  RangeList free_ranges;
  RangeList ptes;  ///< (virtual address, raw entry)
  std::uint64_t used_pages = 0;
  std::uint64_t pagetable_pages = 0;
  friend bool operator==(const VmSnapshot&, const VmSnapshot&) = default;
};

inline VmSnapshot vm_snapshot(const Kernel& k) {
  VmSnapshot s;
  s.buddy = snapshot(k);
  s.vmallocinfo = k.proc_vmallocinfo();
  k.vmap().free_ranges().for_each_free(
      [&](std::uint64_t a, std::uint64_t b) { s.free_ranges.emplace_back(a, b); });
  k.vmap().page_table().for_each_pte(
      [&](VirtAddr va, const Pte& pte) { s.ptes.emplace_back(va.value, pte.entry); });
  s.used_pages = k.vmap().used_pages();
  s.pagetable_pages = k.vmap().pagetable_pages();
  return s;
}

/// The state a machine boots in: `boot` free lists, no area, one free range
/// covering the whole vmalloc area, no page table.
inline void expect_boot_state(const Kernel& k, const BuddySnapshot& boot) {
  EXPECT_EQ(snapshot(k), boot);
  EXPECT_EQ(k.proc_vmallocinfo(), "");
  EXPECT_EQ(k.vmap().nr_areas(), 0u);
  RangeList free;
  k.vmap().free_ranges().for_each_free([&](std::uint64_t a, std::uint64_t b) { free.emplace_back(a, b); });
  EXPECT_EQ(free, (RangeList{{k.layout().vmalloc_start, k.layout().vmalloc_end}}));
  EXPECT_TRUE(k.vmap().free_ranges().validate());
  EXPECT_FALSE(k.vmap().page_table().root());
  EXPECT_EQ(k.vmap().pagetable_pages(), 0u);
  EXPECT_EQ(k.vmap().used_pages(), 0u);
}

/// Runs `misuse` and checks: exactly one new report of `kind`, and nothing
/// else changed.
template <class Fn>
void expect_one_report_and_no_change(Kernel& k, ReportKind kind, Fn&& misuse) {
  const VmSnapshot before = vm_snapshot(k);
  const std::size_t reports = k.reports().size();
  misuse();
  ASSERT_EQ(k.reports().size(), reports + 1);
  EXPECT_EQ(report_kind_name(k.reports().back().kind), report_kind_name(kind)) << k.reports().back().message;
  EXPECT_TRUE(vm_snapshot(k) == before) << k.reports().back().message;
}

/// Runs `call` and checks: no report and nothing changed.
template <class Fn>
void expect_no_report_and_no_change(Kernel& k, Fn&& call) {
  const VmSnapshot before = vm_snapshot(k);
  const std::size_t reports = k.reports().size();
  call();
  EXPECT_EQ(k.reports().size(), reports);
  EXPECT_TRUE(vm_snapshot(k) == before);
}

}  // namespace kmf::testing
