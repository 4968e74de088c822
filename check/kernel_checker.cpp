// kernel_checker.cpp — the Kernel invariants, written independently of the
// allocator code they check (zone lists and watermark rules are re-derived
// here from Linux's documented behaviour, not called).
#include "check/kernel_checker.h"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cinttypes>
#include <cstdio>

#include "alloc/format.h"
#include "alloc/slab.h"
#include "alloc/vmalloc.h"

namespace kmf {
namespace {

using detail::hex;

Finding finding(Inv id, std::vector<std::uint64_t> addrs, std::string text) {
  return Finding{id, std::move(addrs), std::move(text)};
}

constexpr std::uint64_t DMA_LIMIT = 16 * MiB;

/// Zone types in preference order: a fixed list (no host allocation per request).
struct ZoneList {
  std::array<ZoneType, 4> types;
  std::size_t n;
  const ZoneType* begin() const { return types.data(); }
  const ZoneType* end() const { return types.data() + n; }
};

/// The zone types a request may use, in preference order (Linux's zone fallback).
ZoneList eligible_zones(gfp_t gfp) {
  if (gfp & GFP_DMA) return {{ZoneType::DMA}, 1};
  if (gfp & GFP_HIGHMEM) return {{ZoneType::HIGHMEM, ZoneType::NORMAL, ZoneType::DMA32, ZoneType::DMA}, 4};
  if (gfp & GFP_DMA32) return {{ZoneType::DMA32, ZoneType::DMA}, 2};
  return {{ZoneType::NORMAL, ZoneType::DMA32, ZoneType::DMA}, 3};
}

/// The min watermark a request must stay above: halved for GFP_HIGH, a
/// further quarter off when it also cannot sleep.
std::int64_t allowed_min(const Zone& z, gfp_t gfp) {
  auto min = static_cast<std::int64_t>(z.wmark_min);
  if (gfp & GFP_HIGH) {
    min -= min / 2;
    if (!(gfp & GFP_DIRECT_RECLAIM)) min -= min / 4;
  }
  return min;
}

/// 2.6 rule: after taking 2^order pages the zone keeps more than `min`, and
/// at each lower order enough pages remain in blocks at least that large.
bool zone_may_serve(const Zone& z, unsigned order, std::int64_t min) {
  std::int64_t free = static_cast<std::int64_t>(z.free_pages) - (std::int64_t{1} << order) + 1;
  if (free <= min) return false;
  for (unsigned o = 0; o < order; ++o) {
    free -= static_cast<std::int64_t>(z.free_area[o].nr_free) << o;
    min /= 2;
    if (free <= min) return false;
  }
  return true;
}

bool has_block(const Zone& z, unsigned order) {
  for (unsigned o = order; o <= MAX_PAGE_ORDER; ++o)
    if (z.free_area[o].nr_free > 0) return true;
  return false;
}

bool is_pow2(std::uint64_t v) { return v && (v & (v - 1)) == 0; }

}  // namespace

KernelChecker::KernelChecker(const Kernel& k) : k_(k), boot_blocks_(k.buddy().free_blocks()) {}

Fingerprint KernelChecker::fingerprint() const {
  Fingerprint f;
  for (const Zone& z : k_.buddy().zones()) {
    f.push_back(z.free_pages);
    for (const FreeArea& a : z.free_area) f.push_back(a.nr_free);
  }
  f.push_back(k_.slab().slab_pages());
  f.push_back(k_.vmap().used_pages());
  f.push_back(k_.vmap().pagetable_pages());
  return f;
}

std::size_t kmalloc_size_class(KmallocProfile profile, std::size_t size) {
  if (size == 0) return 0;
  if (profile == KmallocProfile::linux_2_6_18) {
    if (size > 131072) return 0;
    if (size <= 32) return 32;
    if (size <= 64) return 64;
    if (size <= 128) return 128;
    if (size <= 192) return 192;
    std::size_t c = 256;
    while (c < size) c <<= 1;
    return c;
  }
  if (size > 4 * MiB) return 0;
  if (size <= 8) return 8;
  if (size <= 16) return 16;
  if (size <= 32) return 32;
  if (size <= 64) return 64;
  if (size <= 96) return 96;
  if (size <= 128) return 128;
  if (size <= 192) return 192;
  std::size_t c = 256;
  while (c < size) c <<= 1;
  if (c > 8192) c = std::max<std::size_t>(c, PAGE_SIZE);  // page allocator: whole pages
  return c;
}

std::size_t KernelChecker::kmalloc_class(std::size_t size) const {
  return kmalloc_size_class(k_.config().kmalloc, size);
}

Check KernelChecker::page_failure(const std::vector<Zone>& pre, gfp_t gfp, unsigned order) const {
  if (order > MAX_PAGE_ORDER) return std::nullopt;
  for (ZoneType t : eligible_zones(gfp)) {
    for (const Zone& z : pre) {
      if (z.type != t) continue;
      if (has_block(z, order) && zone_may_serve(z, order, allowed_min(z, gfp)))
        return finding(Inv::B_AVAIL, {z.start_pfn << PAGE_SHIFT},
                       "an order-" + std::to_string(order) + " request with " + gfp_to_string(gfp) +
                           " failed although zone " + std::string(zone_name(z.type)) + " had " +
                           std::to_string(z.free_pages) + " free pages (min watermark " +
                           std::to_string(z.wmark_min) +
                           ") and a free block of order >= " + std::to_string(order));
    }
  }
  return std::nullopt;
}

Check KernelChecker::page_success(const std::vector<Zone>& pre, gfp_t gfp, unsigned order, Pfn pfn) const {
  if (order > MAX_PAGE_ORDER)
    return finding(Inv::B_ORDER, {pfn_to_phys(pfn).value},
                   "an order-" + std::to_string(order) + " request succeeded; orders above 10 must fail");
  const ZoneList eligible = eligible_zones(gfp);
  for (const Zone& z : pre) {
    if (!z.contains(pfn.value)) continue;
    if (std::find(eligible.begin(), eligible.end(), z.type) == eligible.end())
      return finding(Inv::B_ZONE, {pfn_to_phys(pfn).value},
                     "a request with " + gfp_to_string(gfp) + " was served from zone " +
                         std::string(zone_name(z.type)) + ", which it may not use");
    if (!zone_may_serve(z, order, allowed_min(z, gfp)))
      return finding(Inv::B_WMARK, {pfn_to_phys(pfn).value},
                     "zone " + std::string(zone_name(z.type)) + " served an order-" + std::to_string(order) +
                         " request with " + gfp_to_string(gfp) + " at " + std::to_string(z.free_pages) +
                         " free pages; its reserve for that request is " +
                         std::to_string(allowed_min(z, gfp)) + " pages (min " + std::to_string(z.wmark_min) +
                         ")");
    return std::nullopt;
  }
  return finding(Inv::B_ZONE, {pfn_to_phys(pfn).value}, "the block lies in no zone");
}

Check KernelChecker::entry(const Ledger& ledger, std::int32_t slot) const {
  const Entry& e = ledger[static_cast<std::size_t>(slot)];
  if (e.zero_size_ptr) return std::nullopt;  // owns no memory
  const Layout& l = k_.layout();
  const PhysMem& mem = k_.mem();
  auto page_block = [&](std::uint64_t pfn, unsigned order, gfp_t gfp) -> Check {
    const std::uint64_t pa = pfn << PAGE_SHIFT;
    const std::uint64_t end = (pfn + (std::uint64_t{1} << order)) << PAGE_SHIFT;
    if (pfn & ((std::uint64_t{1} << order) - 1))
      return finding(Inv::B_ALIGN, {pa},
                     "an order-" + std::to_string(order) + " block starts at pfn " + hex(pfn) +
                         ", not a multiple of " + std::to_string(1u << order));
    if (end > mem.bytes()) return finding(Inv::LAYOUT, {pa}, "the block runs past the end of memory");
    if ((gfp & GFP_DMA) && end > DMA_LIMIT)
      return finding(Inv::B_ZONE, {pa}, "a GFP_DMA block ends at " + hex(end) + ", above 16 MiB");
    if (!(gfp & GFP_HIGHMEM) && end > l.lowmem_bytes)
      return finding(Inv::B_ZONE, {pa}, "a block without GFP_HIGHMEM ends at " + hex(end) + ", above lowmem");
    const Page& p = mem.page(pfn);
    if (p.state != PageState::allocated || p.order != order)
      return finding(Inv::B_FREELIST, {pa},
                     "the head frame of a live order-" + std::to_string(order) +
                         " block is not marked allocated with that order");
    if (k_.buddy().free_block_containing(pfn) != PFN_NIL)
      return finding(Inv::B_FREELIST, {pa}, "a live block lies inside a free block");
    return std::nullopt;
  };
  auto direct_mapped = [&](VirtAddr va, std::uint64_t len) -> Check {
    // PHYS-CONTIG first (every page boundary and the last byte, against where
    // the first byte translates), then LAYOUT: memory that is not physically
    // contiguous is the more telling finding.
    const auto first = k_.translate(va);
    if (!first)
      return finding(Inv::LAYOUT, {va.value}, "the allocation at " + hex(va.value) + " is not mapped");
    const std::uint64_t base = first->value;
    auto probe = [&](std::uint64_t off) -> Check {
      const auto t = k_.translate(va + off);
      if (!t || t->value != base + off)
        return finding(Inv::PHYS_CONTIG, {va.value + off},
                       "byte " + std::to_string(off) + " of the allocation at " + hex(va.value) +
                           " translates to " + (t ? hex(t->value) : std::string("nothing")) + ", not " +
                           hex(base + off));
      return std::nullopt;
    };
    if (len > 0) {
      for (std::uint64_t off = PAGE_SIZE - (va.value & (PAGE_SIZE - 1)); off < len; off += PAGE_SIZE)
        if (auto c = probe(off)) return c;
      if (auto c = probe(len - 1)) return c;
    }
    if (!l.in_direct_map(va) || va.value + len > l.high_memory)
      return finding(
          Inv::LAYOUT, {va.value},
          "a direct-map allocation at " + hex(va.value) + " is outside [PAGE_OFFSET, high_memory)");
    if (l.va(l.pa(va)) != va || l.pa(va).value != base)
      return finding(Inv::LAYOUT, {va.value}, "pa/va do not round-trip");
    return std::nullopt;
  };
  auto guard_after = [&](std::uint64_t end) -> Check {
    if (k_.translate(VirtAddr{end}))
      return finding(Inv::V_GUARD, {end}, "the guard page at " + hex(end) + " after an area is mapped");
    return std::nullopt;
  };

  switch (e.kind) {
    case EntryKind::pages: return page_block(e.pfn.value, e.order, e.gfp);
    case EntryKind::free_pages: {
      if (auto c = page_block(e.pfn.value, e.order, e.gfp & ~GFP_HIGHMEM)) return c;
      return direct_mapped(e.va, e.span);
    }
    case EntryKind::kmalloc:
    case EntryKind::object: {
      if (auto c = direct_mapped(e.va, std::max<std::uint64_t>(e.size, 1))) return c;
      if (e.kind == EntryKind::kmalloc) {
        const std::size_t cls = kmalloc_class(e.size);
        if (e.span < e.size || (cls != 0 && e.span != cls && !e.kept_in_place))
          return finding(Inv::S_KSIZE, {e.va.value},
                         "ksize is " + std::to_string(e.span) + " for a kmalloc of " +
                             std::to_string(e.size) + "; the size class is " + std::to_string(cls));
        const std::uint64_t natural = is_pow2(cls) ? std::min<std::uint64_t>(cls, PAGE_SIZE) : 8;
        if (e.va.value % natural != 0)
          return finding(Inv::S_ALIGN, {e.va.value},
                         "a kmalloc-" + std::to_string(cls) + " object at " + hex(e.va.value) +
                             " is not aligned to " + std::to_string(natural));
      } else {
        // Alignments are powers of two; a request like 24 means the next one (32).
        std::uint64_t align = 8;
        while (align < e.align) align <<= 1;
        if (e.va.value % align != 0)
          return finding(Inv::S_ALIGN, {e.va.value},
                         "an object at " + hex(e.va.value) + " is not aligned to its cache's " +
                             std::to_string(align) + " bytes");
      }
      const Page& p = mem.page(l.pa(e.va).value >> PAGE_SHIFT);
      if (p.owner != PageOwner::slab && p.owner != PageOwner::large_kmalloc)
        return finding(Inv::S_OBJECT, {e.va.value}, "a live object lies in a frame no slab owns");
      // The slab layer must know it as a live object starting right here, in
      // the right cache.
      const auto ref = k_.slab().object_containing(e.va);
      if (!ref || ref->offset != 0 || !ref->live)
        return finding(
            Inv::S_OBJECT, {e.va.value},
            "the object at " + hex(e.va.value) + " is not a live object start in its slab" +
                (ref ? " (offset " + std::to_string(ref->offset) + (ref->live ? ")" : ", free)") : ""));
      if (e.kind == EntryKind::object && ref->cache != e.cache)
        return finding(Inv::S_OBJECT, {e.va.value},
                       "the object at " + hex(e.va.value) + " lies in a slab of cache " +
                           (ref->cache ? std::string(ref->cache->name()) : std::string("(none)")) +
                           ", not of the cache it was allocated from");
      return std::nullopt;
    }
    case EntryKind::vmalloc: {
      if (!page_aligned(e.va.value) || !l.in_vmalloc(e.va) || e.va.value + e.span > l.vmalloc_end ||
          e.va.value < l.high_memory + 8 * MiB)
        return finding(Inv::V_CONTIG, {e.va.value},
                       "a vmalloc area at " + hex(e.va.value) +
                           " is unaligned or outside [VMALLOC_START, "
                           "VMALLOC_END)");
      for (std::size_t i = 0; i < e.frames.size(); ++i) {
        const std::uint64_t va = e.va.value + i * PAGE_SIZE;
        const auto t = k_.translate(VirtAddr{va});
        if (!t)
          return finding(Inv::V_CONTIG, {va},
                         "page " + std::to_string(i) + " of a vmalloc area is not mapped");
        if ((t->value >> PAGE_SHIFT) != e.frames[i])
          return finding(Inv::V_CONTIG, {va, t->value},
                         "page " + std::to_string(i) + " of a vmalloc area now maps frame " +
                             hex(t->value >> PAGE_SHIFT) + ", not the frame it had (" + hex(e.frames[i]) +
                             ")");
        const std::uint64_t pfn = e.frames[i];
        if (pfn >= mem.nr_frames())
          return finding(Inv::V_FRAMES, {va}, "a vmalloc page maps a frame beyond memory");
        const Page& p = mem.page(pfn);
        if (p.state != PageState::allocated || p.owner != PageOwner::vmalloc)
          return finding(Inv::V_FRAMES, {va, pfn << PAGE_SHIFT},
                         "frame " + hex(pfn) + " behind a vmalloc page is not an allocated vmalloc frame");
        if (p.order != 0)
          return finding(Inv::V_FRAMES, {va, pfn << PAGE_SHIFT},
                         "frame " + hex(pfn) + " behind a vmalloc page heads an order-" +
                             std::to_string(p.order) + " block; vmalloc takes order-0 frames");
        if (const VmArea* area = k_.vmap().find_area(e.va); !area || p.priv != area->id)
          return finding(
              Inv::V_FRAMES, {va, pfn << PAGE_SHIFT},
              "frame " + hex(pfn) + " behind page " + std::to_string(i) +
                  " of a vmalloc area is owned by area id " + std::to_string(p.priv) +
                  (area ? ", not by the area's id " + std::to_string(area->id) : ", no live area"));
        if (k_.buddy().free_block_containing(pfn) != PFN_NIL)
          return finding(Inv::V_FRAMES, {va, pfn << PAGE_SHIFT},
                         "frame " + hex(pfn) + " behind a vmalloc page is on a buddy free list");
      }
      return guard_after(e.va.value + e.span);
    }
    case EntryKind::ioremap: {
      const std::uint64_t first = e.va.value;
      auto probe = [&](std::uint64_t off) -> Check {
        const auto t = k_.translate(VirtAddr{first + off});
        if (!t || t->value != e.phys.value + off)
          return finding(Inv::IOREMAP, {first + off},
                         "byte " + std::to_string(off) + " of ioremap(" + hex(e.phys.value) +
                             ") translates to " + (t ? hex(t->value) : std::string("nothing")));
        return std::nullopt;
      };
      if (e.size == 0) return std::nullopt;
      if (auto c = probe(0)) return c;
      for (std::uint64_t off = PAGE_SIZE - (first & (PAGE_SIZE - 1)); off < e.size; off += PAGE_SIZE)
        if (auto c = probe(off)) return c;
      if (auto c = probe(e.size - 1)) return c;
      return guard_after(page_align_up(first + e.size));
    }
    case EntryKind::cache: return std::nullopt;
  }
  return std::nullopt;
}

Check KernelChecker::overlap(const Ledger& ledger, std::int32_t slot) const {
  const Entry& e = ledger[static_cast<std::size_t>(slot)];
  auto clash = [&](std::optional<std::int32_t> other, std::uint64_t lo, const char* what) -> Check {
    if (!other) return std::nullopt;
    const Entry& o = ledger[static_cast<std::size_t>(*other)];
    return finding(Inv::NO_OVERLAP, {lo, o.va.value},
                   std::string("the new ") + std::string(entry_kind_name(e.kind)) + " shares " + what +
                       " with live slot " + std::to_string(*other) + " (" +
                       std::string(entry_kind_name(o.kind)) + ")");
  };
  auto lo_phys = [&](std::uint64_t pa, std::uint64_t len) {
    return clash(ledger.phys_overlap(pa, pa + len, slot), pa, "physical memory");
  };
  switch (e.kind) {
    case EntryKind::pages:
    case EntryKind::free_pages: return lo_phys(e.pfn.value << PAGE_SHIFT, e.span);
    case EntryKind::kmalloc:
    case EntryKind::object: return lo_phys(k_.layout().pa(e.va).value, std::max<std::uint64_t>(e.span, 1));
    case EntryKind::vmalloc:
      for (std::uint64_t pfn : e.frames)
        if (auto c = lo_phys(pfn << PAGE_SHIFT, PAGE_SIZE)) return c;
      return clash(ledger.virt_overlap(e.va.value, e.va.value + e.span, slot), e.va.value,
                   "virtual addresses");
    case EntryKind::ioremap:
      return clash(ledger.virt_overlap(e.va.value & PAGE_MASK, page_align_up(e.va.value + e.size), slot),
                   e.va.value, "virtual addresses");
    case EntryKind::cache: return std::nullopt;
  }
  return std::nullopt;
}

Check KernelChecker::after_release(const Entry& e) const {
  switch (e.kind) {
    case EntryKind::vmalloc:
    case EntryKind::ioremap: {
      const std::uint64_t first = e.va.value & PAGE_MASK;
      const std::uint64_t end = page_align_up(e.va.value + (e.kind == EntryKind::vmalloc ? e.span : e.size));
      for (std::uint64_t va = first; va < end; va += PAGE_SIZE)
        if (k_.translate(VirtAddr{va}))
          return finding(Inv::V_UNMAP, {va},
                         "a page-table entry at " + hex(va) + " remains after the area was released");
      for (std::uint64_t pfn : e.frames)
        if (k_.buddy().free_block_containing(pfn) == PFN_NIL)
          return finding(Inv::V_UNMAP, {pfn << PAGE_SHIFT},
                         "frame " + hex(pfn) + " of a freed vmalloc area is not free");
      return std::nullopt;
    }
    case EntryKind::pages:
    case EntryKind::free_pages: return around_free(e.pfn.value);
    default: return std::nullopt;
  }
}

Check KernelChecker::around_free(std::uint64_t pfn) const {
  const BuddyAllocator& b = k_.buddy();
  const std::uint64_t head = b.free_block_containing(pfn);
  if (head == PFN_NIL)
    return finding(Inv::B_FREELIST, {pfn << PAGE_SHIFT},
                   "frame " + hex(pfn) + " was freed but lies in no free block");
  const Page& p = k_.mem().page(head);
  const unsigned order = p.order;
  if (head & ((std::uint64_t{1} << order) - 1))
    return finding(Inv::B_ALIGN, {head << PAGE_SHIFT},
                   "a free order-" + std::to_string(order) + " block is misaligned");
  const Zone* z = b.zone_of(head);
  if (order < MAX_PAGE_ORDER && z) {
    const std::uint64_t buddy = head ^ (std::uint64_t{1} << order);
    if (z->contains(buddy)) {
      const Page& q = k_.mem().page(buddy);
      if (q.state == PageState::free && q.order == order)
        return finding(Inv::B_COALESCE, {head << PAGE_SHIFT, buddy << PAGE_SHIFT},
                       "free order-" + std::to_string(order) + " blocks at pfn " + hex(head) +
                           " and its buddy " + hex(buddy) + " were not merged");
    }
  }
  return std::nullopt;
}

Check KernelChecker::zone_lists(std::size_t zi) const {
  const Zone& z = k_.buddy().zones()[zi];
  const PhysMem& mem = k_.mem();
  std::vector<std::pair<std::uint64_t, unsigned>> blocks;
  std::uint64_t total = 0;
  for (unsigned o = 0; o <= MAX_PAGE_ORDER; ++o) {
    const FreeArea& a = z.free_area[o];
    std::uint32_t cur = a.head;
    for (std::uint64_t n = 0; n < a.nr_free; ++n) {
      if (cur == PFN_NIL || cur >= mem.nr_frames())
        return finding(Inv::B_FREELIST, {},
                       "the order-" + std::to_string(o) + " list of zone " + std::string(zone_name(z.type)) +
                           " is shorter than its count " + std::to_string(a.nr_free));
      const Page& p = mem.page(cur);
      const std::uint64_t end = cur + (std::uint64_t{1} << o);
      if (!z.contains(cur) || end > z.end_pfn)
        return finding(
            Inv::B_FREELIST, {std::uint64_t{cur} << PAGE_SHIFT},
            "a free block on zone " + std::string(zone_name(z.type)) + "'s list lies outside the zone");
      if (p.state != PageState::free || p.order != o)
        return finding(Inv::B_FREELIST, {std::uint64_t{cur} << PAGE_SHIFT},
                       "the block at pfn " + hex(cur) + " on the order-" + std::to_string(o) +
                           " list is not marked free with that order");
      if (cur & ((1u << o) - 1))
        return finding(Inv::B_ALIGN, {std::uint64_t{cur} << PAGE_SHIFT},
                       "a free order-" + std::to_string(o) + " block starts at pfn " + hex(cur));
      if (o < MAX_PAGE_ORDER) {
        const std::uint64_t buddy = cur ^ (std::uint64_t{1} << o);
        if (z.contains(buddy) && mem.page(buddy).state == PageState::free && mem.page(buddy).order == o)
          return finding(Inv::B_COALESCE, {std::uint64_t{cur} << PAGE_SHIFT, buddy << PAGE_SHIFT},
                         "free order-" + std::to_string(o) + " buddies at pfn " + hex(cur) + " and " +
                             hex(buddy) + " were not merged");
      }
      blocks.emplace_back(cur, o);
      total += std::uint64_t{1} << o;
      cur = p.next;
    }
    if (a.nr_free > 0 && cur != a.head)
      return finding(Inv::B_FREELIST, {},
                     "the order-" + std::to_string(o) + " list of zone " + std::string(zone_name(z.type)) +
                         " is longer than its count " + std::to_string(a.nr_free) + " (or broken)");
    if (a.nr_free == 0 && a.head != PFN_NIL) return finding(Inv::B_FREELIST, {}, "an empty list has a head");
  }
  if (total != z.free_pages)
    return finding(Inv::B_FREELIST, {},
                   "zone " + std::string(zone_name(z.type)) + " counts " + std::to_string(z.free_pages) +
                       " free pages but its lists hold " + std::to_string(total));
  std::sort(blocks.begin(), blocks.end());
  for (std::size_t i = 1; i < blocks.size(); ++i)
    if (blocks[i - 1].first + (std::uint64_t{1} << blocks[i - 1].second) > blocks[i].first)
      return finding(
          Inv::B_FREELIST, {blocks[i - 1].first << PAGE_SHIFT, blocks[i].first << PAGE_SHIFT},
          "free blocks at pfn " + hex(blocks[i - 1].first) + " and " + hex(blocks[i].first) + " overlap");
  return std::nullopt;
}

Check KernelChecker::zone_account(std::size_t zi) const {
  const Zone& z = k_.buddy().zones()[zi];
  const PhysMem& mem = k_.mem();
  std::uint64_t free = 0, allocated = 0, reserved = 0;
  for (std::uint64_t pfn = z.start_pfn; pfn < z.end_pfn;) {
    const Page& p = mem.page(pfn);
    const std::uint64_t n = std::uint64_t{1} << p.order;
    switch (p.state) {
      case PageState::reserved:
        ++reserved;
        ++pfn;
        continue;
      case PageState::free: free += n; break;
      case PageState::allocated: allocated += n; break;
      case PageState::none:
        return finding(Inv::B_ACCOUNT, {pfn << PAGE_SHIFT},
                       "frame " + hex(pfn) + " in zone " + std::string(zone_name(z.type)) +
                           " belongs to no block: it is neither free, allocated nor reserved");
    }
    if (p.order > MAX_PAGE_ORDER || pfn + n > z.end_pfn)
      return finding(Inv::B_ACCOUNT, {pfn << PAGE_SHIFT},
                     "a block at pfn " + hex(pfn) + " runs past its zone");
    pfn += n;
  }
  if (free != z.free_pages || free + allocated + reserved != z.present_pages || reserved != z.reserved_pages)
    return finding(Inv::B_ACCOUNT, {},
                   "zone " + std::string(zone_name(z.type)) + ": " + std::to_string(free) + " free + " +
                       std::to_string(allocated) + " allocated + " + std::to_string(reserved) +
                       " reserved frames; the zone counts " + std::to_string(z.free_pages) + " free of " +
                       std::to_string(z.present_pages) + " present");
  return std::nullopt;
}

Check KernelChecker::slab_lists() const {
  const SlabAllocator& sa = k_.slab();
  for (std::uint32_t ci = 0; ci < sa.nr_caches(); ++ci) {
    const KmemCache& c = sa.cache(ci);
    if (c.is_dead()) continue;
    std::uint64_t inuse = 0;
    for (SlabList list : {SlabList::partial, SlabList::full, SlabList::empty}) {
      for (std::uint32_t sid : sa.slabs_of(c, list)) {
        const Slab& sl = sa.slab(sid);
        const auto objs = sl.objects;
        const auto fl = sa.free_list(sid, objs + 1);
        const std::string where = "slab " + std::to_string(sid) + " of cache " + std::string(c.name());
        if (fl.size() > objs)
          return finding(Inv::S_FREELIST, {sl.head_pfn << PAGE_SHIFT},
                         where + ": the free list is longer than the slab (a cycle)");
        std::vector<bool> seen(objs, false);
        for (std::uint32_t idx : fl) {
          if (idx >= objs)
            return finding(Inv::S_FREELIST, {sl.head_pfn << PAGE_SHIFT},
                           where + ": the free list holds index " + std::to_string(idx) + " of " +
                               std::to_string(objs) + " objects");
          if (seen[idx])
            return finding(Inv::S_FREELIST, {sa.object_address(sid, idx).value},
                           where + ": object " + std::to_string(idx) + " is on the free list twice");
          seen[idx] = true;
          if (sl.live[idx])
            return finding(Inv::S_FREELIST, {sa.object_address(sid, idx).value},
                           where + ": live object " + std::to_string(idx) + " is on the free list");
        }
        if (fl.size() != objs - sl.inuse)
          return finding(Inv::S_FREELIST, {sl.head_pfn << PAGE_SHIFT},
                         where + ": " + std::to_string(fl.size()) + " free objects listed, but " +
                             std::to_string(sl.inuse) + " of " + std::to_string(objs) +
                             " are counted in use");
        const bool right_list = (list == SlabList::full && sl.inuse == objs) ||
                                (list == SlabList::empty && sl.inuse == 0) ||
                                (list == SlabList::partial && sl.inuse > 0 && sl.inuse < objs);
        if (!right_list)
          return finding(Inv::S_FREELIST, {sl.head_pfn << PAGE_SHIFT},
                         where + " with " + std::to_string(sl.inuse) + " of " + std::to_string(objs) +
                             " objects in use is on the wrong list");
        inuse += sl.inuse;
      }
    }
    if (inuse != c.active_objs())
      return finding(Inv::S_FREELIST, {},
                     "cache " + std::string(c.name()) + " counts " + std::to_string(c.active_objs()) +
                         " active objects but its slabs hold " + std::to_string(inuse));
  }
  return std::nullopt;
}

Check KernelChecker::zone_geometry() const {
  // The documented zone spans: DMA [0, 16 MiB); i386 NORMAL [16 MiB, 896 MiB), HIGHMEM
  // above (lowmem = the direct map = min(mem, 896 MiB)); x86_64 DMA32
  // [16 MiB, 4 GiB), NORMAL above. Zones a small machine lacks are absent.
  const std::uint64_t end = k_.mem().bytes() >> PAGE_SHIFT;
  const bool i386 = k_.config().profile == Profile::i386;
  struct Span {
    ZoneType type;
    std::uint64_t lo, hi;
  };
  const std::uint64_t lowmem = std::min<std::uint64_t>(k_.mem().bytes(), 896 * MiB);
  std::vector<Span> want;
  auto add = [&](ZoneType t, std::uint64_t lo, std::uint64_t hi) {
    lo = std::min(lo >> PAGE_SHIFT, end);
    hi = std::min(hi >> PAGE_SHIFT, end);
    if (hi > lo) want.push_back({t, lo, hi});
  };
  add(ZoneType::DMA, 0, DMA_LIMIT);
  if (i386) {
    add(ZoneType::NORMAL, DMA_LIMIT, 896 * MiB);
    add(ZoneType::HIGHMEM, 896 * MiB, ~std::uint64_t{0});
  } else {
    add(ZoneType::DMA32, DMA_LIMIT, 4 * GiB);
    add(ZoneType::NORMAL, 4 * GiB, ~std::uint64_t{0});
  }
  const auto& zones = k_.buddy().zones();
  for (std::size_t i = 0; i < std::max(want.size(), zones.size()); ++i) {
    if (i >= want.size() || i >= zones.size() || zones[i].type != want[i].type ||
        zones[i].start_pfn != want[i].lo || zones[i].end_pfn != want[i].hi) {
      std::string got, expect;
      for (const Zone& z : zones)
        got += " " + std::string(zone_name(z.type)) + " [" + hex(z.start_pfn << PAGE_SHIFT) + ", " +
               hex(z.end_pfn << PAGE_SHIFT) + ")";
      for (const Span& w : want)
        expect += " " + std::string(zone_name(w.type)) + " [" + hex(w.lo << PAGE_SHIFT) + ", " +
                  hex(w.hi << PAGE_SHIFT) + ")";
      return finding(Inv::B_ZONE, {},
                     "the zones are" + got + "; a " + std::to_string(k_.mem().bytes() >> 20) + " MiB " +
                         std::string(profile_name(k_.config().profile)) + " machine has" + expect);
    }
  }
  if (k_.layout().lowmem_bytes != (i386 ? lowmem : k_.mem().bytes()))
    return finding(Inv::LAYOUT, {},
                   "lowmem (the direct map) is " + hex(k_.layout().lowmem_bytes) + " bytes, not " +
                       hex(i386 ? lowmem : k_.mem().bytes()));
  return std::nullopt;
}

Check KernelChecker::sweep(const Ledger& ledger) const {
  if (auto c = zone_geometry()) return c;
  if (auto c = slab_lists()) return c;
  std::vector<ZoneFrames> counted(k_.buddy().zones().size());
  for (std::size_t zi = 0; zi < k_.buddy().zones().size(); ++zi) {
    if (auto c = zone_lists(zi)) return c;
    if (auto c = zone_account(zi)) return c;
    if (auto c = zone_frames(zi, counted[zi])) return c;
  }
  for (std::size_t s = 0; s < ledger.size(); ++s)
    if (ledger[s].live)
      if (auto c = entry(ledger, static_cast<std::int32_t>(s))) return c;
  auto adjacent = [&](const std::multimap<std::uint64_t, Ledger::Range>& m, const char* what) -> Check {
    const Ledger::Range* prev = nullptr;
    std::uint64_t prev_lo = 0;
    for (const auto& [lo, r] : m) {
      if (prev && prev->hi > lo && prev->slot != r.slot)
        return finding(Inv::NO_OVERLAP, {prev_lo, lo},
                       std::string("live slots ") + std::to_string(prev->slot) + " and " +
                           std::to_string(r.slot) + " share " + what);
      prev = &r;
      prev_lo = lo;
    }
    return std::nullopt;
  };
  if (auto c = adjacent(ledger.phys_ranges(), "physical memory")) return c;
  if (auto c = adjacent(ledger.virt_ranges(), "virtual addresses")) return c;
  return frame_budget(ledger, counted);
}

Check KernelChecker::zone_frames(std::size_t zi, ZoneFrames& count) const {
  const Zone& z = k_.buddy().zones()[zi];
  const PhysMem& mem = k_.mem();
  const SlabAllocator& sa = k_.slab();
  const std::string zone = " in zone " + std::string(zone_name(z.type));
  // Frame metadata lives in an mmap'd array: a host page of it that is not
  // resident was never written and reads as zeros, which is exactly the
  // state of an unowned tail. Tails that must be unowned skip such pages
  // (a large machine's free memory is mostly that), so the walk costs the
  // metadata the program touched, not the machine's size.
  const auto host_page = static_cast<std::uint64_t>(sysconf(_SC_PAGESIZE));
  const std::uint64_t per_host_page = host_page / sizeof(Page);
  const auto base = reinterpret_cast<std::uintptr_t>(&mem.page(0));
  std::vector<unsigned char> resident;
  const std::uint64_t first_hp = z.start_pfn / per_host_page;
  if (base % host_page == 0 && per_host_page > 1) {
    const std::uint64_t last_hp = (z.end_pfn + per_host_page - 1) / per_host_page;
    resident.resize(last_hp - first_hp);
    if (mincore(reinterpret_cast<void*>(base + first_hp * host_page), resident.size() * host_page,
                resident.data()) != 0)
      resident.clear();
  }
  auto never_written = [&](std::uint64_t frame) {
    if (resident.empty() || frame % per_host_page != 0) return false;
    return (resident[frame / per_host_page - first_hp] & 1) == 0;
  };
  // Whether area `a` holds frame `pfn`. Frames are walked in pfn order and
  // an area's pages mostly follow one another, so the page after (or at, or
  // before) the last one found is tried first; a linear search otherwise
  // (it was a linear search per frame, quadratic in the area's size).
  const VmArea* hint_area = nullptr;
  std::size_t hint = 0;
  const auto area_holds = [&](const VmArea& a, std::uint64_t pfn) {
    const std::size_t n = a.pages.size();
    if (&a == hint_area)
      for (const std::size_t i : {hint + 1, hint, hint - 1})  // hint - 1 wraps above n at 0
        if (i < n && a.pages[i].value == pfn) {
          hint = i;
          return true;
        }
    for (std::size_t i = 0; i < n; ++i)
      if (a.pages[i].value == pfn) {
        hint_area = &a;
        hint = i;
        return true;
      }
    return false;
  };
  for (std::uint64_t pfn = z.start_pfn; pfn < z.end_pfn;) {
    const Page& h = mem.page(pfn);
    if (h.state == PageState::reserved || h.state == PageState::none) {
      ++pfn;  // zone_account has judged these
      continue;
    }
    const bool is_free = h.state == PageState::free;
    const std::uint64_t n = std::uint64_t{1} << h.order;
    // Named only in a finding: formatting it for every block was a fifth of
    // the sweep's time.
    const auto block = [&] {
      return std::string(is_free ? "free" : "allocated") + " order-" + std::to_string(h.order) +
             " block at pfn " + hex(pfn) + zone;
    };
    if (is_free && h.owner != PageOwner::none)
      return finding(Inv::B_ACCOUNT, {pfn << PAGE_SHIFT},
                     "the head of the " + block() + " is owned by " + page_owner_name(h.owner));
    if (!is_free) {
      count.allocated += n;
      switch (h.owner) {
        case PageOwner::pages: count.pages += n; break;
        case PageOwner::large_kmalloc: count.large_kmalloc += n; break;
        case PageOwner::slab: {
          count.slab += n;
          const bool ok = h.priv < sa.nr_slab_slots() && sa.slab(h.priv).cache != SLAB_NIL &&
                          sa.slab(h.priv).head_pfn == pfn && sa.slab(h.priv).order == h.order;
          if (!ok)
            return finding(Inv::S_OBJECT, {pfn << PAGE_SHIFT},
                           "the " + block() + " is owned by slab " + std::to_string(h.priv) +
                               ", which does not start there with that order");
          break;
        }
        case PageOwner::vmalloc:
        case PageOwner::pagetable: {
          (h.owner == PageOwner::vmalloc ? count.vmalloc : count.pagetable) += n;
          if (h.order != 0)
            return finding(Inv::V_FRAMES, {pfn << PAGE_SHIFT},
                           "the " + block() + " is owned by " + page_owner_name(h.owner) +
                               "; those take order-0 frames");
          if (h.owner == PageOwner::vmalloc) {
            const VmArea* a = k_.vmap().area_by_id(h.priv);
            if (!a || a->kind != VmAreaKind::vmalloc || !area_holds(*a, pfn))
              return finding(Inv::V_FRAMES, {pfn << PAGE_SHIFT},
                             "vmalloc frame " + hex(pfn) + zone + " names area id " + std::to_string(h.priv) +
                                 ", which does not hold it");
          }
          break;
        }
        case PageOwner::none:
          return finding(Inv::B_ACCOUNT, {pfn << PAGE_SHIFT}, "the " + block() + " has no owner");
      }
    }
    const PageOwner tail_owner = is_free ? PageOwner::none : h.owner;
    const bool unowned_tails = tail_owner != PageOwner::slab && tail_owner != PageOwner::large_kmalloc;
    for (std::uint64_t f = 1; f < n && pfn + f < z.end_pfn; ++f) {
      const std::uint64_t tail = pfn + f;
      if (unowned_tails && never_written(tail) && f + per_host_page <= n) {
        f += per_host_page - 1;  // a whole host page of zeroed tails
        continue;
      }
      const Page& t = mem.page(tail);
      if (unowned_tails && t.state == PageState::none && t.owner == PageOwner::none) continue;  // fast path
      if (t.state != PageState::none)
        return finding(Inv::B_ACCOUNT, {tail << PAGE_SHIFT, pfn << PAGE_SHIFT},
                       "frame " + hex(tail) + " inside the " + block() + " is marked as the head of a " +
                           (t.state == PageState::free        ? "free"
                            : t.state == PageState::allocated ? "allocated"
                                                              : "reserved") +
                           " block");
      bool ok;
      switch (tail_owner) {
        case PageOwner::slab: ok = t.owner == PageOwner::slab && t.priv == h.priv; break;
        case PageOwner::large_kmalloc: ok = t.owner == PageOwner::large_kmalloc && t.priv == f; break;
        default: ok = t.owner == PageOwner::none; break;
      }
      if (!ok)
        return finding(Inv::B_ACCOUNT, {tail << PAGE_SHIFT, pfn << PAGE_SHIFT},
                       "frame " + hex(tail) + " inside the " + block() +
                           (is_free ? "" : " (owner " + std::string(page_owner_name(h.owner)) + ")") +
                           " is marked as owned by " + page_owner_name(t.owner) + " (priv " +
                           std::to_string(t.priv) + ")");
    }
    pfn += n;
  }
  return std::nullopt;
}

Check KernelChecker::frame_budget(const Ledger& ledger, const std::vector<ZoneFrames>& counted) const {
  const auto& zones = k_.buddy().zones();
  auto zone_index = [&](std::uint64_t pfn) -> std::size_t {
    for (std::size_t i = 0; i < zones.size(); ++i)
      if (zones[i].contains(pfn)) return i;
    return zones.size();
  };
  // What the ledger and the caches say is held, per zone.
  std::vector<ZoneFrames> want(zones.size() + 1);
  const bool modern = k_.config().kmalloc == KmallocProfile::modern;
  constexpr std::uint64_t LARGEST_SLAB_CLASS = 8192;  // modern: larger kmallocs are whole pages
  for (std::size_t s = 0; s < ledger.size(); ++s) {
    const Entry& e = ledger[s];
    if (!e.live || e.zero_size_ptr) continue;
    switch (e.kind) {
      case EntryKind::pages:
      case EntryKind::free_pages: want[zone_index(e.pfn.value)].pages += std::uint64_t{1} << e.order; break;
      case EntryKind::kmalloc:
        if (modern && e.span > LARGEST_SLAB_CLASS) {
          std::uint64_t n = 1;
          while (n * PAGE_SIZE < e.span) n <<= 1;
          want[zone_index(k_.layout().pa(e.va).value >> PAGE_SHIFT)].large_kmalloc += n;
        }
        break;
      case EntryKind::vmalloc:
        for (std::uint64_t pfn : e.frames) ++want[zone_index(pfn)].vmalloc;
        break;
      default: break;
    }
  }
  const SlabAllocator& sa = k_.slab();
  std::uint64_t slab_total = 0;
  for (std::uint32_t ci = 0; ci < sa.nr_caches(); ++ci) {
    const KmemCache& c = sa.cache(ci);
    if (c.is_dead()) continue;
    for (SlabList list : {SlabList::partial, SlabList::full, SlabList::empty})
      for (std::uint32_t sid : sa.slabs_of(c, list)) {
        const Slab& sl = sa.slab(sid);
        want[zone_index(sl.head_pfn)].slab += std::uint64_t{1} << sl.order;
        slab_total += std::uint64_t{1} << sl.order;
      }
  }
  std::uint64_t pagetables = 0, vmalloc = 0, allocated = 0, expected = 0;
  for (std::size_t zi = 0; zi < zones.size(); ++zi) {
    const ZoneFrames& got = counted[zi];
    const ZoneFrames& w = want[zi];
    pagetables += got.pagetable;
    vmalloc += got.vmalloc;
    allocated += got.allocated;
    // Page tables have no ledger entry: the zone's page-table frames are
    // taken as counted and their total is checked against the subject's own
    // count below.
    const std::uint64_t budget = w.pages + w.large_kmalloc + w.vmalloc + w.slab + got.pagetable;
    expected += budget;
    if (got.allocated != budget)
      return finding(
          Inv::B_ACCOUNT, {zones[zi].start_pfn << PAGE_SHIFT},
          "zone " + std::string(zone_name(zones[zi].type)) + " has " + std::to_string(got.allocated) +
              " allocated frames, but live page blocks (" + std::to_string(w.pages) + ") + large kmallocs (" +
              std::to_string(w.large_kmalloc) + ") + vmalloc pages (" + std::to_string(w.vmalloc) +
              ") + slab pages (" + std::to_string(w.slab) + ") + page tables (" +
              std::to_string(got.pagetable) + ") make " + std::to_string(budget) + " (by owner: pages " +
              std::to_string(got.pages) + ", large kmalloc " + std::to_string(got.large_kmalloc) +
              ", vmalloc " + std::to_string(got.vmalloc) + ", slab " + std::to_string(got.slab) + ")");
  }
  if (want[zones.size()].pages + want[zones.size()].vmalloc + want[zones.size()].large_kmalloc +
          want[zones.size()].slab !=
      0)
    return finding(Inv::B_ACCOUNT, {}, "the ledger or a slab list holds frames outside every zone");
  if (pagetables != k_.vmap().pagetable_pages())
    return finding(Inv::B_ACCOUNT, {},
                   std::to_string(pagetables) +
                       " frames are owned by page tables, but the page tables count " +
                       std::to_string(k_.vmap().pagetable_pages()));
  if (slab_total != sa.slab_pages())
    return finding(Inv::B_ACCOUNT, {},
                   "the caches' slab lists hold " + std::to_string(slab_total) +
                       " frames, but the slab layer counts " + std::to_string(sa.slab_pages()));
  if (vmalloc != k_.vmap().used_pages())
    return finding(Inv::B_ACCOUNT, {},
                   std::to_string(vmalloc) + " frames are owned by vmalloc areas, but vmalloc counts " +
                       std::to_string(k_.vmap().used_pages()));
  if (allocated != expected)
    return finding(Inv::B_ACCOUNT, {},
                   std::to_string(allocated) + " frames are allocated in all, the budget is " +
                       std::to_string(expected));
  return std::nullopt;
}

Check KernelChecker::restored() const {
  const PhysMem& mem = k_.mem();
  std::vector<std::uint64_t> leaks;
  std::string listing;
  for (const Zone& z : k_.buddy().zones()) {
    for (std::uint64_t pfn = z.start_pfn; pfn < z.end_pfn;) {
      const Page& p = mem.page(pfn);
      const std::uint64_t n = p.state == PageState::none ? 1 : std::uint64_t{1} << p.order;
      if (p.state == PageState::allocated && leaks.size() < 16) {
        leaks.push_back(pfn << PAGE_SHIFT);
        char buf[160];
        const VirtAddr va = k_.pfn_to_virt(Pfn{pfn});
        std::snprintf(buf, sizeof buf,
                      "unreferenced object 0x%" PRIx64 " (size %" PRIu64 ") [pfn %" PRIx64 "]\n",
                      va ? va.value : (pfn << PAGE_SHIFT), n * PAGE_SIZE, pfn);
        listing += buf;
      }
      pfn += n;
    }
  }
  if (!leaks.empty())
    return finding(Inv::NO_LEAK, leaks,
                   "after every allocation was freed the subject still holds frames:\n" + listing);
  if (k_.buddy().free_blocks() != boot_blocks_)
    return finding(
        Inv::B_RESTORE, {},
        "after everything was freed the free lists differ from the boot state:\n" + k_.proc_buddyinfo());
  return std::nullopt;
}

}  // namespace kmf
