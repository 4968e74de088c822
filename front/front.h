// front.h — the pieces the front ends share (fuzz_target.h, props.h and the
// standalone driver): reading an input as a program, running it so that a
// crash or a hang cannot lose it, minimizing a failing program, setting
// known failures aside, and printing a finding with its reproducer.
//
// Crash safety. A subject may abort, assert, fault, trip a sanitizer or
// loop forever inside an op; the process it runs in cannot be trusted to
// report that. So every run that may fail is watched from another process:
//
//   supervisor (parent)                      runner (child, forked)
//   ───────────────────                      ──────────────────────
//   shared page: input bytes, input #,  <──  writes the input before it runs and
//   the op running, its start time          the op index before every op (plain
//                                            stores into MAP_SHARED memory)
//   waits (poll on a pipe the child holds);
//   child died inside an op  → CRASH at that op
//   one input ran > timeout  → SIGKILL, HANG at that op
//   child wrote a verdict    → VIOLATION
//   then: the program up to and including that op, re-run and minimized
//   with every candidate in its own forked child (quiet; time-limited),
//   saved as .kmfa text beside the raw input, confirmed by one more run.
//
// The standalone driver runs its whole campaign in one long-lived runner
// (no fork per input: the fast path costs a copy of the input and a store
// per op); libFuzzer's process becomes the runner (fuzz_init forks the
// supervisor off in LLVMFuzzerInitialize); the property test runs each case
// in a forked child (run_in_child).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <limits>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "check/violation.h"
#include "ops/generic_binary.h"
#include "ops/generic_executor.h"
#include "ops/generic_text.h"

namespace kmf::front {

/// A known failure to set aside: `ID PATTERN` in a suppression file. ID is
/// an invariant's name (NO-OVERLAP), CRASH, HANG or `*`; PATTERN is a glob
/// (fnmatch) over the failing op as text (`free *`, `b* = realloc *`,
/// `teardown`, `arena_init *`); missing means `*`.
struct Suppression {
  std::string id;
  std::string pattern = "*";
};

/// Settings the standalone driver changes (libFuzzer leaves the defaults).
struct Settings {
  bool replay = false;                 ///< inputs are files a person named: text parse errors are reported
  bool trace = false;                  ///< print every op's trace line as it runs
  std::string input_name = "<input>";  ///< names the input in parse errors
  /// Called after a violation was printed. Default: std::abort(), which
  /// libFuzzer turns into a saved crash input.
  void (*on_violation)() = nullptr;
  double timeout_s = 1200;             ///< per input (libFuzzer's default); a longer run is a HANG
  std::string artifact_prefix;         ///< where reproducers and inputs are written
  std::string binary = "FUZZ_TARGET";  ///< names the binary in "replay it with" lines
  std::vector<Suppression> suppressions;
  std::uint64_t suppressed = 0;  ///< failures set aside so far (this process)
};
Settings& settings();

// ---- the subject, type-erased ------------------------------------------------------------

/// What the front ends need of an adapter: its name, what the decoder may
/// emit for it, and a way to run a program on a fresh instance.
struct Target {
  std::string name;
  GenericTarget generic;
  std::function<GenericResult(const GenericProgram&, const GenericExecOptions&)> run;
};

template <class Factory>
Target make_target(Factory make) {
  auto probe = make();
  Target t;
  t.name = std::string(probe.name());
  t.generic = generic_target(probe);
  // execute_generic_fresh gives arenas their twin (RESTORE's bisection).
  t.run = [make](const GenericProgram& p, const GenericExecOptions& o) {
    return execute_generic_fresh(make, p, o);
  };
  return t;
}

/// KMF_FUZZ_TARGET registers its target so the standalone driver can run,
/// convert and minimize without going through LLVMFuzzerTestOneInput.
void register_target(const Target& (*get)());
const Target* registered_target();  ///< nullptr when nothing registered

// ---- inputs and programs -----------------------------------------------------------------

/// The program an input stands for: a text program when the bytes look like
/// one and parse (in replay mode a parse error is printed and the process
/// exits with status 2), else the binary decoding for `target`.
GenericProgram load_input(std::span<const std::uint8_t> bytes, const GenericTarget& target);

/// `p` without the ops where drop[i] is true, and without every later op
/// that names a slot those ops bound. Canonical names (b<slot>) are
/// renumbered; other names are kept.
GenericProgram without_ops(const GenericProgram& p, const std::vector<bool>& drop);

inline constexpr std::size_t INIT_OP = std::numeric_limits<std::size_t>::max();  ///< "in arena_init"

/// Ops 0..last inclusive (last ≥ ops.size(): all of them; INIT_OP: none).
GenericProgram prefix(const GenericProgram& p, std::size_t last);

/// The op at `index` as text: the op, "teardown" (index == ops.size()) or
/// the arena_init line (INIT_OP).
std::string op_text(const GenericProgram& p, std::size_t index);
/// Its kind: the verb (alloc, free, …), "teardown" or "init".
std::string op_kind(const GenericProgram& p, std::size_t index);

// ---- outcomes ----------------------------------------------------------------------------

enum class Kind : std::uint8_t { ok, violation, crash, hang };

/// How one run ended.
struct Outcome {
  Kind kind = Kind::ok;
  Inv id{};                  ///< violation
  std::size_t op = 0;        ///< the op it happened in (ops.size(): teardown; INIT_OP: init)
  int signal = 0;            ///< crash: the signal that ended the process (0: it exited)
  int exit_status = 0;       ///< crash: the status it exited with
  std::string text;          ///< violation: format_violation(); crash, hang: one line
  std::string what() const;  ///< "VIOLATION NO-OVERLAP", "CRASH SIGSEGV", "CRASH exit 1", "HANG"
  bool ok() const { return kind == Kind::ok; }
};

/// Does `candidate` (on `pc`) fail the way `original` (on `po`) did: same
/// kind and id (or signal/status), in an op of the same kind? The minimizer
/// keeps only such candidates. One id may change: an original STALE-FREE
/// (a NO-OVERLAP or INTEGRITY after a double free) is kept by a candidate
/// that shows NO-OVERLAP or INTEGRITY without the double free — a step whose
/// only effect was the other id goes.
bool same_failure(const Outcome& candidate, const GenericProgram& pc, const Outcome& original,
                  const GenericProgram& po);

// ---- suppressions ------------------------------------------------------------------------

/// Parses a suppression file (`#` comments; one `ID [PATTERN]` a line). An
/// unknown id is an error: returns false with `error` naming the line.
bool parse_suppressions(std::string_view text, std::string_view file, std::vector<Suppression>& out,
                        std::string& error);
/// Reads FILE into settings().suppressions; on error prints it and exits 2.
void load_suppressions_or_exit(const std::string& file);
/// Also reads $KMF_SUPPRESSIONS once (the property tests and libFuzzer use it).
void load_suppressions_from_env();
/// The suppression that matches `o` on `p`, or nullptr.
const Suppression* suppressed_by(const Outcome& o, const GenericProgram& p);
/// Runs `p` with `run`; while the failure is suppressed and happened in an
/// op (not in init or the teardown), drops that op — a step whose only
/// effect is a known failure — and runs again (at most 16 times), so that a
/// known bug early in an input does not hide a new one later in it.
/// Returns the last outcome (ok when every failure was set aside); `p`
/// becomes the program it belongs to.
Outcome run_past_suppressions(GenericProgram& p, const std::function<Outcome(const GenericProgram&)>& run);

// ---- running -----------------------------------------------------------------------------

/// Runs `p` on a fresh subject in this process (a crash ends it). With
/// `trace`, each op's trace line is printed to stderr as soon as the op is
/// done (the op a crash happens in is the line after the last one printed).
Outcome run_here(const Target& t, const GenericProgram& p, bool trace);

/// Runs `p` in a forked child, limited to `timeout_s`; a crash or a hang in
/// the child is an Outcome here. `quiet`: the child's stdout/stderr go to
/// /dev/null (minimization candidates).
Outcome run_in_child(const Target& t, const GenericProgram& p, double timeout_s, bool quiet);

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

/// A failure and its reproducer.
struct Finding {
  Outcome outcome;            ///< as first seen
  GenericProgram program;     ///< the input's program
  GenericProgram reproducer;  ///< minimized; up to and including the failing op
  Outcome confirmed;          ///< the reproducer run once more in a fresh child (not quiet)
  bool reproduced = false;    ///< confirmed.same_failure(outcome)
};

/// Truncates `program` after the failing op, minimizes it with every
/// candidate in a quiet child (same_failure; suppressed outcomes don't
/// count), and runs the result once more, visibly. Crash-safe: nothing runs
/// in this process.
Finding shrink(const Target& t, const GenericProgram& program, const Outcome& first);

/// Writes the reproducer to PATH (with a comment header naming the
/// failure); false on an I/O error.
bool save_reproducer(const std::string& path, const Finding& f, std::string_view subject);

/// The report every front end prints:
///   ==kmemfuzz== NAME: an invariant broke | the subject crashed | the subject hung
///   VIOLATION … (format_violation) | CRASH …
///   ==kmemfuzz== reproducer (text, N of M ops); replay it: TARGET FILE
///   arena_init …
std::string format_report(std::string_view subject, const Violation& v, const GenericProgram& reproducer,
                          std::size_t original_ops);
std::string format_finding(std::string_view subject, const Finding& f);

/// Prints the report to stderr, then calls settings().on_violation (or aborts).
[[noreturn]] void report_violation(std::string_view subject, const Violation& v,
                                   const GenericProgram& reproducer, std::size_t original_ops);

// ---- supervision (the fuzz drivers) ------------------------------------------------------

struct SuperviseOptions {
  double progress_s = 0;      ///< print a progress line this often (0: never)
  bool can_resume = false;    ///< body(start) may begin at any input
  int hang_exit_status = -1;  ///< an exit with this status inside an op is a HANG (libFuzzer: 70)
  /// The runner's own handlers turn signals into exit statuses (libFuzzer:
  /// 77): a crash is classified by re-running its program in a fresh child.
  bool reclassify_crashes = false;
  /// The input with this index as bytes (replay: read the file) — else the
  /// recorded copy is used. Returns false when it cannot.
  std::function<bool(std::uint64_t index, std::vector<std::uint8_t>& bytes)> input_of;
  /// Names the files of input `index`: "<kind>-" + tag (+ ".kmfa").
  std::function<std::string(std::uint64_t index, std::span<const std::uint8_t> bytes)> tag_of;
  /// Replay: the input is a file already; its name (not re-saved).
  std::function<std::string(std::uint64_t index)> input_name_of;
};

/// Forks a runner and watches it. The runner calls body(start) (inputs
/// `start`, … through fuzz_one), whose return value is its exit status;
/// with an empty body the runner returns -1 from supervise() and goes on
/// (libFuzzer). In the supervisor: on a crash, hang or violation the
/// finding is shrunk, saved and reported and supervise() returns 1; a
/// suppressed crash or hang resumes the runner at the next input when
/// can_resume; else returns the runner's exit status.
int supervise(const Target& t, const SuperviseOptions& o, const std::function<int(std::uint64_t)>& body);

/// True in a runner whose supervisor is watching.
bool supervised();

/// One fuzz input on a fresh subject: load, execute. A violation that no
/// suppression matches is handed to the supervisor (the runner then calls
/// settings().on_violation or aborts) or, unsupervised, minimized in this
/// process and reported. Returns 0 otherwise.
int fuzz_one(const Target& t, const std::uint8_t* data, std::size_t size);

/// LLVMFuzzerInitialize for KMF_FUZZ_TARGET under libFuzzer: handles the
/// kmemfuzz verbs (-kmf_help=1, -to_text=1, -to_bytes=1, -minimize=1; they
/// exit), reads -artifact_prefix, -timeout, -timeout_exitcode,
/// -suppressions, -trace, then forks the supervisor off.
int fuzz_init(const Target& t, int* argc, char*** argv);

/// The kmemfuzz verbs both drivers share (files named on the command line):
///   to_text   each input as a text program (stdout, or OUT)
///   to_bytes  each input as bytes for this target (OUT required)
///   minimize  a failing input's reproducer to OUT (default PREFIX<name>.min.kmfa)
/// Returns the exit status: 0 done, 1 (minimize) the input does not fail,
/// 2 bad input.
int verb_to_text(const Target& t, const std::vector<std::string>& files, const std::string& out);
int verb_to_bytes(const Target& t, const std::vector<std::string>& files, const std::string& out);
int verb_minimize(const Target& t, const std::vector<std::string>& files, const std::string& out);

/// Reads a file; false when it cannot.
bool read_file(const std::string& path, std::vector<std::uint8_t>& bytes);

}  // namespace kmf::front
