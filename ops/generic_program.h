// generic_program.h — programs for any subject (check/subjects/): the
// generic counterpart of op.h, with a text form (generic_text.h) and a total
// binary form (generic_binary.h).
//
//   arena_init size=4K align=16     # arena subjects only; first, optional
//   b0 = alloc 100                  # bytes; align=N asks for more (CAP_ALIGN)
//   b1 = realloc b0 300             # consumes b0 (CAP_REALLOC)
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
  friend bool operator==(const ArenaInit&, const ArenaInit&) = default;
};

enum class GenericVerb : std::uint8_t { alloc, free, realloc, resize, walk, reserve };

struct GenericOp {
  GenericVerb verb = GenericVerb::alloc;
  Slot dst = NO_SLOT;        ///< alloc, realloc: the slot bound
  Slot src = NO_SLOT;        ///< free, realloc
  std::uint64_t size = 0;    ///< alloc, realloc, reserve: bytes (≥ 1); resize: the new arena size
  std::uint64_t align = 0;   ///< alloc: 0 = the default
  std::uint64_t offset = 0;  ///< reserve: from the arena's base
  bool stale = false;        ///< free: the slot was already freed (a double free)
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
};

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
  enum Kind : std::uint8_t { alloc, free, realloc, resize, walk, reserve, double_free, fragment, NR_KINDS };
  std::uint8_t kind = alloc;
  std::uint32_t pick = 0;  ///< which live (freed) slot, modulo their count
  std::uint64_t size = 1;  ///< bytes; with `fraction`, 64ths of the arena (or of max_request)
  bool fraction = false;
  std::uint8_t align_log = 0;  ///< alloc: 0 = default, else 2^align_log (CAP_ALIGN only)
  std::uint8_t count = 0;      ///< fragment: allocate 2..33 blocks, then free every other one
};

/// Builds a program for `target`: seeds the target cannot run are dropped,
/// sizes clamped to [1, max_request] (arenas: [1, max_size]), arena ops kept
/// inside the geometry. Deterministic.
GenericProgram build_generic_program(const GenericTarget& target, ArenaInit init,
                                     std::span<const GenericSeed> seeds);

}  // namespace kmf
