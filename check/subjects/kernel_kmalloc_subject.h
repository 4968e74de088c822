// kernel_kmalloc_subject.h — kmf::Kernel's kmalloc seen as an ObjectSubject
// (the kernel's object view, beside kernel_subjects.h's page and vmalloc
// views): kmalloc/krealloc/ksize/kfree through host pointers into the
// simulated RAM, so the generic executor stamps and reads the objects' real
// bytes. The direct map is a fixed offset from physical addresses, so a
// host pointer and a kernel virtual address convert both ways.
//
// No CAP_ALIGN (kmalloc takes no alignment), no CAP_STALE_FREE (a double
// kfree is a report the kernel checker judges, not a generic question).
#pragma once

#include "alloc/kernel.h"
#include "check/subjects/object_subject.h"

namespace kmf {

class KernelKmallocSubject : public ObjectSubject {
 public:
  explicit KernelKmallocSubject(const MachineConfig& config = {.mem_bytes = 16 * MiB}) : k_(config) {}
  std::string_view name() const override { return "kmf::Kernel kmalloc"; }
  Caps capabilities() const override { return CAP_REALLOC | CAP_USABLE_SIZE; }
  void* allocate(std::size_t size, std::size_t /*align*/) override {
    return host(k_.kmalloc(size, GFP_KERNEL), size);
  }
  void deallocate(void* p, std::size_t /*size*/, std::size_t /*align*/) override { k_.kfree(virt(p)); }
  void* reallocate(void* p, std::size_t /*old_size*/, std::size_t size, std::size_t /*align*/) override {
    return host(k_.krealloc(virt(p), size, GFP_KERNEL), size);
  }
  std::size_t usable_size(const void* p) const override { return k_.ksize(virt(p)); }
  Kernel& kernel() { return k_; }

 private:
  void* host(VirtAddr va, std::size_t size) {
    if (!va) return nullptr;
    return k_.mem_for_testing().writable(k_.virt_to_phys(va), size);  // the bytes the stamps will dirty
  }
  VirtAddr virt(const void* p) const {
    const auto off =
        static_cast<std::uint64_t>(static_cast<const std::byte*>(p) - k_.mem().data(PhysAddr{0}));
    return k_.layout().va(PhysAddr{off});
  }
  mutable Kernel k_;  ///< ksize is not const in the kernel's API
};

}  // namespace kmf
