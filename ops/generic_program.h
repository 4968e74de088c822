// generic_program.h — programs for any subject (check/subjects/): the
// generic counterpart of op.h, with a text form (generic_text.h) and a total
// binary form (generic_binary.h).
//
//   arena_init size=4K align=16     # arena subjects only; first, optional
//   b0 = alloc 100                  # bytes; align=N asks for more (CAP_ALIGN)
//   b1 = realloc b0 300             # consumes b0 (CAP_REALLOC); align=N with CAP_REALLOC_ALIGN
//   b2 = realloc null 64            # realloc(nullptr, 64) (CAP_CONTRACT)
//   b3 = calloc 4 100               # calloc(4, 100) (CAP_CALLOC)
//   b4 = alloc 64 heap=1            # in heap 1 (CAP_HEAPS); freed (realloc'ed) through its heap
//   walk heap=1                     # calloc, realloc null, resize, walk and stats take heap= too
//   stats                           # the allocator's statistics (CAP_STATS)
//   init                            # a second init on the live arena (Contract::second_init)
//   add_pool 8K                     # another pool of that size for the same heap (CAP_POOLS)
//   (arena_init … early=1: the API is called before init and after a failed init first)
//   free b1
//   free b1                         # a freed name again: a double free (CAP_STALE_FREE)
//   resize 2K                       # the arena's new size (CAP_RESIZE)
//   walk                            # CAP_WALK
//   reserve 0x100 64                # offset from the base, length (CAP_RESERVE)
//
// Slots are numbered in binding order, as in op.h. A name is live from its
// binding until a `free` or `realloc` names it; the static rule (the one the
// codecs share) ignores run-time outcomes: realloc consumes its source even
// if it fails at run time, and the executor, which knows, keeps the source
// live and frees it at teardown. The same program runs on every kind: page
// subjects turn bytes into an order, object and virtual subjects ignore the
// arena ops (the decoder and the builder never emit them there).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "check/subjects/arena_subject.h"
#include "ops/op.h"

namespace kmf {

enum class SubjectKind : std::uint8_t { page, object, virt, arena };
std::string_view subject_kind_name(SubjectKind kind);

/// The arena a program starts with.
struct ArenaInit {
  std::uint64_t size = 4096;
  std::uint64_t align = 16;
  bool early = false;  ///< first call the API before init and after a failed init (Contract::before_init)
  friend bool operator==(const ArenaInit&, const ArenaInit&) = default;
};

enum class GenericVerb : std::uint8_t {
  alloc,
  free,
  realloc,
  resize,
  walk,
  reserve,
  calloc,
  stats,
  init,
  add_pool
};

/// Whether the verb binds a new slot.
inline bool binds(GenericVerb v) {
  return v == GenericVerb::alloc || v == GenericVerb::realloc || v == GenericVerb::calloc;
}

struct GenericOp {
  GenericVerb verb = GenericVerb::alloc;
  Slot dst = NO_SLOT;        ///< alloc, realloc, calloc: the slot bound
  Slot src = NO_SLOT;        ///< free, realloc (NO_SLOT: realloc(nullptr, size))
  std::uint64_t size = 0;    ///< alloc, realloc, calloc: bytes (0 only with CAP_CONTRACT), reserve, add_pool:
                             ///< bytes (≥ 1); resize: the new arena size
  std::uint64_t align = 0;   ///< alloc, realloc: 0 = the default
  std::uint64_t offset = 0;  ///< reserve: from the arena's base
  bool stale = false;        ///< free: the slot was already freed (a double free)
  std::uint64_t count = 0;   ///< calloc: the number of elements
  std::uint8_t heap = 0;     ///< alloc, calloc, realloc(nullptr), resize, walk, stats: the heap
                             ///< (CAP_HEAPS; 0 = the default); realloc of a block: its block's heap
  friend bool operator==(const GenericOp&, const GenericOp&) = default;
};

struct GenericProgram {
  std::optional<ArenaInit> arena;
  std::vector<GenericOp> ops;
  std::vector<std::string> names;  ///< names[slot]; canonical: b<slot>

  /// Appends an op; alloc and realloc get the next slot and `name` (or
  /// b<slot> when empty). Returns the bound slot or NO_SLOT.
  Slot add(GenericOp op, std::string name = {});
  std::size_t nr_slots() const { return names.size(); }
  friend bool operator==(const GenericProgram&, const GenericProgram&) = default;
};

/// What the decoder and the builder may emit, and the ranges they keep to:
/// a subject's kind, capabilities and (arenas) geometry.
struct GenericTarget {
  SubjectKind kind = SubjectKind::arena;
  Caps caps = 0;
  ArenaGeometry geometry{};
  std::uint64_t max_request = 64 << 10;  ///< page/object/virtual: the largest request in bytes (inclusive)
  std::uint64_t max_align = 4096;        ///< with CAP_ALIGN: the largest alignment asked (inclusive)
  Contract contract{};                   ///< with CAP_CONTRACT: what hostile requests are judged by
  unsigned extra_heaps = 0;              ///< with CAP_HEAPS: heaps 1..extra_heaps besides the default
};

/// Whether the target takes hostile requests (CAP_CONTRACT, arenas and objects).
inline bool hostile(const GenericTarget& t) {
  return (t.kind == SubjectKind::arena || t.kind == SubjectKind::object) && (t.caps & CAP_CONTRACT) != 0;
}

/// Object subjects hand out real host memory: a request above these bounds
/// is generated and run only when the contract promises null for it (size
/// above max_block, alignment above max_align). Below, mimalloc and jemalloc
/// really reserve what is asked (an alignment of 2^45 maps 64 TiB of
/// address space), so the decoder and the builder never emit such a
/// request and the executor skips one a text program asks for.
inline constexpr std::uint64_t HOST_MAX_REQUEST = std::uint64_t{256} << 20;
inline constexpr std::uint64_t HOST_MAX_ALIGN = std::uint64_t{1} << 20;
/// Whether an object request of `size` bytes aligned to `align` may be sent
/// to a subject with this contract (`contract`: CAP_CONTRACT is declared).
bool host_safe_request(const Contract& c, bool contract, std::uint64_t size, std::uint64_t align);

/// The hostile sizes the decoder and the builder pick from (index mod
/// NR_HOSTILE_SIZES): 0, just above `whole` (the arena's initial size),
/// 2^31 − 1, 2^31, 2^32 − 1, 2^32, 2^32 + 1, 2^63, 2^63 + 1, SIZE_MAX − 64,
/// SIZE_MAX − 15, SIZE_MAX − 1, SIZE_MAX, the contract's max_block (else
/// max_size) and one more. Object targets: a size host_safe_request()
/// refuses is replaced by HOST_MAX_REQUEST.
inline constexpr unsigned NR_HOSTILE_SIZES = 15;
std::uint64_t hostile_size(const GenericTarget& t, std::uint64_t whole, unsigned index);

/// calloc counts for an element of `size` bytes (index mod NR_CALLOC_COUNTS):
/// 2^16, 2^31, 2^32, 2^32 + 1, 2^48, 2^63, SIZE_MAX, the smallest count whose
/// product overflows, the next one, the largest count that does not
/// overflow, the smallest whose product exceeds `whole`, the largest whose
/// product fits it, 0 and 1.
inline constexpr unsigned NR_CALLOC_COUNTS = 14;
std::uint64_t calloc_count(std::uint64_t size, std::uint64_t whole, unsigned index);

/// Alignments that are not powers of two, for contracts that take them.
inline constexpr std::uint64_t ODD_ALIGNS[4] = {24, 48, 3, 96};

/// `init` moved inside `g`: size clamped to [min_size, max_size] and rounded
/// down to size_granule (up when that leaves min_size), align clamped to
/// [min_align, max_align] and rounded down to a power of two.
ArenaInit normalize(ArenaInit init, const ArenaGeometry& g);
/// A resize target moved inside `g` the same way.
std::uint64_t normalize_arena_size(std::uint64_t size, const ArenaGeometry& g);

/// The static rule: which slots are live after each op (shared by the codecs).
class GenericSlots {
 public:
  enum class State : std::uint8_t { live, freed };
  /// Applies `op` (already numbered) and returns false if it breaks the rule
  /// (an unbound src, realloc of a freed slot); then nothing changes.
  bool apply(const GenericOp& op);
  bool live(Slot s) const {
    return s >= 0 && static_cast<std::size_t>(s) < state_.size() && state_[s] == State::live;
  }
  bool freed(Slot s) const {
    return s >= 0 && static_cast<std::size_t>(s) < state_.size() && state_[s] == State::freed;
  }
  std::size_t size() const { return state_.size(); }
  /// Live slots in binding order; freed slots in the order they were freed.
  const std::vector<Slot>& live_list() const { return live_; }
  const std::vector<Slot>& freed_list() const { return freed_; }

 private:
  void kill(Slot s);
  std::vector<State> state_;
  std::vector<Slot> live_, freed_;
};

// ---- the builder (RapidCheck and hand-made programs) ----------------------------------

/// One step of a generated program; the builder resolves it against the
/// slots live at that point, so every seed list builds a well-formed program
/// and shrinking a list (dropping seeds, simplifying fields) keeps it so.
struct GenericSeed {
  enum Kind : std::uint8_t {
    alloc,
    free,
    realloc,
    resize,
    walk,
    reserve,
    double_free,
    fragment,
    calloc,
    stats,
    init,
    add_pool,
    NR_KINDS
  };
  std::uint8_t kind = alloc;
  std::uint32_t pick = 0;  ///< which live (freed) slot, modulo their count
  std::uint64_t size = 1;  ///< bytes; with `fraction`, 64ths of the arena (or of max_request)
  bool fraction = false;
  std::uint8_t align_log = 0;  ///< alloc, realloc: 0 = default, else 2^align_log (CAP_ALIGN only);
                               ///< with CAP_CONTRACT up to 63, and 64..67 pick ODD_ALIGNS
  std::uint8_t count = 0;      ///< fragment: allocate 2..33 blocks, then free every other one;
                               ///< calloc: 1..16 elements below 0x80, else calloc_count(count − 0x80)
  std::uint8_t hostile = 0;  ///< CAP_CONTRACT: 1..NR_HOSTILE_SIZES replaces the size by hostile_size(hostile
                             ///< − 1); realloc: NR_HOSTILE_SIZES + 1 makes it realloc(nullptr, size)
};

/// Builds a program for `target`: seeds the target cannot run are dropped,
/// sizes clamped to [1, max_request] (arenas: [1, max_size]) unless hostile,
/// arena ops kept inside the geometry. Deterministic.
GenericProgram build_generic_program(const GenericTarget& target, ArenaInit init,
                                     std::span<const GenericSeed> seeds);

}  // namespace kmf
