// slab.cpp — PLACEHOLDER until issue #3: slab calls fail cleanly.
#include "alloc/slab.h"

namespace kmf {

std::string SlabAllocator::slabinfo() const {
  return "slabinfo - version: 2.1\n"
         "# name            <active_objs> <num_objs> <objsize> <objperslab> <pagesperslab> : tunables "
         "<limit> <batchcount> <sharedfactor> : slabdata <active_slabs> <num_slabs> <sharedavail>\n";
}

KmemCache* Kernel::kmem_cache_create(std::string_view, std::size_t, std::size_t, SlabFlags, Ctor) {
  return nullptr;
}
VirtAddr Kernel::kmem_cache_alloc(KmemCache*, gfp_t) { return VirtAddr{0}; }
void Kernel::kmem_cache_free(KmemCache*, VirtAddr) {}
void Kernel::kmem_cache_destroy(KmemCache*) {}
void Kernel::kmem_cache_shrink(KmemCache*) {}
VirtAddr Kernel::kmalloc(std::size_t, gfp_t) { return VirtAddr{0}; }
VirtAddr Kernel::krealloc(VirtAddr, std::size_t, gfp_t) { return VirtAddr{0}; }
void Kernel::kfree(VirtAddr) {}
std::size_t Kernel::ksize(VirtAddr) { return 0; }
std::size_t Kernel::kmalloc_max_size() const {
  return config_.kmalloc == KmallocProfile::linux_2_6_18 ? 128 * KiB : 4 * MiB;
}
void Kernel::drop_slab() {}
std::string Kernel::proc_slabinfo() const { return slab_->slabinfo(); }

}  // namespace kmf
