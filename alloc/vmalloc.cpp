// vmalloc.cpp — PLACEHOLDER until issue #4: vmalloc calls fail cleanly.
#include "alloc/vmalloc.h"

namespace kmf {

VirtAddr Kernel::vmalloc(std::size_t) { return VirtAddr{0}; }
VirtAddr Kernel::vzalloc(std::size_t) { return VirtAddr{0}; }
void Kernel::vfree(VirtAddr) {}
VirtAddr Kernel::ioremap(PhysAddr, std::size_t) { return VirtAddr{0}; }
void Kernel::iounmap(VirtAddr) {}
Pfn Kernel::vmalloc_to_pfn(VirtAddr) { return Pfn::none(); }
std::string Kernel::proc_vmallocinfo() const { return vm_->vmallocinfo(); }

}  // namespace kmf
