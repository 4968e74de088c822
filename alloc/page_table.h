// page_table.h — the simulated MMU's page tables for the vmalloc area, kept
// in simulated frames as the kernel keeps them.
//
//   i386, no PAE: 2 levels, 32-bit entries, 1024 per table
//     va[31:22] → PGD entry → PTE table;  va[21:12] → PTE → frame;  va[11:0] offset
//   x86_64: 4 levels, 64-bit entries, 512 per table
//     va[47:39] PGD → va[38:30] PUD → va[29:21] PMD → va[20:12] PTE → frame
//
//   entry bits:  63: NX (x86_64 leaves)   12..51: pfn (i386: 12..31)
//                8: G   6: D   5: A   4: PCD   1: RW   0: P (present)
//   table entries are P|RW|A|D (0x063); kernel data PTEs P|RW|A|D|G (0x163,
//   plus NX on x86_64); ioremap PTEs add PCD (uncached, 0x173).
//
// Every table is one frame taken from the buddy allocator (owner pagetable,
// zeroed). Its struct page records what the kernel would need to free it:
// Page::flags bits 0..2 = the table's height (1 = PTE table … 4 = x86_64 PGD;
// the i386 PGD is height 2), Page::priv = how many of its entries are
// present. A table is allocated when a mapping first needs it — the root
// included, so an empty MMU holds no frame — and freed the moment its last
// entry goes, so unmapping everything returns every table frame.
//
// Keeps (catalog ids): V-UNMAP (unmap clears the leaf entry and releases
// emptied tables), LAYOUT (entries encode frame numbers the profile can
// address: 20 bits on i386, 40 on x86_64), FAULT (a map that cannot get a
// table frame undoes every table it allocated on the way).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>

#include "alloc/machine.h"
#include "alloc/phys_mem.h"
#include "alloc/types.h"

namespace kmf {

// x86 entry bits (the same positions at every level and in both profiles).
inline constexpr std::uint64_t PTE_PRESENT = 0x001;
inline constexpr std::uint64_t PTE_RW = 0x002;
inline constexpr std::uint64_t PTE_PCD = 0x010;  ///< cache disable: ioremap
inline constexpr std::uint64_t PTE_ACCESSED = 0x020;
inline constexpr std::uint64_t PTE_DIRTY = 0x040;
inline constexpr std::uint64_t PTE_GLOBAL = 0x100;
inline constexpr std::uint64_t PTE_NX = std::uint64_t{1} << 63;  ///< x86_64 only

/// What an entry pointing at a lower table carries (Linux's _KERNPG_TABLE).
inline constexpr std::uint64_t PTE_TABLE_BITS = PTE_PRESENT | PTE_RW | PTE_ACCESSED | PTE_DIRTY;

/// Page::flags bits 0..2 of a page-table frame: its height above the leaves.
inline constexpr std::uint8_t PT_HEIGHT_MASK = 0x07;

/// Where table frames come from. The VmapSpace implements it on top of the
/// Kernel's frame allocator (fault injection applies, owner pagetable).
class PageTableFrames {
 public:
  /// A zeroed frame, or Pfn::none() when none can be had.
  virtual Pfn alloc_table_frame() = 0;
  virtual void free_table_frame(Pfn pfn) = 0;

 protected:
  ~PageTableFrames() = default;
};

/// One present leaf entry: its raw value and where it lives in simulated RAM.
struct Pte {
  std::uint64_t entry;
  PhysAddr location;  ///< physical address of the entry inside its table frame
  Pfn pfn() const;
  friend bool operator==(const Pte&, const Pte&) = default;
};

class PageTable {
 public:
  PageTable(Profile profile, PhysMem& mem, PageTableFrames& frames);
  PageTable(const PageTable&) = delete;
  PageTable& operator=(const PageTable&) = delete;

  // ---- geometry -----------------------------------------------------------
  unsigned levels() const { return levels_; }
  unsigned entry_bytes() const { return entry_bytes_; }
  unsigned entries_per_table() const { return 1u << index_bits_; }
  /// Bits of a frame number an entry can hold (exclusive bound 2^pfn_bits).
  unsigned pfn_bits() const { return pfn_bits_; }
  bool can_map(Pfn pfn) const { return pfn.value < (std::uint64_t{1} << pfn_bits_); }
  /// The leaf flags for kernel data (PAGE_KERNEL) and for ioremap (PAGE_KERNEL_IO_NOCACHE).
  std::uint64_t kernel_prot() const;
  std::uint64_t io_prot() const { return kernel_prot() | PTE_PCD; }

  // ---- changes --------------------------------------------------------------
  /// Points the leaf entry for `va` at `pfn` with `prot`, allocating missing
  /// tables. An entry already present is replaced. Returns false — with
  /// every table it allocated released again — when a table frame cannot be
  /// had. Precondition: can_map(pfn).
  bool map(VirtAddr va, Pfn pfn, std::uint64_t prot);
  /// Clears the leaf entry for `va` and frees every table this empties.
  /// Returns the old entry (0 when nothing was mapped: then nothing changes).
  std::uint64_t unmap(VirtAddr va);

  // ---- reads ----------------------------------------------------------------
  /// The physical address `va` maps to; nullopt where any level is absent.
  std::optional<PhysAddr> translate(VirtAddr va) const;
  /// The present leaf entry for `va`, if any.
  std::optional<Pte> lookup(VirtAddr va) const;
  /// Every present leaf entry, in ascending virtual address order.
  void for_each_pte(const std::function<void(VirtAddr va, const Pte& pte)>& fn) const;
  /// Every table frame, parents before children: its pfn, height (1 = leaf
  /// table) and the first virtual address it covers.
  void for_each_table(const std::function<void(Pfn table, unsigned height, VirtAddr base)>& fn) const;
  /// The top-level table; Pfn::none() while nothing is mapped.
  Pfn root() const { return root_; }
  /// Table frames held (the root included).
  std::uint64_t nr_tables() const { return nr_tables_; }

  // ---- test-only ------------------------------------------------------------
  /// Writes `entry` raw into the leaf slot for `va` without touching any
  /// count; false when the leaf table does not exist.
  bool set_entry_raw_for_testing(VirtAddr va, std::uint64_t entry);

 private:
  unsigned index(std::uint64_t va, unsigned height) const;
  std::uint64_t read_entry(Pfn table, unsigned idx) const;
  void write_entry(Pfn table, unsigned idx, std::uint64_t value);
  PhysAddr entry_location(Pfn table, unsigned idx) const;
  /// The frame an entry points at, or none when absent or outside RAM
  /// (a corrupted entry must not make the walk read host memory it does not own).
  Pfn entry_table(std::uint64_t entry) const;
  Pfn new_table(unsigned height);
  void release_table(Pfn table);
  void walk_tables(Pfn table, unsigned height, std::uint64_t base,
                   const std::function<void(Pfn, unsigned, VirtAddr)>& fn) const;
  void walk_ptes(Pfn table, unsigned height, std::uint64_t base,
                 const std::function<void(VirtAddr, const Pte&)>& fn) const;
  VirtAddr canonical(std::uint64_t va) const;

  PhysMem& mem_;
  PageTableFrames& frames_;
  Profile profile_;
  unsigned levels_;
  unsigned entry_bytes_;
  unsigned index_bits_;
  unsigned pfn_bits_;
  std::uint64_t pfn_mask_;  ///< entry bits that hold pfn << PAGE_SHIFT
  Pfn root_ = Pfn::none();
  std::uint64_t nr_tables_ = 0;
};

}  // namespace kmf
