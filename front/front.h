// front.h — the pieces the front ends share (fuzz_target.h, props.h and the
// standalone driver): reading an input as a program, minimizing a failing
// program, and printing a violation with its reproducer.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "check/violation.h"
#include "ops/generic_binary.h"
#include "ops/generic_executor.h"
#include "ops/generic_text.h"

namespace kmf::front {

/// Settings the standalone driver changes (libFuzzer leaves the defaults).
struct Settings {
  bool replay = false;                 ///< inputs are files a person named: text parse errors are reported
  bool trace = false;                  ///< print every op's trace line
  std::string input_name = "<input>";  ///< names the input in parse errors
  /// Called after a violation was printed. Default: std::abort(), which
  /// libFuzzer turns into a saved crash input.
  void (*on_violation)() = nullptr;
};
Settings& settings();

/// The program an input stands for: a text program when the bytes look like
/// one and parse (in replay mode a parse error is printed and the process
/// exits with status 2), else the binary decoding for `target`.
GenericProgram load_input(std::span<const std::uint8_t> bytes, const GenericTarget& target);

/// `p` without the ops where drop[i] is true, and without every later op
/// that names a slot those ops bound. Canonical names (b<slot>) are
/// renumbered; other names are kept.
GenericProgram without_ops(const GenericProgram& p, const std::vector<bool>& drop);

/// Shrinks `p` while `fails(candidate)` holds: drops halves, quarters, … of
/// the ops, then single ops until none can go. At most `budget` calls of `fails`.
template <class Fails>
GenericProgram minimize_generic(GenericProgram p, Fails fails, std::size_t budget = 3000) {
  std::size_t chunk = std::max<std::size_t>(p.ops.size() / 2, 1);
  while (budget > 0) {
    bool changed = false;
    for (std::size_t start = 0; start < p.ops.size() && budget > 0;) {
      std::vector<bool> drop(p.ops.size(), false);
      for (std::size_t i = start; i < std::min(start + chunk, p.ops.size()); ++i) drop[i] = true;
      GenericProgram q = without_ops(p, drop);
      --budget;
      if (q.ops.size() < p.ops.size() && fails(q)) {
        p = std::move(q);
        changed = true;
      } else {
        start += chunk;
      }
    }
    if (chunk > 1)
      chunk /= 2;
    else if (!changed)
      break;
  }
  return p;
}

/// The report every front end prints:
///   ==kmemfuzz== NAME: an invariant broke
///   VIOLATION … (format_violation)
///   ==kmemfuzz== reproducer (text, N of M ops); replay it: TARGET FILE
///   arena_init …
std::string format_report(std::string_view subject, const Violation& v, const GenericProgram& reproducer,
                          std::size_t original_ops);

/// Prints the report to stderr, then calls settings().on_violation (or aborts).
[[noreturn]] void report_violation(std::string_view subject, const Violation& v,
                                   const GenericProgram& reproducer, std::size_t original_ops);

/// One fuzz input on a fresh subject from `make`: load, execute, and on a
/// violation minimize, report and stop. Returns 0 otherwise.
template <class Factory>
int fuzz_one(Factory make, const std::uint8_t* data, std::size_t size) {
  auto subject = make();
  const GenericTarget target = generic_target(subject);
  const GenericProgram program = load_input({data, size}, target);
  const GenericResult result =
      execute_generic(subject, program, {.trace = settings().trace, .twin = twin_factory(make)});
  for (const std::string& line : result.trace) std::fprintf(stderr, "  %s\n", line.c_str());
  if (result.ok()) return 0;
  const Inv id = result.violation->id;
  const GenericProgram small = minimize_generic(program, [&](const GenericProgram& q) {
    const GenericResult r = execute_generic_fresh(make, q);
    return !r.ok() && r.violation->id == id;
  });
  const GenericResult again = execute_generic_fresh(make, small);
  report_violation(subject.name(), again.ok() ? *result.violation : *again.violation,
                   again.ok() ? program : small, program.ops.size());
}

}  // namespace kmf::front
