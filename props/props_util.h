// props_util.h — running a generated program inside a property.
#pragma once

#include <rapidcheck.h>

#include "check/violation.h"
#include "ops/executor.h"

namespace kmf::props {

/// Runs `p` with incremental checks; on a violation the property fails with
/// the violation printed (RapidCheck then shows the shrunk program as .kmf
/// and the reproduce string).
inline void assert_clean(const Program& p, const ExecOptions& options = {}) {
  const ExecResult r = execute(p, options);
  if (!r.ok()) RC_FAIL(format_violation(*r.violation));
}

}  // namespace kmf::props
