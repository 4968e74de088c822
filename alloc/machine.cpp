// machine.cpp — layout and zone geometry per profile.
#include "alloc/machine.h"

#include <algorithm>

namespace kmf {

std::string_view zone_name(ZoneType type) {
  switch (type) {
    case ZoneType::DMA: return "DMA";
    case ZoneType::DMA32: return "DMA32";
    case ZoneType::NORMAL: return "Normal";
    case ZoneType::HIGHMEM: return "HighMem";
  }
  return "?";
}

std::string_view profile_name(Profile p) { return p == Profile::i386 ? "i386" : "x86_64"; }

std::string_view kmalloc_profile_name(KmallocProfile p) {
  return p == KmallocProfile::linux_2_6_18 ? "2.6.18" : "modern";
}

Layout Layout::for_machine(const MachineConfig& config) {
  const std::uint64_t mem = config.mem_bytes & PAGE_MASK;
  Layout l{};
  l.profile = config.profile;
  l.max_pfn = mem >> PAGE_SHIFT;
  if (config.profile == Profile::i386) {
    l.page_offset = 0xC0000000ULL;
    l.lowmem_bytes = std::min<std::uint64_t>(mem, 896 * MiB);
    l.high_memory = l.page_offset + l.lowmem_bytes;
    l.vmalloc_start = l.high_memory + 8 * MiB;  // VMALLOC_OFFSET hole
    // Two guard pages below PKMAP_BASE (0xFF800000), which sits below fixmap.
    l.vmalloc_end = 0xFF800000ULL - 2 * PAGE_SIZE;
    l.pt_levels = 2;
  } else {
    l.page_offset = 0xffff888000000000ULL;
    l.lowmem_bytes = mem;
    l.high_memory = l.page_offset + mem;
    l.vmalloc_start = 0xffffc90000000000ULL;
    l.vmalloc_end = 0xffffe90000000000ULL;  // 32 TiB
    l.pt_levels = 4;
  }
  return l;
}

ZoneMap ZoneMap::for_machine(const MachineConfig& config, const Layout& layout) {
  ZoneMap map;
  const std::uint64_t end = layout.max_pfn;
  auto add = [&](ZoneType type, std::uint64_t lo_bytes, std::uint64_t hi_bytes) {
    const std::uint64_t lo = std::min(lo_bytes >> PAGE_SHIFT, end);
    const std::uint64_t hi = std::min(hi_bytes >> PAGE_SHIFT, end);
    if (hi > lo) map.zones[map.count++] = ZoneSpan{type, lo, hi};
  };
  add(ZoneType::DMA, 0, 16 * MiB);
  if (config.profile == Profile::i386) {
    add(ZoneType::NORMAL, 16 * MiB, 896 * MiB);
    add(ZoneType::HIGHMEM, 896 * MiB, ~std::uint64_t{0});
  } else {
    add(ZoneType::DMA32, 16 * MiB, 4 * GiB);
    add(ZoneType::NORMAL, 4 * GiB, ~std::uint64_t{0});
  }
  return map;
}

}  // namespace kmf
