// fit_model.h — reference models for NO-SPURIOUS-FAILURE.
//
// A model of an allocator's *class* (buddy, first-fit) answers one question
// from the ledger alone, never from the allocator's internals: given the
// live blocks, must this request fit? "Must" is sound, not complete: when
// the model says yes, every correct allocator of the class serves the
// request, so a failure is a violation; when it says no, the allocator may
// fail or succeed.
//
//   space   [lo ............................................... hi)
//   blocks      [hdr|body]   [hdr|body]          [hdr|body]
//   gaps    [..)          [.)          [........)          [.....)
//
// A live block occupies its model extent [addr - header, addr + body) where
// body is usable_size(addr) when the adapter can tell, else the request
// rounded as the class rounds it. Embedded metadata and reserved ranges are
// occupied too.
//
//   first_fit  a request needs one gap of header + round_up(size, granule) +
//              slack bytes (plus header + granule + align when it asks for
//              more than the default alignment). Exact for an allocator that
//              tiles the space with [header|body] blocks, splits when the
//              remainder holds a header and a granule, and coalesces every
//              pair of neighbouring free blocks.
//   buddy      a request needs a free aligned block of the next power of two
//              ≥ max(size + header, granule) (and ≥ align when header is 0),
//              aligned relative to lo, inside [lo, hi) and, when max_block is
//              set, no larger than it. Exact for a buddy allocator that
//              coalesces completely, whatever the space's size.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "check/subjects/capabilities.h"

namespace kmf {

struct FitModel {
  enum class Kind : std::uint8_t { none, first_fit, buddy };
  Kind kind = Kind::none;
  std::uint64_t header = 0;     ///< metadata bytes in front of every block, inside the space
  std::uint64_t granule = 1;    ///< first_fit: bodies round up to a multiple; buddy: the smallest block
  std::uint64_t slack = 0;      ///< first_fit: extra bytes a request may cost (split bookkeeping)
  std::uint64_t max_block = 0;  ///< buddy: the largest block (inclusive); 0 = no limit

  static FitModel first_fit(std::uint64_t header, std::uint64_t granule, std::uint64_t slack = 0) {
    return {Kind::first_fit, header, granule, slack, 0};
  }
  static FitModel buddy(std::uint64_t min_block, std::uint64_t header = 0, std::uint64_t max_block = 0) {
    return {Kind::buddy, header, min_block, 0, max_block};
  }
  explicit operator bool() const { return kind != Kind::none; }
};

/// What a live block of `size` bytes occupies in the model, given its usable
/// size when known.
AddrRange model_extent(const FitModel& model, std::uint64_t addr, std::uint64_t size,
                       std::optional<std::uint64_t> usable = std::nullopt);

/// Whether a request of `size` bytes aligned to `align` (0: the default)
/// must fit in `space` beside `occupied` (any order; clipped to the space).
/// `default_align`: the alignment every block of the space gets anyway.
bool must_fit(const FitModel& model, AddrRange space, std::vector<AddrRange> occupied, std::uint64_t size,
              std::uint64_t align, std::uint64_t default_align);

/// Whether the fixed range `want` must be reservable (first_fit only; the
/// buddy model makes no claim about reservations).
bool must_fit_at(const FitModel& model, AddrRange space, std::vector<AddrRange> occupied, AddrRange want);

/// The largest request (default alignment) that must fit; 0 when none does.
std::uint64_t largest_must_fit(const FitModel& model, AddrRange space, const std::vector<AddrRange>& occupied,
                               std::uint64_t default_align);

/// The free gaps of `space` beside `occupied`, sorted.
std::vector<AddrRange> free_gaps(AddrRange space, std::vector<AddrRange> occupied);

std::string to_string(const FitModel& model);

}  // namespace kmf
