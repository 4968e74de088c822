// phys_mem.h — host backing for simulated RAM and the per-frame metadata
// array (`struct page`).
//
// Both are reserved with mmap(MAP_NORESERVE): a 64 GiB machine costs only the
// pages it touches. Untouched metadata reads as zero, which is the state of a
// frame that is neither the head of a block nor reserved, so boot writes only
// the head of each free block.
//
// Fuzzing builds a fresh small machine for every input, and mapping, faulting
// in and unmapping its host memory used to cost more than running the input.
// So machines of at most POOLED_BYTES take their host memory from a small
// per-thread pool: when one is destroyed, every 64-byte granule it wrote
// (a mask per frame kept by writable(), zero() and fill(), with a bitmap of
// the frames that have any) and its whole metadata array are zeroed again,
// and the mapping waits for the next machine. Every machine still starts
// from zeroed RAM and zeroed metadata; nothing else survives. Resetting
// costs what was written, not the frames it touched: an 8-byte stamp in a
// page clears 64 bytes, not 4 KiB.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

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

  /// Raw frame contents for reading; callers bound-check with contains().
  const std::byte* data(PhysAddr pa) const { return mem_ + pa.value; }
  /// The same bytes for writing [pa, pa + len): marks their frames dirty,
  /// which is how a pooled mapping knows what to zero for the next machine
  /// and zero() knows which frames already read zero.
  /// Every write to simulated RAM goes through here, zero() or fill().
  std::byte* writable(PhysAddr pa, std::uint64_t len) {
    mark_dirty(pa, len);
    return mem_ + pa.value;
  }

  /// Bytes of RAM a machine's writes are tracked in (and reset) by.
  static constexpr std::uint64_t GRANULE = 64;
  static_assert(PAGE_SIZE / GRANULE == 64, "one 64-bit granule mask per frame");
  /// The granules of frame `pfn` written since boot (or since zero() cleared them), bit g = bytes [64g, 64g +
  /// 64).
  /// A large (unpooled) machine tracks whole frames: all or none.
  std::uint64_t dirty_granules(std::uint64_t pfn) const {
    if (grains_) return grains_[pfn];
    return (dirty_[pfn >> 6] >> (pfn & 63) & 1) != 0 ? ~std::uint64_t{0} : 0;
  }

  void zero(PhysAddr pa, std::uint64_t len);
  void fill(PhysAddr pa, std::uint64_t len, std::byte value);

  /// Host bytes actually resident (RSS of the two mappings), for reports.
  /// A pooled mapping also counts the zeroed pages earlier machines left
  /// resident.
  std::uint64_t resident_bytes() const;

  /// Machines this small share host mappings through the per-thread pool.
  static constexpr std::uint64_t POOLED_BYTES = std::uint64_t{64} << 20;
  bool pooled() const { return pooled_; }

  /// True when every mapping waiting in this thread's pool is entirely zero
  /// (RAM and metadata): the check that no write escaped writable(). Scans
  /// every byte; for tests.
  static bool pool_is_clean_for_testing();
  /// Mappings waiting in this thread's pool.
  static std::size_t pooled_mappings_for_testing();
  /// Unmaps every mapping waiting in this thread's pool (gives the host
  /// memory back; the next small machine maps afresh).
  static void drain_pool();

 private:
  /// The granule bits [lo, hi) of a frame's mask (0 <= lo < hi <= 64).
  static std::uint64_t granule_bits(std::uint64_t lo, std::uint64_t hi) {
    return (hi - lo == 64 ? ~std::uint64_t{0} : ((std::uint64_t{1} << (hi - lo)) - 1)) << lo;
  }

  void mark_dirty(PhysAddr pa, std::uint64_t len) {
    if (len == 0) return;
    const std::uint64_t end = pa.value + len;
    const std::uint64_t first = pa.value >> PAGE_SHIFT;
    const std::uint64_t last = (end - 1) >> PAGE_SHIFT;
    for (std::uint64_t f = first; f <= last; ++f) {
      const std::uint64_t lo = f == first ? (pa.value & (PAGE_SIZE - 1)) / GRANULE : 0;
      const std::uint64_t hi = f == last ? (((end - 1) & (PAGE_SIZE - 1)) / GRANULE) + 1 : 64;
      if (grains_) grains_[f] |= granule_bits(lo, hi);
      dirty_[f >> 6] |= std::uint64_t{1} << (f & 63);
    }
  }

  std::uint64_t bytes_;
  std::byte* mem_ = nullptr;
  Page* pages_ = nullptr;
  std::size_t mem_map_bytes_ = 0;
  std::size_t pages_map_bytes_ = 0;
  bool pooled_ = false;
  /// A bit per frame with any dirty granule: what a pooled mapping must
  /// visit to zero for the next machine, and what zero() must clear (a clean
  /// frame reads zero).
  std::vector<std::uint64_t> dirty_;
  /// Per frame, a bit per 64-byte granule written: a pooled mapping's own
  /// array, zeroed as its frames are. A large machine has none (null): it
  /// is unmapped, not reset, and its address space stays RAM + metadata
  /// (a 64 GiB machine would reserve 128 MiB more); zero() then clears
  /// whole dirty frames, as before granules.
  std::uint64_t* grains_ = nullptr;
};

}  // namespace kmf
