// arena_subject.h — the generic interface for arena allocators: one
// caller-given arena [base, base + size), carved into blocks (TLSF, a
// first-fit heap, a buddy over a static buffer, gen_pool, an RTOS heap).
//
//   base                                                      base + size    capacity
//   [meta][b0 ][ free ][b1   ][  free      ][b2][ free        )..............)
//    ^ CAP_METADATA     ^ walk() reports b0, b1, b2           ^ resize() moves this end
//
//   required   init(base, size, align), alloc(size, align) → host pointer | nullptr, free(p)
//   optional   CAP_ALIGN        alloc with an alignment above the arena's (else align is 0)
//              CAP_REALLOC      realloc(p, size): the common prefix kept; nullptr leaves p live
//              CAP_USABLE_SIZE  usable_size(p)
//              CAP_RESIZE       resize(new_size): grow into [size, new_size) or shrink
//              CAP_CAN_SHRINK   can_shrink(new_size): would resize(new_size) succeed?
//              CAP_IS_EMPTY     is_empty(): no live block and no reservation
//              CAP_WALK         walk(visit): every live block once, with its usable size
//              CAP_RESERVE      reserve(p, size): the caller keeps [p, p + size) forever
//              CAP_METADATA     metadata(visit): the allocator's own ranges inside the arena
//              CAP_STALE_FREE   free of a freed pointer is detected or ignored
//              CAP_SELF_CHECK   check(): the allocator's own validator; a message is SELF-CHECK
//              CAP_CONTRACT     contract(): hostile requests are generated and judged (contract.h)
//              CAP_CALLOC       calloc(n, size): zeroed; an overflowing product returns null
//              CAP_REALLOC_ALIGN realloc_aligned(p, size, align): realloc keeping an alignment
//              CAP_KEEPS_CACHE  freed space may stay cached: no RESTORE at teardown
//              CAP_POOLS        add_pool(base, size): another region for the same heap (TLSF's
//                               tlsf_add_pool); blocks may come from the arena or any pool, and
//                               walk and is_empty cover them all; resize and stats speak about the arena
//              CAP_HEAPS        extra_heaps() more heaps, each its own arena of the program's size:
//                               init_heap(h, …), alloc_in(h, …), free_in(h, p) for h in 1..extra_heaps();
//                               heap 0 is init/alloc/free. Every other capability declared holds per
//                               heap through its *_in(h, …) twin (realloc_in, calloc_in, usable_size_in,
//                               resize_in, can_shrink_in, is_empty_in, walk_in, metadata_in, stats_in,
//                               realloc_aligned_in), and every oracle is run per heap: one ledger, model,
//                               walk, stats comparison, RESTORE twin and teardown per heap. Blocks are
//                               held inside their own heap (IN-BOUNDS) and apart (NO-OVERLAP). Pools,
//                               reserve, a second init and calls before init concern heap 0
//              CAP_STATS        stats(): the allocator's own counters, held to the ledger
//                               within stats_tolerance() (STATS); right after init, at every
//                               `stats` op and on the emptied arena at teardown
//   model      fit_model() makes NO-SPURIOUS-FAILURE and RESIZE's "must succeed" exact
//   model-free RESTORE: after the teardown frees everything, the arena must serve a request as
//              large as the largest one a fresh twin (GenericExecOptions::twin) serves
//
// The harness owns the memory: it allocates `capacity` bytes (the largest
// arena the geometry allows), zero-fills them, passes the base to init, and
// zero-fills what a shrink gives back. Invariants: IN-BOUNDS, ALIGNMENT,
// NO-OVERLAP, INTEGRITY, USABLE-SIZE, NO-SPURIOUS-FAILURE, RESIZE, WALK,
// EMPTY, STALE-FREE, NO-LEAK, SELF-CHECK, CONTRACT, CALLOC, RESTORE, METADATA.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "check/fit_model.h"
#include "check/subjects/capabilities.h"
#include "check/subjects/contract.h"

namespace kmf {

/// What an allocator's statistics call says (umm_info, mallinfo, TLSF's
/// walk, o1heapGetDiagnostics); every field is optional.
struct ArenaStats {
  std::optional<std::uint64_t> used_blocks;   ///< live blocks
  std::optional<std::uint64_t> used_bytes;    ///< bytes the live blocks hold
  std::optional<std::uint64_t> free_bytes;    ///< bytes free for allocation
  std::optional<std::uint64_t> largest_free;  ///< the largest free block
  /// Any derived numbers (fragmentation, mean block size, …): each must be finite.
  std::vector<std::pair<std::string, double>> metrics;
};

/// How far the counters may stray from the ledger (the allocator's overhead).
struct StatsTolerance {
  std::uint64_t per_block = 0;  ///< bytes of overhead per block (headers, rounding)
  std::uint64_t fixed = 0;      ///< bytes of overhead per arena (control structures)
};

/// The arenas an adapter accepts; the decoder, the generators and the
/// executor keep every arena_init and resize inside it.
struct ArenaGeometry {
  std::uint64_t min_size = 256;       ///< smallest arena (inclusive)
  std::uint64_t max_size = 64 << 10;  ///< largest arena (inclusive): the harness's capacity
  std::uint64_t size_granule = 16;    ///< arena sizes are multiples of this
  std::uint64_t base_align = 16;      ///< the harness aligns the base to this (a power of two)
  std::uint64_t min_align = 16;       ///< arena_init alignments, powers of two (inclusive)
  std::uint64_t max_align = 16;
  friend bool operator==(const ArenaGeometry&, const ArenaGeometry&) = default;
};

class ArenaSubject {
 public:
  using BlockVisitor = std::function<void(const void* p, std::size_t size)>;

  virtual ~ArenaSubject() = default;
  virtual std::string_view name() const = 0;
  virtual Caps capabilities() const = 0;
  virtual ArenaGeometry geometry() const { return {}; }
  virtual FitModel fit_model() const { return {}; }

  /// Takes [base, base + size); every block is aligned to `align` unless
  /// asked for more. False: the arena is refused (a violation when the
  /// arena is inside geometry()).
  virtual bool init(void* base, std::size_t size, std::size_t align) = 0;
  /// `align`: 0 for the arena's alignment; above it only with CAP_ALIGN.
  virtual void* alloc(std::size_t size, std::size_t align) = 0;
  virtual void free(void* p) = 0;

  virtual void* realloc(void* /*p*/, std::size_t /*size*/) { return nullptr; }
  virtual std::size_t usable_size(const void* /*p*/) const { return 0; }
  virtual bool resize(std::size_t /*new_size*/) { return false; }
  virtual bool can_shrink(std::size_t /*new_size*/) const { return false; }
  virtual bool is_empty() const { return false; }
  virtual void walk(const BlockVisitor& /*visit*/) const {}
  virtual bool reserve(void* /*p*/, std::size_t /*size*/) { return false; }
  virtual void metadata(const BlockVisitor& /*visit*/) const {}

  /// CAP_SELF_CHECK: the allocator's own consistency check (tlsf_check,
  /// a heap walk); nullopt when it holds, else what it found. Called after
  /// every op and at teardown; must not change the heap.
  virtual std::optional<std::string> check() const { return std::nullopt; }
  /// CAP_CONTRACT: the answers promised for requests that cannot be served.
  virtual Contract contract() const { return {}; }
  /// CAP_CALLOC: n * size zeroed bytes; nullptr when the product overflows
  /// or cannot be served.
  virtual void* calloc(std::size_t /*n*/, std::size_t /*size*/) { return nullptr; }
  /// CAP_REALLOC_ALIGN: realloc whose result is aligned to `align` (a power
  /// of two above the arena's; non-powers only as the contract allows).
  virtual void* realloc_aligned(void* /*p*/, std::size_t /*size*/, std::size_t /*align*/) { return nullptr; }
  /// CAP_STATS: the allocator's counters. With `held` the live blocks'
  /// bytes (the usable size where CAP_USABLE_SIZE tells it, else the
  /// request), the ledger holds them to: used_blocks = the live blocks;
  /// requested ≤ used_bytes ≤ held + per_block·live + fixed; used_bytes +
  /// free_bytes ≤ the arena; free_bytes ≥ the arena − held −
  /// per_block·(2·live + 1) − fixed; largest_free ≤ free_bytes; every metric
  /// finite. (Counts are not compared while a reservation is live.)
  virtual ArenaStats stats() const { return {}; }
  virtual StatsTolerance stats_tolerance() const { return {}; }

  /// CAP_POOLS: [base, base + size) joins the heap (the harness owns the
  /// memory, as for the arena). False: refused (no claim is made).
  virtual bool add_pool(void* /*base*/, std::size_t /*size*/) { return false; }

  /// CAP_HEAPS: heaps 1..extra_heaps() besides the default one (an
  /// allocator whose API takes a heap handle).
  virtual unsigned extra_heaps() const { return 0; }
  virtual bool init_heap(unsigned /*heap*/, void* /*base*/, std::size_t /*size*/, std::size_t /*align*/) {
    return false;
  }
  virtual void* alloc_in(unsigned /*heap*/, std::size_t /*size*/, std::size_t /*align*/) { return nullptr; }
  virtual void free_in(unsigned /*heap*/, void* /*p*/) {}
  /// CAP_HEAPS with the matching capability: the calls above for heap h
  /// (1..extra_heaps()), held to the same oracles as heap 0's.
  virtual void* realloc_in(unsigned /*heap*/, void* /*p*/, std::size_t /*size*/) { return nullptr; }
  virtual void* realloc_aligned_in(unsigned /*heap*/, void* /*p*/, std::size_t /*size*/,
                                   std::size_t /*align*/) {
    return nullptr;
  }
  virtual void* calloc_in(unsigned /*heap*/, std::size_t /*n*/, std::size_t /*size*/) { return nullptr; }
  virtual std::size_t usable_size_in(unsigned /*heap*/, const void* /*p*/) const { return 0; }
  virtual bool resize_in(unsigned /*heap*/, std::size_t /*new_size*/) { return false; }
  virtual bool can_shrink_in(unsigned /*heap*/, std::size_t /*new_size*/) const { return false; }
  virtual bool is_empty_in(unsigned /*heap*/) const { return false; }
  virtual void walk_in(unsigned /*heap*/, const BlockVisitor& /*visit*/) const {}
  virtual void metadata_in(unsigned /*heap*/, const BlockVisitor& /*visit*/) const {}
  virtual ArenaStats stats_in(unsigned /*heap*/) const { return {}; }
};

}  // namespace kmf
