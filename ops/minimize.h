// minimize.h — shrinking a failing program while it keeps failing the same
// way (same invariant id): delta debugging over ops, then over op arguments.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <vector>

#include "check/catalog.h"
#include "ops/executor.h"
#include "ops/op.h"

namespace kmf {

/// The program made of the ops at `keep` (indices into p.ops, ascending).
/// Ops that name a slot bound by a dropped op are dropped too; slots are
/// renumbered, names kept.
Program subprogram(const Program& p, const std::vector<std::size_t>& keep);

struct MinimizeOptions {
  ExecOptions exec = {};
  std::size_t max_runs = 20000;  ///< bound on executions
  /// Whether a candidate's violation is still "the same failure" as the
  /// original's. Default (empty): the same invariant id.
  std::function<bool(const Violation& original, const Violation& candidate)> same_failure = {};
};

struct MinimizeResult {
  Program program;
  Inv id;
  std::size_t runs = 0;
};

/// Shrinks `p`, which must fail with some invariant; nullopt if it passes.
std::optional<MinimizeResult> minimize(const Program& p, const MinimizeOptions& options = {});

}  // namespace kmf
