// bitmap_page_allocator_baseline.h — BASELINE ONLY, not part of the model: a
// naive first-fit page allocator over one bit per frame, written for the
// benchmarks so the buddy allocator has something simple to be compared with.
//
//   bit i = 1: frame i is in use       frames: [1 1 0 0 | 1 0 0 0 | ...]
//   alloc(order k): the lowest 2^k-aligned run of 2^k zero bits, scanning
//                   from frame 0 every time (no hint, no free lists)
//   free(pfn, k):   clears the 2^k bits
//
// It gives the same contract as the buddy allocator (2^k contiguous frames,
// aligned to 2^k, orders 0..10) and nothing more: no zones, no watermarks,
// no misuse reports. Allocation costs O(frames / 64) in the worst case.
#pragma once

#include <cstdint>
#include <vector>

namespace kmf::bench {

class BitmapPageAllocatorBaseline {
 public:
  static constexpr std::uint64_t NONE = ~std::uint64_t{0};

  /// Manages frames [0, frames); frame 0 is reserved, as in the buddy model.
  explicit BitmapPageAllocatorBaseline(std::uint64_t frames);

  /// The lowest free aligned block of 2^order frames; NONE when none is left.
  std::uint64_t alloc(unsigned order);
  /// Releases a block alloc returned, with the same order (not checked).
  void free(std::uint64_t pfn, unsigned order);

  std::uint64_t free_frames() const { return free_; }

 private:
  void set_range(std::uint64_t pfn, std::uint64_t n, bool used);

  std::uint64_t frames_;
  std::uint64_t free_;
  std::vector<std::uint64_t> words_;  ///< bit (pfn % 64) of words_[pfn / 64]; bits past the end are set
};

}  // namespace kmf::bench
