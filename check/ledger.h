// ledger.h — what the subject handed out, as the executor saw it.
//
// One Entry per slot. The checker compares the subject's own state against
// the ledger; the ledger is never derived from the subject's internals.
//
//   phys index:  [pa, pa+len) of every live allocation that owns memory
//                (pages, slab objects, each vmalloc frame) → slot
//   virt index:  [va, va+len) of every live vmalloc / ioremap area → slot
//
// Both indexes answer "does [lo, hi) intersect a live range?" in O(log n),
// which is how NO-OVERLAP stays incremental.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "alloc/gfp.h"
#include "alloc/types.h"

namespace kmf {

class KmemCache;

enum class EntryKind : std::uint8_t {
  pages,       ///< alloc_pages: a Pfn, maybe highmem
  free_pages,  ///< get_free_pages: a direct-map address
  kmalloc,     ///< kmalloc / kzalloc / krealloc
  cache,       ///< a kmem_cache
  object,      ///< kmem_cache_alloc
  vmalloc,     ///< vmalloc / vzalloc
  ioremap,
};

std::string_view entry_kind_name(EntryKind k);

struct Entry {
  EntryKind kind;
  bool bound = false;    ///< the op ran and returned non-null
  bool live = false;     ///< bound and not yet freed
  std::uint32_t id = 0;  ///< allocation id for stamps (unique per successful allocation)
  VirtAddr va{};
  Pfn pfn = Pfn::none();
  PhysAddr phys{};         ///< ioremap: the requested physical address
  std::uint64_t size = 0;  ///< bytes requested
  std::uint64_t span = 0;  ///< bytes occupied (2^order pages, ksize, whole pages)
  unsigned order = 0;
  std::uint64_t align = 0;  ///< cache: requested alignment; object: its cache's
  gfp_t gfp = 0;
  bool zeroed = false;
  bool kept_in_place = false;  ///< krealloc returned the old object (ksize may exceed the class)
  KmemCache* cache = nullptr;  ///< object: its cache; cache: itself
  std::int32_t cache_slot = -1;
  std::vector<std::uint64_t> frames;  ///< vmalloc: the pfn behind each page
  /// User writes over the stamp, in order: (offset, length, byte).
  struct Write {
    std::uint64_t offset, length;
    std::uint8_t byte;
  };
  std::vector<Write> writes;
  /// Stamped regions and whose stamp they carry (krealloc carries the old
  /// one). Within [offset, offset + length) only the bytes the executor's
  /// stamp pattern picks for an allocation of `pattern_size` bytes starting
  /// `phase` bytes into a page carry the stamp (ops/executor.cpp): all of a
  /// small one, head, tail and two words per page of a large one.
  struct Stamp {
    std::uint64_t offset, length;
    std::uint32_t id;
    std::uint64_t pattern_size = 0;
    std::uint16_t phase = 0;
    bool ends_only = false;   ///< head and tail only (the executor's stamp budget was spent)
    std::uint32_t units = 0;  ///< stamp-budget units (about a host page each) it holds
  };
  std::vector<Stamp> stamps;
  bool corrupted = false;        ///< a scribble hit memory outside the object or after free
  std::vector<Write> scribbles;  ///< scribbles past the end of a live object
  bool zero_size_ptr = false;    ///< modern kmalloc(0): ZERO_SIZE_PTR, owns nothing
};

class Ledger {
 public:
  Entry& operator[](std::size_t slot) { return entries_[slot]; }
  const Entry& operator[](std::size_t slot) const { return entries_[slot]; }
  void resize(std::size_t n) { entries_.resize(n); }
  std::size_t size() const { return entries_.size(); }

  /// The live slot whose physical range intersects [lo, hi), if any (not `except`).
  std::optional<std::int32_t> phys_overlap(std::uint64_t lo, std::uint64_t hi,
                                           std::int32_t except = -1) const;
  std::optional<std::int32_t> virt_overlap(std::uint64_t lo, std::uint64_t hi,
                                           std::int32_t except = -1) const;
  void add_phys(std::uint64_t lo, std::uint64_t hi, std::int32_t slot) { phys_.emplace(lo, Range{hi, slot}); }
  void add_virt(std::uint64_t lo, std::uint64_t hi, std::int32_t slot) { virt_.emplace(lo, Range{hi, slot}); }
  void remove_phys(std::uint64_t lo, std::int32_t slot) { remove(phys_, lo, slot); }
  void remove_virt(std::uint64_t lo, std::int32_t slot) { remove(virt_, lo, slot); }

  struct Range {
    std::uint64_t hi;
    std::int32_t slot;
  };
  const std::multimap<std::uint64_t, Range>& phys_ranges() const { return phys_; }
  const std::multimap<std::uint64_t, Range>& virt_ranges() const { return virt_; }

 private:
  static std::optional<std::int32_t> overlap(const std::multimap<std::uint64_t, Range>& m, std::uint64_t lo,
                                             std::uint64_t hi, std::int32_t except);
  static void remove(std::multimap<std::uint64_t, Range>& m, std::uint64_t lo, std::int32_t slot);

  std::vector<Entry> entries_;
  std::multimap<std::uint64_t, Range> phys_;
  std::multimap<std::uint64_t, Range> virt_;
};

}  // namespace kmf
