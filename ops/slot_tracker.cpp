// slot_tracker.cpp — the static slot states shared by the text and binary codecs.
#include "ops/slot_tracker.h"

#include <cassert>
#include <type_traits>

namespace kmf::detail {

void SlotTracker::clear() {
  slots_.clear();
  for (auto& b : buckets_) b.clear();
}

void SlotTracker::bind(SlotKind kind, std::uint64_t size, unsigned order, Slot owner) {
  SlotState st{kind, false, static_cast<std::uint8_t>(order), owner, size, 0, 0};
  auto& b = buckets_[bucket(st)];
  st.pos = static_cast<std::uint32_t>(b.size());
  b.push_back(static_cast<Slot>(slots_.size()));
  slots_.push_back(st);
}

void SlotTracker::mark_freed(Slot s) {
  SlotState& st = slots_[static_cast<std::size_t>(s)];
  if (st.freed) return;
  auto& from = buckets_[bucket(st)];
  const Slot moved = from.back();
  from[st.pos] = moved;
  slots_[static_cast<std::size_t>(moved)].pos = st.pos;
  from.pop_back();
  st.freed = true;
  auto& to = buckets_[bucket(st)];
  st.pos = static_cast<std::uint32_t>(to.size());
  to.push_back(s);
  if (st.kind == SlotKind::object && valid(st.owner))
    --slots_[static_cast<std::size_t>(st.owner)].live_objects;
}

void SlotTracker::apply(const Op& op) {
  auto is = [&](Slot s, SlotKind k) { return valid(s) && (*this)[s].kind == k && !(*this)[s].freed; };
  std::visit(
      [&](const auto& o) {
        using T = std::decay_t<decltype(o)>;
        if constexpr (std::is_same_v<T, AllocPagesOp> || std::is_same_v<T, GetFreePagesOp>) {
          const std::uint64_t bytes = o.order <= MAX_PAGE_ORDER ? PAGE_SIZE << o.order : 0;
          bind(std::is_same_v<T, AllocPagesOp> ? SlotKind::pages_pfn : SlotKind::pages_va, bytes,
               o.order > 255 ? 255 : o.order, NO_SLOT);
        } else if constexpr (std::is_same_v<T, KmallocOp>) {
          bind(SlotKind::kmalloc, o.size, 0, NO_SLOT);
        } else if constexpr (std::is_same_v<T, KreallocOp>) {
          if (is(o.src, SlotKind::kmalloc)) mark_freed(o.src);
          bind(SlotKind::kmalloc, o.size, 0, NO_SLOT);
        } else if constexpr (std::is_same_v<T, CacheCreateOp>) {
          bind(SlotKind::cache, o.size, 0, NO_SLOT);
        } else if constexpr (std::is_same_v<T, CacheAllocOp>) {
          const bool cache_ok = valid(o.cache) && (*this)[o.cache].kind == SlotKind::cache;
          bind(SlotKind::object, cache_ok ? (*this)[o.cache].size : 0, 0, cache_ok ? o.cache : NO_SLOT);
          if (cache_ok) ++slots_[static_cast<std::size_t>(o.cache)].live_objects;
        } else if constexpr (std::is_same_v<T, VmallocOp>) {
          bind(SlotKind::vmalloc, o.size, 0, NO_SLOT);
        } else if constexpr (std::is_same_v<T, IoremapOp>) {
          bind(SlotKind::ioremap, o.size, 0, NO_SLOT);
        } else if constexpr (std::is_same_v<T, KfreeOp>) {
          if (o.offset == 0 && is(o.src, SlotKind::kmalloc)) mark_freed(o.src);
        } else if constexpr (std::is_same_v<T, FreePagesOp>) {
          if ((is(o.src, SlotKind::pages_pfn) || is(o.src, SlotKind::pages_va)) &&
              (!o.order || *o.order == (*this)[o.src].order))
            mark_freed(o.src);
        } else if constexpr (std::is_same_v<T, CacheFreeOp>) {
          if (o.offset == 0 && is(o.obj, SlotKind::object) && (*this)[o.obj].owner == o.cache)
            mark_freed(o.obj);
        } else if constexpr (std::is_same_v<T, VfreeOp>) {
          if (o.offset == 0 && is(o.src, SlotKind::vmalloc)) mark_freed(o.src);
        } else if constexpr (std::is_same_v<T, IounmapOp>) {
          if (is(o.src, SlotKind::ioremap)) mark_freed(o.src);
        } else if constexpr (std::is_same_v<T, CacheDestroyOp>) {
          if (is(o.cache, SlotKind::cache) && (*this)[o.cache].live_objects == 0) mark_freed(o.cache);
        }
      },
      op);
}

std::size_t SlotTracker::count(SlotSet set) const {
  std::size_t n = 0;
  for (std::size_t b = 0; b < buckets_.size(); ++b)
    if (set & (1u << b)) n += buckets_[b].size();
  return n;
}

Slot SlotTracker::pick(SlotSet set, std::size_t index) const {
  for (std::size_t b = 0; b < buckets_.size(); ++b) {
    if (!(set & (1u << b))) continue;
    if (index < buckets_[b].size()) return buckets_[b][index];
    index -= buckets_[b].size();
  }
  assert(false && "pick: index out of range");
  return NO_SLOT;
}

std::size_t SlotTracker::index_of(SlotSet set, Slot s) const {
  const SlotState& st = (*this)[s];
  const std::size_t mine = bucket(st);
  std::size_t index = st.pos;
  for (std::size_t b = 0; b < mine; ++b)
    if (set & (1u << b)) index += buckets_[b].size();
  return index;
}

}  // namespace kmf::detail
