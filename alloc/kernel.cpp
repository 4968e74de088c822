// kernel.cpp — the Kernel facade: page-level API, validation of frees,
// translation, memory access and /proc/meminfo.
#include "alloc/kernel.h"

#include <cstdio>
#include <cstring>
#include <stdexcept>

#include "alloc/format.h"
#include "alloc/slab.h"
#include "alloc/vmalloc.h"

namespace kmf {
namespace {

using detail::format;
using detail::ull;

std::string bad_page(std::uint64_t pfn, const std::string& why) {
  return format("BUG: Bad page state in process kmemfuzz  pfn:%05llx", static_cast<unsigned long long>(pfn)) +
         " page dumped because: " + why;
}

MachineConfig validated(const MachineConfig& config) {
  if (config.mem_bytes < MIN_MEM_BYTES || config.mem_bytes > MAX_MEM_BYTES)
    throw std::invalid_argument("kmemfuzz: mem_bytes must be in [1 MiB, 64 GiB]");
  return config;
}

}  // namespace

Kernel::Kernel(const MachineConfig& config)
    : config_(validated(config)),
      layout_(Layout::for_machine(config_)),
      mem_(config_.mem_bytes),
      buddy_(ZoneMap::for_machine(config_, layout_), mem_) {
  fail_page_alloc_.reseed(config_.seed ^ 0x70616765616c6c6fULL);  // "pageallo"
  failslab_.reseed(config_.seed ^ 0x6661696c736c6162ULL);         // "failslab"
  slab_ = std::make_unique<SlabAllocator>(*this);
  vm_ = std::make_unique<VmapSpace>(*this);
}

Kernel::~Kernel() = default;

// ---- page allocator -----------------------------------------------------------

bool Kernel::check_might_sleep(gfp_t gfp, const char* caller) {
  if (!atomic_ || !gfpflags_allow_blocking(gfp)) return false;
  reports_.add(ReportKind::sleep_in_atomic, 0,
               std::string("BUG: sleeping function called from invalid context: ") + caller +
                   " with gfp=" + gfp_to_string(gfp) + " in atomic context");
  return true;
}

bool Kernel::should_fail_page_alloc(gfp_t gfp, unsigned order) {
  FaultAttr& f = fail_page_alloc_;
  if (f.probability == 0) return false;
  if (order < f.min_order) return false;
  if (gfp & GFP_NOFAIL) return false;
  if (f.ignore_gfp_highmem && (gfp & GFP_HIGHMEM)) return false;
  if (f.ignore_gfp_wait && gfpflags_allow_blocking(gfp)) return false;
  return f.should_fail(PAGE_SIZE << order);
}

Pfn Kernel::alloc_frames(gfp_t gfp, unsigned order, PageOwner owner) {
  if (order > MAX_PAGE_ORDER) return Pfn::none();
  const bool fail = should_fail_page_alloc(gfp, order);
  if (record_faults_ || fault_observer_) fault_call({false, gfp, order, 0, {}, fail});
  if (fail && !has_bug(BugForTesting::ignore_injected_faults)) return Pfn::none();
  const Pfn pfn = buddy_.alloc(gfp, order, owner);
  if (pfn && (gfp & GFP_ZERO) && (owner == PageOwner::pagetable || !has_bug(BugForTesting::ignore_gfp_zero)))
    mem_.zero(pfn_to_phys(pfn), PAGE_SIZE << order);
  return pfn;
}

void Kernel::free_frames(Pfn pfn, unsigned order) { buddy_.free_block(pfn.value, order); }

Pfn Kernel::alloc_pages(gfp_t gfp, unsigned order) {
  if (order > MAX_PAGE_ORDER) return Pfn::none();
  if (check_might_sleep(gfp, "alloc_pages")) return Pfn::none();
  return alloc_frames(gfp, order, PageOwner::pages);
}

bool Kernel::check_page_free(std::uint64_t pfn, unsigned order, PageOwner owner, std::uint64_t addr) {
  if (order > MAX_PAGE_ORDER) {
    reports_.add(ReportKind::bad_order, addr,
                 bad_page(pfn, format("free with order %u > MAX_PAGE_ORDER (%u)", order, MAX_PAGE_ORDER)));
    return true;
  }
  if (pfn >= mem_.nr_frames()) {
    reports_.add(ReportKind::invalid_free, addr,
                 bad_page(pfn, format("pfn beyond the end of memory (max_pfn %05llx)",
                                      static_cast<unsigned long long>(mem_.nr_frames()))));
    return true;
  }
  const Page& p = mem_.page(pfn);
  switch (p.state) {
    case PageState::reserved:
      reports_.add(ReportKind::bad_page, addr, bad_page(pfn, "PageReserved"));
      return true;
    case PageState::free:
      reports_.add(ReportKind::double_free, addr, bad_page(pfn, "page already free (double free)"));
      return true;
    case PageState::none:
      if (buddy_.free_block_containing(pfn) != PFN_NIL && (p.flags & PG_EVER_HEAD)) {
        reports_.add(ReportKind::double_free, addr,
                     bad_page(pfn, "page already free: it merged into a larger free block (double free)"));
      } else if (buddy_.free_block_containing(pfn) != PFN_NIL) {
        reports_.add(ReportKind::invalid_free, addr, bad_page(pfn, "page is free and was never handed out"));
      } else {
        reports_.add(ReportKind::invalid_free, addr,
                     bad_page(pfn, "not the first page of an allocated block"));
      }
      return true;
    case PageState::allocated:
      if (p.owner != owner) {
        reports_.add(ReportKind::bad_page, addr,
                     bad_page(pfn, std::string("page belongs to ") + page_owner_name(p.owner)));
        return true;
      }
      if (p.order != order) {
        reports_.add(ReportKind::bad_order, addr,
                     bad_page(pfn, format("freed with order %u, allocated with order %u", order, p.order)));
        return true;
      }
      return false;
  }
  return true;
}

void Kernel::free_pages(Pfn pfn, unsigned order) {
  if (pfn.is_none()) {
    reports_.add(ReportKind::invalid_free, 0, "BUG: __free_pages called with no page");
    return;
  }
  if (check_page_free(pfn.value, order, PageOwner::pages, pfn_to_phys(pfn).value)) return;
  free_frames(pfn, order);
}

VirtAddr Kernel::get_free_pages(gfp_t gfp, unsigned order) {
  // __get_free_pages never returns highmem: it has no direct-map address.
  const Pfn pfn = alloc_pages(gfp & ~GFP_HIGHMEM, order);
  if (!pfn) return VirtAddr{0};
  return layout_.va(pfn_to_phys(pfn));
}

void Kernel::free_pages(VirtAddr addr, unsigned order) {
  if (!addr) return;  // free_pages(0, order) is a no-op, as in Linux
  if (!layout_.in_direct_map(addr)) {
    reports_.add(ReportKind::invalid_free, addr.value,
                 format("BUG: free_pages: 0x%llx is not a direct-mapped (lowmem) address",
                        static_cast<unsigned long long>(addr.value)));
    return;
  }
  if (!page_aligned(addr.value)) {
    reports_.add(
        ReportKind::invalid_free, addr.value,
        format("BUG: free_pages: 0x%llx is not page aligned", static_cast<unsigned long long>(addr.value)));
    return;
  }
  const std::uint64_t pfn = layout_.pa(addr).value >> PAGE_SHIFT;
  if (check_page_free(pfn, order, PageOwner::pages, addr.value)) return;
  free_frames(Pfn{pfn}, order);
}

// ---- translation and access ------------------------------------------------------

VirtAddr Kernel::pfn_to_virt(Pfn pfn) const {
  if (!pfn || pfn.value >= layout_.max_pfn) return VirtAddr{0};
  const PhysAddr pa = pfn_to_phys(pfn);
  if (!layout_.is_lowmem(pa)) return VirtAddr{0};
  return layout_.va(pa);
}

std::optional<PhysAddr> Kernel::translate(VirtAddr va) const {
  if (layout_.in_direct_map(va)) return layout_.pa(va);
  if (layout_.in_vmalloc(va)) return vm_->translate(va);
  return std::nullopt;
}

namespace {

/// Walks [va, va+len) page by page; calls fn(pa, offset, chunk) for each
/// mapped piece. Returns the first unmapped address, or nullopt.
template <class Fn>
std::optional<std::uint64_t> for_each_chunk(const Kernel& k, VirtAddr va, std::size_t len, bool apply,
                                            Fn&& fn) {
  std::size_t done = 0;
  while (done < len) {
    const std::uint64_t cur = va.value + done;
    if (cur < va.value) return cur;  // wrapped around the address space
    const std::size_t chunk = std::min<std::size_t>(len - done, PAGE_SIZE - (cur & (PAGE_SIZE - 1)));
    const auto pa = k.translate(VirtAddr{cur});
    if (!pa) return cur;
    if (apply) fn(*pa, done, chunk);
    done += chunk;
  }
  return std::nullopt;
}

}  // namespace

namespace {

/// [va, va + len) lies in one page: one translation covers it all (the hot
/// path of object and stamp accesses), where longer ranges check every page
/// before touching any.
bool single_page(VirtAddr va, std::size_t len) { return len <= PAGE_SIZE - (va.value & (PAGE_SIZE - 1)); }

}  // namespace

void Kernel::report_fault(std::uint64_t va, const char* access) {
  reports_.add(ReportKind::page_fault, va,
               format("BUG: unable to handle page fault for address: %llx (%s)",
                      static_cast<unsigned long long>(va), access));
}

bool Kernel::read(VirtAddr va, std::span<std::byte> out) {
  if (out.empty()) return true;
  const auto fill_ones = [&](std::size_t off, std::size_t n) { std::memset(out.data() + off, 0xff, n); };
  if (single_page(va, out.size())) {
    const auto pa = translate(va);
    if (!pa) {
      report_fault(va.value, "read");
      return false;
    }
    if (!read_phys(*pa, out)) fill_ones(0, out.size());  // no RAM: bus reads ones
    return true;
  }
  auto noop = [](PhysAddr, std::size_t, std::size_t) {};
  if (auto bad = for_each_chunk(*this, va, out.size(), false, noop)) {
    report_fault(*bad, "read");
    return false;
  }
  for_each_chunk(*this, va, out.size(), true, [&](PhysAddr pa, std::size_t off, std::size_t n) {
    if (!read_phys(pa, out.subspan(off, n))) fill_ones(off, n);
  });
  return true;
}

bool Kernel::write(VirtAddr va, std::span<const std::byte> in) {
  if (in.empty()) return true;
  if (single_page(va, in.size())) {
    const auto pa = translate(va);
    if (!pa) {
      report_fault(va.value, "write");
      return false;
    }
    write_phys(*pa, in);  // writes to device space without RAM are dropped
    return true;
  }
  auto noop = [](PhysAddr, std::size_t, std::size_t) {};
  if (auto bad = for_each_chunk(*this, va, in.size(), false, noop)) {
    report_fault(*bad, "write");
    return false;
  }
  for_each_chunk(*this, va, in.size(), true,
                 [&](PhysAddr pa, std::size_t off, std::size_t n) { write_phys(pa, in.subspan(off, n)); });
  return true;
}

bool Kernel::read_phys(PhysAddr pa, std::span<std::byte> out) const {
  if (out.empty()) return true;  // (memcpy with a null pointer is undefined even for 0 bytes)
  if (!mem_.contains(pa, out.size())) return false;
  std::memcpy(out.data(), mem_.data(pa), out.size());
  return true;
}

bool Kernel::write_phys(PhysAddr pa, std::span<const std::byte> in) {
  if (in.empty()) return true;
  if (!mem_.contains(pa, in.size())) return false;
  std::memcpy(mem_.writable(pa, in.size()), in.data(), in.size());
  return true;
}

// ---- /proc/meminfo ------------------------------------------------------------------

std::string Kernel::proc_meminfo() const {
  std::uint64_t total = 0, free = 0, high_total = 0, high_free = 0;
  for (const Zone& z : buddy_.zones()) {
    total += z.managed_pages;
    free += z.free_pages;
    if (z.type == ZoneType::HIGHMEM) {
      high_total += z.managed_pages;
      high_free += z.free_pages;
    }
  }
  const std::uint64_t kb = PAGE_SIZE / 1024;
  std::string out;
  auto line = [&](const char* name, std::uint64_t value_kb) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%-16s%8llu kB\n", (std::string(name) + ":").c_str(),
                  static_cast<unsigned long long>(value_kb));
    out += buf;
  };
  line("MemTotal", total * kb);
  line("MemFree", free * kb);
  line("MemAvailable", free * kb);
  line("Buffers", 0);
  line("Cached", 0);
  line("SwapCached", 0);
  if (layout_.profile == Profile::i386) {
    line("HighTotal", high_total * kb);
    line("HighFree", high_free * kb);
    line("LowTotal", (total - high_total) * kb);
    line("LowFree", (free - high_free) * kb);
  }
  line("SwapTotal", 0);
  line("SwapFree", 0);
  const std::uint64_t slab_kb = slab_->slab_pages() * kb;
  line("Slab", slab_kb);
  line("SReclaimable", 0);
  line("SUnreclaim", slab_kb);
  line("PageTables", vm_->pagetable_pages() * kb);
  line("VmallocTotal", (layout_.vmalloc_end - layout_.vmalloc_start) / 1024);
  line("VmallocUsed", vm_->used_pages() * kb);
  line("VmallocChunk", 0);
  return out;
}

}  // namespace kmf
