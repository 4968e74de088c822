// event.cpp — event names and families.
#include "trace/event.h"

#include <array>

namespace kmf::trace {

namespace {
constexpr std::array<std::string_view, NR_EVENT_KINDS> NAMES{
    "kmalloc",
    "kmalloc_node",
    "kmem_cache_alloc",
    "kmem_cache_alloc_node",
    "kfree",
    "kmem_cache_free",
    "mm_page_alloc",
    "mm_page_free",
    "mm_page_free_batched",
    "mm_page_free_direct",
    "mm_pagevec_free",
    "alloc_vmap_area",
    "free_vmap_area_noflush",
    "purge_vmap_area_lazy",
};
}  // namespace

std::string_view event_name(EventKind kind) { return NAMES[static_cast<std::size_t>(kind)]; }

std::optional<EventKind> event_kind_from_name(std::string_view name) {
  for (std::size_t i = 0; i < NAMES.size(); ++i)
    if (NAMES[i] == name) return static_cast<EventKind>(i);
  return std::nullopt;
}

Family family_of(EventKind kind) {
  switch (kind) {
    case EventKind::kmalloc:
    case EventKind::kmalloc_node:
    case EventKind::kmem_cache_alloc:
    case EventKind::kmem_cache_alloc_node:
    case EventKind::kfree:
    case EventKind::kmem_cache_free: return Family::slab;
    case EventKind::mm_page_alloc:
    case EventKind::mm_page_free:
    case EventKind::mm_page_free_batched:
    case EventKind::mm_page_free_direct:
    case EventKind::mm_pagevec_free: return Family::page;
    case EventKind::alloc_vmap_area:
    case EventKind::free_vmap_area_noflush:
    case EventKind::purge_vmap_area_lazy: return Family::vmap;
  }
  return Family::slab;
}

bool is_alloc(EventKind kind) {
  switch (kind) {
    case EventKind::kmalloc:
    case EventKind::kmalloc_node:
    case EventKind::kmem_cache_alloc:
    case EventKind::kmem_cache_alloc_node:
    case EventKind::mm_page_alloc:
    case EventKind::alloc_vmap_area: return true;
    default: return false;
  }
}

bool is_free(EventKind kind) { return !is_alloc(kind) && kind != EventKind::purge_vmap_area_lazy; }

std::uint32_t StringTable::intern(std::string_view s) {
  if (s.empty()) return NO_STRING;
  if (auto it = index_.find(std::string(s)); it != index_.end()) return it->second;
  const auto id = static_cast<std::uint32_t>(strings_.size());
  strings_.emplace_back(s);
  index_.emplace(strings_.back(), id);
  return id;
}

}  // namespace kmf::trace
