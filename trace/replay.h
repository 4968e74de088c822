// replay.h — a converted trace run on the checked model.
//
// The program runs under the executor with the checker on (incremental
// checks after every op and a full sweep at the end, or a full sweep after
// every op with CheckLevel::full). The report names the invariant a replayed
// operation broke, the op and the trace line it came from, and shows the
// model's /proc/buddyinfo — the free blocks per order, i.e. fragmentation —
// at the end and, with `every`, after every N ops.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "ops/executor.h"
#include "trace/convert.h"

namespace kmf::trace {

struct ReplayOptions {
  CheckLevel level = CheckLevel::incremental;
  std::size_t every = 0;  ///< print buddyinfo after every N ops (0: only at the end)
  /// Tests plant a bug in the fresh model here (`*_for_testing` hooks).
  std::function<void(Kernel&)> after_boot = {};
};

struct ReplayResult {
  ExecResult exec;
  std::vector<std::string> snapshots;  ///< `after op N (trace line L):` + buddyinfo
  std::string final_buddyinfo;         ///< after the last op (empty when a violation stopped the run)
  /// What the model reported while replaying — the trace's own misuse (a double
  /// free, a wrong order) or a limit of the model (an oversized cache): the op
  /// index and `kind: message`, in order.
  std::vector<std::pair<std::size_t, std::string>> reports;
};

ReplayResult replay(const Conversion& conversion, const ReplayOptions& options = {});

/// The trace line of op `index` (0 when the op index is past the ops: teardown).
std::uint32_t line_of_op(const Conversion& conversion, std::size_t index);

/// The report: PASS or the violation (invariant, op, trace line and its text
/// read back from `trace_path`), then the buddyinfo snapshots.
/// `max_listed` bounds the model reports listed.
std::string format_replay(const Conversion& conversion, const ReplayResult& result,
                          const std::string& trace_path, std::size_t max_listed = 10);

}  // namespace kmf::trace
