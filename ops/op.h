// op.h — operations and programs: what the executor runs.
//
// A Program is a machine header plus a list of Ops. Ops that allocate bind
// their result to a slot; later ops name earlier slots. Slots are numbered in
// order of binding (slot i is bound by the i-th binding op), so a program is
// well-formed by construction: a free names a slot that was bound before it.
// Freeing a slot that is already freed, freeing with an explicit wrong order,
// freeing to the wrong cache or through the wrong API are *misuse ops*: the
// executor expects exactly the matching report and no state change.
//
//   .kmf text  ──parse──┐                       ┌──print──> .kmf text
//   fuzz bytes ─decode──┼──> Program{machine, ops, names} ──encode──> bytes
//   generators ─────────┘
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "alloc/gfp.h"
#include "alloc/machine.h"
#include "alloc/report.h"
#include "alloc/slab_flags.h"

namespace kmf {

using Slot = std::int32_t;
inline constexpr Slot NO_SLOT = -1;

// ---- page allocator ------------------------------------------------------------
struct AllocPagesOp {  ///< a0 = alloc_pages order=3 gfp=GFP_KERNEL   (binds a Pfn)
  Slot dst;
  unsigned order;
  gfp_t gfp;
  friend bool operator==(const AllocPagesOp&, const AllocPagesOp&) = default;
};
struct GetFreePagesOp {  ///< p0 = get_free_pages order=0 gfp=GFP_KERNEL   (binds a VirtAddr)
  Slot dst;
  unsigned order;
  gfp_t gfp;
  friend bool operator==(const GetFreePagesOp&, const GetFreePagesOp&) = default;
};
struct FreePagesOp {  ///< free_pages p0 [order=K]: an explicit order makes it a misuse op if wrong
  Slot src;
  std::optional<unsigned> order;
  friend bool operator==(const FreePagesOp&, const FreePagesOp&) = default;
};

// ---- slab and kmalloc ------------------------------------------------------------
struct KmallocOp {  ///< k0 = kmalloc 100 gfp=GFP_KERNEL   (kzalloc when zeroed)
  Slot dst;
  std::uint64_t size;
  gfp_t gfp;
  bool zeroed;
  friend bool operator==(const KmallocOp&, const KmallocOp&) = default;
};
struct KreallocOp {  ///< k1 = krealloc k0 200 gfp=GFP_KERNEL   (k0 is consumed on success)
  Slot dst;
  Slot src;
  std::uint64_t size;
  gfp_t gfp;
  friend bool operator==(const KreallocOp&, const KreallocOp&) = default;
};
struct KfreeOp {  ///< kfree k0 | kfree null | kfree k0+8 (an interior address: misuse)
  Slot src;       ///< NO_SLOT for null
  std::uint64_t offset;
  friend bool operator==(const KfreeOp&, const KfreeOp&) = default;
};
struct CacheCreateOp {  ///< c0 = kmem_cache_create name=foo size=72 align=8 [flags=SLAB_HWCACHE_ALIGN|…]
  Slot dst;
  std::string name;
  std::uint64_t size;
  std::uint64_t align;
  SlabFlags flags;
  friend bool operator==(const CacheCreateOp&, const CacheCreateOp&) = default;
};
struct CacheAllocOp {  ///< o0 = kmem_cache_alloc c0 gfp=GFP_KERNEL
  Slot dst;
  Slot cache;
  gfp_t gfp;
  friend bool operator==(const CacheAllocOp&, const CacheAllocOp&) = default;
};
struct CacheFreeOp {  ///< kmem_cache_free c0 o0 (another cache's object: misuse)
  Slot cache;
  Slot obj;
  std::uint64_t offset;
  friend bool operator==(const CacheFreeOp&, const CacheFreeOp&) = default;
};
struct CacheDestroyOp {  ///< kmem_cache_destroy c0 (with live objects: misuse)
  Slot cache;
  friend bool operator==(const CacheDestroyOp&, const CacheDestroyOp&) = default;
};
struct CacheShrinkOp {  ///< kmem_cache_shrink c0
  Slot cache;
  friend bool operator==(const CacheShrinkOp&, const CacheShrinkOp&) = default;
};

// ---- vmalloc ---------------------------------------------------------------------------
struct VmallocOp {  ///< v0 = vmalloc 1000000   (vzalloc when zeroed)
  Slot dst;
  std::uint64_t size;
  bool zeroed;
  /// vmalloc_32: every frame 32-bit addressable (below 4 GiB physical).
  bool dma32 = false;
  /// vmalloc_user / vmalloc_32_user: zeroed (always with `zeroed`), for mapping to user space.
  bool user = false;
  friend bool operator==(const VmallocOp&, const VmallocOp&) = default;
};
struct VfreeOp {  ///< vfree v0 | vfree v0+4096 (not an area start: misuse)
  Slot src;
  std::uint64_t offset;
  friend bool operator==(const VfreeOp&, const VfreeOp&) = default;
};
struct IoremapOp {  ///< r0 = ioremap 0xfebf0000 8K
  Slot dst;
  std::uint64_t phys;
  std::uint64_t size;
  friend bool operator==(const IoremapOp&, const IoremapOp&) = default;
};
struct IounmapOp {  ///< iounmap r0
  Slot src;
  friend bool operator==(const IounmapOp&, const IounmapOp&) = default;
};

// ---- memory ----------------------------------------------------------------------------
enum class MemVerb : std::uint8_t {
  write,     ///< write k0 OFF LEN BYTE: inside the allocation
  check,     ///< check k0 OFF LEN BYTE: read back and compare
  scribble,  ///< scribble k0 OFF LEN BYTE: a misuse write (past the end, after free)
};
struct MemOp {
  MemVerb verb;
  Slot src;
  std::uint64_t offset;
  std::uint64_t length;
  std::uint8_t byte;
  friend bool operator==(const MemOp&, const MemOp&) = default;
};

// ---- context and fault injection -------------------------------------------------------
struct AtomicOp {  ///< atomic on | atomic off
  bool on;
  friend bool operator==(const AtomicOp&, const AtomicOp&) = default;
};
enum class FaultTarget : std::uint8_t { page_alloc, slab };
struct FailOp {  ///< fail page_alloc probability=100 times=1 min_order=0 …  |  fail off
  bool off;      ///< `fail off`: disable both
  FaultTarget target;
  unsigned probability;
  unsigned interval;
  std::int64_t times;
  std::uint64_t space;
  unsigned min_order;
  bool ignore_gfp_wait;
  bool ignore_gfp_highmem;
  std::string cache_filter;  ///< failslab only (`cache=NAME`): fail only this cache; empty: every cache
  friend bool operator==(const FailOp&, const FailOp&) = default;
};
/// The canonical `fail off` (what the parser and the decoder produce): both
/// targets off; the remaining fields hold FaultAttr's defaults.
inline const FailOp FAIL_OFF{true, FaultTarget::page_alloc, 0, 1, 1, 0, 1, true, true, {}};

// ---- expectations and output ----------------------------------------------------------
enum class ExpectKind : std::uint8_t {
  in_direct_map,
  in_vmalloc,
  in_dma,
  in_lowmem,
  in_highmem,
  phys_contiguous,
  aligned,     ///< value: alignment in bytes
  ksize,       ///< value: expected ksize
  in_range,    ///< [value, value2)
  null,        ///< the binding op returned null
  ok,          ///< the binding op succeeded
  report,      ///< the last op produced report `report`
  free_pages,  ///< total free frames == value
};
struct ExpectOp {
  ExpectKind kind;
  Slot src;  ///< NO_SLOT for report / free_pages
  bool negated;
  std::uint64_t value;
  std::uint64_t value2;
  ReportKind report;
  friend bool operator==(const ExpectOp&, const ExpectOp&) = default;
};
enum class PrintWhat : std::uint8_t { buddyinfo, slabinfo, vmallocinfo, meminfo, binding };
struct PrintOp {
  PrintWhat what;
  Slot src;  ///< for `print NAME`
  friend bool operator==(const PrintOp&, const PrintOp&) = default;
};

using Op = std::variant<AllocPagesOp, GetFreePagesOp, FreePagesOp, KmallocOp, KreallocOp, KfreeOp,
                        CacheCreateOp, CacheAllocOp, CacheFreeOp, CacheDestroyOp, CacheShrinkOp, VmallocOp,
                        VfreeOp, IoremapOp, IounmapOp, MemOp, AtomicOp, FailOp, ExpectOp, PrintOp>;

/// The slot an op binds, or NO_SLOT.
Slot op_dst(const Op& op);

struct Program {
  MachineConfig machine;
  std::vector<Op> ops;
  /// names[slot]: the binding's name in scripts ("k0", "buf"). Decoded and
  /// generated programs use the canonical letter+number names.
  std::vector<std::string> names;

  /// Appends an op; binding ops get the next slot and `name` (or the
  /// canonical name when empty). Returns the bound slot or NO_SLOT.
  Slot add(Op op, std::string name = {});
  std::size_t nr_slots() const { return names.size(); }
};

bool operator==(const Program& a, const Program& b);

/// The canonical name of a slot bound by `op`: a0 (alloc_pages), p (get_free_pages),
/// k (kmalloc/krealloc), c (cache), o (cache object), v (vmalloc), r (ioremap).
std::string canonical_name(const Op& op, Slot slot);

}  // namespace kmf
