// fit_model.h — reference models for NO-SPURIOUS-FAILURE.
//
// A model of an allocator's *class* (buddy, first-fit, segregated) answers one question
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
//   segregated a good-fit allocator with segregated free lists (TLSF and the
//              like): a request of n bytes is first made a body
//              b = max(round_up(n, granule), min_block), then rounded up to
//              the start of the next size class: below 2^sl_log2·granule the
//              classes are granule apart; above, class [2^f, 2^(f+1)) is split
//              into 2^sl_log2 equal parts. The allocator searches only lists
//              whose every block is at least that rounded size, so a request
//              needs one gap of header + rounded bytes (plus slack). Exact
//              for an allocator that merges free neighbours both ways and
//              tells its blocks' usable sizes (else a block's unsplit tail
//              counts as free).
//   custom     an adapter's own model (CustomFitModel): must_fit, extent and
//              what it computed.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "check/subjects/capabilities.h"

namespace kmf {

struct FitModel;

/// A reference model an adapter writes itself (FitModel::custom). It must
/// be sound: must_fit true only when every correct allocator of its class
/// serves the request.
class CustomFitModel {
 public:
  virtual ~CustomFitModel() = default;
  virtual std::string name() const = 0;
  /// The range a live block of `size` bytes at `addr` occupies (header included).
  virtual AddrRange extent(std::uint64_t addr, std::uint64_t size,
                           std::optional<std::uint64_t> usable) const = 0;
  virtual bool must_fit(AddrRange space, const std::vector<AddrRange>& occupied, std::uint64_t size,
                        std::uint64_t align, std::uint64_t default_align) const = 0;
  /// What the model computed for the request ("rounds to the 96-byte class").
  virtual std::string explain(std::uint64_t size, std::uint64_t align, std::uint64_t default_align) const = 0;
};

struct FitModel {
  enum class Kind : std::uint8_t { none, first_fit, buddy, segregated, custom };
  Kind kind = Kind::none;
  std::uint64_t header = 0;  ///< metadata bytes in front of every block, inside the space
  std::uint64_t granule =
      1;  ///< first_fit, segregated: bodies round up to a multiple; buddy: the smallest block
  std::uint64_t slack = 0;      ///< first_fit, segregated: extra bytes a request may cost (split bookkeeping)
  std::uint64_t max_block = 0;  ///< buddy: the largest block (inclusive); 0 = no limit
  std::uint64_t min_block = 0;  ///< segregated: the smallest body
  unsigned sl_log2 = 0;         ///< segregated: log2 of the second-level subdivisions per power of two
  std::shared_ptr<const CustomFitModel> model;  ///< custom

  static FitModel first_fit(std::uint64_t header, std::uint64_t granule, std::uint64_t slack = 0) {
    FitModel m;
    m.kind = Kind::first_fit;
    m.header = header;
    m.granule = granule;
    m.slack = slack;
    return m;
  }
  static FitModel buddy(std::uint64_t min_block, std::uint64_t header = 0, std::uint64_t max_block = 0) {
    FitModel m;
    m.kind = Kind::buddy;
    m.header = header;
    m.granule = min_block;
    m.max_block = max_block;
    return m;
  }
  /// TLSF-style: 2^sl_log2 second-level classes per power of two.
  static FitModel segregated(unsigned sl_log2, std::uint64_t min_block, std::uint64_t header,
                             std::uint64_t granule, std::uint64_t slack = 0) {
    FitModel m;
    m.kind = Kind::segregated;
    m.sl_log2 = sl_log2;
    m.min_block = min_block;
    m.header = header;
    m.granule = granule;
    m.slack = slack;
    return m;
  }
  static FitModel custom(std::shared_ptr<const CustomFitModel> model) {
    FitModel m;
    m.kind = Kind::custom;
    m.model = std::move(model);
    return m;
  }
  explicit operator bool() const { return kind != Kind::none && (kind != Kind::custom || model); }
};

/// segregated: the size a request of `size` bytes rounds to (the start of
/// the first class whose blocks all hold it); 0 when it overflows.
std::uint64_t segregated_class(const FitModel& model, std::uint64_t size);

/// What the model computed for a request, for explanations: "needs one gap
/// of 144 bytes (header 16 + 128 rounded to 16 + slack 0)".
std::string explain_fit(const FitModel& model, std::uint64_t size, std::uint64_t align,
                        std::uint64_t default_align);

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
