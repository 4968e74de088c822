// generic_executor.h — runs a generic program on a fresh subject of any
// kind and checks the generic invariants after every op and at teardown.
//
//   GenericProgram ──> execute_generic(subject) ──> GenericResult{violation?, trace}
//                          │  ledger of slots, stamps, reference model
//                          └─ oracles by capability (check/subjects/capabilities.h)
//
// Per op (incremental): ALIGNMENT, IN-BOUNDS, NO-OVERLAP, USABLE-SIZE and
// NO-SPURIOUS-FAILURE on every allocation; INTEGRITY on every free and
// realloc (the common prefix); RESIZE and EMPTY on every resize; WALK on
// every walk; EMPTY (is_empty) and IN-BOUNDS against the metadata after
// every op; after a double or stale free, STALE-FREE replaces NO-OVERLAP and
// INTEGRITY and every live block is re-read at once. TRANSLATE on every
// virtual alloc and free.
// Hostile requests (arenas and objects with CAP_CONTRACT) are judged by the
// adapter's contract (CONTRACT): a block for a request it refuses, null for
// size 0 it serves, a failed realloc that changed or released its block;
// object requests above the host bounds (HOST_MAX_REQUEST, HOST_MAX_ALIGN)
// run only when the contract refuses them. calloc by calloc's rules (CALLOC). SELF-CHECK (the
// allocator's own check()) and METADATA (metadata inside the current arena)
// after every op.
// Teardown (op index = ops.size()): WALK, every stamp read back, everything
// freed newest first (SELF-CHECK after each), then EMPTY and WALK on the
// empty arena, a probe with the largest request the model says must fit the
// emptied space (NO-SPURIOUS-FAILURE: space lost to a missed merge shows
// here), the model-free RESTORE probe (the largest request a fresh twin
// serves, found by bisection), and for object subjects release() and
// outstanding() (NO-LEAK).
//
// Arena memory: the base is aligned to exactly base_align; the whole
// capacity is reserved lazily (MAP_NORESERVE), so arenas of many GiB cost
// only what is touched; under ASan the guards before the base and after the
// end and the tail a shrink gave back are poisoned.
//
// Several heaps (CAP_HEAPS): every arena oracle runs per heap — the
// reference model, NO-SPURIOUS-FAILURE, CONTRACT's size limit, CALLOC,
// USABLE-SIZE, RESIZE, WALK, EMPTY, METADATA and STATS against the heap's
// own ledger, and the teardown (walk, stats, probe, RESTORE with a twin
// whose heap h is fresh) heap by heap; ops carry the heap they run in
// (heap=H) and a block is realloc'ed and freed through its own heap.
//
// Run-time rules: an op naming a slot whose allocation failed is skipped; a
// free of a slot freed at run time is a double free, run only with
// CAP_STALE_FREE and only when no live block starts at that address; ops the
// subject has no capability for are skipped (the trace says so).
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "check/subjects/arena_subject.h"
#include "check/subjects/object_subject.h"
#include "check/subjects/page_subject.h"
#include "check/subjects/virtual_subject.h"
#include "check/violation.h"
#include "ops/generic_program.h"

namespace kmf {

struct GenericResult;

struct GenericExecOptions {
  bool trace = false;  ///< one line per op in GenericResult::trace
  /// Called just before op i runs (i = ops.size(): before the teardown) with
  /// the result so far, whose trace holds the lines of the ops before i. The
  /// front ends stream the trace with it and record which op a crash or a
  /// hang happened in (front/front.h).
  std::function<void(std::size_t op_index, const GenericResult& so_far)> on_op_start = nullptr;
  /// Arenas: makes a fresh, not yet init'ed subject of the same adapter
  /// (twin_factory()), for RESTORE's bisection. Empty: RESTORE is off.
  std::function<std::unique_ptr<ArenaSubject>()> twin = nullptr;
};

/// The twin factory for `make` (a callable returning an adapter by value);
/// empty for subjects that are not arenas.
template <class Factory>
std::function<std::unique_ptr<ArenaSubject>()> twin_factory(Factory make) {
  using S = std::remove_cvref_t<decltype(make())>;
  if constexpr (std::is_base_of_v<ArenaSubject, S>)
    return [make] { return std::unique_ptr<ArenaSubject>(new S(make())); };
  else
    return {};
}

struct GenericResult {
  std::optional<Violation> violation;
  std::vector<std::string> trace;
  bool ok() const { return !violation.has_value(); }
};

/// What the decoder and the builder may emit for a subject.
GenericTarget generic_target(const ArenaSubject& subject);
GenericTarget generic_target(const ObjectSubject& subject);
GenericTarget generic_target(const PageSubject& subject);
GenericTarget generic_target(const VirtualSubject& subject);

/// Runs `program` on a fresh subject from `make`, with the twin factory set:
/// what the front ends call.
template <class Factory>
GenericResult execute_generic_fresh(Factory make, const GenericProgram& program,
                                    GenericExecOptions options = {});

/// Runs `program` on `subject`, which must be fresh (arenas: not yet init'ed).
GenericResult execute_generic(ArenaSubject& subject, const GenericProgram& program,
                              const GenericExecOptions& options = {});
GenericResult execute_generic(ObjectSubject& subject, const GenericProgram& program,
                              const GenericExecOptions& options = {});
GenericResult execute_generic(PageSubject& subject, const GenericProgram& program,
                              const GenericExecOptions& options = {});
GenericResult execute_generic(VirtualSubject& subject, const GenericProgram& program,
                              const GenericExecOptions& options = {});

template <class Factory>
GenericResult execute_generic_fresh(Factory make, const GenericProgram& program, GenericExecOptions options) {
  auto subject = make();
  if (!options.twin) options.twin = twin_factory(make);
  return execute_generic(subject, program, options);
}

}  // namespace kmf
