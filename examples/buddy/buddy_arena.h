// buddy_arena.h — example 2: a buddy allocator over a caller-given arena
// that can grow and shrink, and its kmemfuzz adapter.
//
// Blocks are 64 << k bytes at offsets that are multiples of their size. A
// free block merges with its buddy (offset ^ size) whenever both are free,
// so the free space is always the fewest, largest aligned blocks. The arena
// need not be a power of two: it is cut into maximal aligned blocks.
//
//   offset 0          1K        2K                    4K     5K   5.5K = size
//   [ 1K free        ][64][64][ 128 ][ 256  ][ 512  ][ 1K free   ][512]
//
// resize(n) grows by adding [size, n) as free blocks (merged with their
// buddies), or shrinks when no live block reaches past n, cutting the free
// blocks that do.
//
// The planted bug (BuddyArena{true}): the shrink check looks only for a
// live block straddling the new end and forgets blocks wholly beyond it.
// Such a block is stranded outside the arena: RESIZE fires.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <map>
#include <set>
#include <vector>

#include "check/subjects/arena_subject.h"

namespace example {

class BuddyArena {
 public:
  static constexpr std::size_t MIN = 64;     // the smallest block
  static constexpr unsigned MAX_ORDER = 12;  // the largest block: 64 << 12 = 256 KiB

  explicit BuddyArena(bool planted_bug = false) : planted_bug_(planted_bug) {}

  bool init(void* base, std::size_t size) {
    if (size % MIN || reinterpret_cast<std::uintptr_t>(base) % MIN) return false;
    base_ = static_cast<std::byte*>(base);
    size_ = size;
    add_range(0, size);
    return true;
  }

  void* alloc(std::size_t size, std::size_t align) {
    unsigned k = 0;
    while (k <= MAX_ORDER && (MIN << k) < std::max(size, align)) ++k;
    for (unsigned j = k; j <= MAX_ORDER; ++j) {
      if (free_[j].empty()) continue;
      const std::size_t off = *free_[j].begin();
      free_[j].erase(free_[j].begin());
      for (; j > k; --j) free_[j - 1].insert(off + (MIN << (j - 1)));  // split: keep the lower half
      live_[off] = k;
      return base_ + off;
    }
    return nullptr;
  }

  void free(void* p) {
    const auto it = live_.find(static_cast<std::size_t>(static_cast<std::byte*>(p) - base_));
    if (it == live_.end()) return;  // not a live block: a double or stale free is ignored
    const auto [off, k] = *it;
    live_.erase(it);
    add_free(off, k);
  }

  bool can_shrink(std::size_t n) const {
    for (const auto& [off, k] : live_) {
      const std::size_t end = off + (MIN << k);
      if (planted_bug_ ? off < n && end > n  // BUG: only a block across the new end counts
                       : end > n)
        return false;
    }
    return true;
  }

  bool resize(std::size_t n) {
    if (n % MIN) return false;
    if (n >= size_) {
      const std::size_t old = size_;
      size_ = n;
      add_range(old, n);
      return true;
    }
    if (!can_shrink(n)) return false;
    size_ = n;
    std::vector<std::size_t> cut;  // free blocks reaching past n: keep what lies below it
    for (unsigned k = 0; k <= MAX_ORDER; ++k)
      for (auto it = free_[k].lower_bound(n >= (MIN << k) ? n - (MIN << k) + 1 : 0); it != free_[k].end();) {
        if (*it < n) cut.push_back(*it);
        it = free_[k].erase(it);
      }
    for (std::size_t off : cut) add_range(off, n);
    return true;
  }

  std::size_t usable_size(const void* p) const {
    return MIN << live_.at(static_cast<std::size_t>(static_cast<const std::byte*>(p) - base_));
  }
  bool is_empty() const { return live_.empty(); }
  template <class Visit>
  void walk(Visit visit) const {
    for (const auto& [off, k] : live_) visit(base_ + off, MIN << k);
  }

 private:
  /// Frees block (off, k), merging with its buddy while the buddy is free and inside.
  void add_free(std::size_t off, unsigned k) {
    for (; k < MAX_ORDER; ++k) {
      const std::size_t buddy = off ^ (MIN << k);
      if (buddy + (MIN << k) > size_ || !free_[k].erase(buddy)) break;
      off = std::min(off, buddy);
    }
    free_[k].insert(off);
  }
  /// [lo, hi) as the largest aligned blocks that fit.
  void add_range(std::size_t lo, std::size_t hi) {
    while (lo < hi) {
      unsigned k = 0;
      while (k < MAX_ORDER && lo % (MIN << (k + 1)) == 0 && lo + (MIN << (k + 1)) <= hi) ++k;
      add_free(lo, k);
      lo += MIN << k;
    }
  }

  bool planted_bug_;
  std::byte* base_ = nullptr;
  std::size_t size_ = 0;
  std::map<std::size_t, unsigned> live_;  // offset → order
  std::set<std::size_t> free_[MAX_ORDER + 1];
};

/// The adapter: BuddyArena declares resize, can_shrink, walk and stale-free
/// tolerance, and the buddy reference model.
class BuddyArenaSubject : public kmf::ArenaSubject {
 public:
  explicit BuddyArenaSubject(bool planted_bug = false) : heap_(planted_bug) {}
  std::string_view name() const override { return "buddy arena example"; }
  kmf::Caps capabilities() const override {
    return kmf::CAP_ALIGN | kmf::CAP_USABLE_SIZE | kmf::CAP_RESIZE | kmf::CAP_CAN_SHRINK | kmf::CAP_IS_EMPTY |
           kmf::CAP_WALK | kmf::CAP_STALE_FREE;
  }
  kmf::ArenaGeometry geometry() const override {
    return {.min_size = 256,
            .max_size = 64 << 10,
            .size_granule = 64,
            .base_align = 4096,
            .min_align = 64,
            .max_align = 64};
  }
  kmf::FitModel fit_model() const override {
    return kmf::FitModel::buddy(BuddyArena::MIN, 0, BuddyArena::MIN << BuddyArena::MAX_ORDER);
  }

  bool init(void* base, std::size_t size, std::size_t) override { return heap_.init(base, size); }
  void* alloc(std::size_t size, std::size_t align) override { return heap_.alloc(size, align); }
  void free(void* p) override { heap_.free(p); }
  std::size_t usable_size(const void* p) const override { return heap_.usable_size(p); }
  bool resize(std::size_t n) override { return heap_.resize(n); }
  bool can_shrink(std::size_t n) const override { return heap_.can_shrink(n); }
  bool is_empty() const override { return heap_.is_empty(); }
  void walk(const BlockVisitor& visit) const override { heap_.walk(visit); }

 private:
  BuddyArena heap_;
};

}  // namespace example
