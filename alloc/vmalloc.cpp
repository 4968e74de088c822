// vmalloc.cpp — vmalloc, vfree, ioremap, iounmap over the area allocator and
// the page tables; the Kernel's vmalloc API; /proc/vmallocinfo.
#include "alloc/vmalloc.h"

#include <algorithm>
#include <cassert>
#include <cstdio>

#include "alloc/format.h"

namespace kmf {
namespace {

using detail::format;
using detail::ull;

/// Linux aligns an ioremap area to its size rounded up to a power of two,
/// between one page and 2^IOREMAP_MAX_ORDER bytes (7 + PAGE_SHIFT).
constexpr unsigned IOREMAP_MAX_ORDER = 7 + PAGE_SHIFT;

std::uint64_t ioremap_align(std::uint64_t size) {
  std::uint64_t align = PAGE_SIZE;
  while (align < size && align < (std::uint64_t{1} << IOREMAP_MAX_ORDER)) align <<= 1;
  return align;
}

}  // namespace

VmapSpace::VmapSpace(Kernel& k)
    : k_(k),
      pt_(k.layout_.profile, k.mem_, *this),
      free_(k.layout_.vmalloc_start, k.layout_.vmalloc_end, k.config_.seed ^ 0x766d6170617265aULL) {}

// ---- page-table frames ---------------------------------------------------------

Pfn VmapSpace::alloc_table_frame() { return k_.alloc_frames(table_gfp_, 0, PageOwner::pagetable); }

void VmapSpace::free_table_frame(Pfn pfn) { k_.free_frames(pfn, 0); }

// ---- bookkeeping -----------------------------------------------------------------

std::uint32_t VmapSpace::take_slot() {
  if (!spare_slots_.empty()) {
    const std::uint32_t s = spare_slots_.back();
    spare_slots_.pop_back();
    return s;
  }
  slots_.emplace_back();
  return static_cast<std::uint32_t>(slots_.size() - 1);
}

void VmapSpace::forget_freed(std::uint64_t start, std::uint64_t end) {
  freed_.erase(freed_.lower_bound(start), freed_.lower_bound(end));
}

void VmapSpace::unmap_pages(VirtAddr start, std::uint64_t n) {
  // Last page first: the tables allocated last are the first to empty.
  for (std::uint64_t i = n; i-- > 0;) pt_.unmap(start + (i << PAGE_SHIFT));
}

void VmapSpace::free_frames(const std::vector<Pfn>& pfns) {
  for (auto it = pfns.rbegin(); it != pfns.rend(); ++it) k_.free_frames(*it, 0);
}

void VmapSpace::release(std::map<std::uint64_t, std::uint32_t>::iterator it) {
  const std::uint32_t slot = it->second;
  VmArea& a = slots_[slot];
  unmap_pages(a.start, a.nr_pages());
  if (a.kind == VmAreaKind::vmalloc) {
    free_frames(a.pages);
    used_pages_ -= a.pages.size();
  }
  free_.free(a.start.value, a.size + a.guard);
  freed_[a.start.value] = a.kind;
  busy_.erase(it);
  a = VmArea{};  // also returns the pages vector's memory
  spare_slots_.push_back(slot);
}

// ---- vmalloc / vfree -------------------------------------------------------------

VirtAddr VmapSpace::alloc(std::uint64_t size, std::uint64_t align, gfp_t gfp, VmFlags flags,
                          const char* caller) {
  const Layout& l = k_.layout_;
  // Checked before rounding so that a size near 2^64 cannot wrap to a small one.
  if (size == 0 || size > l.vmalloc_end - l.vmalloc_start) return VirtAddr{0};
  const std::uint64_t nr_pages = page_align_up(size) >> PAGE_SHIFT;
  if (nr_pages > k_.buddy_.totalram_pages()) return VirtAddr{0};  // Linux refuses these up front
  if (align == 0 || (align & (align - 1)) != 0) return VirtAddr{0};
  align = std::max(align, PAGE_SIZE);
  const std::uint64_t guard = (flags & VM_NO_GUARD) ? 0 : PAGE_SIZE;
  const std::uint64_t bytes = nr_pages << PAGE_SHIFT;

  // Data frames may come from any zone the caller allows, highmem first, as
  // long as a PTE can hold their frame number (an i386 machine above 4 GiB
  // would need PAE: there vmalloc stays in lowmem).
  gfp_t frame_gfp = gfp;
  if (!(gfp & (GFP_DMA | GFP_DMA32))) frame_gfp |= GFP_HIGHMEM;
  if (!pt_.can_map(Pfn{l.max_pfn - 1})) frame_gfp &= ~GFP_HIGHMEM;
  table_gfp_ = (gfpflags_allow_blocking(gfp) ? GFP_KERNEL : GFP_ATOMIC) | GFP_ZERO;

  const auto start = free_.alloc(bytes + guard, align);
  if (!start) return VirtAddr{0};
  const VirtAddr va{*start};
  std::vector<Pfn> pages;
  pages.reserve(nr_pages);
  const std::uint32_t slot = take_slot();
  const std::uint32_t id = slot + 1;
  auto undo = [&] {
    free_frames(pages);
    free_.free(va.value, bytes + guard);
    spare_slots_.push_back(slot);
    return VirtAddr{0};
  };
  for (std::uint64_t i = 0; i < nr_pages; ++i) {
    const Pfn pfn = k_.alloc_frames(frame_gfp, 0, PageOwner::vmalloc);
    if (!pfn) return undo();
    assert(pt_.can_map(pfn));
    k_.mem_.page(pfn.value).priv = id;
    pages.push_back(pfn);
  }
  const std::uint64_t prot = pt_.kernel_prot();
  for (std::uint64_t i = 0; i < nr_pages; ++i) {
    if (!pt_.map(va + (i << PAGE_SHIFT), pages[i], prot)) {
      unmap_pages(va, i);
      return undo();
    }
  }

  VmArea& a = slots_[slot];
  a.id = id;
  a.kind = VmAreaKind::vmalloc;
  a.flags = (flags & VM_NO_GUARD) | VM_ALLOC;
  a.start = va;
  a.size = bytes;
  a.guard = guard;
  a.phys = PhysAddr{0};
  a.pages = std::move(pages);
  a.caller = caller;
  busy_.emplace(va.value, slot);
  forget_freed(va.value, va.value + bytes + guard);
  used_pages_ += nr_pages;
  return va;
}

void VmapSpace::free(VirtAddr addr) {
  if (!addr) return;  // vfree(NULL) is a no-op
  if (!page_aligned(addr.value)) {
    k_.reports_.add(ReportKind::invalid_free, addr.value,
                    format("WARNING: Trying to vfree() bad address (0x%llx)", ull(addr.value)));
    return;
  }
  const auto it = busy_.find(addr.value);
  if (it == busy_.end()) {
    const auto f = freed_.find(addr.value);
    if (f != freed_.end() && f->second == VmAreaKind::vmalloc) {
      k_.reports_.add(ReportKind::double_free, addr.value,
                      format("WARNING: Trying to vfree() nonexistent vm area (0x%llx): "
                             "it was vfree()d already (double free)",
                             ull(addr.value)));
    } else {
      k_.reports_.add(ReportKind::invalid_free, addr.value,
                      format("WARNING: Trying to vfree() nonexistent vm area (0x%llx)", ull(addr.value)));
    }
    return;
  }
  if (slots_[it->second].kind != VmAreaKind::vmalloc) {
    k_.reports_.add(
        ReportKind::invalid_free, addr.value,
        format("WARNING: Trying to vfree() an ioremap area (0x%llx): use iounmap()", ull(addr.value)));
    return;
  }
  release(it);
}

// ---- ioremap / iounmap -------------------------------------------------------------

VirtAddr VmapSpace::ioremap(PhysAddr phys, std::uint64_t size, const char* caller) {
  if (size == 0) return VirtAddr{0};
  const std::uint64_t last = phys.value + (size - 1);
  if (last < phys.value) return VirtAddr{0};  // the range wraps: Linux returns NULL quietly
  const std::uint64_t first_pfn = phys.value >> PAGE_SHIFT;
  const std::uint64_t last_pfn = last >> PAGE_SHIFT;
  if (!pt_.can_map(Pfn{last_pfn})) {
    k_.reports_.add(
        ReportKind::bad_address, phys.value,
        format("WARNING: ioremap: invalid physical address 0x%llx (beyond what a PTE can map)", ull(last)));
    return VirtAddr{0};
  }
  // Normal RAM is refused (Linux: "ioremap on RAM"); only reserved frames
  // and addresses past the end of RAM (device memory) may be remapped.
  for (std::uint64_t pfn = first_pfn; pfn <= last_pfn && pfn < k_.mem_.nr_frames(); ++pfn) {
    if (k_.mem_.page(pfn).state != PageState::reserved) {
      k_.reports_.add(ReportKind::bad_address, phys.value,
                      format("WARNING: ioremap on RAM at 0x%llx - 0x%llx", ull(phys.value), ull(last)));
      return VirtAddr{0};
    }
  }
  const std::uint64_t nr_pages = last_pfn - first_pfn + 1;
  // The model maps 4 KiB pages only (no huge mappings): a range larger than
  // RAM would cost more PTE writes than a fuzzer can wait for.
  if (nr_pages > k_.buddy_.totalram_pages()) return VirtAddr{0};
  const std::uint64_t bytes = nr_pages << PAGE_SHIFT;
  table_gfp_ = GFP_KERNEL | GFP_ZERO;

  const auto start = free_.alloc(bytes + PAGE_SIZE, ioremap_align(bytes));
  if (!start) return VirtAddr{0};
  const VirtAddr va{*start};
  const std::uint64_t prot = pt_.io_prot();
  for (std::uint64_t i = 0; i < nr_pages; ++i) {
    if (!pt_.map(va + (i << PAGE_SHIFT), Pfn{first_pfn + i}, prot)) {
      unmap_pages(va, i);
      free_.free(va.value, bytes + PAGE_SIZE);
      return VirtAddr{0};
    }
  }
  const std::uint32_t slot = take_slot();
  VmArea& a = slots_[slot];
  a.id = slot + 1;
  a.kind = VmAreaKind::ioremap;
  a.flags = VM_IOREMAP;
  a.start = va;
  a.size = bytes;
  a.guard = PAGE_SIZE;
  a.phys = PhysAddr{first_pfn << PAGE_SHIFT};
  a.caller = caller;
  busy_.emplace(va.value, slot);
  forget_freed(va.value, va.value + bytes + PAGE_SIZE);
  return va + (phys.value & (PAGE_SIZE - 1));
}

void VmapSpace::iounmap(VirtAddr addr) {
  if (!addr) return;
  const std::uint64_t start = addr.value & PAGE_MASK;  // Linux masks the page offset off too
  const auto it = busy_.find(start);
  if (it == busy_.end()) {
    const auto f = freed_.find(start);
    if (f != freed_.end() && f->second == VmAreaKind::ioremap) {
      k_.reports_.add(
          ReportKind::double_free, addr.value,
          format("WARNING: iounmap: bad address 0x%llx: it was iounmap()ped already (double free)",
                 ull(addr.value)));
    } else {
      k_.reports_.add(ReportKind::invalid_free, addr.value,
                      format("WARNING: iounmap: bad address 0x%llx", ull(addr.value)));
    }
    return;
  }
  if (slots_[it->second].kind != VmAreaKind::ioremap) {
    k_.reports_.add(
        ReportKind::invalid_free, addr.value,
        format("WARNING: iounmap: bad address 0x%llx: a vmalloc area, use vfree()", ull(addr.value)));
    return;
  }
  release(it);
}

Pfn VmapSpace::to_pfn(VirtAddr va) const {
  const auto pte = pt_.lookup(va);
  return pte ? pte->pfn() : Pfn::none();
}

// ---- introspection ------------------------------------------------------------------

const VmArea* VmapSpace::find_area(VirtAddr start) const {
  const auto it = busy_.find(start.value);
  return it == busy_.end() ? nullptr : &slots_[it->second];
}

const VmArea* VmapSpace::area_containing(VirtAddr va) const {
  auto it = busy_.upper_bound(va.value);
  if (it == busy_.begin()) return nullptr;
  const VmArea& a = slots_[std::prev(it)->second];
  return va < a.reserved_end() ? &a : nullptr;
}

const VmArea* VmapSpace::area_by_id(std::uint32_t id) const {
  if (id == 0 || id > slots_.size() || slots_[id - 1].id != id) return nullptr;
  return &slots_[id - 1];
}

void VmapSpace::for_each_area(const std::function<void(const VmArea&)>& fn) const {
  for (const auto& [start, slot] : busy_) fn(slots_[slot]);
}

std::string VmapSpace::hex(std::uint64_t v) const {
  // Pointer width: 8 digits on i386, 16 on x86_64 (phys_addr_t has the same
  // width as a pointer in both profiles: i386 without PAE).
  const int width = k_.layout_.profile == Profile::i386 ? 8 : 16;
  return format("0x%0*llx", width, ull(v));
}

std::string VmapSpace::vmallocinfo() const {
  std::string out;
  for (const auto& [start, slot] : busy_) {
    const VmArea& a = slots_[slot];
    out += hex(a.start.value) + "-" + hex(a.reserved_end().value);
    out += format(" %7llu %s+0x0/0x0", ull(a.size + a.guard), a.caller);
    if (a.kind == VmAreaKind::vmalloc) {
      out += format(" pages=%llu vmalloc", ull(a.nr_pages()));
    } else {
      out += " phys=" + hex(a.phys.value) + " ioremap";
    }
    out += '\n';
  }
  return out;
}

// ---- test-only hooks -------------------------------------------------------------------

bool VmapSpace::clear_pte_for_testing(VirtAddr va) { return pt_.unmap(va) != 0; }

bool VmapSpace::map_pte_for_testing(VirtAddr va, Pfn pfn) {
  if (!pt_.can_map(pfn)) return false;
  table_gfp_ = GFP_KERNEL | GFP_ZERO;
  return pt_.map(va, pfn, pt_.kernel_prot());
}

bool VmapSpace::set_pte_raw_for_testing(VirtAddr va, std::uint64_t entry) {
  return pt_.set_entry_raw_for_testing(va, entry);
}

// ---- the Kernel's vmalloc API ------------------------------------------------------------

VirtAddr Kernel::vmalloc(std::size_t size) {
  if (check_might_sleep(GFP_KERNEL, "vmalloc")) return VirtAddr{0};
  return vm_->alloc(size, PAGE_SIZE, GFP_KERNEL, VM_NONE, "vmalloc");
}

VirtAddr Kernel::vzalloc(std::size_t size) {
  if (check_might_sleep(GFP_KERNEL, "vzalloc")) return VirtAddr{0};
  return vm_->alloc(size, PAGE_SIZE, GFP_KERNEL | GFP_ZERO, VM_NONE, "vzalloc");
}

VirtAddr Kernel::vmalloc_node_range(std::size_t size, std::size_t align, gfp_t gfp, VmFlags vm_flags) {
  if (check_might_sleep(gfp, "vmalloc_node_range")) return VirtAddr{0};
  return vm_->alloc(size, align, gfp, vm_flags, "vmalloc_node_range");
}

void Kernel::vfree(VirtAddr addr) { vm_->free(addr); }

VirtAddr Kernel::ioremap(PhysAddr phys, std::size_t size) {
  if (check_might_sleep(GFP_KERNEL, "ioremap")) return VirtAddr{0};
  return vm_->ioremap(phys, size, "ioremap");
}

void Kernel::iounmap(VirtAddr addr) { vm_->iounmap(addr); }

Pfn Kernel::vmalloc_to_pfn(VirtAddr addr) {
  if (!layout_.in_vmalloc(addr)) {
    // What CONFIG_DEBUG_VIRTUAL's VIRTUAL_BUG_ON catches in Linux.
    reports_.add(ReportKind::bad_address, addr.value,
                 format("BUG: vmalloc_to_page: 0x%llx is not a vmalloc address", ull(addr.value)));
    return Pfn::none();
  }
  return vm_->to_pfn(addr);
}

std::string Kernel::proc_vmallocinfo() const { return vm_->vmallocinfo(); }

}  // namespace kmf
