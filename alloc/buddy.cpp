// buddy.cpp — free lists, split, coalesce, watermarks, buddyinfo.
#include "alloc/buddy.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <cstdio>

namespace kmf {
namespace {

std::uint64_t isqrt(std::uint64_t v) {
  auto r = static_cast<std::uint64_t>(std::sqrt(static_cast<double>(v)));
  while (r * r > v) --r;
  while ((r + 1) * (r + 1) <= v) ++r;
  return r;
}

}  // namespace

BuddyAllocator::BuddyAllocator(const ZoneMap& map, PhysMem& mem) : mem_(mem) {
  zones_.reserve(map.count);
  for (std::size_t i = 0; i < map.count; ++i) {
    const ZoneSpan& s = map.zones[i];
    Zone z{};
    z.type = s.type;
    z.start_pfn = s.start_pfn;
    z.end_pfn = s.end_pfn;
    z.present_pages = s.end_pfn - s.start_pfn;
    zones_.push_back(z);
  }
  // pfn 0 is reserved, as Linux reserves the first page for the BIOS.
  for (std::size_t zi = 0; zi < zones_.size(); ++zi) {
    Zone& z = zones_[zi];
    std::uint64_t pfn = z.start_pfn;
    if (pfn == 0) {
      mem_.page(0).state = PageState::reserved;
      z.reserved_pages = 1;
      pfn = 1;
    }
    // Largest aligned blocks, ascending; added at the tail so the lowest
    // address is handed out first (Linux frees boot memory to the tail too).
    while (pfn < z.end_pfn) {
      unsigned order = MAX_PAGE_ORDER;
      while (order > 0 && ((pfn & ((std::uint64_t{1} << order) - 1)) != 0 ||
                           pfn + (std::uint64_t{1} << order) > z.end_pfn))
        --order;
      list_add(zi, pfn, order, /*to_tail=*/true);
      z.free_pages += std::uint64_t{1} << order;
      pfn += std::uint64_t{1} << order;
    }
    z.managed_pages = z.present_pages - z.reserved_pages;
  }
  // Watermarks: min_free_kbytes = sqrt(16 * lowmem KiB), clamped to
  // [128, 65536], shared among lowmem zones by size; highmem gets a small
  // fixed reserve (32..128 pages).
  std::uint64_t lowmem_pages = 0;
  for (const Zone& z : zones_)
    if (z.type != ZoneType::HIGHMEM) lowmem_pages += z.managed_pages;
  const std::uint64_t lowmem_kb = lowmem_pages * (PAGE_SIZE / 1024);
  const std::uint64_t min_free_kb = std::clamp<std::uint64_t>(isqrt(lowmem_kb * 16), 128, 65536);
  const std::uint64_t min_pages = min_free_kb / (PAGE_SIZE / 1024);
  for (Zone& z : zones_) {
    if (z.type == ZoneType::HIGHMEM) {
      z.wmark_min = std::clamp<std::uint64_t>(z.managed_pages / 1024, 32, 128);
    } else {
      z.wmark_min = lowmem_pages ? min_pages * z.managed_pages / lowmem_pages : 0;
    }
    z.wmark_low = z.wmark_min + z.wmark_min / 4;
    z.wmark_high = z.wmark_min + z.wmark_min / 2;
  }
  // Zone fallback, by zonelist_kind: GFP_DMA: DMA only; GFP_HIGHMEM: HighMem
  // first; GFP_DMA32: DMA32 then DMA; otherwise Normal → DMA32 → DMA.
  static constexpr std::array<std::array<ZoneType, 4>, 4> PREFERENCE{{
      {ZoneType::DMA, ZoneType::DMA, ZoneType::DMA, ZoneType::DMA},
      {ZoneType::HIGHMEM, ZoneType::NORMAL, ZoneType::DMA32, ZoneType::DMA},
      {ZoneType::DMA32, ZoneType::DMA, ZoneType::DMA, ZoneType::DMA},
      {ZoneType::NORMAL, ZoneType::DMA32, ZoneType::DMA, ZoneType::DMA},
  }};
  static constexpr std::array<std::size_t, 4> PREFERENCE_LEN{1, 4, 2, 3};
  for (std::size_t kind = 0; kind < zonelists_.size(); ++kind) {
    ZoneOrder& list = zonelists_[kind];
    for (std::size_t p = 0; p < PREFERENCE_LEN[kind]; ++p)
      for (std::size_t zi = 0; zi < zones_.size(); ++zi)
        if (zones_[zi].type == PREFERENCE[kind][p]) {
          assert(list.count < list.index.size());
          list.index[list.count++] = static_cast<std::uint8_t>(zi);
        }
  }
}

std::size_t BuddyAllocator::zone_index(std::uint64_t pfn) const {
  for (std::size_t i = 0; i < zones_.size(); ++i)
    if (zones_[i].contains(pfn)) return i;
  assert(false && "pfn outside every zone");
  return 0;
}

const Zone* BuddyAllocator::zone_of(std::uint64_t pfn) const {
  for (const Zone& z : zones_)
    if (z.contains(pfn)) return &z;
  return nullptr;
}

void BuddyAllocator::list_add(std::size_t zi, std::uint64_t pfn, unsigned order, bool to_tail) {
  FreeArea& area = zones_[zi].free_area[order];
  Page& p = mem_.page(pfn);
  p.state = PageState::free;
  p.order = static_cast<std::uint8_t>(order);
  p.owner = PageOwner::none;
  p.priv = 0;
  p.flags &= PG_EVER_HEAD;
  const auto self = static_cast<std::uint32_t>(pfn);
  if (area.head == PFN_NIL) {
    p.next = p.prev = self;  // circular: head.prev is the tail
    area.head = self;
  } else {
    Page& head = mem_.page(area.head);
    const std::uint32_t tail = head.prev;
    p.next = area.head;
    p.prev = tail;
    mem_.page(tail).next = self;
    head.prev = self;
    if (!to_tail) area.head = self;
  }
  ++area.nr_free;
}

void BuddyAllocator::list_del(std::size_t zi, std::uint64_t pfn, unsigned order) {
  FreeArea& area = zones_[zi].free_area[order];
  Page& p = mem_.page(pfn);
  assert(p.state == PageState::free && p.order == order);
  const auto self = static_cast<std::uint32_t>(pfn);
  if (p.next == self) {
    area.head = PFN_NIL;
  } else {
    mem_.page(p.prev).next = p.next;
    mem_.page(p.next).prev = p.prev;
    if (area.head == self) area.head = p.next;
  }
  p.next = p.prev = PFN_NIL;
  p.state = PageState::none;
  p.order = 0;
  --area.nr_free;
}

unsigned BuddyAllocator::gfp_to_alloc_flags(gfp_t gfp) {
  unsigned flags = ALLOC_WMARK_MIN;
  if (gfp & GFP_HIGH) {
    flags |= ALLOC_HIGH;
    if (!gfpflags_allow_blocking(gfp)) flags |= ALLOC_HARDER;
  }
  return flags;
}

bool BuddyAllocator::watermark_ok(const Zone& z, unsigned order, std::uint64_t mark, unsigned alloc_flags) {
  auto free = static_cast<std::int64_t>(z.free_pages) - (std::int64_t{1} << order) + 1;
  auto min = static_cast<std::int64_t>(mark);
  if (alloc_flags & ALLOC_HIGH) min -= min / 2;
  if (alloc_flags & ALLOC_HARDER) min -= min / 4;
  if (free <= min) return false;
  for (unsigned o = 0; o < order; ++o) {
    free -= static_cast<std::int64_t>(z.free_area[o].nr_free << o);
    min >>= 1;
    if (free <= min) return false;
  }
  return true;
}

std::size_t BuddyAllocator::zonelist_kind(gfp_t gfp) {
  if (gfp & GFP_DMA) return 0;
  if (gfp & GFP_HIGHMEM) return 1;
  if (gfp & GFP_DMA32) return 2;
  return 3;
}

std::vector<const Zone*> BuddyAllocator::zonelist(gfp_t gfp) const {
  const ZoneOrder& order = zonelists_[zonelist_kind(gfp)];
  std::vector<const Zone*> list;
  for (std::size_t i = 0; i < order.count; ++i) list.push_back(&zones_[order.index[i]]);
  return list;
}

bool BuddyAllocator::take_from_zone(std::size_t zi, unsigned order, std::uint64_t& out) {
  Zone& z = zones_[zi];
  unsigned o = order;
  while (o <= MAX_PAGE_ORDER && z.free_area[o].head == PFN_NIL) ++o;
  if (o > MAX_PAGE_ORDER) return false;
  const std::uint64_t pfn = z.free_area[o].head;
  list_del(zi, pfn, o);
  // Split: keep the lower half, give the upper halves back.
  while (o > order) {
    --o;
    list_add(zi, pfn + (std::uint64_t{1} << o), o);
  }
  z.free_pages -= std::uint64_t{1} << order;
  out = pfn;
  return true;
}

Pfn BuddyAllocator::alloc(gfp_t gfp, unsigned order, PageOwner owner) {
  if (order > MAX_PAGE_ORDER) return Pfn::none();
  const ZoneOrder& list = zonelists_[zonelist_kind(gfp)];
  const unsigned slow_flags = gfp_to_alloc_flags(gfp);
  // Fast path against the low watermark, then the slow path against min with
  // the caller's reserve rights (there is no reclaim to wait for).
  for (int pass = 0; pass < 2; ++pass) {
    for (std::size_t li = 0; li < list.count; ++li) {
      const std::size_t zi = list.index[li];
      const Zone* zc = &zones_[zi];
      const std::uint64_t mark = pass == 0 ? zc->wmark_low : zc->wmark_min;
      const unsigned flags = pass == 0 ? ALLOC_WMARK_LOW : slow_flags;
      if (!watermark_ok(*zc, order, mark, flags)) continue;
      std::uint64_t pfn = 0;
      if (bug_ == BugForTesting::hand_out_twice && ++allocs_ % 8 == 0 && last_pfn_ != PFN_NIL &&
          mem_.page(last_pfn_).state == PageState::allocated && mem_.page(last_pfn_).order == order)
        return Pfn{last_pfn_};
      if (take_from_zone(zi, order, pfn)) {
        last_pfn_ = pfn;
        Page& p = mem_.page(pfn);
        p.state = PageState::allocated;
        p.order = static_cast<std::uint8_t>(order);
        p.owner = owner;
        p.priv = 0;
        p.flags = PG_EVER_HEAD;
        return Pfn{pfn};
      }
    }
  }
  return Pfn::none();
}

void BuddyAllocator::free_block(std::uint64_t pfn, unsigned order) {
  Page& p = mem_.page(pfn);
  assert(p.state == PageState::allocated && p.order == order);
  p.state = PageState::none;
  p.owner = PageOwner::none;
  p.priv = 0;
  p.flags = PG_EVER_HEAD;
  const std::size_t zi = zone_index(pfn);
  Zone& z = zones_[zi];
  z.free_pages += std::uint64_t{1} << order;
  while (order < MAX_PAGE_ORDER) {
    const std::uint64_t buddy = pfn ^ (std::uint64_t{1} << order);
    if (!z.contains(buddy)) break;
    const Page& b = mem_.page(buddy);
    if (b.state != PageState::free || b.order != order) break;
    if (bug_ == BugForTesting::skip_coalesce_order_3 && order == 3) break;
    list_del(zi, buddy, order);
    pfn &= ~(std::uint64_t{1} << order);
    ++order;
  }
  list_add(zi, pfn, order);
}

std::uint64_t BuddyAllocator::free_block_containing(std::uint64_t pfn) const {
  for (unsigned o = 0; o <= MAX_PAGE_ORDER; ++o) {
    const std::uint64_t head = pfn & ~((std::uint64_t{1} << o) - 1);
    if (head >= mem_.nr_frames()) continue;
    const Page& p = mem_.page(head);
    if (p.state == PageState::free && p.order >= o) return head;
    if (p.state == PageState::allocated && p.order >= o) return PFN_NIL;
  }
  return PFN_NIL;
}

std::uint64_t BuddyAllocator::nr_free_pages() const {
  std::uint64_t n = 0;
  for (const Zone& z : zones_) n += z.free_pages;
  return n;
}

std::uint64_t BuddyAllocator::totalram_pages() const {
  std::uint64_t n = 0;
  for (const Zone& z : zones_) n += z.managed_pages;
  return n;
}

std::string BuddyAllocator::buddyinfo() const {
  std::string out;
  char buf[64];
  for (const Zone& z : zones_) {
    const std::string name(zone_name(z.type));
    std::snprintf(buf, sizeof buf, "Node %d, zone %8s ", 0, name.c_str());
    out += buf;
    for (const FreeArea& a : z.free_area) {
      std::snprintf(buf, sizeof buf, "%6lu ", static_cast<unsigned long>(a.nr_free));
      out += buf;
    }
    out += '\n';
  }
  return out;
}

std::vector<std::pair<std::uint64_t, unsigned>> BuddyAllocator::free_blocks() const {
  std::vector<std::pair<std::uint64_t, unsigned>> out;
  for (const Zone& z : zones_) {
    for (unsigned o = 0; o <= MAX_PAGE_ORDER; ++o) {
      std::uint32_t cur = z.free_area[o].head;
      for (std::uint64_t n = 0; n < z.free_area[o].nr_free && cur != PFN_NIL; ++n) {
        out.emplace_back(cur, o);
        cur = mem_.page(cur).next;
      }
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace kmf
