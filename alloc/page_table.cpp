// page_table.cpp — walking, filling and pruning tables kept in simulated frames.
#include "alloc/page_table.h"

#include <array>
#include <cassert>
#include <cstring>

namespace kmf {
namespace {

// The architectural frame-number field: bits 12..51 (x86_64); i386 entries
// are 32 bits wide, so the same mask reads them too.
constexpr std::uint64_t ENTRY_PFN_MASK = 0x000ffffffffff000ULL;

}  // namespace

Pfn Pte::pfn() const { return Pfn{(entry & ENTRY_PFN_MASK) >> PAGE_SHIFT}; }

PageTable::PageTable(Profile profile, PhysMem& mem, PageTableFrames& frames)
    : mem_(mem), frames_(frames), profile_(profile) {
  if (profile == Profile::i386) {
    levels_ = 2;
    entry_bytes_ = 4;
    index_bits_ = 10;
    pfn_bits_ = 20;  // no PAE: physical addresses below 4 GiB
  } else {
    levels_ = 4;
    entry_bytes_ = 8;
    index_bits_ = 9;
    pfn_bits_ = 40;  // 52-bit physical addresses
  }
  pfn_mask_ = ((std::uint64_t{1} << pfn_bits_) - 1) << PAGE_SHIFT;
}

std::uint64_t PageTable::kernel_prot() const {
  const std::uint64_t bits = PTE_PRESENT | PTE_RW | PTE_ACCESSED | PTE_DIRTY | PTE_GLOBAL;
  return profile_ == Profile::x86_64 ? bits | PTE_NX : bits;
}

unsigned PageTable::index(std::uint64_t va, unsigned height) const {
  const unsigned shift = PAGE_SHIFT + (height - 1) * index_bits_;
  return static_cast<unsigned>((va >> shift) & ((std::uint64_t{1} << index_bits_) - 1));
}

PhysAddr PageTable::entry_location(Pfn table, unsigned idx) const {
  return pfn_to_phys(table) + std::uint64_t{idx} * entry_bytes_;
}

std::uint64_t PageTable::read_entry(Pfn table, unsigned idx) const {
  // A read: data(), not writable(), so walking does not mark table frames dirty.
  const std::byte* p = mem_.data(entry_location(table, idx));
  if (entry_bytes_ == 4) {
    std::uint32_t v;
    std::memcpy(&v, p, sizeof v);
    return v;
  }
  std::uint64_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

void PageTable::write_entry(Pfn table, unsigned idx, std::uint64_t value) {
  std::byte* p = mem_.writable(entry_location(table, idx), entry_bytes_);
  if (entry_bytes_ == 4) {
    const auto v = static_cast<std::uint32_t>(value);
    std::memcpy(p, &v, sizeof v);
  } else {
    std::memcpy(p, &value, sizeof value);
  }
}

Pfn PageTable::entry_table(std::uint64_t entry) const {
  if (!(entry & PTE_PRESENT)) return Pfn::none();
  const std::uint64_t pfn = (entry & pfn_mask_) >> PAGE_SHIFT;
  if (pfn >= mem_.nr_frames()) return Pfn::none();
  return Pfn{pfn};
}

VirtAddr PageTable::canonical(std::uint64_t va) const {
  if (profile_ == Profile::i386) return VirtAddr{va & 0xffffffffULL};
  const std::uint64_t low = va & ((std::uint64_t{1} << 48) - 1);
  return VirtAddr{(low & (std::uint64_t{1} << 47)) ? low | ~((std::uint64_t{1} << 48) - 1) : low};
}

Pfn PageTable::new_table(unsigned height) {
  const Pfn pfn = frames_.alloc_table_frame();
  if (!pfn) return pfn;
  Page& p = mem_.page(pfn.value);
  p.priv = 0;
  p.flags = static_cast<std::uint8_t>((p.flags & ~PT_HEIGHT_MASK) | height);
  ++nr_tables_;
  return pfn;
}

void PageTable::release_table(Pfn table) {
  Page& p = mem_.page(table.value);
  assert(p.priv == 0 && "freeing a page table that still has entries");
  p.flags = static_cast<std::uint8_t>(p.flags & ~PT_HEIGHT_MASK);
  --nr_tables_;
  frames_.free_table_frame(table);
}

bool PageTable::map(VirtAddr va, Pfn pfn, std::uint64_t prot) {
  assert(can_map(pfn));
  // What this call changed above the leaf, so a failure can put it back.
  struct Step {
    Pfn parent;
    unsigned idx;
    std::uint64_t old_entry;
    Pfn child;
  };
  std::array<Step, 4> steps{};
  unsigned nsteps = 0;
  auto undo = [&](bool root_is_new) {
    while (nsteps > 0) {
      const Step& s = steps[--nsteps];
      write_entry(s.parent, s.idx, s.old_entry);
      if (!(s.old_entry & PTE_PRESENT)) --mem_.page(s.parent.value).priv;
      release_table(s.child);
    }
    if (root_is_new) {
      release_table(root_);
      root_ = Pfn::none();
    }
  };

  const bool root_is_new = root_.is_none();
  if (root_is_new) {
    root_ = new_table(levels_);
    if (!root_) return false;
  }
  Pfn table = root_;
  for (unsigned h = levels_; h > 1; --h) {
    const unsigned idx = index(va.value, h);
    const std::uint64_t e = read_entry(table, idx);
    Pfn next = entry_table(e);
    if (!next) {
      next = new_table(h - 1);
      if (!next) {
        undo(root_is_new);
        return false;
      }
      write_entry(table, idx, (next.value << PAGE_SHIFT) | PTE_TABLE_BITS);
      if (!(e & PTE_PRESENT)) ++mem_.page(table.value).priv;
      steps[nsteps++] = Step{table, idx, e, next};
    }
    table = next;
  }
  const unsigned idx = index(va.value, 1);
  const std::uint64_t old = read_entry(table, idx);
  write_entry(table, idx, (pfn.value << PAGE_SHIFT) | prot);
  if (!(old & PTE_PRESENT)) ++mem_.page(table.value).priv;
  return true;
}

std::uint64_t PageTable::unmap(VirtAddr va) {
  if (!root_) return 0;
  std::array<std::pair<Pfn, unsigned>, 5> path{};  // path[h]: the table at height h and the index used in it
  Pfn table = root_;
  for (unsigned h = levels_; h > 1; --h) {
    const unsigned idx = index(va.value, h);
    path[h] = {table, idx};
    table = entry_table(read_entry(table, idx));
    if (!table) return 0;
  }
  const unsigned idx = index(va.value, 1);
  const std::uint64_t old = read_entry(table, idx);
  if (!(old & PTE_PRESENT)) return 0;
  write_entry(table, idx, 0);
  --mem_.page(table.value).priv;
  // Release the tables this emptied, leaf table first, the root last.
  for (unsigned h = 1; mem_.page(table.value).priv == 0; ++h) {
    if (h == levels_) {
      release_table(table);
      root_ = Pfn::none();
      break;
    }
    const auto [parent, pidx] = path[h + 1];
    write_entry(parent, pidx, 0);
    --mem_.page(parent.value).priv;
    release_table(table);
    table = parent;
  }
  return old;
}

std::optional<Pte> PageTable::lookup(VirtAddr va) const {
  if (canonical(va.value) != va || !root_) return std::nullopt;
  Pfn table = root_;
  for (unsigned h = levels_; h > 1; --h) {
    table = entry_table(read_entry(table, index(va.value, h)));
    if (!table) return std::nullopt;
  }
  const unsigned idx = index(va.value, 1);
  const std::uint64_t e = read_entry(table, idx);
  if (!(e & PTE_PRESENT)) return std::nullopt;
  return Pte{e, entry_location(table, idx)};
}

std::optional<PhysAddr> PageTable::translate(VirtAddr va) const {
  const auto pte = lookup(va);
  if (!pte) return std::nullopt;
  return pfn_to_phys(pte->pfn()) + (va.value & (PAGE_SIZE - 1));
}

void PageTable::walk_tables(Pfn table, unsigned height, std::uint64_t base,
                            const std::function<void(Pfn, unsigned, VirtAddr)>& fn) const {
  fn(table, height, canonical(base));
  if (height == 1) return;
  const unsigned shift = PAGE_SHIFT + (height - 1) * index_bits_;
  for (unsigned i = 0; i < entries_per_table(); ++i) {
    const Pfn child = entry_table(read_entry(table, i));
    if (child) walk_tables(child, height - 1, base + (std::uint64_t{i} << shift), fn);
  }
}

void PageTable::walk_ptes(Pfn table, unsigned height, std::uint64_t base,
                          const std::function<void(VirtAddr, const Pte&)>& fn) const {
  const unsigned shift = PAGE_SHIFT + (height - 1) * index_bits_;
  for (unsigned i = 0; i < entries_per_table(); ++i) {
    const std::uint64_t e = read_entry(table, i);
    if (!(e & PTE_PRESENT)) continue;
    const std::uint64_t va = base + (std::uint64_t{i} << shift);
    if (height == 1) {
      fn(canonical(va), Pte{e, entry_location(table, i)});
    } else if (const Pfn child = entry_table(e)) {
      walk_ptes(child, height - 1, va, fn);
    }
  }
}

void PageTable::for_each_pte(const std::function<void(VirtAddr, const Pte&)>& fn) const {
  if (root_) walk_ptes(root_, levels_, 0, fn);
}

void PageTable::for_each_table(const std::function<void(Pfn, unsigned, VirtAddr)>& fn) const {
  if (root_) walk_tables(root_, levels_, 0, fn);
}

bool PageTable::set_entry_raw_for_testing(VirtAddr va, std::uint64_t entry) {
  if (!root_) return false;
  Pfn table = root_;
  for (unsigned h = levels_; h > 1; --h) {
    table = entry_table(read_entry(table, index(va.value, h)));
    if (!table) return false;
  }
  write_entry(table, index(va.value, 1), entry);
  return true;
}

}  // namespace kmf
