// vmalloc.h — the vmalloc space: vmap areas, page tables, ioremap.
//
// PLACEHOLDER (issue #4 builds the real vmalloc layer): every vmalloc call
// fails cleanly and nothing is mapped.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "alloc/kernel.h"

namespace kmf {

class VmapSpace {
 public:
  explicit VmapSpace(Kernel& k) : k_(k) {}
  std::optional<PhysAddr> translate(VirtAddr) const { return std::nullopt; }
  std::uint64_t used_pages() const { return 0; }
  std::uint64_t pagetable_pages() const { return 0; }
  std::string vmallocinfo() const { return {}; }

 private:
  [[maybe_unused]] Kernel& k_;
};

}  // namespace kmf
