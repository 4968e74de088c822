// slab.h — the slab layer: kmem_cache, its slabs, and the kmalloc size classes.
//
// A cache cuts slabs (2^order physically contiguous, direct-mapped frames from
// the buddy allocator) into objects of one size. Each slab sits on exactly one
// of its cache's three lists, by how many objects are in use:
//
//   KmemCache "size-128"   (slab_debug: stride 256, order 0, 16 objects)
//     partial ─► slab 7 ◄─► slab 3      full ─► slab 5      empty ─► slab 9
//
//   slab 7: frames [pfn 0x2a00]  every frame: Page::owner = slab, Page::priv = 7
//   |obj 0|rz|obj 1|rz|obj 2|rz| ...                       |obj 15|rz|
//    live      free      live                                  free
//   freelist ─► 1 ─► 15 ─► NIL     (out of line: Slab::next_free, Slab::live)
//
//   one stride with red zones (SLAB_RED_ZONE or slab_debug):
//   | object: object_size bytes          | red zone: up to the stride end  |
//     free:  0x6b 0x6b … 0x6b 0xa5 (poison) 0xbb (inactive)
//     live:  the caller's bytes             0xcc (active)
//
// The free list lives outside the simulated memory so that no write through
// Kernel::write — a use after free included — can corrupt allocator state:
// the model stays consistent whatever a program does, and slab_debug finds
// the corruption in the bytes instead (DEBUG-DETECT).
//
// Keeps (catalog ids): S-OBJECT (a live object starts at a multiple of the
// stride inside a slab of its cache), S-FREELIST (the free list holds exactly
// the free objects), S-LIMIT (kmalloc above kmalloc_max_size() fails),
// S-KSIZE (ksize is the size class), S-ALIGN (cache alignment; power-of-two
// kmalloc classes are naturally aligned), PHYS-CONTIG (objects never straddle
// a slab), ZERO (GFP_ZERO / kzalloc), DEBUG-DETECT (red zones, poison),
// MISUSE (double free, wrong cache, pointers inside objects, bad cache
// pointers: one report, nothing changed), FAULT (failslab: null, nothing
// changed).
#pragma once

#include <array>
#include <cassert>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "alloc/kernel.h"

namespace kmf {

// ---- geometry -----------------------------------------------------------------

/// Every object is aligned at least this much (the model's ARCH_SLAB_MINALIGN).
inline constexpr std::size_t SLAB_MIN_ALIGN = 8;
/// The narrowest red zone after an object (before rounding to the alignment).
inline constexpr std::size_t SLAB_RED_ZONE_MIN = 8;
/// Order selection stops here unless an object needs more (SLUB's slub_max_order).
inline constexpr unsigned SLAB_PREFERRED_MAX_ORDER = 3;
/// A slab that empties is kept on the empty list while fewer than this many
/// are there; further empty slabs go straight back to the buddy allocator.
inline constexpr std::uint64_t SLAB_EMPTY_KEPT = 1;

// slub_debug fill bytes.
inline constexpr std::byte POISON_FREE{0x6b};
inline constexpr std::byte POISON_END{0xa5};
inline constexpr std::byte RED_INACTIVE{0xbb};
inline constexpr std::byte RED_ACTIVE{0xcc};

/// Modern kmalloc(0) returns ZERO_SIZE_PTR: not NULL, never dereferenced.
inline constexpr VirtAddr ZERO_SIZE_PTR{16};

/// Largest object a cache may hold (inclusive): 128 KiB (MAX_OBJ_ORDER 5) in
/// the 2.6.18 profile, 4 MiB (KMALLOC_MAX_SIZE) in the modern one.
std::size_t slab_max_object(KmallocProfile profile);
/// Largest slab order (inclusive): 5 for 2.6.18, MAX_PAGE_ORDER for modern.
unsigned slab_max_order(KmallocProfile profile);

/// How a cache lays out its slabs.
struct CacheGeometry {
  std::size_t object_size = 0;  ///< bytes the caller may use (ksize of a kmalloc object)
  std::size_t size = 0;         ///< stride: object + red zone + padding ("objsize" in slabinfo)
  std::size_t align = 0;        ///< every object starts at a multiple of this
  unsigned order = 0;           ///< a slab is 2^order frames
  std::uint32_t objects = 0;    ///< objects per slab
  bool red_zone = false;        ///< [object_size, size) of each stride is a red zone
  bool poison = false;          ///< free objects hold 0x6b … 0xa5
  friend bool operator==(const CacheGeometry&, const CacheGeometry&) = default;
};

/// The layout of a cache, a pure function of its parameters; nullopt when the
/// aligned object exceeds slab_max_object(profile).
///
/// - align: at least SLAB_MIN_ALIGN, rounded up to a power of two;
///   SLAB_HWCACHE_ALIGN raises it to the L1 line (64), halved while the object
///   fits in half of it.
/// - red zone (SLAB_RED_ZONE or slab_debug): stride = round_up(round_up(size,
///   8) + 8, align), kept only while that stride is within slab_max_object;
///   otherwise the cache goes without (the 2.6.18 size-131072 cache).
/// - poison (SLAB_POISON or slab_debug) unless the cache has a constructor:
///   poison would destroy the constructed state a ctor promises (as SLUB).
/// - order: the smallest order holding one object, raised (up to
///   SLAB_PREFERRED_MAX_ORDER) until the unused tail is at most 1/8 of the
///   slab; if no order gets there, the one with the smallest waste fraction.
std::optional<CacheGeometry> cache_geometry(std::size_t size, std::size_t align, SlabFlags flags,
                                            bool has_ctor, bool slab_debug, KmallocProfile profile);

/// The kmalloc size classes of a profile, ascending.
std::span<const std::size_t> kmalloc_size_classes(KmallocProfile profile);
/// The name of a kmalloc cache: size-128, size-128(DMA), kmalloc-1k, dma-kmalloc-96.
std::string kmalloc_cache_name(KmallocProfile profile, std::size_t size_class, bool dma);

// ---- slabs and caches ------------------------------------------------------------

inline constexpr std::uint32_t SLAB_NIL = 0xffffffffu;

enum class SlabList : std::uint8_t {
  partial = 0,  ///< some objects in use
  full = 1,     ///< every object in use
  empty = 2,    ///< no object in use, frames kept for the next allocation
  none = 3,     ///< not on any list (an unused slot)
};
inline constexpr std::size_t NR_SLAB_LISTS = 3;

/// One slab. Slot ids are reused, the most recently freed first; `cache` is
/// SLAB_NIL for an unused slot.
struct Slab {
  std::uint32_t cache = SLAB_NIL;  ///< owning cache id
  std::uint64_t head_pfn = 0;      ///< first frame; the slab is 2^order frames
  unsigned order = 0;
  std::uint32_t objects = 0;          ///< object count (the cache's objects per slab)
  std::uint32_t inuse = 0;            ///< live objects
  std::uint32_t freelist = SLAB_NIL;  ///< first free object index
  std::uint32_t prev = SLAB_NIL;      ///< neighbours on the cache's list (slab ids)
  std::uint32_t next = SLAB_NIL;
  SlabList list = SlabList::none;
  std::vector<std::uint32_t> next_free;  ///< per object: the next free index (valid for free objects)
  std::vector<std::uint8_t> live;        ///< per object: 1 while handed out

  bool in_use() const { return cache != SLAB_NIL; }
};

class KmemCache {
 public:
  std::string_view name() const { return name_; }
  std::uint32_t id() const { return id_; }
  const CacheGeometry& geometry() const { return geo_; }
  std::size_t object_size() const { return geo_.object_size; }
  std::size_t size() const { return geo_.size; }
  std::size_t align() const { return geo_.align; }
  unsigned order() const { return geo_.order; }
  std::uint32_t objects_per_slab() const { return geo_.objects; }
  bool red_zone() const { return geo_.red_zone; }
  bool poison() const { return geo_.poison; }
  /// The flags as the creator passed them.
  SlabFlags flags() const { return flags_; }
  bool has_ctor() const { return static_cast<bool>(ctor_); }
  bool is_kmalloc() const { return kmalloc_; }
  bool is_dma() const { return dma_; }
  /// Destroyed: kept so that a stale pointer is recognised, never used again.
  bool is_dead() const { return dead_; }

  /// First slab id of a list (SLAB_NIL when empty); follow Slab::next.
  std::uint32_t list_head(SlabList l) const { return heads_[static_cast<std::size_t>(l)]; }
  std::uint64_t nr_slabs(SlabList l) const { return counts_[static_cast<std::size_t>(l)]; }
  std::uint64_t nr_slabs() const { return counts_[0] + counts_[1] + counts_[2]; }
  std::uint64_t active_objs() const { return inuse_; }
  std::uint64_t num_objs() const { return nr_slabs() * geo_.objects; }

 private:
  friend class SlabAllocator;
  std::string name_;
  std::uint32_t id_ = 0;
  CacheGeometry geo_;
  SlabFlags flags_ = 0;
  Ctor ctor_;
  bool kmalloc_ = false;
  bool dma_ = false;
  bool dead_ = false;
  std::array<std::uint32_t, NR_SLAB_LISTS> heads_{SLAB_NIL, SLAB_NIL, SLAB_NIL};
  std::array<std::uint64_t, NR_SLAB_LISTS> counts_{};
  std::uint64_t inuse_ = 0;
  // offset / size as a multiply and a shift: every free divides by the stride.
  std::uint64_t div_magic_ = 0;
  unsigned div_shift_ = 0;
};

/// Where an address falls in the slab layer (or in a large kmalloc).
struct ObjectRef {
  const KmemCache* cache = nullptr;  ///< nullptr for a large kmalloc
  std::uint32_t slab = SLAB_NIL;     ///< slab id (SLAB_NIL for a large kmalloc)
  std::uint32_t index = 0;           ///< object index in the slab
  VirtAddr start{};                  ///< the object's first byte
  std::uint64_t offset = 0;          ///< addr - start
  std::size_t size = 0;              ///< usable bytes (object_size, or the large block)
  bool live = false;
};

class SlabAllocator {
 public:
  explicit SlabAllocator(Kernel& k);
  ~SlabAllocator();
  SlabAllocator(const SlabAllocator&) = delete;
  SlabAllocator& operator=(const SlabAllocator&) = delete;

  // ---- the operations behind Kernel's slab API (reports inside) --------------
  /// A ctor runs on each object when its slab is made (not on every
  /// allocation: objects keep their constructed state across free and alloc,
  /// as in Linux). It must not call back into the Kernel.
  KmemCache* create(std::string_view name, std::size_t size, std::size_t align, SlabFlags flags, Ctor ctor);
  VirtAddr alloc(KmemCache* cache, gfp_t gfp);
  void free(KmemCache* cache, VirtAddr obj);
  void destroy(KmemCache* cache);
  void shrink(KmemCache* cache);
  /// Every cache's empty slabs back to the buddy allocator (drop_slab).
  void shrink_all();
  VirtAddr kmalloc(std::size_t size, gfp_t gfp);
  void kfree(VirtAddr obj);
  std::size_t ksize(VirtAddr obj);
  VirtAddr krealloc(VirtAddr obj, std::size_t new_size, gfp_t gfp);
  std::size_t kmalloc_max_size() const;

  // ---- /proc -------------------------------------------------------------------
  /// Frames held by slabs (large kmallocs excluded), for /proc/meminfo's Slab.
  std::uint64_t slab_pages() const { return slab_pages_; }
  /// /proc/slabinfo 2.1: live user caches newest first, then every kmalloc
  /// cache (created or not yet) from the largest class down, DMA first.
  std::string slabinfo() const;

  // ---- introspection (read-only; the checker's view) -----------------------------
  /// Every cache ever created, dead ones included; ids are indices.
  std::size_t nr_caches() const { return caches_.size(); }
  const KmemCache& cache(std::uint32_t id) const { return *caches_[id]; }
  /// The kmalloc cache serving `size`; nullptr when the class has no cache yet
  /// (they are created on first use) or `size` is above the slab classes.
  const KmemCache* kmalloc_cache(std::size_t size, bool dma) const;
  /// Slab slots, used and unused; ids are indices.
  std::size_t nr_slab_slots() const { return slabs_.size(); }
  const Slab& slab(std::uint32_t id) const { return slabs_[id]; }
  /// Direct-map address of object `index` of slab `id`.
  VirtAddr object_address(std::uint32_t slab_id, std::uint32_t index) const;
  /// The slab ids on one of a cache's lists, in list order (stops after
  /// nr_slab_slots() steps, so a corrupted list cannot loop forever).
  std::vector<std::uint32_t> slabs_of(const KmemCache& cache, SlabList list) const;
  /// A slab's free list in order, stopping after `max_steps` entries (a cycle
  /// then shows as a list longer than the free count).
  std::vector<std::uint32_t> free_list(std::uint32_t slab_id, std::size_t max_steps) const;
  /// The object (or large kmalloc block) containing `addr`, live or free;
  /// nullopt outside every slab and large kmalloc.
  std::optional<ObjectRef> object_containing(VirtAddr addr) const;
  /// The cache of the live object starting at `addr`; nullptr otherwise (large
  /// kmallocs too: see object_containing).
  const KmemCache* live_object_cache(VirtAddr addr) const;
  bool is_live_object(VirtAddr addr) const;

  // ---- test-only hooks: corrupt state on purpose ---------------------------------
  Slab& slab_for_testing(std::uint32_t id) { return slabs_[id]; }
  KmemCache& cache_for_testing(std::uint32_t id) { return *caches_[id]; }
  /// Points the last free object's link back at the first: a cycle.
  void freelist_cycle_for_testing(std::uint32_t slab_id);
  /// Pushes object `index` on the free list with no check (twice: a duplicate).
  void push_free_for_testing(std::uint32_t slab_id, std::uint32_t index);
  /// Adds `delta` to a slab's in-use counter (and its cache's), nothing else.
  void bump_inuse_for_testing(std::uint32_t slab_id, std::int64_t delta);
  /// Moves a slab to another list of its cache without touching its objects.
  void move_slab_for_testing(std::uint32_t slab_id, SlabList to);

 private:
  /// Where an address falls: nowhere, in a slab (object index, offset inside
  /// its stride) or in a large kmalloc block.
  struct Hit {
    enum class Kind : std::uint8_t { none, slab, large } kind = Kind::none;
    std::uint32_t slab = SLAB_NIL;
    std::uint32_t index = 0;   ///< object index (slab)
    std::uint64_t within = 0;  ///< offset inside the stride (slab) or the block (large)
    bool beyond = false;       ///< in the slab's unused tail, past the last object
    std::uint64_t pfn = 0;     ///< the frame of the address (large: the head)
  };

  // cache handling
  KmemCache* known_cache(const KmemCache* c) const;
  /// The live cache behind a caller's pointer, or nullptr and a report of `kind`.
  KmemCache* checked_cache(KmemCache* c, const char* caller, ReportKind kind);
  KmemCache* checked_cache_slow(KmemCache* c, const char* caller, ReportKind kind);
  /// check_might_sleep, without the call outside atomic context.
  bool sleeps_in_atomic(gfp_t gfp, const char* caller) {
    return k_.atomic_ && k_.check_might_sleep(gfp, caller);
  }
  KmemCache& kmalloc_cache_for(std::size_t class_index, bool dma);
  KmemCache* new_cache(std::string name, const CacheGeometry& geo, SlabFlags flags, Ctor ctor);
  bool should_failslab(const KmemCache& c, gfp_t gfp);

  // slabs (the small hot helpers are inline, below the class)
  std::uint32_t grow(KmemCache& c, gfp_t gfp);
  void release(KmemCache& c, std::uint32_t slab_id);
  void list_add(KmemCache& c, std::uint32_t slab_id, SlabList l);
  void list_del(KmemCache& c, std::uint32_t slab_id);
  void relist(KmemCache& c, std::uint32_t slab_id);
  std::byte* object_bytes(const Slab& s, const KmemCache& c, std::uint32_t index);
  const std::byte* object_bytes(const Slab& s, const KmemCache& c, std::uint32_t index) const;
  VirtAddr alloc_from(KmemCache& c, gfp_t gfp);
  void free_object(KmemCache& c, std::uint32_t slab_id, std::uint32_t index);
  Hit lookup(VirtAddr addr) const;
  Hit lookup_large(std::uint64_t pa, std::uint64_t pfn, const Page& p) const;
  bool check_free_request(const Hit& h, VirtAddr addr, const char* caller);

  // kmalloc
  VirtAddr kmalloc_checked(std::size_t size, gfp_t gfp);
  VirtAddr kmalloc_large(std::size_t size, gfp_t gfp);
  bool is_zero_or_null(VirtAddr addr) const;
  void report_not_kmalloc(VirtAddr addr, const char* caller);
  std::size_t usable_size_or_report(VirtAddr addr, const char* caller);

  // slab_debug (slab_debug.cpp)
  void debug_init_slab(const KmemCache& c, std::uint32_t slab_id);
  void debug_mark_free(const KmemCache& c, std::byte* obj);
  /// Checks a free object's poison and inactive red zone; one report when
  /// either is overwritten. True when intact.
  bool debug_check_free(const KmemCache& c, std::uint32_t slab_id, std::uint32_t index, const char* when);
  /// Checks a live object's active red zone; one report when overwritten.
  bool debug_check_live(const KmemCache& c, std::uint32_t slab_id, std::uint32_t index);
  std::string describe_object(const KmemCache& c, std::uint32_t slab_id, std::uint32_t index) const;
  void report_object(ReportKind kind, const KmemCache& c, std::uint32_t slab_id, std::uint32_t index,
                     const std::string& what);

  Kernel& k_;
  KmallocProfile profile_;
  std::vector<std::unique_ptr<KmemCache>> caches_;
  std::unordered_set<const KmemCache*> known_;
  mutable KmemCache* last_cache_ = nullptr;  // the last pointer validated: the hot path skips the hash
  std::array<std::array<std::uint32_t, 16>, 2> kmalloc_ids_;  // [dma][class] → cache id or SLAB_NIL
  std::vector<Slab> slabs_;
  std::vector<std::uint32_t> free_slots_;
  std::uint64_t slab_pages_ = 0;
};

// ---- inline hot path ------------------------------------------------------------

inline KmemCache* SlabAllocator::checked_cache(KmemCache* c, const char* caller, ReportKind kind) {
  if (c != nullptr && c == last_cache_ && !c->dead_) return c;
  return checked_cache_slow(c, caller, kind);
}

inline void SlabAllocator::list_add(KmemCache& c, std::uint32_t id, SlabList l) {
  Slab& s = slabs_[id];
  const auto li = static_cast<std::size_t>(l);
  s.list = l;
  s.prev = SLAB_NIL;
  s.next = c.heads_[li];
  if (s.next != SLAB_NIL) slabs_[s.next].prev = id;
  c.heads_[li] = id;
  ++c.counts_[li];
}

inline void SlabAllocator::list_del(KmemCache& c, std::uint32_t id) {
  Slab& s = slabs_[id];
  assert(s.list != SlabList::none && "list_del of a slab on no list");
  const auto li = static_cast<std::size_t>(s.list);
  if (s.prev != SLAB_NIL)
    slabs_[s.prev].next = s.next;
  else
    c.heads_[li] = s.next;
  if (s.next != SLAB_NIL) slabs_[s.next].prev = s.prev;
  s.prev = s.next = SLAB_NIL;
  s.list = SlabList::none;
  --c.counts_[li];
}

inline void SlabAllocator::relist(KmemCache& c, std::uint32_t id) {
  const Slab& s = slabs_[id];
  const SlabList want = s.inuse == 0           ? SlabList::empty
                        : s.inuse == s.objects ? SlabList::full
                                               : SlabList::partial;
  if (s.list == want) return;
  list_del(c, id);
  list_add(c, id, want);
}

inline std::byte* SlabAllocator::object_bytes(const Slab& s, const KmemCache& c, std::uint32_t index) {
  return k_.mem_.writable(PhysAddr{(s.head_pfn << PAGE_SHIFT) + std::uint64_t{index} * c.size()}, c.size());
}

inline const std::byte* SlabAllocator::object_bytes(const Slab& s, const KmemCache& c,
                                                    std::uint32_t index) const {
  return k_.mem_.data(PhysAddr{(s.head_pfn << PAGE_SHIFT) + std::uint64_t{index} * c.size()});
}

inline VirtAddr SlabAllocator::object_address(std::uint32_t slab_id, std::uint32_t index) const {
  const Slab& s = slabs_[slab_id];
  return k_.layout_.va(
      PhysAddr{(s.head_pfn << PAGE_SHIFT) + std::uint64_t{index} * caches_[s.cache]->size()});
}

inline SlabAllocator::Hit SlabAllocator::lookup(VirtAddr addr) const {
  Hit h;
  const Layout& l = k_.layout_;
  if (!l.in_direct_map(addr)) return h;
  const std::uint64_t pa = l.pa(addr).value;
  const std::uint64_t pfn = pa >> PAGE_SHIFT;
  if (pfn >= k_.mem_.nr_frames()) return h;
  h.pfn = pfn;
  const Page& p = k_.mem_.page(pfn);
  if (p.owner == PageOwner::slab) {
    if (p.priv >= slabs_.size()) return h;
    const Slab& s = slabs_[p.priv];
    if (!s.in_use() || pfn < s.head_pfn || pfn >= s.head_pfn + (std::uint64_t{1} << s.order)) return h;
    const KmemCache& c = *caches_[s.cache];
    const std::uint64_t off = pa - (s.head_pfn << PAGE_SHIFT);
    const std::uint64_t index = (off * c.div_magic_) >> c.div_shift_;
    h.kind = Hit::Kind::slab;
    h.slab = p.priv;
    h.index = static_cast<std::uint32_t>(index);
    h.within = off - index * c.size();
    h.beyond = h.index >= s.objects;
    return h;
  }
  if (p.owner == PageOwner::large_kmalloc) return lookup_large(pa, pfn, p);
  return h;
}

}  // namespace kmf
