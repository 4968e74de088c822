// kernel_checker.h — the invariant checks for kmf::Kernel, the default subject.
//
// The checker only reads: the Kernel's const introspection (zones, free
// lists, frame metadata, translate, ksize) and the Ledger. Each check returns
// the first Finding or nothing; the executor turns a Finding into a Violation
// with the op's index and text.
//
// Per-entry checks run when an allocation is made (incremental) and for every
// live entry in a sweep; zone checks run in sweeps; the "pre" checks compare a
// request against the zone state just before it ran (B-AVAIL, B-WMARK).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "alloc/kernel.h"
#include "check/catalog.h"
#include "check/ledger.h"

namespace kmf {

struct Finding {
  Inv id;
  std::vector<std::uint64_t> addrs;
  std::string explanation;
};
using Check = std::optional<Finding>;

/// A cheap summary of allocator state: equal before and after any op that
/// must change nothing (misuse, injected fault, clean failure).
/// A fixed array, not a vector: the executor takes one or two per op.
struct Fingerprint {
  /// Per zone (at most 4) its free pages and 11 free-area counts, then 3 totals.
  static constexpr std::size_t CAPACITY = 4 * 12 + 3;
  std::array<std::uint64_t, CAPACITY> words{};
  std::size_t size = 0;
  void push_back(std::uint64_t w) {
    if (size == CAPACITY) throw std::length_error("Fingerprint: more zones than it has room for");
    words[size++] = w;
  }
  friend bool operator==(const Fingerprint&, const Fingerprint&) = default;
};

class KernelChecker {
 public:
  explicit KernelChecker(const Kernel& k);

  Fingerprint fingerprint() const;
  /// The zones as they are now (copied, for the pre-op checks).
  std::vector<Zone> zones() const { return k_.buddy().zones(); }

  /// B-ORDER, B-AVAIL: a page request of `order` with `gfp` failed without an
  /// injected fault; `pre` is the zone state before it.
  Check page_failure(const std::vector<Zone>& pre, gfp_t gfp, unsigned order) const;
  /// B-WMARK: the zone that served `pfn` could serve the request by the rules.
  Check page_success(const std::vector<Zone>& pre, gfp_t gfp, unsigned order, Pfn pfn) const;

  /// Every per-allocation invariant of one live entry (B-ALIGN, B-ZONE,
  /// LAYOUT, PHYS-CONTIG, S-KSIZE, S-ALIGN, S-OBJECT, V-CONTIG, V-GUARD,
  /// V-FRAMES, IOREMAP) — O(pages of the entry).
  Check entry(const Ledger& ledger, std::int32_t slot) const;
  /// NO-OVERLAP of one entry against the ledger's indexes.
  Check overlap(const Ledger& ledger, std::int32_t slot) const;
  /// V-UNMAP / frames free after a vfree, iounmap or page free of `e`.
  Check after_release(const Entry& e) const;
  /// B-COALESCE and B-FREELIST around one frame that was just freed.
  Check around_free(std::uint64_t pfn) const;

  /// The full sweep: free lists, accounting, every live entry, overlaps.
  Check sweep(const Ledger& ledger) const;
  /// After teardown: B-RESTORE and NO-LEAK.
  Check restored() const;

  /// The kmalloc size class of `size` in this machine's profile (0 above the limit).
  std::size_t kmalloc_class(std::size_t size) const;

 private:
  /// B-ZONE: the zones span what the kernel documents for the machine's size
  /// and profile (DMA below 16 MiB, i386 lowmem up to 896 MiB, x86_64 DMA32
  /// up to 4 GiB); LAYOUT: lowmem is the direct map's size.
  Check zone_geometry() const;
  Check zone_lists(std::size_t zi) const;
  Check zone_account(std::size_t zi) const;
  /// Allocated frames of one zone, counted by the owner its block head names.
  struct ZoneFrames {
    std::uint64_t allocated = 0, pages = 0, slab = 0, vmalloc = 0, pagetable = 0, large_kmalloc = 0;
  };
  /// B-ACCOUNT: every frame of every block is in the state its block says
  /// (tails are no heads; tails of a free block are unowned; tails of an
  /// allocated block carry its owner's tail marks); V-FRAMES: vmalloc frames
  /// are order-0 blocks owned by a live area, page tables order 0; S-OBJECT:
  /// a slab-owned head is the head of that slab. O(frames of the zone).
  Check zone_frames(std::size_t zi, ZoneFrames& count) const;
  /// B-ACCOUNT, the frame budget: per zone and in total, allocated frames =
  /// live page blocks + large kmallocs + vmalloc pages (from the ledger) +
  /// slab pages (from the caches' slab lists) + page-table pages.
  Check frame_budget(const Ledger& ledger, const std::vector<ZoneFrames>& counted) const;
  /// S-FREELIST: every slab's free list is acyclic, in range, counted, and
  /// the slab sits on the list its use says.
  Check slab_lists() const;

  const Kernel& k_;
  std::vector<std::pair<std::uint64_t, unsigned>> boot_blocks_;
};

/// The kmalloc size class of `size` in `profile` (0 above the profile's limit;
/// whole pages for the modern profile's page-allocator sizes).
std::size_t kmalloc_size_class(KmallocProfile profile, std::size_t size);

/// Stamp byte `offset` of allocation `id`: a value derived from both, so a
/// byte copied from another allocation or offset is caught.
inline std::uint8_t stamp_byte(std::uint32_t id, std::uint64_t offset) {
  const std::uint64_t x = (id + 1) * 0x9E3779B1ULL + offset * 0x85EBCA77ULL;
  return static_cast<std::uint8_t>((x >> 24) ^ (x >> 8) ^ offset);
}

/// stamp_byte(id, offset + i) into out[i] for every i: the same bytes, one
/// add per byte instead of two multiplies (stamping is the executor's
/// hottest loop).
inline void stamp_bytes(std::uint32_t id, std::uint64_t offset, std::span<std::byte> out) {
  constexpr std::uint64_t STEP = 0x85EBCA77ULL;
  std::uint64_t x = (id + 1) * 0x9E3779B1ULL + offset * STEP;
  for (std::size_t i = 0; i < out.size(); ++i, x += STEP)
    out[i] = std::byte{static_cast<std::uint8_t>((x >> 24) ^ (x >> 8) ^ (offset + i))};
}

}  // namespace kmf
