// kernel.h — one simulated machine: the kernel-named allocator API.
//
// `kmf::Kernel` is the default subject of kmemfuzz. It owns the simulated RAM
// (mmap-backed), the buddy page allocator, the slab layer, the vmalloc space
// with its page tables, fault injection and the report log. Misuse never
// crashes the host: it appends a typed Report and leaves every allocator
// state as it was. Failures return null and change nothing.
//
// Deterministic: the same calls on the same MachineConfig give the same
// addresses and reports. A Kernel is neither copyable nor movable (its parts
// refer to each other); hold it in a std::optional or unique_ptr to reset it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "alloc/buddy.h"
#include "alloc/fault.h"
#include "alloc/gfp.h"
#include "alloc/machine.h"
#include "alloc/phys_mem.h"
#include "alloc/report.h"
#include "alloc/slab_flags.h"
#include "alloc/types.h"
#include "alloc/vm_flags.h"

namespace kmf {

class KmemCache;
class SlabAllocator;
class VmapSpace;

class Kernel {
 public:
  /// Boots a machine. Throws std::invalid_argument when mem_bytes is outside
  /// [MIN_MEM_BYTES, MAX_MEM_BYTES].
  explicit Kernel(const MachineConfig& config = {});
  ~Kernel();
  Kernel(const Kernel&) = delete;
  Kernel& operator=(const Kernel&) = delete;

  // ---- page allocator ---------------------------------------------------
  /// 2^order contiguous frames; Pfn::none() on failure (order > 10, no memory,
  /// injected fault, or a sleeping request in atomic context — reported).
  Pfn alloc_pages(gfp_t gfp, unsigned order);
  /// __free_pages: `pfn` must be the head of a block alloc_pages returned,
  /// with the same order. Anything else is a report and changes nothing.
  void free_pages(Pfn pfn, unsigned order);
  /// __get_free_pages: the direct-map address of the block (never highmem).
  VirtAddr get_free_pages(gfp_t gfp, unsigned order);
  VirtAddr get_free_page(gfp_t gfp) { return get_free_pages(gfp, 0); }
  VirtAddr get_zeroed_page(gfp_t gfp) { return get_free_pages(gfp | GFP_ZERO, 0); }
  void free_pages(VirtAddr addr, unsigned order);
  void free_page(VirtAddr addr) { free_pages(addr, 0); }

  // ---- slab and kmalloc -------------------------------------------------
  /// nullptr (and a report) for an oversized object or a bad argument.
  KmemCache* kmem_cache_create(std::string_view name, std::size_t size, std::size_t align, SlabFlags flags,
                               Ctor ctor = {});
  VirtAddr kmem_cache_alloc(KmemCache* cache, gfp_t gfp);
  void kmem_cache_free(KmemCache* cache, VirtAddr obj);
  void kmem_cache_destroy(KmemCache* cache);
  void kmem_cache_shrink(KmemCache* cache);
  /// drop_slab (`echo 2 > /proc/sys/vm/drop_caches`): every cache's empty
  /// slabs go back to the buddy allocator, so freeing everything restores the
  /// boot free lists.
  void drop_slab();
  VirtAddr kmalloc(std::size_t size, gfp_t gfp);
  VirtAddr kzalloc(std::size_t size, gfp_t gfp) { return kmalloc(size, gfp | GFP_ZERO); }
  VirtAddr krealloc(VirtAddr obj, std::size_t new_size, gfp_t gfp);
  void kfree(VirtAddr obj);
  /// Usable size of a kmalloc object (its size class); 0 for a bad address.
  std::size_t ksize(VirtAddr obj);
  /// The largest kmalloc request the profile serves (inclusive).
  std::size_t kmalloc_max_size() const;

  // ---- vmalloc ----------------------------------------------------------
  VirtAddr vmalloc(std::size_t size);
  VirtAddr vzalloc(std::size_t size);
  /// __vmalloc_node_range without start/end/prot/node: `align` a power of
  /// two (rounded up to PAGE_SIZE), `gfp` for the data frames (GFP_HIGHMEM
  /// is added unless GFP_DMA/GFP_DMA32 is given; GFP_ZERO zeroes),
  /// `vm_flags` VM_NO_GUARD or none. NULL on failure, state unchanged.
  VirtAddr vmalloc_node_range(std::size_t size, std::size_t align, gfp_t gfp, VmFlags vm_flags);
  void vfree(VirtAddr addr);
  VirtAddr ioremap(PhysAddr phys, std::size_t size);
  void iounmap(VirtAddr addr);
  Pfn vmalloc_to_pfn(VirtAddr addr);
  Pfn vmalloc_to_page(VirtAddr addr) { return vmalloc_to_pfn(addr); }
  bool is_vmalloc_addr(VirtAddr addr) const { return layout_.in_vmalloc(addr); }

  // ---- address translation (the simulated MMU) ---------------------------
  /// __pa / virt_to_phys: the fixed direct-map offset (valid for direct-map
  /// addresses only; the caller's responsibility, as in Linux).
  PhysAddr virt_to_phys(VirtAddr va) const { return layout_.pa(va); }
  PhysAddr pa(VirtAddr va) const { return layout_.pa(va); }
  /// __va / phys_to_virt: valid for lowmem only.
  VirtAddr phys_to_virt(PhysAddr pa) const { return layout_.va(pa); }
  VirtAddr va(PhysAddr pa) const { return layout_.va(pa); }
  Pfn virt_to_pfn(VirtAddr va) const { return phys_to_pfn(layout_.pa(va)); }
  /// page_address: the direct-map address of a lowmem frame; NULL for highmem.
  VirtAddr pfn_to_virt(Pfn pfn) const;
  VirtAddr page_address(Pfn pfn) const { return pfn_to_virt(pfn); }
  /// A page-table walk for the vmalloc area, linear for the direct map;
  /// nullopt where nothing is mapped.
  std::optional<PhysAddr> translate(VirtAddr va) const;

  /// Copies through the MMU. Touching any unmapped byte adds one page_fault
  /// report, copies nothing and returns false.
  bool read(VirtAddr va, std::span<std::byte> out);
  bool write(VirtAddr va, std::span<const std::byte> in);
  /// Physical access (kmap-style, reaches highmem); false outside RAM.
  bool read_phys(PhysAddr pa, std::span<std::byte> out) const;
  bool write_phys(PhysAddr pa, std::span<const std::byte> in);

  // ---- context, fault injection, reports ---------------------------------
  void set_atomic(bool atomic) { atomic_ = atomic; }
  bool in_atomic() const { return atomic_; }
  FaultAttr& fail_page_alloc() { return fail_page_alloc_; }
  FaultAttr& failslab() { return failslab_; }
  /// While on, every call that reaches a fault-injection point (each frame
  /// allocation: alloc_pages, slab growth, large kmalloc, vmalloc pages and
  /// page tables; each slab object allocation) is appended to fault_calls()
  /// with the decision made, for the checker's shadow model. Off by default.
  void record_fault_calls(bool on) { record_faults_ = on; }
  const std::vector<FaultCall>& fault_calls() const { return fault_calls_; }
  void clear_fault_calls() { fault_calls_.clear(); }
  /// Instead of recording: hands each such call to `observe` as it happens
  /// (nothing is kept, so a 60 GiB vmalloc does not keep 15 million records;
  /// the executor judges each call at once). Empty: back to recording.
  void observe_fault_calls(std::function<void(const FaultCall&)> observe) {
    fault_observer_ = std::move(observe);
  }
  std::span<const Report> reports() const { return reports_.all(); }
  ReportLog& report_log() { return reports_; }

  // ---- /proc ---------------------------------------------------------------
  std::string proc_buddyinfo() const { return buddy_.buddyinfo(); }
  std::string proc_slabinfo() const;
  std::string proc_vmallocinfo() const;
  std::string proc_meminfo() const;

  // ---- introspection (read-only; the checker's view) ----------------------
  const MachineConfig& config() const { return config_; }
  const Layout& layout() const { return layout_; }
  const BuddyAllocator& buddy() const { return buddy_; }
  const PhysMem& mem() const { return mem_; }
  const SlabAllocator& slab() const { return *slab_; }
  const VmapSpace& vmap() const { return *vm_; }
  std::uint64_t nr_free_pages() const { return buddy_.nr_free_pages(); }

  // ---- test-only hooks: corrupt state on purpose -------------------------
  /// Bugs a test plants in a running machine to show that the checker and
  /// the properties catch them (ci/mutants/ patches source instead).
  enum class BugForTesting : std::uint8_t {
    none,
    ignore_gfp_zero,         ///< GFP_ZERO / kzalloc / vzalloc memory is not zeroed
    ignore_injected_faults,  ///< an injected failure is counted but the request succeeds
    skip_redzone_check,      ///< slab_debug does not look at red zones on free
    no_kmalloc_limit,        ///< kmalloc above the limit is served by the page allocator
    krealloc_short_copy,     ///< krealloc moves all but the first byte of the old object
  };
  void plant_bug_for_testing(BugForTesting bug) { bug_ = bug; }
  bool has_bug(BugForTesting bug) const { return bug_ == bug; }
  BuddyAllocator& buddy_for_testing() { return buddy_; }
  PhysMem& mem_for_testing() { return mem_; }
  SlabAllocator& slab_for_testing() { return *slab_; }
  VmapSpace& vmap_for_testing() { return *vm_; }

 private:
  /// Records "BUG: unable to handle page fault for address: …" for `va`.
  void report_fault(std::uint64_t va, const char* access);
  friend class SlabAllocator;
  friend class VmapSpace;

  /// Internal frame allocation for the slab layer, vmalloc and page tables:
  /// the same policy as alloc_pages (fault injection excluded), no report.
  Pfn alloc_frames(gfp_t gfp, unsigned order, PageOwner owner);
  void free_frames(Pfn pfn, unsigned order);
  bool should_fail_page_alloc(gfp_t gfp, unsigned order);
  /// True (and a report) when a sleeping request arrives in atomic context.
  bool check_might_sleep(gfp_t gfp, const char* caller);
  /// Reports a bad free of `pfn`; false when the free is valid for a caller
  /// of `owner` with `order`.
  bool check_page_free(std::uint64_t pfn, unsigned order, PageOwner owner, std::uint64_t addr);

  MachineConfig config_;
  Layout layout_;
  PhysMem mem_;
  BuddyAllocator buddy_;
  ReportLog reports_;
  FaultAttr fail_page_alloc_;
  FaultAttr failslab_;
  bool record_faults_ = false;
  std::vector<FaultCall> fault_calls_;
  std::function<void(const FaultCall&)> fault_observer_;
  void fault_call(FaultCall&& call) {
    if (fault_observer_)
      fault_observer_(call);
    else if (record_faults_)
      fault_calls_.push_back(std::move(call));
  }
  bool atomic_ = false;
  BugForTesting bug_ = BugForTesting::none;
  std::unique_ptr<SlabAllocator> slab_;
  std::unique_ptr<VmapSpace> vm_;
};

}  // namespace kmf
