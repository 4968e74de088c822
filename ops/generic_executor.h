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
// Teardown (op index = ops.size()): WALK, every stamp read back, everything
// freed newest first, then EMPTY and WALK on the empty arena, a probe with
// the largest request the model says must fit the emptied space
// (NO-SPURIOUS-FAILURE: space lost to a missed merge shows here), and for
// object subjects release() and outstanding() (NO-LEAK).
//
// Run-time rules: an op naming a slot whose allocation failed is skipped; a
// free of a slot freed at run time is a double free, run only with
// CAP_STALE_FREE and only when no live block starts at that address; ops the
// subject has no capability for are skipped (the trace says so).
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
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
};

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

/// Runs `program` on `subject`, which must be fresh (arenas: not yet init'ed).
GenericResult execute_generic(ArenaSubject& subject, const GenericProgram& program,
                              const GenericExecOptions& options = {});
GenericResult execute_generic(ObjectSubject& subject, const GenericProgram& program,
                              const GenericExecOptions& options = {});
GenericResult execute_generic(PageSubject& subject, const GenericProgram& program,
                              const GenericExecOptions& options = {});
GenericResult execute_generic(VirtualSubject& subject, const GenericProgram& program,
                              const GenericExecOptions& options = {});

}  // namespace kmf
