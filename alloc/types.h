// types.h — strong address types and the page-size constants of the model.
//
// Simulated addresses are never host pointers. A frame number, a physical
// address and a virtual address are distinct 64-bit types so that mixing them
// is a compile error. `VirtAddr{0}` is NULL; pfn 0 is a real frame, so the
// "no frame" value is `Pfn::none()` (all ones).
#pragma once

#include <compare>
#include <cstddef>
#include <cstdint>

namespace kmf {

inline constexpr std::uint64_t KiB = 1024;
inline constexpr std::uint64_t MiB = 1024 * KiB;
inline constexpr std::uint64_t GiB = 1024 * MiB;

inline constexpr unsigned PAGE_SHIFT = 12;
inline constexpr std::uint64_t PAGE_SIZE = std::uint64_t{1} << PAGE_SHIFT;
inline constexpr std::uint64_t PAGE_MASK = ~(PAGE_SIZE - 1);
/// Largest buddy order (inclusive): 2^10 frames = 4 MiB. Linux 2.6's
/// `MAX_ORDER` (11) is the exclusive form of the same limit.
inline constexpr unsigned MAX_PAGE_ORDER = 10;
inline constexpr unsigned NR_PAGE_ORDERS = MAX_PAGE_ORDER + 1;

/// A page frame number: physical address >> PAGE_SHIFT.
struct Pfn {
  std::uint64_t value = 0;
  static constexpr Pfn none() { return Pfn{~std::uint64_t{0}}; }
  constexpr bool is_none() const { return value == ~std::uint64_t{0}; }
  constexpr explicit operator bool() const { return !is_none(); }
  friend constexpr auto operator<=>(Pfn, Pfn) = default;
};

struct PhysAddr {
  std::uint64_t value = 0;
  friend constexpr auto operator<=>(PhysAddr, PhysAddr) = default;
  constexpr PhysAddr operator+(std::uint64_t off) const { return PhysAddr{value + off}; }
};

/// A simulated kernel virtual address; `VirtAddr{0}` is NULL.
struct VirtAddr {
  std::uint64_t value = 0;
  constexpr explicit operator bool() const { return value != 0; }
  friend constexpr auto operator<=>(VirtAddr, VirtAddr) = default;
  constexpr VirtAddr operator+(std::uint64_t off) const { return VirtAddr{value + off}; }
};

constexpr PhysAddr pfn_to_phys(Pfn pfn) { return PhysAddr{pfn.value << PAGE_SHIFT}; }
constexpr Pfn phys_to_pfn(PhysAddr pa) { return Pfn{pa.value >> PAGE_SHIFT}; }
constexpr bool page_aligned(std::uint64_t v) { return (v & (PAGE_SIZE - 1)) == 0; }
constexpr std::uint64_t page_align_up(std::uint64_t v) { return (v + PAGE_SIZE - 1) & PAGE_MASK; }

}  // namespace kmf
