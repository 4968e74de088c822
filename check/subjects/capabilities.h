// capabilities.h — what a subject adapter declares it can do.
//
// Every subject kind (page_subject.h, object_subject.h, virtual_subject.h,
// arena_subject.h) has a few required calls; everything else is a
// capability bit. The generic executor (ops/generic_executor.h) and the
// generators (binary decoder, RapidCheck builder) only use what is declared,
// and each oracle runs only where its capability is:
//
//   capability        kinds                 oracle it enables
//   CAP_ALIGN         object virtual arena  requests carry alignments above the default
//                     page                  order-k blocks start at a multiple of 2^k (ALIGNMENT)
//   CAP_SIZED_FREE    object                free is told the size
//   CAP_REALLOC       object arena          INTEGRITY of the common prefix
//   CAP_USABLE_SIZE   object arena          USABLE-SIZE; tighter reference-model extents
//   CAP_MEMORY        page virtual          stamps (INTEGRITY) through read/write
//   CAP_TRANSLATE     virtual               TRANSLATE
//   CAP_RESIZE        arena                 RESIZE
//   CAP_CAN_SHRINK    arena                 EMPTY (can_shrink half)
//   CAP_IS_EMPTY      arena                 EMPTY
//   CAP_WALK          object arena          WALK
//   CAP_RESERVE       arena                 reserve ops (NO-OVERLAP, NO-SPURIOUS-FAILURE)
//   CAP_METADATA      arena                 IN-BOUNDS against the embedded metadata
//   CAP_STALE_FREE    object arena          double/stale frees are generated (STALE-FREE)
//   CAP_SELF_CHECK    arena                 the allocator's own validator after every op (SELF-CHECK)
//   CAP_CONTRACT      object arena          hostile requests (size 0, oversized, overflowing, huge
//                                           alignments) judged by contract() (CONTRACT)
//   CAP_CALLOC        arena                 calloc(n, size), overflowing products too (CALLOC)
//   CAP_REALLOC_ALIGN arena                 realloc with an alignment (ALIGNMENT, INTEGRITY)
//   CAP_KEEPS_CACHE   arena                 the allocator may keep freed space cached: no RESTORE
//   CAP_STATS         arena                 stats() compared with the ledger (STATS)
//   CAP_POOLS         arena                 add_pool(base, size): more memory for the same heap; blocks
//                                           inside the arena or a pool (IN-BOUNDS), none overlapping
//   CAP_HEAPS         arena                 more heaps through a heap handle: every block inside its own
//                                           heap (IN-BOUNDS), none overlapping another (NO-OVERLAP), and
//                                           every other oracle per heap (the *_in calls)
#pragma once

#include <cstdint>
#include <string>

namespace kmf {

enum Cap : std::uint32_t {
  CAP_ALIGN = 1u << 0,
  CAP_SIZED_FREE = 1u << 1,
  CAP_REALLOC = 1u << 2,
  CAP_USABLE_SIZE = 1u << 3,
  CAP_MEMORY = 1u << 4,
  CAP_TRANSLATE = 1u << 5,
  CAP_RESIZE = 1u << 6,
  CAP_CAN_SHRINK = 1u << 7,
  CAP_IS_EMPTY = 1u << 8,
  CAP_WALK = 1u << 9,
  CAP_RESERVE = 1u << 10,
  CAP_METADATA = 1u << 11,
  CAP_STALE_FREE = 1u << 12,
  CAP_SELF_CHECK = 1u << 13,
  CAP_CONTRACT = 1u << 14,
  CAP_CALLOC = 1u << 15,
  CAP_REALLOC_ALIGN = 1u << 16,
  CAP_KEEPS_CACHE = 1u << 17,
  CAP_STATS = 1u << 18,
  CAP_HEAPS = 1u << 19,
  CAP_POOLS = 1u << 20,
  CAP_ALL = (1u << 21) - 1,
};
using Caps = std::uint32_t;

/// `align|realloc|walk` (declaration order); 0 prints as `none`.
std::string caps_to_string(Caps caps);

/// A half-open byte range [lo, hi).
struct AddrRange {
  std::uint64_t lo = 0;
  std::uint64_t hi = 0;
  std::uint64_t size() const { return hi - lo; }
  bool contains(std::uint64_t a) const { return lo <= a && a < hi; }
  bool contains(const AddrRange& r) const { return lo <= r.lo && r.hi <= hi; }
  bool overlaps(const AddrRange& r) const { return lo < r.hi && r.lo < hi; }
  friend bool operator==(const AddrRange&, const AddrRange&) = default;
};

}  // namespace kmf
