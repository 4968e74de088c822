// slot_tracker.h — what each slot of a program holds, seen statically: its
// kind, its nominal size, and whether an earlier op freed it.
//
// The text parser and the binary codec share this one view so that they
// agree on which names are live: the parser rejects a live-only use of a
// freed name, the decoder picks only candidates of the right state, and the
// encoder replays the decoder's choices exactly.
//
//   slots:    0:k live   1:v live   2:k freed   3:c live   4:o live (owner 3)
//   buckets:  one per (kind, freed): live kmalloc → [0], freed kmalloc → [2], …
//             (swap-remove; the order is a deterministic function of the ops)
//
// The static free rule: a free op frees its name only when it is the name's
// own API, at offset 0, with the binding's order (free_pages) or cache
// (kmem_cache_free). A misuse free (wrong API, wrong order, wrong cache,
// interior pointer) leaves the allocation live, as the kernel does.
// krealloc consumes its source (the name counts as freed afterwards, whether
// or not the call succeeds at run time). kmem_cache_destroy destroys a cache
// only when none of its objects is live; otherwise it is the cache_leak
// misuse and the cache stays.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "ops/op.h"

namespace kmf::detail {

enum class SlotKind : std::uint8_t {
  pages_pfn,  ///< alloc_pages (a frame number)
  pages_va,   ///< get_free_pages (a direct-mapped address)
  kmalloc,    ///< kmalloc, kzalloc, krealloc
  object,     ///< kmem_cache_alloc
  vmalloc,    ///< vmalloc, vzalloc
  ioremap,    ///< ioremap
  cache,      ///< kmem_cache_create
};
inline constexpr std::size_t NR_SLOT_KINDS = 7;

/// A set of (kind, state) buckets: bit 2k is "live kind k", bit 2k+1 "freed kind k".
using SlotSet = std::uint16_t;
constexpr SlotSet live(SlotKind k) { return static_cast<SlotSet>(1u << (2 * static_cast<unsigned>(k))); }
constexpr SlotSet freed(SlotKind k) { return static_cast<SlotSet>(2u << (2 * static_cast<unsigned>(k))); }

inline constexpr SlotSet LIVE_PAGES = live(SlotKind::pages_pfn) | live(SlotKind::pages_va);
inline constexpr SlotSet LIVE_WRITABLE =
    LIVE_PAGES | live(SlotKind::kmalloc) | live(SlotKind::object) | live(SlotKind::vmalloc);
inline constexpr SlotSet FREED_WRITABLE = freed(SlotKind::pages_pfn) | freed(SlotKind::pages_va) |
                                          freed(SlotKind::kmalloc) | freed(SlotKind::object) |
                                          freed(SlotKind::vmalloc);
inline constexpr SlotSet LIVE_MEMORY = LIVE_WRITABLE | live(SlotKind::ioremap);
inline constexpr SlotSet FREED_MEMORY = FREED_WRITABLE | freed(SlotKind::ioremap);

struct SlotState {
  SlotKind kind;
  bool freed;
  std::uint8_t order;  ///< pages: the binding's order
  Slot owner;          ///< object: its cache; otherwise NO_SLOT
  std::uint64_t size;  ///< nominal bytes: the request, PAGE_SIZE << order (0 above order 10), object size
  std::uint32_t live_objects;  ///< cache: objects not yet freed
  std::uint32_t pos;           ///< index in its bucket
};

class SlotTracker {
 public:
  void clear();
  std::size_t size() const { return slots_.size(); }
  bool valid(Slot s) const { return s >= 0 && static_cast<std::size_t>(s) < slots_.size(); }
  const SlotState& operator[](Slot s) const { return slots_[static_cast<std::size_t>(s)]; }
  /// True when slot `s` exists and its (kind, state) bucket is in `set`.
  bool in(SlotSet set, Slot s) const {
    return valid(s) && (set & bucket_bit(slots_[static_cast<std::size_t>(s)]));
  }

  /// Records the effect of `op`, which must be the next op of the program: a
  /// binding op binds slot size(); frees update states by the static rule.
  void apply(const Op& op);

  /// Number of slots in `set`.
  std::size_t count(SlotSet set) const;
  /// The index-th slot of `set` (buckets in kind order, live before freed); index < count(set).
  Slot pick(SlotSet set, std::size_t index) const;
  /// The inverse of pick: the index of `s` in `set`; `s` must be in `set`.
  std::size_t index_of(SlotSet set, Slot s) const;

 private:
  static std::size_t bucket(const SlotState& st) { return 2 * static_cast<std::size_t>(st.kind) + st.freed; }
  static SlotSet bucket_bit(const SlotState& st) { return static_cast<SlotSet>(1u << bucket(st)); }
  void bind(SlotKind kind, std::uint64_t size, unsigned order, Slot owner);
  void mark_freed(Slot s);

  std::vector<SlotState> slots_;
  std::array<std::vector<Slot>, 2 * NR_SLOT_KINDS> buckets_;
};

}  // namespace kmf::detail
