// slab.cpp — kmem_cache: geometry, slab lists, object allocation and free,
// the kmem_cache_* entry points of Kernel, introspection and /proc/slabinfo.
//
// Flow of an allocation: validate the cache pointer → might_sleep → failslab
// → a slab from partial, else empty, else a new one from the buddy allocator
// → pop its free list → slab_debug checks of the free object → GFP_ZERO.
// Nothing changes before the last check that can refuse, so a refused or
// failed call leaves the state exactly as it was (MISUSE, FAULT).
#include "alloc/slab.h"

#include <algorithm>
#include <bit>
#include <cassert>
#include <cstdio>
#include <cstring>

#include "alloc/format.h"

namespace kmf {
namespace {

using detail::format;
using detail::ull;

std::size_t round_up(std::size_t v, std::size_t a) { return (v + a - 1) / a * a; }

std::size_t list_index(SlabList l) { return static_cast<std::size_t>(l); }

}  // namespace

// ---- geometry -------------------------------------------------------------------

std::size_t slab_max_object(KmallocProfile profile) {
  return profile == KmallocProfile::linux_2_6_18 ? 128 * KiB : 4 * MiB;
}

unsigned slab_max_order(KmallocProfile profile) {
  return profile == KmallocProfile::linux_2_6_18 ? 5 : MAX_PAGE_ORDER;
}

std::optional<CacheGeometry> cache_geometry(std::size_t size, std::size_t align, SlabFlags flags,
                                            bool has_ctor, bool slab_debug, KmallocProfile profile) {
  const std::size_t max_object = slab_max_object(profile);
  if (size > max_object || align > max_object) return std::nullopt;
  std::size_t a = std::bit_ceil(std::max(align, SLAB_MIN_ALIGN));
  if (flags & SLAB_HWCACHE_ALIGN) {
    // A small object shares a line with its neighbours rather than waste most of it.
    std::size_t line = L1_CACHE_BYTES;
    while (line > SLAB_MIN_ALIGN && size <= line / 2) line /= 2;
    a = std::max(a, line);
  }
  CacheGeometry g;
  g.object_size = size;
  g.align = a;
  g.size = round_up(std::max<std::size_t>(size, 1), a);
  if (g.size > max_object) return std::nullopt;
  if ((flags & SLAB_RED_ZONE) || slab_debug) {
    const std::size_t padded = round_up(round_up(size, SLAB_MIN_ALIGN) + SLAB_RED_ZONE_MIN, a);
    if (padded <= max_object) {
      g.size = padded;
      g.red_zone = true;
    }
  }
  g.poison = ((flags & SLAB_POISON) || slab_debug) && !has_ctor && size > 0;

  unsigned min_order = 0;
  while ((PAGE_SIZE << min_order) < g.size) ++min_order;
  const unsigned cap = std::min(slab_max_order(profile), std::max(min_order, SLAB_PREFERRED_MAX_ORDER));
  unsigned best = min_order;
  std::uint64_t best_waste = (PAGE_SIZE << min_order) % g.size;
  std::uint64_t best_bytes = PAGE_SIZE << min_order;
  for (unsigned o = min_order; o <= cap; ++o) {
    const std::uint64_t bytes = PAGE_SIZE << o;
    const std::uint64_t waste = bytes % g.size;
    if (waste * 8 <= bytes) {
      best = o;
      break;
    }
    if (waste * best_bytes < best_waste * bytes) {  // a smaller fraction wasted
      best = o;
      best_waste = waste;
      best_bytes = bytes;
    }
  }
  g.order = best;
  g.objects = static_cast<std::uint32_t>((PAGE_SIZE << best) / g.size);
  return g;
}

// ---- construction ---------------------------------------------------------------

SlabAllocator::SlabAllocator(Kernel& k) : k_(k), profile_(k.config_.kmalloc) {
  for (auto& row : kmalloc_ids_) row.fill(SLAB_NIL);
}

SlabAllocator::~SlabAllocator() = default;

KmemCache* SlabAllocator::new_cache(std::string name, const CacheGeometry& geo, SlabFlags flags, Ctor ctor) {
  auto c = std::make_unique<KmemCache>();
  c->name_ = std::move(name);
  c->id_ = static_cast<std::uint32_t>(caches_.size());
  c->geo_ = geo;
  c->flags_ = flags;
  c->ctor_ = std::move(ctor);
  c->dma_ = (flags & SLAB_CACHE_DMA) != 0;
  // Offsets inside a slab are below 2^22 (4 MiB): with shift 22 + ceil(log2(size))
  // and magic ceil(2^shift / size), (off * magic) >> shift == off / size exactly,
  // and the product stays below 2^46.
  c->div_shift_ = 22 + static_cast<unsigned>(std::bit_width(geo.size - 1));
  c->div_magic_ = ((std::uint64_t{1} << c->div_shift_) + geo.size - 1) / geo.size;
  KmemCache* raw = c.get();
  caches_.push_back(std::move(c));
  known_.insert(raw);
  return raw;
}

KmemCache* SlabAllocator::known_cache(const KmemCache* c) const {
  if (c == nullptr) return nullptr;
  if (c == last_cache_) return last_cache_;
  // Only a pointer we handed out is ever dereferenced: anything else may be garbage.
  if (!known_.contains(c)) return nullptr;
  last_cache_ = const_cast<KmemCache*>(c);
  return last_cache_;
}

KmemCache* SlabAllocator::checked_cache_slow(KmemCache* cache, const char* caller, ReportKind kind) {
  KmemCache* c = known_cache(cache);
  if (c == nullptr) {
    k_.reports_.add(
        kind, 0,
        format("BUG: %s: %s is not a kmem_cache", caller, cache == nullptr ? "NULL" : "the pointer passed"));
    return nullptr;
  }
  if (c->dead_) {
    k_.reports_.add(
        kind, 0,
        format("BUG: %s: cache %s was destroyed (use after kmem_cache_destroy)", caller, c->name_.c_str()));
    return nullptr;
  }
  return c;
}

bool SlabAllocator::should_failslab(const KmemCache& c, gfp_t gfp) {
  FaultAttr& f = k_.failslab_;
  if (gfp & GFP_NOFAIL) return false;
  if (f.ignore_gfp_wait && gfpflags_allow_blocking(gfp)) return false;
  if (!f.cache_filter.empty() && f.cache_filter != c.name_) return false;
  return f.should_fail(c.object_size());
}

// ---- slabs: grow and release -------------------------------------------------------

std::uint32_t SlabAllocator::grow(KmemCache& c, gfp_t gfp) {
  // The zone is the cache's, never the caller's: slabs are lowmem and
  // direct-mapped; GFP_ZERO applies to the object, not the frames.
  constexpr gfp_t ZONE_BITS = GFP_DMA | GFP_DMA32 | GFP_HIGHMEM;
  const gfp_t page_gfp = (gfp & ~(ZONE_BITS | GFP_ZERO)) | (c.dma_ ? GFP_DMA : 0);
  const Pfn pfn = k_.alloc_frames(page_gfp, c.geo_.order, PageOwner::slab);
  if (!pfn) return SLAB_NIL;

  std::uint32_t id;
  if (!free_slots_.empty()) {
    id = free_slots_.back();
    free_slots_.pop_back();
  } else {
    id = static_cast<std::uint32_t>(slabs_.size());
    slabs_.emplace_back();
  }
  Slab& s = slabs_[id];
  const std::uint32_t n = c.geo_.objects;
  s.cache = c.id_;
  s.head_pfn = pfn.value;
  s.order = c.geo_.order;
  s.objects = n;
  s.inuse = 0;
  s.next_free.resize(n);
  for (std::uint32_t i = 0; i < n; ++i) s.next_free[i] = i + 1 < n ? i + 1 : SLAB_NIL;
  s.freelist = 0;  // lowest address first
  s.live.assign(n, 0);
  const std::uint64_t frames = std::uint64_t{1} << s.order;
  for (std::uint64_t f = 0; f < frames; ++f) {
    Page& p = k_.mem_.page(pfn.value + f);
    p.owner = PageOwner::slab;
    p.priv = id;
  }
  slab_pages_ += frames;
  list_add(c, id, SlabList::empty);

  if (c.red_zone() || c.poison()) debug_init_slab(c, id);
  if (c.ctor_) {
    // Re-index every round: a constructor is caller code.
    for (std::uint32_t i = 0; i < n; ++i)
      c.ctor_(std::span<std::byte>(object_bytes(slabs_[id], c, i), c.object_size()));
  }
  return id;
}

void SlabAllocator::release(KmemCache& c, std::uint32_t id) {
  assert(slabs_[id].inuse == 0);
  if (c.red_zone() || c.poison()) {
    // Last chance to see a use after free before the frames leave the cache.
    for (std::uint32_t i = 0; i < slabs_[id].objects; ++i)
      debug_check_free(c, id, i, "when its slab was released");
  }
  list_del(c, id);
  Slab& s = slabs_[id];
  const std::uint64_t frames = std::uint64_t{1} << s.order;
  for (std::uint64_t f = 1; f < frames; ++f) {  // the head is reset by free_block
    Page& p = k_.mem_.page(s.head_pfn + f);
    p.owner = PageOwner::none;
    p.priv = 0;
  }
  k_.free_frames(Pfn{s.head_pfn}, s.order);
  slab_pages_ -= frames;
  s.cache = SLAB_NIL;
  s.head_pfn = 0;
  s.objects = s.inuse = 0;
  s.freelist = SLAB_NIL;
  s.next_free.clear();  // keeps the capacity for the next slab in this slot
  s.live.clear();
  free_slots_.push_back(id);
}

// ---- objects -----------------------------------------------------------------------

VirtAddr SlabAllocator::alloc_from(KmemCache& c, gfp_t gfp) {
  const bool fail = k_.failslab_.probability != 0 && should_failslab(c, gfp);
  if (k_.record_faults_ || k_.fault_observer_) k_.fault_call({true, gfp, 0, c.object_size(), c.name_, fail});
  if (fail && !k_.has_bug(Kernel::BugForTesting::ignore_injected_faults)) return VirtAddr{0};
  std::uint32_t id = c.heads_[list_index(SlabList::partial)];
  if (id == SLAB_NIL) id = c.heads_[list_index(SlabList::empty)];
  if (id == SLAB_NIL) id = grow(c, gfp);
  if (id == SLAB_NIL) return VirtAddr{0};

  Slab& s = slabs_[id];
  const std::uint32_t idx = s.freelist;
  assert(idx < s.objects && !s.live[idx]);
  if (c.red_zone() || c.poison()) {
    // A finding here reports a past write; the object is reinitialised below
    // and handed out all the same.
    debug_check_free(c, id, idx, "on allocation");
  }
  s.freelist = s.next_free[idx];
  s.next_free[idx] = SLAB_NIL;
  s.live[idx] = 1;
  ++s.inuse;
  ++c.inuse_;
  relist(c, id);

  std::byte* obj = object_bytes(slabs_[id], c, idx);
  if (c.red_zone())
    std::memset(obj + c.object_size(), static_cast<int>(RED_ACTIVE), c.size() - c.object_size());
  if ((gfp & GFP_ZERO) && !k_.has_bug(Kernel::BugForTesting::ignore_gfp_zero))
    std::memset(obj, 0, c.object_size());
  return object_address(id, idx);
}

void SlabAllocator::free_object(KmemCache& c, std::uint32_t id, std::uint32_t idx) {
  Slab& s = slabs_[id];
  s.live[idx] = 0;
  s.next_free[idx] = s.freelist;
  s.freelist = idx;
  --s.inuse;
  --c.inuse_;
  if (c.red_zone() || c.poison()) debug_mark_free(c, object_bytes(s, c, idx));
  if (s.inuse == 0 && c.counts_[list_index(SlabList::empty)] >= SLAB_EMPTY_KEPT) {
    release(c, id);
    return;
  }
  relist(c, id);
}

SlabAllocator::Hit SlabAllocator::lookup_large(std::uint64_t pa, std::uint64_t pfn, const Page& p) const {
  Hit h;
  h.pfn = pfn;
  if (p.priv > pfn) return h;
  const std::uint64_t head = pfn - p.priv;  // tails keep their distance from the head
  const Page& hp = k_.mem_.page(head);
  if (hp.state != PageState::allocated || hp.owner != PageOwner::large_kmalloc) return h;
  if (pfn >= head + (std::uint64_t{1} << hp.order)) return h;
  h.kind = Hit::Kind::large;
  h.pfn = head;
  h.within = pa - (head << PAGE_SHIFT);
  return h;
}

bool SlabAllocator::check_free_request(const Hit& h, VirtAddr addr, const char* caller) {
  const Slab& s = slabs_[h.slab];
  const KmemCache& c = *caches_[s.cache];
  if (h.beyond) {
    const VirtAddr base = k_.layout_.va(PhysAddr{s.head_pfn << PAGE_SHIFT});
    k_.reports_.add(ReportKind::invalid_free, addr.value,
                    format("BUG %s (Not tainted): %s: Invalid object pointer 0x%llx: in the unused tail of "
                           "slab 0x%llx (objects=%u used=%u)",
                           c.name_.c_str(), caller, ull(addr.value), ull(base.value), s.objects, s.inuse));
    return false;
  }
  if (h.within != 0) {
    const std::string where =
        h.within < c.object_size()
            ? format("%llu bytes inside", ull(h.within))
            : format("in the red zone/padding, %llu bytes after the start of", ull(h.within));
    report_object(
        ReportKind::invalid_free, c, h.slab, h.index,
        format("%s: Invalid object pointer 0x%llx: %s the object", caller, ull(addr.value), where.c_str()));
    return false;
  }
  if (!s.live[h.index]) {
    report_object(ReportKind::double_free, c, h.slab, h.index, format("%s: Object already free", caller));
    return false;
  }
  // SLUB keeps an object whose red zone is overwritten ("Object not freed"):
  // freeing it would hide the damage and hand the bytes out again.
  if (c.red_zone() && !k_.has_bug(Kernel::BugForTesting::skip_redzone_check) &&
      !debug_check_live(c, h.slab, h.index))
    return false;
  return true;
}

// ---- kmem_cache API ---------------------------------------------------------------------

KmemCache* SlabAllocator::create(std::string_view name, std::size_t size, std::size_t align, SlabFlags flags,
                                 Ctor ctor) {
  if (sleeps_in_atomic(GFP_KERNEL, "kmem_cache_create")) return nullptr;
  const auto geo =
      cache_geometry(size, align, flags, static_cast<bool>(ctor), k_.config_.slab_debug, profile_);
  if (!geo) {
    const std::string n(name);
    k_.reports_.add(ReportKind::oversized, 0,
                    format("BUG: kmem_cache_create(%s): object size %llu (align %llu) exceeds the largest "
                           "slab object, %llu bytes (order %u, %s profile); cache not created",
                           n.c_str(), ull(size), ull(align), ull(slab_max_object(profile_)),
                           slab_max_order(profile_), std::string(kmalloc_profile_name(profile_)).c_str()));
    return nullptr;
  }
  return new_cache(std::string(name), *geo, flags, std::move(ctor));
}

VirtAddr SlabAllocator::alloc(KmemCache* cache, gfp_t gfp) {
  KmemCache* c = checked_cache(cache, "kmem_cache_alloc", ReportKind::bad_address);
  if (c == nullptr) return VirtAddr{0};
  if (sleeps_in_atomic(gfp, "kmem_cache_alloc")) return VirtAddr{0};
  return alloc_from(*c, gfp);
}

void SlabAllocator::free(KmemCache* cache, VirtAddr obj) {
  KmemCache* c = checked_cache(cache, "kmem_cache_free", ReportKind::wrong_cache);
  if (c == nullptr || !obj) return;
  const Hit h = lookup(obj);
  if (h.kind != Hit::Kind::slab) {
    k_.reports_.add(ReportKind::invalid_free, obj.value,
                    format("BUG %s (Not tainted): kmem_cache_free: Invalid object pointer 0x%llx: not in any "
                           "slab",
                           c->name_.c_str(), ull(obj.value)));
    return;
  }
  const Slab& s = slabs_[h.slab];
  if (s.cache != c->id_) {
    const KmemCache& owner = *caches_[s.cache];
    report_object(ReportKind::wrong_cache, owner, h.slab, h.index,
                  format("kmem_cache_free: Wrong slab cache. %s but object 0x%llx is from %s",
                         c->name_.c_str(), ull(obj.value), owner.name_.c_str()));
    return;
  }
  if (!check_free_request(h, obj, "kmem_cache_free")) return;
  free_object(*c, h.slab, h.index);
}

void SlabAllocator::destroy(KmemCache* cache) {
  if (cache == nullptr) return;  // kmem_cache_destroy(NULL) does nothing, as in Linux
  KmemCache* c = known_cache(cache);
  if (c == nullptr) {
    k_.reports_.add(ReportKind::bad_address, 0,
                    "BUG: kmem_cache_destroy: the pointer passed is not a kmem_cache");
    return;
  }
  if (c->dead_) {
    k_.reports_.add(ReportKind::double_free, 0,
                    format("BUG: kmem_cache_destroy: cache %s was already destroyed", c->name_.c_str()));
    return;
  }
  if (c->kmalloc_) {
    k_.reports_.add(ReportKind::bad_address, 0,
                    format("BUG: kmem_cache_destroy: %s is a kmalloc cache", c->name_.c_str()));
    return;
  }
  if (sleeps_in_atomic(GFP_KERNEL, "kmem_cache_destroy")) return;
  if (c->inuse_ > 0) {
    // Linux keeps a cache that still has objects ("Slab cache still has objects").
    std::string objs;
    std::uint64_t first = 0, listed = 0;
    for (SlabList l : {SlabList::partial, SlabList::full}) {
      for (std::uint32_t id : slabs_of(*c, l)) {
        const Slab& s = slabs_[id];
        for (std::uint32_t i = 0; i < s.objects; ++i) {
          if (!s.live[i]) continue;
          const VirtAddr a = object_address(id, i);
          if (listed == 0) first = a.value;
          if (listed < 8) objs += format("%sObject 0x%llx", listed ? ", " : "", ull(a.value));
          ++listed;
        }
      }
    }
    if (listed > 8) objs += ", ...";
    k_.reports_.add(
        ReportKind::cache_leak, first,
        format("BUG %s (Not tainted): Objects remaining in %s on kmem_cache_destroy(): %llu of "
               "%llu in use; %s",
               c->name_.c_str(), c->name_.c_str(), ull(c->inuse_), ull(c->num_objs()), objs.c_str()));
    return;
  }
  while (c->heads_[list_index(SlabList::empty)] != SLAB_NIL)
    release(*c, c->heads_[list_index(SlabList::empty)]);
  c->dead_ = true;
  c->ctor_ = nullptr;
}

void SlabAllocator::shrink(KmemCache* cache) {
  KmemCache* c = checked_cache(cache, "kmem_cache_shrink", ReportKind::bad_address);
  if (c == nullptr) return;
  if (sleeps_in_atomic(GFP_KERNEL, "kmem_cache_shrink")) return;
  while (c->heads_[list_index(SlabList::empty)] != SLAB_NIL)
    release(*c, c->heads_[list_index(SlabList::empty)]);
}

void SlabAllocator::shrink_all() {
  for (auto& c : caches_)
    while (c->heads_[list_index(SlabList::empty)] != SLAB_NIL)
      release(*c, c->heads_[list_index(SlabList::empty)]);
}

// ---- introspection -------------------------------------------------------------------

std::vector<std::uint32_t> SlabAllocator::slabs_of(const KmemCache& cache, SlabList list) const {
  std::vector<std::uint32_t> out;
  for (std::uint32_t id = cache.list_head(list); id != SLAB_NIL && out.size() < slabs_.size();
       id = slabs_[id].next)
    out.push_back(id);
  return out;
}

std::vector<std::uint32_t> SlabAllocator::free_list(std::uint32_t slab_id, std::size_t max_steps) const {
  std::vector<std::uint32_t> out;
  const Slab& s = slabs_[slab_id];
  for (std::uint32_t i = s.freelist; i != SLAB_NIL && out.size() < max_steps; i = s.next_free[i]) {
    out.push_back(i);
    if (i >= s.next_free.size()) break;  // an out-of-range link ends the walk
  }
  return out;
}

std::optional<ObjectRef> SlabAllocator::object_containing(VirtAddr addr) const {
  const Hit h = lookup(addr);
  if (h.kind == Hit::Kind::slab && !h.beyond) {
    const Slab& s = slabs_[h.slab];
    const KmemCache& c = *caches_[s.cache];
    return ObjectRef{&c,
                     h.slab,
                     h.index,
                     object_address(h.slab, h.index),
                     h.within,
                     c.object_size(),
                     s.live[h.index] != 0};
  }
  if (h.kind == Hit::Kind::large) {
    return ObjectRef{nullptr,  SLAB_NIL,
                     0,        k_.layout_.va(pfn_to_phys(Pfn{h.pfn})),
                     h.within, PAGE_SIZE << k_.mem_.page(h.pfn).order,
                     true};
  }
  return std::nullopt;
}

const KmemCache* SlabAllocator::live_object_cache(VirtAddr addr) const {
  const Hit h = lookup(addr);
  if (h.kind != Hit::Kind::slab || h.beyond || h.within != 0 || !slabs_[h.slab].live[h.index]) return nullptr;
  return caches_[slabs_[h.slab].cache].get();
}

bool SlabAllocator::is_live_object(VirtAddr addr) const {
  const Hit h = lookup(addr);
  if (h.kind == Hit::Kind::large) return h.within == 0;
  return live_object_cache(addr) != nullptr;
}

// ---- test-only hooks ----------------------------------------------------------------------

void SlabAllocator::freelist_cycle_for_testing(std::uint32_t slab_id) {
  Slab& s = slabs_[slab_id];
  if (s.freelist == SLAB_NIL) return;
  std::uint32_t last = s.freelist;
  for (std::uint32_t steps = 0; s.next_free[last] != SLAB_NIL && steps < s.objects; ++steps)
    last = s.next_free[last];
  s.next_free[last] = s.freelist;
}

void SlabAllocator::push_free_for_testing(std::uint32_t slab_id, std::uint32_t index) {
  Slab& s = slabs_[slab_id];
  s.next_free[index] = s.freelist;
  s.freelist = index;
}

void SlabAllocator::bump_inuse_for_testing(std::uint32_t slab_id, std::int64_t delta) {
  Slab& s = slabs_[slab_id];
  s.inuse = static_cast<std::uint32_t>(static_cast<std::int64_t>(s.inuse) + delta);
  KmemCache& c = *caches_[s.cache];
  c.inuse_ = static_cast<std::uint64_t>(static_cast<std::int64_t>(c.inuse_) + delta);
}

void SlabAllocator::move_slab_for_testing(std::uint32_t slab_id, SlabList to) {
  KmemCache& c = *caches_[slabs_[slab_id].cache];
  list_del(c, slab_id);
  list_add(c, slab_id, to);
}

// ---- /proc/slabinfo ------------------------------------------------------------------------

std::string SlabAllocator::slabinfo() const {
  std::string out =
      "slabinfo - version: 2.1\n"
      "# name            <active_objs> <num_objs> <objsize> <objperslab> <pagesperslab> : tunables "
      "<limit> <batchcount> <sharedfactor> : slabdata <active_slabs> <num_slabs> <sharedavail>\n";
  // There are no per-CPU arrays to tune, so the tunables are 0, as SLUB prints them.
  auto row = [&](const std::string& name, const CacheGeometry& g, std::uint64_t active_objs,
                 std::uint64_t num_objs, std::uint64_t active_slabs, std::uint64_t num_slabs) {
    out += format("%-17s %6lu %6lu %6u %4u %4d : tunables %4u %4u %4u : slabdata %6lu %6lu %6lu\n",
                  name.c_str(), static_cast<unsigned long>(active_objs), static_cast<unsigned long>(num_objs),
                  static_cast<unsigned>(g.size), static_cast<unsigned>(g.objects), 1 << g.order, 0u, 0u, 0u,
                  static_cast<unsigned long>(active_slabs), static_cast<unsigned long>(num_slabs), 0ul);
  };
  auto cache_row = [&](const KmemCache& c) {
    const std::uint64_t active = c.nr_slabs(SlabList::partial) + c.nr_slabs(SlabList::full);
    row(c.name_, c.geo_, c.inuse_, c.num_objs(), active, c.nr_slabs());
  };
  for (std::size_t i = caches_.size(); i-- > 0;) {
    const KmemCache& c = *caches_[i];
    if (!c.dead_ && !c.kmalloc_) cache_row(c);
  }
  // Linux lists caches newest first; the kmalloc caches were made at boot,
  // smallest first (2.6.18: each size with its DMA twin; modern: all normal
  // caches, then all DMA caches).
  const auto classes = kmalloc_size_classes(profile_);
  auto kmalloc_row = [&](std::size_t ci, bool dma) {
    const std::uint32_t id = kmalloc_ids_[dma][ci];
    if (id != SLAB_NIL) return cache_row(*caches_[id]);
    const auto g = cache_geometry(classes[ci], classes[ci] & (~classes[ci] + 1), SLAB_NONE, false,
                                  k_.config_.slab_debug, profile_);
    row(kmalloc_cache_name(profile_, classes[ci], dma), *g, 0, 0, 0, 0);
  };
  if (profile_ == KmallocProfile::linux_2_6_18) {
    for (std::size_t ci = classes.size(); ci-- > 0;) {
      kmalloc_row(ci, true);
      kmalloc_row(ci, false);
    }
  } else {
    for (bool dma : {true, false})
      for (std::size_t ci = classes.size(); ci-- > 0;) kmalloc_row(ci, dma);
  }
  return out;
}

// ---- Kernel's kmem_cache entry points ----------------------------------------------------------

KmemCache* Kernel::kmem_cache_create(std::string_view name, std::size_t size, std::size_t align,
                                     SlabFlags flags, Ctor ctor) {
  return slab_->create(name, size, align, flags, std::move(ctor));
}
VirtAddr Kernel::kmem_cache_alloc(KmemCache* cache, gfp_t gfp) { return slab_->alloc(cache, gfp); }
void Kernel::kmem_cache_free(KmemCache* cache, VirtAddr obj) { slab_->free(cache, obj); }
void Kernel::kmem_cache_destroy(KmemCache* cache) { slab_->destroy(cache); }
void Kernel::kmem_cache_shrink(KmemCache* cache) { slab_->shrink(cache); }
void Kernel::drop_slab() { slab_->shrink_all(); }
std::string Kernel::proc_slabinfo() const { return slab_->slabinfo(); }

}  // namespace kmf
