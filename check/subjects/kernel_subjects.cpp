// kernel_subjects.cpp — the two kernel adapters.
#include "check/subjects/kernel_subjects.h"

namespace kmf {

std::optional<std::uint64_t> KernelPageSubject::alloc_pages(unsigned order) {
  const Pfn p = k_.alloc_pages(GFP_KERNEL, order);
  if (!p) return std::nullopt;
  return p.value;
}

std::optional<std::uint64_t> KernelVmallocSubject::translate(std::uint64_t va) const {
  const auto pa = k_.translate(VirtAddr{va});
  if (!pa) return std::nullopt;
  return pa->value;
}

}  // namespace kmf
