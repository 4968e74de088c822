// phys_mem.h — host backing for simulated RAM and the per-frame metadata
// array (`struct page`).
//
// Both are reserved with mmap(MAP_NORESERVE): a 64 GiB machine costs only the
// pages it touches. Untouched metadata reads as zero, which is the state of a
// frame that is neither the head of a block nor reserved, so boot writes only
// the head of each free block.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "alloc/types.h"

namespace kmf {

/// Index of "no frame" in intrusive frame lists.
inline constexpr std::uint32_t PFN_NIL = 0xffffffffu;

enum class PageState : std::uint8_t {
  none = 0,   ///< interior of a block (free or allocated), or a hole
  free,       ///< head of a free buddy block of `order`
  allocated,  ///< head of an allocated block of `order`
  reserved,   ///< never given to the buddy allocator (firmware, holes)
};

/// Who holds an allocated block; the checker uses it for ownership claims.
enum class PageOwner : std::uint8_t {
  none = 0,
  pages,          ///< alloc_pages / get_free_pages caller
  slab,           ///< a slab of some kmem_cache (priv: slab id)
  vmalloc,        ///< a vmalloc area frame (priv: area id)
  pagetable,      ///< a page-table page of the simulated MMU
  large_kmalloc,  ///< modern-profile kmalloc served by the page allocator
};

/// Page::flags bit kept by the buddy allocator: this frame was once handed
/// out as the head of a block (tells a double free from a never-allocated
/// page). Owners may use the other seven bits.
inline constexpr std::uint8_t PG_EVER_HEAD = 0x80;

/// "a slab", "a page table", … for messages.
const char* page_owner_name(PageOwner owner);

/// 16 bytes per frame.
struct Page {
  std::uint32_t next;  ///< free list link (PFN_NIL ends); valid on free heads
  std::uint32_t prev;
  std::uint32_t priv;  ///< owner-specific (slab id, area id, …)
  PageState state;
  std::uint8_t order;
  PageOwner owner;
  std::uint8_t flags;  ///< owner-specific bits
};
static_assert(sizeof(Page) == 16);

class PhysMem {
 public:
  explicit PhysMem(std::uint64_t bytes);
  ~PhysMem();
  PhysMem(const PhysMem&) = delete;
  PhysMem& operator=(const PhysMem&) = delete;

  std::uint64_t bytes() const { return bytes_; }
  std::uint64_t nr_frames() const { return bytes_ >> PAGE_SHIFT; }
  bool contains(PhysAddr pa, std::uint64_t len = 1) const {
    return pa.value < bytes_ && len <= bytes_ - pa.value;
  }

  Page& page(std::uint64_t pfn) { return pages_[pfn]; }
  const Page& page(std::uint64_t pfn) const { return pages_[pfn]; }

  /// Raw frame contents; callers bound-check with contains().
  std::byte* data(PhysAddr pa) { return mem_ + pa.value; }
  const std::byte* data(PhysAddr pa) const { return mem_ + pa.value; }

  void zero(PhysAddr pa, std::uint64_t len);
  void fill(PhysAddr pa, std::uint64_t len, std::byte value);

  /// Host bytes actually resident (RSS of the two mappings), for reports.
  std::uint64_t resident_bytes() const;

 private:
  std::uint64_t bytes_;
  std::byte* mem_ = nullptr;
  Page* pages_ = nullptr;
  std::size_t pages_map_bytes_ = 0;
};

}  // namespace kmf
