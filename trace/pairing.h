// pairing.h — allocations matched with their frees, and what is wrong in the
// trace itself, kmemleak-style, with line numbers.
//
// Slab objects pair by ptr, pages by pfn, vmap areas by va_start. A free of an
// address the trace never allocated is expected when the trace starts
// mid-run: those are counted and only the first few are listed. The rest are
// findings about the traced kernel:
//   double_free      an address freed again with no allocation in between
//   order_mismatch   pages freed with a different order than they were allocated with
//   still_allocated  allocated and never freed within the trace
//   alloc_over_live  allocated again while the trace says it is still live (a free
//                    is missing: lost events, or an allocator handing memory out twice)
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "trace/trace_reader.h"

namespace kmf::trace {

enum class FindingKind : std::uint8_t {
  unknown_free,
  double_free,
  order_mismatch,
  still_allocated,
  alloc_over_live
};
inline constexpr std::size_t NR_FINDING_KINDS = 5;

struct Finding {
  FindingKind kind{};
  std::uint32_t event =
      0;  ///< index into Trace::events: the free, or the allocation (still_allocated, alloc_over_live)
  std::uint32_t other = 0;  ///< the allocation (order_mismatch), the earlier free (double_free), the earlier
                            ///< allocation (alloc_over_live)
};

inline constexpr std::uint32_t NO_EVENT = ~std::uint32_t{0};

struct Pairing {
  /// partner[i]: for an allocation, the free that released it; for a free, the
  /// allocation it released; NO_EVENT when there is none.
  std::vector<std::uint32_t> partner;
  std::vector<Finding> findings;  ///< in trace order; still_allocated ones last
  std::uint64_t count[NR_FINDING_KINDS] = {};
  std::uint64_t null_frees = 0;  ///< kfree(NULL) and the like: legal no-ops
  std::uint64_t failed_allocs = 0;
  std::uint64_t unknown_pointers = 0;  ///< (____ptrval____): cannot be paired
  std::uint64_t zero_size = 0;         ///< kmalloc(0) → ZERO_SIZE_PTR: nothing to pair
  std::uint64_t of(FindingKind k) const { return count[static_cast<std::size_t>(k)]; }
};

Pairing pair_events(const Trace& trace);

std::string_view finding_name(FindingKind kind);

/// The findings report: each kind with its count and up to `max_listed`
/// entries, each naming the event, its address and line numbers, and its
/// perf script callchain (up to 8 frames) as a kmemleak-style backtrace.
std::string describe_findings(const Trace& trace, const Pairing& pairing, std::size_t max_listed);

/// `kfree ptr=0xffff888100a3c000`, `mm_page_alloc pfn=0x1a2b order=2`, `alloc_vmap_area va_start=0x…`.
std::string describe_event(const Trace& trace, const Event& e);

/// ZERO_SIZE_PTR is 0x10: kmalloc(0) returns it and kfree ignores it.
inline constexpr std::uint64_t ZERO_SIZE_PTR = 0x10;

}  // namespace kmf::trace
