// virtual_subject.h — the generic interface for virtual allocators: each
// block is a virtually contiguous range inside a window, backed by pages
// that need not be physically contiguous (vmalloc, a user-space mmap pool).
//
//   required   alloc(size, align) → start | 0 (the range is [start, start + size)),  free(start)
//   optional   CAP_ALIGN      alignments above the page size
//              CAP_TRANSLATE  translate(va) → the physical address behind va (TRANSLATE)
//              CAP_MEMORY     read/write through the virtual addresses (INTEGRITY)
//
// Invariants: IN-BOUNDS (inside window()), ALIGNMENT (page-aligned at
// least), NO-OVERLAP, TRANSLATE, INTEGRITY.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "check/subjects/capabilities.h"

namespace kmf {

class VirtualSubject {
 public:
  virtual ~VirtualSubject() = default;
  virtual std::string_view name() const = 0;
  virtual Caps capabilities() const { return 0; }
  virtual std::uint64_t page_size() const { return 4096; }
  /// Every range lies inside [window().lo, window().hi).
  virtual AddrRange window() const = 0;
  virtual std::uint64_t alloc(std::uint64_t size, std::uint64_t align) = 0;
  virtual void free(std::uint64_t start) = 0;
  /// CAP_TRANSLATE: the physical address behind va; nullopt when unmapped.
  virtual std::optional<std::uint64_t> translate(std::uint64_t /*va*/) const { return std::nullopt; }
  /// CAP_MEMORY
  virtual bool read(std::uint64_t /*va*/, std::span<std::byte> /*out*/) { return false; }
  virtual bool write(std::uint64_t /*va*/, std::span<const std::byte> /*in*/) { return false; }
};

}  // namespace kmf
