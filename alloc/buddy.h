// buddy.h — the buddy page allocator: per-zone free lists of orders 0..10.
//
//   zone.free_area[k]: doubly linked list (through Page::next/prev) of the
//   head frames of free blocks of 2^k frames.
//
//   order 3 block at pfn 8:  [8 9 10 11 12 13 14 15]   buddy at 8 ^ 8 = 0
//   alloc order 1 from it:   [8 9] taken, [10 11] → list 1, [12..15] → list 2
//
// Keeps (catalog ids): B-ALIGN (a block of order k starts at a multiple of
// 2^k), B-FREELIST (free heads are on exactly the list of their order, inside
// their zone), B-COALESCE (a freed block merges with its free buddy, order by
// order), B-ACCOUNT (free + allocated + reserved = present per zone), B-ORDER,
// B-ZONE, B-WMARK (2.6-style watermark check with the GFP_HIGH / atomic
// reserves).
//
// This class knows nothing of callers' misuse: the Kernel validates a free
// before calling free_block(). Internal impossibilities are asserts.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "alloc/gfp.h"
#include "alloc/machine.h"
#include "alloc/phys_mem.h"

namespace kmf {

struct FreeArea {
  std::uint32_t head = PFN_NIL;
  std::uint64_t nr_free = 0;  ///< blocks on this list
};

struct Zone {
  ZoneType type;
  std::uint64_t start_pfn;  ///< inclusive
  std::uint64_t end_pfn;    ///< exclusive
  std::uint64_t present_pages = 0;
  std::uint64_t reserved_pages = 0;
  std::uint64_t managed_pages = 0;  ///< present - reserved
  std::uint64_t free_pages = 0;
  std::uint64_t wmark_min = 0, wmark_low = 0, wmark_high = 0;
  std::array<FreeArea, NR_PAGE_ORDERS> free_area{};

  bool contains(std::uint64_t pfn) const { return pfn >= start_pfn && pfn < end_pfn; }
};

/// Allocation policy bits derived from the gfp mask (Linux's ALLOC_*).
enum AllocFlags : unsigned {
  ALLOC_WMARK_MIN = 0x0,
  ALLOC_WMARK_LOW = 0x1,
  ALLOC_HIGH = 0x2,    ///< GFP_HIGH: min watermark halved
  ALLOC_HARDER = 0x4,  ///< atomic (non-blocking high priority): a further quarter off
};

class BuddyAllocator {
 public:
  /// Boots: every frame of every zone except pfn 0 (reserved like the BIOS
  /// page) goes onto the free lists as the largest aligned blocks.
  BuddyAllocator(const ZoneMap& zones, PhysMem& mem);

  /// Takes a block of 2^order frames honouring zone fallback and watermarks.
  /// The head is marked allocated with `owner`. Pfn::none() when nothing fits.
  Pfn alloc(gfp_t gfp, unsigned order, PageOwner owner);
  /// Returns an allocated block (head, order as allocated) and coalesces.
  void free_block(std::uint64_t pfn, unsigned order);

  /// The zone list a request walks, highest preference first.
  std::vector<const Zone*> zonelist(gfp_t gfp) const;
  /// 2.6-style __zone_watermark_ok for an order-`order` request.
  static bool watermark_ok(const Zone& z, unsigned order, std::uint64_t mark, unsigned alloc_flags);
  static unsigned gfp_to_alloc_flags(gfp_t gfp);

  const std::vector<Zone>& zones() const { return zones_; }
  const Zone* zone_of(std::uint64_t pfn) const;
  std::uint64_t nr_free_pages() const;
  std::uint64_t totalram_pages() const;

  /// If `pfn` lies inside a free block, that block's head; else PFN_NIL.
  std::uint64_t free_block_containing(std::uint64_t pfn) const;

  /// /proc/buddyinfo, Linux's exact format.
  std::string buddyinfo() const;

  /// A snapshot of the free lists as sorted (pfn, order) pairs, for B-RESTORE.
  std::vector<std::pair<std::uint64_t, unsigned>> free_blocks() const;

  /// Bugs a test can plant to show that the checker and the properties
  /// catch them (the seeded-bug zoo in ci/mutants/ patches source instead).
  enum class BugForTesting : std::uint8_t {
    none,
    skip_coalesce_order_3,  ///< a freed block never merges at order 3
    hand_out_twice,         ///< every 8th allocation returns the previous block again
  };
  void plant_bug_for_testing(BugForTesting bug) { bug_ = bug; }

  // Test-only: direct access so negative tests can corrupt state.
  Zone& zone_for_testing(std::size_t i) { return zones_[i]; }
  void list_del_for_testing(std::uint64_t pfn, unsigned order) { list_del(zone_index(pfn), pfn, order); }
  void list_add_for_testing(std::uint64_t pfn, unsigned order) { list_add(zone_index(pfn), pfn, order); }

 private:
  /// A zone list as indices into zones_, highest preference first.
  struct ZoneOrder {
    std::array<std::uint8_t, MAX_NR_ZONES> index{};
    std::uint8_t count = 0;
  };
  /// Which of zonelists_ serves `gfp`: 0 DMA, 1 HIGHMEM, 2 DMA32, 3 normal.
  static std::size_t zonelist_kind(gfp_t gfp);

  std::size_t zone_index(std::uint64_t pfn) const;
  void list_add(std::size_t zi, std::uint64_t pfn, unsigned order, bool to_tail = false);
  void list_del(std::size_t zi, std::uint64_t pfn, unsigned order);
  bool take_from_zone(std::size_t zi, unsigned order, std::uint64_t& out);

  PhysMem& mem_;
  std::vector<Zone> zones_;
  /// The four zone lists, built at boot: alloc() walks them without
  /// building a vector per call (zonelist() gives the same lists).
  std::array<ZoneOrder, 4> zonelists_{};
  BugForTesting bug_ = BugForTesting::none;
  std::uint64_t allocs_ = 0;
  std::uint64_t last_pfn_ = PFN_NIL;
};

}  // namespace kmf
