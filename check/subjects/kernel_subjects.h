// kernel_subjects.h — kmf::Kernel seen through the generic interfaces: its
// page allocator as a PageSubject and vmalloc as a VirtualSubject. They show
// the generic executor on allocators whose own checker (kernel_checker.h)
// already holds them to the kernel ids, so both views must agree.
//
// No fit model: the kernel's watermarks and reserved frames make "must fit"
// a zone-level question that B-AVAIL answers, not a generic one.
#pragma once

#include "alloc/kernel.h"
#include "check/subjects/page_subject.h"
#include "check/subjects/virtual_subject.h"

namespace kmf {

class KernelPageSubject : public PageSubject {
 public:
  explicit KernelPageSubject(const MachineConfig& config = {.mem_bytes = 16 * MiB}) : k_(config) {}
  std::string_view name() const override { return "kmf::Kernel alloc_pages"; }
  Caps capabilities() const override { return CAP_ALIGN | CAP_MEMORY; }
  std::uint64_t nr_frames() const override { return k_.config().mem_bytes / PAGE_SIZE; }
  unsigned max_order() const override { return MAX_PAGE_ORDER; }
  std::optional<std::uint64_t> alloc_pages(unsigned order) override;
  void free_pages(std::uint64_t frame, unsigned order) override { k_.free_pages(Pfn{frame}, order); }
  bool read(std::uint64_t frame, std::uint64_t offset, std::span<std::byte> out) override {
    return k_.read_phys(PhysAddr{frame * PAGE_SIZE + offset}, out);
  }
  bool write(std::uint64_t frame, std::uint64_t offset, std::span<const std::byte> in) override {
    return k_.write_phys(PhysAddr{frame * PAGE_SIZE + offset}, in);
  }
  Kernel& kernel() { return k_; }

 private:
  Kernel k_;
};

class KernelVmallocSubject : public VirtualSubject {
 public:
  explicit KernelVmallocSubject(const MachineConfig& config = {.mem_bytes = 16 * MiB}) : k_(config) {}
  std::string_view name() const override { return "kmf::Kernel vmalloc"; }
  Caps capabilities() const override { return CAP_MEMORY | CAP_TRANSLATE; }
  AddrRange window() const override { return {k_.layout().vmalloc_start, k_.layout().vmalloc_end}; }
  std::uint64_t alloc(std::uint64_t size, std::uint64_t /*align*/) override { return k_.vmalloc(size).value; }
  void free(std::uint64_t start) override { k_.vfree(VirtAddr{start}); }
  std::optional<std::uint64_t> translate(std::uint64_t va) const override;
  bool read(std::uint64_t va, std::span<std::byte> out) override { return k_.read(VirtAddr{va}, out); }
  bool write(std::uint64_t va, std::span<const std::byte> in) override { return k_.write(VirtAddr{va}, in); }
  Kernel& kernel() { return k_; }

 private:
  Kernel k_;
};

}  // namespace kmf
