// executor.h — runs a Program on a fresh subject under the checker.
//
// For each op: run it on the Kernel, record the result in the Ledger, stamp
// new allocations (INTEGRITY), verify stamps before frees, then check — the
// op's incremental checks, or a full sweep when asked. At the end: a full
// sweep, then every live allocation is freed and the machine must be back in
// its boot state (B-RESTORE, NO-LEAK).
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "alloc/kernel.h"
#include "check/ledger.h"
#include "check/violation.h"
#include "ops/op.h"

namespace kmf {

enum class CheckLevel : std::uint8_t {
  none,         ///< run ops only (misuse and expectations still judged)
  incremental,  ///< the touched state after every op, a full sweep at the end (default)
  full,         ///< a full sweep after every op
};

struct ExecOptions {
  CheckLevel level = CheckLevel::incremental;
  bool trace = false;    ///< fill ExecResult::trace, one line per op
  bool teardown = true;  ///< free what is live at the end and check B-RESTORE / NO-LEAK
  /// Called once the fresh machine has booted, before the first op: tests use
  /// it to plant a bug (`*_for_testing` hooks) and show that checks fire.
  std::function<void(Kernel&)> after_boot = {};
  /// Called after each op ran, before it is checked (tests corrupt state here
  /// to show a check fires at that op).
  std::function<void(Kernel&, std::size_t op_index)> after_op = {};
  /// Called after the last op, before teardown (for `kmemfuzz proc`).
  std::function<void(const Kernel&)> before_teardown = {};
  /// Called after each op passed its checks, with the executor's ledger
  /// (slot -> what it holds), and once more before teardown with op_index =
  /// ops.size() (for `kmemfuzz map --at`).
  std::function<void(const Kernel&, std::size_t op_index, const Ledger&)> observe = {};
  /// Host memory the run may use (resident bytes), 0 for no limit. Before an
  /// op that would take the process above it, the run stops with a
  /// ScriptError naming the op: a clear message instead of an OOM kill.
  std::uint64_t max_host_bytes = 0;
};

/// A statement the program should never have contained (a `write` or `check`
/// outside its object): the script is wrong, not the subject. The executor
/// still sets `violation` (EXPECT) so every caller stops; the tool reports it
/// as a script error (exit 2) with the statement's line and the argument's column.
struct ScriptError {
  std::size_t op_index;
  std::size_t arg;  ///< the offending argument: 0 = the verb, 1 = the first argument, ...
  std::string message;
};

/// Something the program left allocated at its end (kmemleak's "unreferenced object").
struct Leak {
  std::size_t op_index;     ///< the op that allocated it
  std::string name;         ///< its binding's name
  std::string description;  ///< `kmalloc 100 bytes at 0xc0001000 (size-128)`
};

struct ExecResult {
  std::optional<Violation> violation;       ///< the first one; execution stops there
  std::optional<ScriptError> script_error;  ///< set with `violation` when the script itself is wrong
  std::vector<Report> reports;              ///< every report the subject made, teardown excluded
  std::vector<Leak> leaks;                  ///< what was live after the last op (teardown frees it)
  std::vector<std::string>
      trace;  ///< `k0 = kmalloc 100 gfp=GFP_KERNEL -> 0xc9bc1380 (phys 0x09bc1380, size-128)`
  std::vector<std::string> printed;  ///< output of `print` ops
  std::size_t ops_run = 0;
  bool ok() const { return !violation; }
};

ExecResult execute(const Program& program, const ExecOptions& options = {});

}  // namespace kmf
