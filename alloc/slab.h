// slab.h — the slab layer: kmem_cache and kmalloc size classes.
//
// PLACEHOLDER (issue #3 builds the real slab allocator): every slab call
// fails cleanly so that the page-level foundation links and runs.
#pragma once

#include <cstdint>
#include <string>

#include "alloc/kernel.h"

namespace kmf {

class KmemCache {};

class SlabAllocator {
 public:
  explicit SlabAllocator(Kernel& k) : k_(k) {}
  std::uint64_t slab_pages() const { return 0; }
  std::string slabinfo() const;

 private:
  [[maybe_unused]] Kernel& k_;
};

}  // namespace kmf
