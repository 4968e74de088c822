// vmalloc.h — the vmalloc space: vmap areas, their frames, their page-table
// entries, and ioremap.
//
//   VMALLOC_START                                                    VMALLOC_END
//   | area 1: pages | G | area 2 (ioremap) | G | free ...  | area 3 | G | free |
//        │ PTEs                 │ PTEs (PCD)
//        ▼                      ▼
//   frames taken one by one   the device's physical range,
//   from the buddy allocator  no frame allocated
//   (any zone, highmem first)
//
// An area reserves its pages plus one unmapped guard page (none with
// VM_NO_GUARD) from the VmapAreaAllocator (lowest fit, O(log n)); vmalloc
// fills it with order-0 frames and maps each through the PageTable; vfree
// clears the PTEs (the tables that empty are freed with them), frees the
// frames and gives the range back, where it merges with free neighbours.
// Live areas are indexed by start address (a std::map, O(log n)) and by id
// (a slot vector, O(1)); an area's id is Page::priv of every frame it holds.
//
// Keeps (catalog ids): V-CONTIG (every page of an area is mapped, inside
// [VMALLOC_START, VMALLOC_END)), V-GUARD (the page after an area is never
// mapped by it), V-FRAMES (an area's frames are distinct, allocated, owner
// vmalloc, priv = the area's id), V-UNMAP (vfree/iounmap leave no PTE and
// free the frames), IOREMAP (the range maps exactly, no data frame taken),
// LAYOUT, NO-OVERLAP (areas never share a byte of virtual memory), ZERO
// (vzalloc), MISUSE (bad vfree/iounmap/ioremap: one report, no change),
// FAULT (a failure part way undoes everything: frames, tables, range).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "alloc/kernel.h"
#include "alloc/page_table.h"
#include "alloc/vm_flags.h"
#include "alloc/vmap_area.h"

namespace kmf {

enum class VmAreaKind : std::uint8_t { vmalloc, ioremap };

/// One live area, as the checker sees it.
struct VmArea {
  std::uint32_t id = 0;  ///< ≥ 1, unique among live areas; Page::priv of its frames
  VmAreaKind kind = VmAreaKind::vmalloc;
  VmFlags flags = VM_NONE;
  VirtAddr start;           ///< page aligned
  std::uint64_t size = 0;   ///< mapped bytes, a multiple of PAGE_SIZE, without the guard
  std::uint64_t guard = 0;  ///< PAGE_SIZE, or 0 with VM_NO_GUARD
  PhysAddr phys;            ///< ioremap: the page-aligned physical base
  std::vector<Pfn> pages;   ///< vmalloc: the frame behind page i
  const char* caller = "";  ///< the API that made it (for vmallocinfo)

  std::uint64_t nr_pages() const { return size >> PAGE_SHIFT; }
  VirtAddr end() const { return start + size; }                   ///< exclusive; the guard starts here
  VirtAddr reserved_end() const { return start + size + guard; }  ///< exclusive
};

class VmapSpace final : private PageTableFrames {
 public:
  explicit VmapSpace(Kernel& k);
  VmapSpace(const VmapSpace&) = delete;
  VmapSpace& operator=(const VmapSpace&) = delete;

  // ---- operations (the Kernel checks the calling context first) ------------
  /// A virtually contiguous area of page_align(size) bytes backed by order-0
  /// frames taken with `gfp` (GFP_HIGHMEM added unless a DMA zone is asked
  /// for). NULL, state unchanged, when size is 0 or larger than RAM, align
  /// is not a power of two, no range fits, or a frame is missing.
  VirtAddr alloc(std::uint64_t size, std::uint64_t align, gfp_t gfp, VmFlags flags, const char* caller);
  /// vfree: NULL is a no-op; anything but the start of a live vmalloc area
  /// is a report (invalid_free, or double_free for a freed area's start).
  void free(VirtAddr addr);
  /// Maps [phys, phys + size) uncached; the result keeps phys's page offset.
  VirtAddr ioremap(PhysAddr phys, std::uint64_t size, const char* caller);
  /// iounmap: any address in the first page of a live ioremap area; NULL is a no-op.
  void iounmap(VirtAddr addr);
  /// The frame `va` maps to; Pfn::none() where nothing is mapped.
  Pfn to_pfn(VirtAddr va) const;

  // ---- the Kernel's view ----------------------------------------------------
  std::optional<PhysAddr> translate(VirtAddr va) const { return pt_.translate(va); }
  /// Frames held by vmalloc areas (VmallocUsed).
  std::uint64_t used_pages() const { return used_pages_; }
  /// Page-table frames held (PageTables).
  std::uint64_t pagetable_pages() const { return pt_.nr_tables(); }
  /// /proc/vmallocinfo, Linux's format, ascending addresses.
  std::string vmallocinfo() const;

  // ---- introspection (read-only; the checker's view) -------------------------
  // Pointers and references returned here stay valid until the next call
  // that changes the vmalloc space.
  std::size_t nr_areas() const { return busy_.size(); }
  /// The live area starting exactly at `start`.
  const VmArea* find_area(VirtAddr start) const;
  /// The live area whose reservation [start, reserved_end) holds `va`.
  const VmArea* area_containing(VirtAddr va) const;
  /// The live area with this id (Page::priv of a vmalloc frame).
  const VmArea* area_by_id(std::uint32_t id) const;
  /// Every live area, ascending start.
  void for_each_area(const std::function<void(const VmArea&)>& fn) const;
  /// The free ranges of [VMALLOC_START, VMALLOC_END).
  const VmapAreaAllocator& free_ranges() const { return free_; }
  /// The page tables: lookup(), for_each_pte(), for_each_table().
  const PageTable& page_table() const { return pt_; }

  // ---- test-only hooks: corrupt state on purpose ------------------------------
  /// Clears the PTE of `va` (emptied tables are freed); false if none was present.
  bool clear_pte_for_testing(VirtAddr va);
  /// Maps `va` to `pfn` as kernel data (allocating tables); false if a table
  /// frame is missing or the pfn cannot be encoded.
  bool map_pte_for_testing(VirtAddr va, Pfn pfn);
  /// Overwrites the raw leaf entry of `va`, counts untouched; false without a leaf table.
  bool set_pte_raw_for_testing(VirtAddr va, std::uint64_t entry);

 private:
  Pfn alloc_table_frame() override;
  void free_table_frame(Pfn pfn) override;

  std::uint32_t take_slot();
  /// Unmaps, frees frames (vmalloc) and the range of a live area.
  void release(std::map<std::uint64_t, std::uint32_t>::iterator it);
  /// Unmaps pages [0, n) of an area, last first.
  void unmap_pages(VirtAddr start, std::uint64_t n);
  /// Frees `pfns`, last first, so the buddy lists come back as they were.
  void free_frames(const std::vector<Pfn>& pfns);
  /// Forgets freed starts that a new reservation [start, end) covers.
  void forget_freed(std::uint64_t start, std::uint64_t end);
  std::string hex(std::uint64_t v) const;

  Kernel& k_;
  PageTable pt_;
  VmapAreaAllocator free_;
  std::vector<VmArea> slots_;  ///< slot i holds the area with id i + 1 (id 0: unused)
  std::vector<std::uint32_t> spare_slots_;
  std::map<std::uint64_t, std::uint32_t> busy_;  ///< start → slot
  /// Starts of freed areas no new area has covered since, with their kind:
  /// tells a double vfree/iounmap from a bad address.
  std::map<std::uint64_t, VmAreaKind> freed_;
  std::uint64_t used_pages_ = 0;
  gfp_t table_gfp_ = GFP_KERNEL | GFP_ZERO;  ///< for the tables of the operation in progress
};

}  // namespace kmf
