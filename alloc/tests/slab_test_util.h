// slab_test_util.h — helpers for the slab tests: a snapshot of everything the
// slab layer holds (lists, free lists, live maps, the bytes of every slab)
// next to the buddy snapshot, and the "exactly one report, nothing changed"
// check every misuse test makes.
#pragma once

#include <gtest/gtest.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "alloc/kernel.h"
#include "alloc/slab.h"
#include "alloc/tests/test_util.h"

namespace kmf::testing {

struct SlabSnapshot {
  struct CacheState {
    std::string name;
    bool dead = false;
    std::uint64_t inuse = 0;
    std::array<std::vector<std::uint32_t>, NR_SLAB_LISTS> lists;
    friend bool operator==(const CacheState&, const CacheState&) = default;
  };
  struct SlabState {
    std::uint32_t cache = SLAB_NIL;
    std::uint64_t head_pfn = 0;
    std::uint32_t inuse = 0;
    std::vector<std::uint32_t> free_list;
    std::vector<std::uint8_t> live;
    std::vector<std::byte> bytes;  // the slab's frames, red zones and poison included
    friend bool operator==(const SlabState&, const SlabState&) = default;
  };
  std::vector<CacheState> caches;
  std::vector<SlabState> slabs;
  std::uint64_t slab_pages = 0;
  BuddySnapshot buddy;
  friend bool operator==(const SlabSnapshot&, const SlabSnapshot&) = default;
};

inline SlabSnapshot slab_snapshot(const Kernel& k) {
  const SlabAllocator& sa = k.slab();
  SlabSnapshot snap;
  for (std::uint32_t i = 0; i < sa.nr_caches(); ++i) {
    const KmemCache& c = sa.cache(i);
    // kmalloc caches come into being on first use; one without slabs is the
    // same as one made at boot (slabinfo lists them all either way).
    if (c.is_kmalloc() && c.nr_slabs() == 0) continue;
    SlabSnapshot::CacheState cs{std::string(c.name()), c.is_dead(), c.active_objs(), {}};
    for (std::size_t l = 0; l < NR_SLAB_LISTS; ++l) cs.lists[l] = sa.slabs_of(c, static_cast<SlabList>(l));
    snap.caches.push_back(std::move(cs));
  }
  for (std::uint32_t id = 0; id < sa.nr_slab_slots(); ++id) {
    const Slab& s = sa.slab(id);
    SlabSnapshot::SlabState ss;
    ss.cache = s.cache;
    if (s.in_use()) {
      ss.head_pfn = s.head_pfn;
      ss.inuse = s.inuse;
      ss.free_list = sa.free_list(id, s.objects + 1);
      ss.live = s.live;
      ss.bytes.resize(PAGE_SIZE << s.order);
      EXPECT_TRUE(k.read_phys(pfn_to_phys(Pfn{s.head_pfn}), ss.bytes));
    }
    snap.slabs.push_back(std::move(ss));
  }
  snap.slab_pages = sa.slab_pages();
  snap.buddy = snapshot(k);
  return snap;
}

/// Runs `misuse` and checks: exactly one new report of `kind`, and the slab
/// layer and the page allocator exactly as before. Returns the report text.
template <class Fn>
std::string expect_one_report_and_no_change(Kernel& k, ReportKind kind, Fn&& misuse) {
  const SlabSnapshot before = slab_snapshot(k);
  const std::size_t reports = k.reports().size();
  misuse();
  EXPECT_EQ(k.reports().size(), reports + 1);
  if (k.reports().size() != reports + 1) return {};
  EXPECT_EQ(report_kind_name(k.reports().back().kind), report_kind_name(kind)) << k.reports().back().message;
  EXPECT_TRUE(slab_snapshot(k) == before) << "state changed by: " << k.reports().back().message;
  return k.reports().back().message;
}

inline std::vector<std::byte> bytes_at(Kernel& k, VirtAddr va, std::size_t n) {
  std::vector<std::byte> out(n);
  EXPECT_TRUE(k.read(va, out));
  return out;
}

inline void fill(Kernel& k, VirtAddr va, std::size_t n, std::byte value) {
  std::vector<std::byte> buf(n, value);
  EXPECT_TRUE(k.write(va, buf));
}

inline std::string hex(std::uint64_t v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}

}  // namespace kmf::testing
