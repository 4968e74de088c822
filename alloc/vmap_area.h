// vmap_area.h — the vmap area allocator: hands out and takes back ranges of
// virtual addresses inside [VMALLOC_START, VMALLOC_END).
//
// The free ranges form a treap (a binary search tree on the range start,
// heap-ordered on a seeded random priority, so its expected depth is
// O(log n)). Each node also carries the longest free range in its subtree,
// which lets a lowest-fit search go straight down:
//
//                 [c8..d0) max 8
//             ┌──────────┴──────────┐
//      [a0..a2) max 4        [f0..f1) max 1
//             └──────┐
//              [b0..b4) max 4
//
//   lowest fit for 3 pages: the left subtree's max 4 ≥ 3, so go left;
//   [a0..a2) is too short; its right child [b0..b4) fits.
//
// alloc: lowest-fit, O(log n) expected; the chosen range is trimmed or split.
// free: the range goes back and merges with a free neighbour on either side,
// so two free ranges never touch; O(log n) expected.
//
// Keeps (catalog ids): NO-OVERLAP (a range is handed out only while free and
// every free range is disjoint from every other), LAYOUT (ranges stay inside
// [start, end) and page aligned). Callers own the guard-page policy: they
// ask for size + guard.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "alloc/fault.h"

namespace kmf {

class VmapAreaAllocator {
 public:
  /// Manages [start, end); both page aligned, start < end. The treap's
  /// priorities come from `seed`: the same seed gives the same tree.
  VmapAreaAllocator(std::uint64_t start, std::uint64_t end, std::uint64_t seed);

  /// The lowest address a with `align` | a, [a, a + size) free; the range is
  /// then allocated. `size` a non-zero multiple of PAGE_SIZE, `align` a power
  /// of two ≥ PAGE_SIZE. For align > PAGE_SIZE the search asks for
  /// size + align - PAGE_SIZE (as Linux does), so it may pass over a range
  /// that would fit only once aligned. nullopt when nothing fits.
  std::optional<std::uint64_t> alloc(std::uint64_t size, std::uint64_t align);
  /// Gives back [start, start + size), which must be allocated (asserted).
  void free(std::uint64_t start, std::uint64_t size);

  /// [start, start + size) lies inside one free range.
  bool is_free(std::uint64_t start, std::uint64_t size) const;
  /// [start, start + size) shares no byte with any free range.
  bool is_allocated(std::uint64_t start, std::uint64_t size) const;

  std::uint64_t start() const { return lo_; }
  std::uint64_t end() const { return hi_; }
  std::size_t nr_free_ranges() const { return nr_ranges_; }
  std::uint64_t free_bytes() const { return free_bytes_; }
  /// The longest free range (0 when full); O(1).
  std::uint64_t largest_free() const;
  /// Every free range [start, end), ascending.
  void for_each_free(const std::function<void(std::uint64_t start, std::uint64_t end)>& fn) const;

  /// Checks the tree itself: search order, heap order, the subtree maxima,
  /// ranges inside bounds, disjoint, never touching, counts. O(n).
  bool validate() const;

 private:
  static constexpr std::uint32_t NIL = 0xffffffffu;
  struct Node {
    std::uint64_t start;
    std::uint64_t end;
    std::uint64_t max_len;  ///< longest end - start in this subtree
    std::uint32_t left;
    std::uint32_t right;
    std::uint32_t prio;
  };

  std::uint32_t new_node(std::uint64_t start, std::uint64_t end);
  void pull(std::uint32_t t);
  void split(std::uint32_t t, std::uint64_t key, std::uint32_t& l, std::uint32_t& r);
  std::uint32_t merge(std::uint32_t a, std::uint32_t b);
  void insert(std::uint64_t start, std::uint64_t end);
  void erase(std::uint64_t start);
  /// Recomputes max_len on the path to the node whose start is `key`
  /// (after that node's bounds changed without breaking the order).
  void refresh(std::uint32_t t, std::uint64_t key);
  std::uint32_t lowest_fit(std::uint64_t need) const;
  /// The node with the greatest start ≤ key / the least start ≥ key.
  std::uint32_t floor(std::uint64_t key) const;
  std::uint32_t ceil(std::uint64_t key) const;
  void walk(std::uint32_t t, const std::function<void(std::uint64_t, std::uint64_t)>& fn) const;
  bool validate(std::uint32_t t, std::uint64_t& prev_end, bool& first, std::size_t& count,
                std::uint64_t& bytes) const;

  std::uint64_t lo_, hi_;
  std::vector<Node> nodes_;
  std::vector<std::uint32_t> spare_;  ///< indices of unused nodes
  std::uint32_t root_ = NIL;
  std::size_t nr_ranges_ = 0;
  std::uint64_t free_bytes_ = 0;
  Rng rng_;
};

}  // namespace kmf
