// event.h — one kmem/vmalloc tracepoint event as the importer keeps it.
//
// The kernel prints these events in several eras and line shapes (ftrace's
// trace/trace_pipe, trace-cmd report, perf script); the line parser reduces
// every shape to this one record. Only what pairing, stat and replay need is
// kept, so a million events stay small (strings are interned).
//
//   family  slab:  kmalloc, kmalloc_node, kmem_cache_alloc(_node)  | kfree, kmem_cache_free
//           page:  mm_page_alloc                                  | mm_page_free, mm_page_free_batched,
//                                                                   mm_page_free_direct, mm_pagevec_free
//           vmap:  alloc_vmap_area                                | free_vmap_area_noflush
//                  (purge_vmap_area_lazy: lazily freed areas really released)
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "alloc/gfp.h"

namespace kmf::trace {

enum class EventKind : std::uint8_t {
  kmalloc,
  kmalloc_node,
  kmem_cache_alloc,
  kmem_cache_alloc_node,
  kfree,
  kmem_cache_free,
  mm_page_alloc,
  mm_page_free,
  mm_page_free_batched,
  mm_page_free_direct,  ///< 2.6.33..3.2 name of mm_page_free
  mm_pagevec_free,      ///< 2.6.33..3.2 name of mm_page_free_batched
  alloc_vmap_area,
  free_vmap_area_noflush,
  purge_vmap_area_lazy,
};
inline constexpr std::size_t NR_EVENT_KINDS = 14;

enum class Family : std::uint8_t { slab, page, vmap };

std::string_view event_name(EventKind kind);
/// The kind named `name` (the event name without its `kmem:`/`vmalloc:` system).
std::optional<EventKind> event_kind_from_name(std::string_view name);
Family family_of(EventKind kind);
bool is_alloc(EventKind kind);
/// A free (purge_vmap_area_lazy is neither an alloc nor a free).
bool is_free(EventKind kind);
/// kmem_cache_alloc / kmem_cache_alloc_node (objects of a named cache, not kmalloc).
inline bool is_cache_alloc(EventKind k) {
  return k == EventKind::kmem_cache_alloc || k == EventKind::kmem_cache_alloc_node;
}

inline constexpr std::uint32_t NO_STRING = 0;

/// Interned strings (call sites, cache names): id 0 is "no string".
class StringTable {
 public:
  StringTable() : strings_{std::string()} {}
  std::uint32_t intern(std::string_view s);
  const std::string& at(std::uint32_t id) const { return strings_[id]; }
  std::size_t size() const { return strings_.size(); }

 private:
  std::vector<std::string> strings_;
  std::unordered_map<std::string, std::uint32_t> index_;
};

struct Event {
  EventKind kind{};
  bool failed = false;        ///< the allocation returned NULL (ptr=(null), page=(null), failed=1)
  bool addr_unknown = false;  ///< the pointer was printed as (____ptrval____): cannot be paired
  std::int16_t node = -1;     ///< node= when printed (-1: none or NUMA_NO_NODE)
  std::int8_t migratetype = -1;
  std::uint8_t order = 0;               ///< page events
  std::int32_t cpu = -1;                ///< -1 when the line shape has no CPU column
  std::uint32_t line = 0;               ///< 1-based line number in the trace file
  std::uint32_t call_site = NO_STRING;  ///< interned: `0xffffffff811d3b1d` or `kmem_cache_alloc+0x1b2 [mod]`
  std::uint32_t name = NO_STRING;       ///< interned cache name (name= field)
  gfp_t gfp = 0;                        ///< in the model's bits (see gfp_names.h)
  std::uint64_t addr = 0;               ///< ptr (slab), pfn (page), va_start (vmap), start (purge)
  std::uint64_t bytes_req = 0;          ///< slab: bytes_req; vmap: size (guard page included)
  std::uint64_t bytes_alloc = 0;        ///< slab: bytes_alloc; purge: end
};

}  // namespace kmf::trace
