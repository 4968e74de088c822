// object_subject.h — the generic interface for object allocators: a user's
// malloc, a pmr resource, a slab cache, a deliberately broken one.
//
//   required   allocate(size, align) → host pointer | nullptr,  deallocate(p, size, align)
//   optional   CAP_ALIGN        alignments above alignof(std::max_align_t)
//              CAP_SIZED_FREE   deallocate uses its size argument (always passed)
//              CAP_REALLOC      reallocate(p, old, new, align): contents up to min(old, new) kept
//              CAP_USABLE_SIZE  usable_size(p) ≥ the requested size
//              CAP_STALE_FREE   a double free is detected or ignored, never corrupting
//              CAP_WALK         walk(visit): every live block once, at the pointer handed out,
//                               with its usable size (an allocator's heap visitor)
//              CAP_CONTRACT     contract(): its answers to hostile requests (size 0, sizes and
//                               alignments it refuses, alignments that are not powers of two,
//                               realloc(nullptr, n), realloc(p, 0), failed reallocs), judged (CONTRACT)
//   teardown   release() then outstanding(): bytes still held from upstream (NO-LEAK)
//
// Object subjects hand out real host memory: the executor writes stamps
// into every block and reads them back, so a subject that hands one byte to
// two owners is caught. Invariants: NO-OVERLAP, ALIGNMENT, INTEGRITY,
// USABLE-SIZE, STALE-FREE, WALK, NO-LEAK, CONTRACT.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string_view>

#include "check/subjects/capabilities.h"
#include "check/subjects/contract.h"

namespace kmf {

class ObjectSubject {
 public:
  using BlockVisitor = std::function<void(const void* p, std::size_t size)>;

  virtual ~ObjectSubject() = default;
  virtual std::string_view name() const = 0;
  virtual Caps capabilities() const { return CAP_SIZED_FREE; }
  /// `size` bytes aligned to `align` (a power of two); nullptr on failure.
  /// With CAP_CONTRACT also size 0, sizes up to SIZE_MAX the contract
  /// refuses, and alignments that are not powers of two when it takes them.
  virtual void* allocate(std::size_t size, std::size_t align) = 0;
  virtual void deallocate(void* p, std::size_t size, std::size_t align) = 0;
  /// CAP_REALLOC: a block of `new_size` bytes holding the first min(old_size,
  /// new_size) bytes of p; nullptr on failure, and then p is untouched and live.
  /// With CAP_CONTRACT: p == nullptr (old_size 0) unless the contract's
  /// realloc_null is untested, and new_size 0 (contract().realloc_zero).
  virtual void* reallocate(void* /*p*/, std::size_t /*old_size*/, std::size_t /*new_size*/,
                           std::size_t /*align*/) {
    return nullptr;
  }
  /// CAP_USABLE_SIZE: the bytes of p the caller may use.
  virtual std::size_t usable_size(const void* /*p*/) const { return 0; }
  /// CAP_WALK: calls visit(p, bytes) once for every block the allocator
  /// holds as live, with p as allocate/reallocate returned it.
  virtual void walk(const BlockVisitor& /*visit*/) const {}
  /// CAP_CONTRACT: what it promises for hostile requests (check/subjects/contract.h).
  virtual Contract contract() const { return {}; }
  /// Returns everything the subject holds to its upstream, if it can
  /// (pmr `release()`); afterwards outstanding() should be 0.
  virtual void release() {}
  /// Bytes the subject still holds from its upstream, when it can tell.
  virtual std::optional<std::size_t> outstanding() const { return std::nullopt; }
};

}  // namespace kmf
