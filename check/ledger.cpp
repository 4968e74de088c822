// ledger.cpp — the range indexes.
#include "check/ledger.h"

namespace kmf {

std::string_view entry_kind_name(EntryKind k) {
  switch (k) {
    case EntryKind::pages: return "alloc_pages";
    case EntryKind::free_pages: return "get_free_pages";
    case EntryKind::kmalloc: return "kmalloc";
    case EntryKind::cache: return "kmem_cache";
    case EntryKind::object: return "kmem_cache_alloc";
    case EntryKind::vmalloc: return "vmalloc";
    case EntryKind::ioremap: return "ioremap";
  }
  return "?";
}

std::optional<std::int32_t> Ledger::overlap(const std::multimap<std::uint64_t, Range>& m, std::uint64_t lo,
                                            std::uint64_t hi, std::int32_t except) {
  // The indexed ranges are disjoint (the executor stops at the first overlap
  // it sees), so among ranges starting below `hi` only the nearest can reach
  // `lo`: every earlier one ends before that one starts. One more step back
  // skips the `except` range.
  auto it = m.lower_bound(hi);
  for (int steps = 0; steps < 2 && it != m.begin(); ++steps) {
    --it;
    if (it->second.slot == except) continue;
    if (it->second.hi > lo) return it->second.slot;
    break;
  }
  return std::nullopt;
}

void Ledger::remove(std::multimap<std::uint64_t, Range>& m, std::uint64_t lo, std::int32_t slot) {
  auto [b, e] = m.equal_range(lo);
  for (auto it = b; it != e; ++it) {
    if (it->second.slot == slot) {
      m.erase(it);
      return;
    }
  }
}

}  // namespace kmf

namespace kmf {

std::optional<std::int32_t> Ledger::phys_overlap(std::uint64_t lo, std::uint64_t hi,
                                                 std::int32_t except) const {
  return overlap(phys_, lo, hi, except);
}

std::optional<std::int32_t> Ledger::virt_overlap(std::uint64_t lo, std::uint64_t hi,
                                                 std::int32_t except) const {
  return overlap(virt_, lo, hi, except);
}

}  // namespace kmf
