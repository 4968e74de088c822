// machine.h — the simulated machine: configuration, address-space layout and
// zone geometry.
//
//   i386 (no PAE), 4 GiB virtual:
//   0          PAGE_OFFSET=0xC0000000   high_memory  VMALLOC_START      VMALLOC_END  4G
//   | user     | direct map of lowmem  | 8 MiB hole  | vmalloc/ioremap  | pkmap/fixmap|
//
//   x86_64: direct map of all RAM at 0xffff888000000000, vmalloc at
//   0xffffc90000000000 (32 TiB), no highmem.
//
// Zones: i386 DMA [0,16M) NORMAL [16M,896M) HIGHMEM [896M,end);
//        x86_64 DMA [0,16M) DMA32 [16M,4G) NORMAL [4G,end).
// Zones that would be empty on a small machine are absent.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "alloc/types.h"

namespace kmf {

enum class Profile : std::uint8_t { i386, x86_64 };
enum class KmallocProfile : std::uint8_t { linux_2_6_18, modern };

struct MachineConfig {
  std::uint64_t mem_bytes = 160 * MiB;  ///< RAM; rounded down to whole pages. 1 MiB..64 GiB.
  Profile profile = Profile::i386;
  KmallocProfile kmalloc = KmallocProfile::linux_2_6_18;
  bool slab_debug = true;  ///< red zones, poisoning, sanity checks
  std::uint64_t seed = 0;  ///< fault injection; the only source of randomness
  friend bool operator==(const MachineConfig&, const MachineConfig&) = default;
};

inline constexpr std::uint64_t MIN_MEM_BYTES = 1 * MiB;
inline constexpr std::uint64_t MAX_MEM_BYTES = 64 * GiB;

enum class ZoneType : std::uint8_t { DMA, DMA32, NORMAL, HIGHMEM };
inline constexpr std::size_t MAX_NR_ZONES = 3;

std::string_view zone_name(ZoneType type);
std::string_view profile_name(Profile p);
std::string_view kmalloc_profile_name(KmallocProfile p);

/// Where things are in the simulated address spaces. All bounds half-open.
struct Layout {
  Profile profile;
  std::uint64_t page_offset;    ///< PAGE_OFFSET: start of the direct map
  std::uint64_t lowmem_bytes;   ///< physical [0, lowmem_bytes) is direct-mapped
  std::uint64_t high_memory;    ///< PAGE_OFFSET + lowmem_bytes
  std::uint64_t vmalloc_start;  ///< VMALLOC_START
  std::uint64_t vmalloc_end;    ///< VMALLOC_END (exclusive)
  std::uint64_t max_pfn;        ///< frames [0, max_pfn) exist
  unsigned pt_levels;           ///< page-table levels (2 on i386, 4 on x86_64)

  static Layout for_machine(const MachineConfig& config);

  bool in_direct_map(VirtAddr va) const { return va.value >= page_offset && va.value < high_memory; }
  bool in_vmalloc(VirtAddr va) const { return va.value >= vmalloc_start && va.value < vmalloc_end; }
  /// __pa: valid only for direct-mapped addresses.
  PhysAddr pa(VirtAddr va) const { return PhysAddr{va.value - page_offset}; }
  /// __va: valid only for lowmem physical addresses.
  VirtAddr va(PhysAddr pa) const { return VirtAddr{pa.value + page_offset}; }
  bool is_lowmem(PhysAddr pa) const { return pa.value < lowmem_bytes; }
};

struct ZoneSpan {
  ZoneType type;
  std::uint64_t start_pfn;  ///< inclusive
  std::uint64_t end_pfn;    ///< exclusive
};

/// The populated zones of a machine, lowest first.
struct ZoneMap {
  std::array<ZoneSpan, MAX_NR_ZONES> zones{};
  std::size_t count = 0;
  static ZoneMap for_machine(const MachineConfig& config, const Layout& layout);
};

}  // namespace kmf
