// bitmap_page_allocator_baseline.cpp — the naive first-fit baseline (see the header).
#include "bench/bitmap_page_allocator_baseline.h"

#include <algorithm>
#include <bit>
#include <cassert>

namespace kmf::bench {

BitmapPageAllocatorBaseline::BitmapPageAllocatorBaseline(std::uint64_t frames)
    : frames_(frames), free_(frames), words_((frames + 63) / 64, 0) {
  if (frames % 64 != 0) words_.back() = ~std::uint64_t{0} << (frames % 64);  // past the end: never free
  set_range(0, 1, true);                                                     // frame 0: reserved
}

void BitmapPageAllocatorBaseline::set_range(std::uint64_t pfn, std::uint64_t n, bool used) {
  for (std::uint64_t i = pfn; i < pfn + n;) {
    const std::uint64_t bit = i % 64;
    const std::uint64_t take = std::min<std::uint64_t>(64 - bit, pfn + n - i);
    const std::uint64_t mask = (take == 64 ? ~std::uint64_t{0} : ((std::uint64_t{1} << take) - 1)) << bit;
    if (used) {
      assert((words_[i / 64] & mask) == 0);
      words_[i / 64] |= mask;
    } else {
      assert((words_[i / 64] & mask) == mask);
      words_[i / 64] &= ~mask;
    }
    i += take;
  }
  if (used)
    free_ -= n;
  else
    free_ += n;
}

std::uint64_t BitmapPageAllocatorBaseline::alloc(unsigned order) {
  const std::uint64_t n = std::uint64_t{1} << order;
  if (n < 64) {
    // Inside one word: try each aligned position of the run.
    const std::uint64_t run = (std::uint64_t{1} << n) - 1;
    for (std::uint64_t w = 0; w < words_.size(); ++w) {
      const std::uint64_t word = words_[w];
      if (word == ~std::uint64_t{0}) continue;
      if (n == 1) {
        const std::uint64_t pfn = w * 64 + static_cast<std::uint64_t>(std::countr_one(word));
        set_range(pfn, 1, true);
        return pfn;
      }
      for (std::uint64_t bit = 0; bit < 64; bit += n) {
        if ((word & (run << bit)) == 0) {
          const std::uint64_t pfn = w * 64 + bit;
          set_range(pfn, n, true);
          return pfn;
        }
      }
    }
    return NONE;
  }
  // Whole words: an aligned group of n / 64 zero words.
  const std::uint64_t group = n / 64;
  for (std::uint64_t w = 0; w + group <= words_.size(); w += group) {
    bool clear = true;
    for (std::uint64_t j = 0; j < group && clear; ++j) clear = words_[w + j] == 0;
    if (clear) {
      set_range(w * 64, n, true);
      return w * 64;
    }
  }
  return NONE;
}

void BitmapPageAllocatorBaseline::free(std::uint64_t pfn, unsigned order) {
  set_range(pfn, std::uint64_t{1} << order, false);
}

}  // namespace kmf::bench
