// subject.h — the generic subject interface for object allocators that are
// not kmf::Kernel: a user's allocator, a pmr resource, a deliberately broken
// one. The generic checker (object_checker.h) holds them to the invariants
// that apply to any allocator: NO-OVERLAP, S-ALIGN (alignment), INTEGRITY and
// NO-LEAK.
//
// Object subjects hand out real host memory: stamps are written into it and
// read back, so a subject that hands one byte to two owners is caught.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

namespace kmf {

class ObjectSubject {
 public:
  virtual ~ObjectSubject() = default;
  virtual std::string_view name() const = 0;
  /// `size` bytes aligned to `align` (a power of two); nullptr on failure.
  virtual void* allocate(std::size_t size, std::size_t align) = 0;
  virtual void deallocate(void* p, std::size_t size, std::size_t align) = 0;
  /// Returns everything the subject holds to its upstream, if it can
  /// (pmr `release()`); afterwards outstanding() should be 0.
  virtual void release() {}
  /// Bytes the subject still holds from its upstream, when it can tell.
  virtual std::optional<std::size_t> outstanding() const { return std::nullopt; }
};

}  // namespace kmf
