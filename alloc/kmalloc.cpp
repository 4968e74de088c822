// kmalloc.cpp — kmalloc on size-class caches, and the page-allocator path for
// large modern requests.
//
//   2.6.18: size-32 size-64 size-128 size-192 size-256 … size-131072   (no 96)
//           GFP_DMA → size-N(DMA); above 128 KiB → NULL
//   modern: kmalloc-8 … kmalloc-96 … kmalloc-192 … kmalloc-8k
//           GFP_DMA → dma-kmalloc-N; 8 KiB < size ≤ 4 MiB → 2^order frames
//           (PageOwner::large_kmalloc, priv = distance from the head frame);
//           kmalloc(0) → ZERO_SIZE_PTR
//
// The caches are created on first use, so a machine boots without touching
// the slab layer (fuzzers boot one per input). Power-of-two classes are
// naturally aligned, 96 and 192 to 32 and 64 (S-ALIGN); ksize is the class
// (S-KSIZE); anything above kmalloc_max_size() is NULL (S-LIMIT).
#include <algorithm>
#include <array>
#include <cassert>
#include <cstdio>
#include <cstring>

#include "alloc/format.h"
#include "alloc/slab.h"

namespace kmf {
namespace {

using detail::format;
using detail::ull;

constexpr std::array<std::size_t, 14> CLASSES_2_6_18{32,   64,   128,  192,   256,   512,   1024,
                                                     2048, 4096, 8192, 16384, 32768, 65536, 131072};
constexpr std::array<std::size_t, 13> CLASSES_MODERN{8,   16,  32,   64,   96,   128, 192,
                                                     256, 512, 1024, 2048, 4096, 8192};

std::size_t class_index(std::span<const std::size_t> classes, std::size_t size) {
  return static_cast<std::size_t>(std::lower_bound(classes.begin(), classes.end(), size) - classes.begin());
}

}  // namespace

std::span<const std::size_t> kmalloc_size_classes(KmallocProfile profile) {
  if (profile == KmallocProfile::linux_2_6_18) return CLASSES_2_6_18;
  return CLASSES_MODERN;
}

std::string kmalloc_cache_name(KmallocProfile profile, std::size_t size_class, bool dma) {
  if (profile == KmallocProfile::linux_2_6_18)
    return "size-" + std::to_string(size_class) + (dma ? "(DMA)" : "");
  const std::string n =
      size_class >= 1024 ? std::to_string(size_class / 1024) + "k" : std::to_string(size_class);
  return (dma ? "dma-kmalloc-" : "kmalloc-") + n;
}

std::size_t SlabAllocator::kmalloc_max_size() const {
  return profile_ == KmallocProfile::linux_2_6_18 ? 128 * KiB : 4 * MiB;
}

KmemCache& SlabAllocator::kmalloc_cache_for(std::size_t ci, bool dma) {
  std::uint32_t& id = kmalloc_ids_[dma][ci];
  if (id == SLAB_NIL) {
    const std::size_t size = kmalloc_size_classes(profile_)[ci];
    const std::size_t natural = size & (~size + 1);  // the lowest set bit: 96 → 32, 128 → 128
    const auto geo = cache_geometry(size, natural, SLAB_NONE, false, k_.config_.slab_debug, profile_);
    assert(geo && "every kmalloc class fits a slab");
    KmemCache* c =
        new_cache(kmalloc_cache_name(profile_, size, dma), *geo, dma ? SLAB_CACHE_DMA : SLAB_NONE, {});
    c->kmalloc_ = true;
    id = c->id_;
  }
  return *caches_[id];
}

const KmemCache* SlabAllocator::kmalloc_cache(std::size_t size, bool dma) const {
  const auto classes = kmalloc_size_classes(profile_);
  const std::size_t ci = class_index(classes, size);
  if (ci >= classes.size() || kmalloc_ids_[dma][ci] == SLAB_NIL) return nullptr;
  return caches_[kmalloc_ids_[dma][ci]].get();
}

bool SlabAllocator::is_zero_or_null(VirtAddr addr) const {
  // ZERO_OR_NULL_PTR: NULL, or (modern) ZERO_SIZE_PTR and the bytes below it.
  return addr.value == 0 || (profile_ == KmallocProfile::modern && addr.value <= ZERO_SIZE_PTR.value);
}

VirtAddr SlabAllocator::kmalloc(std::size_t size, gfp_t gfp) {
  if (sleeps_in_atomic(gfp, "kmalloc")) return VirtAddr{0};
  return kmalloc_checked(size, gfp);
}

VirtAddr SlabAllocator::kmalloc_checked(std::size_t size, gfp_t gfp) {
  gfp &= ~(GFP_HIGHMEM | GFP_DMA32);  // slab memory is always direct-mapped
  if (size == 0 && profile_ == KmallocProfile::modern) return ZERO_SIZE_PTR;
  if (size > kmalloc_max_size()) {
    if (!k_.has_bug(Kernel::BugForTesting::no_kmalloc_limit) || size > 2 * kmalloc_max_size())
      return VirtAddr{0};
    return kmalloc_large(size, gfp);
  }
  const auto classes = kmalloc_size_classes(profile_);
  if (size <= classes.back())
    return alloc_from(kmalloc_cache_for(class_index(classes, size), gfp & GFP_DMA), gfp);
  return kmalloc_large(size, gfp);
}

VirtAddr SlabAllocator::kmalloc_large(std::size_t size, gfp_t gfp) {
  unsigned order = 0;
  while ((PAGE_SIZE << order) < size) ++order;
  const Pfn pfn = k_.alloc_frames(gfp, order, PageOwner::large_kmalloc);  // GFP_ZERO zeroes the frames
  if (!pfn) return VirtAddr{0};
  // Tails carry the owner too, so an address inside the block finds its head.
  for (std::uint64_t f = 1; f < (std::uint64_t{1} << order); ++f) {
    Page& p = k_.mem_.page(pfn.value + f);
    p.owner = PageOwner::large_kmalloc;
    p.priv = static_cast<std::uint32_t>(f);
  }
  return k_.layout_.va(pfn_to_phys(pfn));
}

void SlabAllocator::report_not_kmalloc(VirtAddr addr, const char* caller) {
  const Layout& l = k_.layout_;
  std::string why;
  if (!l.in_direct_map(addr)) {
    why = "outside the direct map";
  } else if (const std::uint64_t pfn = l.pa(addr).value >> PAGE_SHIFT; pfn >= k_.mem_.nr_frames()) {
    why = "beyond the end of memory";
  } else {
    const Page& p = k_.mem_.page(pfn);
    const bool page_start = (addr.value & (PAGE_SIZE - 1)) == 0;
    if (page_start && profile_ == KmallocProfile::modern &&
        (p.state == PageState::free || p.state == PageState::none)) {
      // What a double kfree of a large kmalloc looks like: let the page
      // allocator's free checks tell a double free from a stray pointer.
      k_.check_page_free(pfn, 0, PageOwner::large_kmalloc, addr.value);
      return;
    }
    switch (p.state) {
      case PageState::reserved: why = format("frame 0x%llx is reserved", ull(pfn)); break;
      case PageState::allocated:
        why = format("frame 0x%llx belongs to %s", ull(pfn), page_owner_name(p.owner));
        break;
      case PageState::free:
      case PageState::none:
        why = k_.buddy_.free_block_containing(pfn) != PFN_NIL
                  ? format("frame 0x%llx is free", ull(pfn))
                  : format("frame 0x%llx is inside a block of %s", ull(pfn), page_owner_name(p.owner));
        break;
    }
  }
  k_.reports_.add(
      ReportKind::invalid_free, addr.value,
      format("BUG: %s: 0x%llx is not a kmalloc object: %s", caller, ull(addr.value), why.c_str()));
}

void SlabAllocator::kfree(VirtAddr addr) {
  if (is_zero_or_null(addr)) return;
  const Hit h = lookup(addr);
  if (h.kind == Hit::Kind::slab) {
    if (check_free_request(h, addr, "kfree")) free_object(*caches_[slabs_[h.slab].cache], h.slab, h.index);
    return;
  }
  if (h.kind == Hit::Kind::large) {
    if (h.within != 0) {
      k_.reports_.add(ReportKind::invalid_free, addr.value,
                      format("BUG: kfree: 0x%llx is %llu bytes inside the large kmalloc at 0x%llx",
                             ull(addr.value), ull(h.within), ull(addr.value - h.within)));
      return;
    }
    const unsigned order = k_.mem_.page(h.pfn).order;
    for (std::uint64_t f = 1; f < (std::uint64_t{1} << order); ++f) {
      Page& p = k_.mem_.page(h.pfn + f);
      p.owner = PageOwner::none;
      p.priv = 0;
    }
    k_.free_frames(Pfn{h.pfn}, order);
    return;
  }
  report_not_kmalloc(addr, "kfree");
}

std::size_t SlabAllocator::ksize(VirtAddr addr) {
  if (is_zero_or_null(addr)) return 0;
  const Hit h = lookup(addr);
  if (h.kind == Hit::Kind::slab && !h.beyond && h.within == 0 && slabs_[h.slab].live[h.index])
    return caches_[slabs_[h.slab].cache]->object_size();
  if (h.kind == Hit::Kind::large && h.within == 0) return PAGE_SIZE << k_.mem_.page(h.pfn).order;
  if (h.kind == Hit::Kind::slab && !h.beyond) {
    const KmemCache& c = *caches_[slabs_[h.slab].cache];
    report_object(ReportKind::bad_address, c, h.slab, h.index,
                  format("ksize: 0x%llx is not a live object (offset %llu)", ull(addr.value), ull(h.within)));
    return 0;
  }
  k_.reports_.add(ReportKind::bad_address, addr.value,
                  format("BUG: ksize: 0x%llx is not a kmalloc object", ull(addr.value)));
  return 0;
}

VirtAddr SlabAllocator::krealloc(VirtAddr addr, std::size_t new_size, gfp_t gfp) {
  if (sleeps_in_atomic(gfp, "krealloc")) return VirtAddr{0};
  if (is_zero_or_null(addr)) return kmalloc_checked(new_size, gfp);
  // The object must be one kfree would accept, checked before anything moves.
  const Hit h = lookup(addr);
  std::size_t old_size = 0;
  if (h.kind == Hit::Kind::slab) {
    if (!check_free_request(h, addr, "krealloc")) return VirtAddr{0};
    old_size = caches_[slabs_[h.slab].cache]->object_size();
  } else if (h.kind == Hit::Kind::large && h.within == 0) {
    old_size = PAGE_SIZE << k_.mem_.page(h.pfn).order;
  } else if (h.kind == Hit::Kind::large) {
    k_.reports_.add(ReportKind::invalid_free, addr.value,
                    format("BUG: krealloc: 0x%llx is %llu bytes inside the large kmalloc at 0x%llx",
                           ull(addr.value), ull(h.within), ull(addr.value - h.within)));
    return VirtAddr{0};
  } else {
    report_not_kmalloc(addr, "krealloc");
    return VirtAddr{0};
  }
  if (new_size == 0) {
    kfree(addr);
    return profile_ == KmallocProfile::modern ? ZERO_SIZE_PTR : VirtAddr{0};
  }
  if (new_size <= old_size) return addr;  // it fits where it is
  const VirtAddr fresh = kmalloc_checked(new_size, gfp);
  if (!fresh) return VirtAddr{0};  // the old object stays, untouched
  const Layout& l = k_.layout_;
  const std::size_t skip = k_.has_bug(Kernel::BugForTesting::krealloc_short_copy) ? 1 : 0;
  std::memcpy(k_.mem_.writable(l.pa(fresh) + skip, old_size - skip), k_.mem_.data(l.pa(addr) + skip),
              old_size - skip);
  kfree(addr);
  return fresh;
}

// ---- Kernel's kmalloc entry points --------------------------------------------------------

VirtAddr Kernel::kmalloc(std::size_t size, gfp_t gfp) { return slab_->kmalloc(size, gfp); }
VirtAddr Kernel::krealloc(VirtAddr obj, std::size_t new_size, gfp_t gfp) {
  return slab_->krealloc(obj, new_size, gfp);
}
void Kernel::kfree(VirtAddr obj) { slab_->kfree(obj); }
std::size_t Kernel::ksize(VirtAddr obj) { return slab_->ksize(obj); }
std::size_t Kernel::kmalloc_max_size() const { return slab_->kmalloc_max_size(); }

}  // namespace kmf
