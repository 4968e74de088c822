// page_subject.h — the generic interface for page allocators: blocks of
// 2^order frames out of a frame range [0, nr_frames).
//
//   required   alloc_pages(order) → first frame | nullopt,  free_pages(frame, order)
//   optional   CAP_ALIGN    order-k blocks start at a multiple of 2^k frames (ALIGNMENT)
//              CAP_MEMORY   read/write a block's bytes (INTEGRITY stamps)
//   model      fit_model(): FitModel::buddy(1, 0, 1 << max_order) in frames makes
//              NO-SPURIOUS-FAILURE exact for a buddy allocator without reserves
//
// Programs ask in bytes: a request of n bytes is an order-k block with
// 2^k ≥ ceil(n / page_size()). Invariants: IN-BOUNDS (inside the frame
// range), ALIGNMENT, NO-OVERLAP, INTEGRITY, NO-SPURIOUS-FAILURE.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "check/fit_model.h"
#include "check/subjects/capabilities.h"

namespace kmf {

class PageSubject {
 public:
  virtual ~PageSubject() = default;
  virtual std::string_view name() const = 0;
  virtual Caps capabilities() const { return CAP_ALIGN; }
  virtual std::uint64_t page_size() const { return 4096; }
  /// Frames are numbered [0, nr_frames).
  virtual std::uint64_t nr_frames() const = 0;
  /// The largest order a request may have (inclusive).
  virtual unsigned max_order() const = 0;
  /// The model NO-SPURIOUS-FAILURE judges by, in units of frames.
  virtual FitModel fit_model() const { return {}; }
  virtual std::optional<std::uint64_t> alloc_pages(unsigned order) = 0;
  virtual void free_pages(std::uint64_t frame, unsigned order) = 0;
  /// CAP_MEMORY: bytes at `offset` into frame `frame` (may cross frames of one block).
  virtual bool read(std::uint64_t /*frame*/, std::uint64_t /*offset*/, std::span<std::byte> /*out*/) {
    return false;
  }
  virtual bool write(std::uint64_t /*frame*/, std::uint64_t /*offset*/, std::span<const std::byte> /*in*/) {
    return false;
  }
};

}  // namespace kmf
