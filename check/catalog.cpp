// catalog.cpp — the catalog table: ids and claims (`kmemfuzz catalog` prints it).
#include "check/catalog.h"

#include <array>

namespace kmf {
namespace {

using enum Cost;
constexpr std::array<InvariantInfo, NR_INVARIANTS> CATALOG{{
    {Inv::B_ALIGN, "B-ALIGN", "an order-k block starts at a pfn that is a multiple of 2^k", constant, linear},
    {Inv::B_FREELIST, "B-FREELIST",
     "every free block is in the list of its order, inside its zone, marked free with that order, disjoint "
     "from every other free block and every live allocation; counts match",
     logarithmic, linear},
    {Inv::B_COALESCE, "B-COALESCE", "no free block has a free buddy of the same order in the same zone",
     logarithmic, linear},
    {Inv::B_ACCOUNT, "B-ACCOUNT", "free + allocated + reserved frames = total, per zone", constant, linear},
    {Inv::B_ORDER, "B-ORDER", "order <= 10 may succeed; order >= 11 always fails cleanly", constant,
     constant},
    {Inv::B_AVAIL, "B-AVAIL",
     "an allocation of order k fails only when no free block of order >= k is usable in its eligible zones "
     "under the watermark rules (or a fault was injected)",
     logarithmic, logarithmic},
    {Inv::B_ZONE, "B-ZONE", "GFP_DMA frames are below 16 MiB; without GFP_HIGHMEM frames are lowmem",
     constant, linear},
    {Inv::B_WMARK, "B-WMARK",
     "only atomic/high-priority requests take a zone below its min watermark, and never below the reserve "
     "they are allowed",
     constant, constant},
    {Inv::B_RESTORE, "B-RESTORE", "after everything is freed the free lists equal the boot state", linear,
     linear},
    {Inv::S_OBJECT, "S-OBJECT",
     "a live object lies inside a slab of its cache at a multiple of the object size", constant, linear},
    {Inv::S_FREELIST, "S-FREELIST",
     "a slab's free list has no cycle, only valid objects, and the right count", linear, linear},
    {Inv::S_LIMIT, "S-LIMIT",
     "kmalloc above the profile's limit fails; at or below it succeeds when memory allows", constant,
     constant},
    {Inv::S_KSIZE, "S-KSIZE", "ksize(p) >= the requested size and equals the size class", constant, linear},
    {Inv::S_ALIGN, "S-ALIGN", "objects honour the cache alignment (kmalloc: size class alignment rules)",
     constant, linear},
    {Inv::PHYS_CONTIG, "PHYS-CONTIG",
     "every byte of a kmalloc / get_free_pages allocation translates to phys(start) + offset", linear,
     linear},
    {Inv::V_CONTIG, "V-CONTIG",
     "every page of a vmalloc area is mapped, virtually contiguous, inside [VMALLOC_START, VMALLOC_END)",
     linear, linear},
    {Inv::V_GUARD, "V-GUARD", "the page after each vmalloc/ioremap area is unmapped", constant, linear},
    {Inv::V_FRAMES, "V-FRAMES",
     "frames behind vmalloc pages are distinct, allocated, owned by that area, and never on a free list",
     linear, linear},
    {Inv::V_UNMAP, "V-UNMAP",
     "after vfree/iounmap no page-table entry of the area remains and its frames are free", linear, linear},
    {Inv::IOREMAP, "IOREMAP", "ioremap maps exactly the requested physical range and allocates no frames",
     linear, linear},
    {Inv::LAYOUT, "LAYOUT",
     "direct-map addresses are in [PAGE_OFFSET, high_memory); vmalloc addresses start >= high_memory + 8 "
     "MiB; "
     "pa/va round-trip",
     constant, linear},
    {Inv::NO_OVERLAP, "NO-OVERLAP",
     "no two live allocations of any kind share a byte of virtual memory or a frame (ioremap excepted)",
     logarithmic, linear},
    {Inv::ZERO, "ZERO", "GFP_ZERO, kzalloc, vzalloc, get_zeroed_page memory reads as zero", linear, linear},
    {Inv::INTEGRITY, "INTEGRITY", "payload stamps written at allocation read back unchanged at free", linear,
     linear},
    {Inv::DEBUG_DETECT, "DEBUG-DETECT", "slab_debug notices red-zone and poison corruption it is shown",
     constant, constant},
    {Inv::MISUSE, "MISUSE", "every misuse op yields exactly its report and changes no state", linear, linear},
    {Inv::NO_LEAK, "NO-LEAK", "at teardown nothing is live; a leak is listed kmemleak-style", linear, linear},
    {Inv::FAULT, "FAULT", "an injected failure returns null and changes no state", linear, linear},
    {Inv::IN_BOUNDS, "IN-BOUNDS",
     "every live block lies inside the subject's space (the current arena, the frame range, the virtual "
     "window) and outside the allocator's embedded metadata",
     logarithmic, linear},
    {Inv::ALIGNMENT, "ALIGNMENT",
     "every block honours its alignment: the requested one, else the arena's; an order-k page block starts "
     "at a multiple of 2^k frames",
     constant, linear},
    {Inv::NO_SPURIOUS_FAILURE, "NO-SPURIOUS-FAILURE",
     "a request fails only when the subject's reference model (buddy, first-fit, segregated, custom) says it "
     "cannot fit beside "
     "the live blocks",
     linear, linear},
    {Inv::RESIZE, "RESIZE",
     "a shrink succeeds exactly when every live block fits the new size, and then nothing live lies "
     "outside; a grow succeeds and keeps every live block",
     linear, linear},
    {Inv::WALK, "WALK", "walk reports exactly the live blocks, each with at least its requested size", linear,
     linear},
    {Inv::EMPTY, "EMPTY",
     "is_empty and can_shrink agree with the ledger, and can_shrink with the resize that follows", constant,
     linear},
    {Inv::STALE_FREE, "STALE-FREE",
     "after a double or stale free, whatever the allocator does, no later block overlaps a live one and no "
     "live block changes",
     logarithmic, linear},
    {Inv::USABLE_SIZE, "USABLE-SIZE", "usable_size(p) is at least the size requested for p", constant,
     linear},
    {Inv::TRANSLATE, "TRANSLATE",
     "every page of a live virtual range translates, no two live pages share a physical page, and a freed "
     "range no longer translates",
     linear, linear},
    {Inv::SELF_CHECK, "SELF-CHECK",
     "the allocator's own validator (check()) finds nothing wrong after every op", linear, linear},
    {Inv::CONTRACT, "CONTRACT",
     "a request the allocator cannot serve (size 0, oversized, overflowing, an alignment it refuses, realloc "
     "to such a size) gets the answer the adapter's contract promises, and a failed realloc leaves its block "
     "live and intact",
     constant, constant},
    {Inv::CALLOC, "CALLOC",
     "calloc(n, size) returns null when n * size overflows or exceeds the arena, else a block of n * size "
     "bytes that reads as zero",
     linear, linear},
    {Inv::RESTORE, "RESTORE",
     "once every block is freed, the arena serves a request as large as the largest one a fresh arena of the "
     "same geometry serves",
     linear, linear},
    {Inv::METADATA, "METADATA", "the allocator's metadata ranges lie inside the current arena after every op",
     linear, linear},
    {Inv::STATS, "STATS",
     "the allocator's statistics agree with the ledger within the adapter's tolerance and every metric is "
     "finite",
     linear, linear},
    {Inv::EXPECT, "EXPECT", "a script's expect or check statement holds", constant, constant},
}};

}  // namespace

std::span<const InvariantInfo> invariant_catalog() { return CATALOG; }

const InvariantInfo& invariant_info(Inv id) { return CATALOG[static_cast<std::size_t>(id)]; }

std::string_view invariant_name(Inv id) { return invariant_info(id).name; }

std::optional<Inv> invariant_from_name(std::string_view name) {
  for (const InvariantInfo& i : CATALOG)
    if (i.name == name) return i.id;
  return std::nullopt;
}

std::string_view cost_name(Cost c) {
  switch (c) {
    case Cost::constant: return "O(1)";
    case Cost::logarithmic: return "O(log n)";
    case Cost::linear: return "O(n)";
  }
  return "?";
}

}  // namespace kmf
