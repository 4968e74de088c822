// front.cpp — input loading, op removal, crash-safe runs, suppressions,
// minimization in child processes, supervision and the report.
#include "front/front.h"

#include <fcntl.h>
#include <fnmatch.h>
#include <poll.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <unordered_map>

namespace kmf::front {

Settings& settings() {
  static Settings s;
  return s;
}

namespace {

const Target& (*g_registered)() = nullptr;

std::int64_t mono_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

// ---- the shared page a runner writes and its supervisor reads -----------------------------

enum Phase : int { IDLE = 0, RUNNING = 1, VERDICT = 2 };
constexpr std::size_t TEXT_CAP = 16 << 10;
constexpr std::size_t INPUT_CAP = 1 << 20;  // longer inputs are recorded truncated
constexpr std::size_t PROGRAM_CAP = 256 << 10;

struct Recorder {
  std::atomic<std::uint64_t> inputs;      // inputs started by this runner
  std::atomic<std::uint64_t> next_index;  // the index the next input gets
  std::atomic<std::uint64_t> index;       // the current input's index
  std::atomic<std::uint64_t> step;        // 0: init; i + 1: op i (ops.size() + 1: teardown)
  std::atomic<std::int64_t> started_ns;   // when the current input started
  std::atomic<int> phase;
  std::atomic<std::uint64_t> suppressed;
  // the verdict (phase VERDICT, or after a run_in_child)
  int kind;
  int id;
  std::uint64_t op;
  char text[TEXT_CAP];
  // a program derived from the input (ops with a suppressed failure dropped): 1 when
  // `program` holds its text, 2 when it did not fit
  std::atomic<int> derived;
  char program[PROGRAM_CAP];
  std::uint64_t len;
  std::uint64_t capacity;
  std::uint8_t* bytes() { return reinterpret_cast<std::uint8_t*>(this + 1); }
};

Recorder* map_recorder(std::size_t capacity) {
  void* m =
      mmap(nullptr, sizeof(Recorder) + capacity, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (m == MAP_FAILED) {
    std::perror("kmemfuzz: mmap of the shared recorder");
    std::exit(2);
  }
  Recorder* r = new (m) Recorder{};
  r->capacity = capacity;
  return r;
}

void reset(Recorder* r) {
  r->inputs = 0;
  r->next_index = 0;
  r->index = 0;
  r->step = 0;
  r->started_ns = 0;
  r->phase = IDLE;
  r->suppressed = 0;
  r->kind = 0;
  r->text[0] = 0;
  r->derived = 0;
}

Recorder* g_runner = nullptr;             // set in a supervised runner
volatile sig_atomic_t g_interrupted = 0;  // the supervisor got SIGINT, SIGTERM or SIGHUP
int g_runner_status = 0;                  // how the last runner ended (waitpid status)
bool g_runner_killed = false;             // … killed by the supervisor for a hang
void on_interrupt(int) { g_interrupted = 1; }

void write_verdict(Recorder* r, const Outcome& o) {
  r->kind = static_cast<int>(o.kind);
  r->id = static_cast<int>(o.id);
  r->op = o.op;
  const std::size_t n = std::min(o.text.size(), TEXT_CAP - 1);
  std::memcpy(r->text, o.text.data(), n);
  r->text[n] = 0;
}

Outcome read_verdict(const Recorder* r) {
  Outcome o;
  o.kind = static_cast<Kind>(r->kind);
  o.id = static_cast<Inv>(r->id);
  o.op = static_cast<std::size_t>(r->op);
  o.text = r->text;
  return o;
}

std::size_t step_to_op(std::uint64_t step) {
  return step == 0 ? INIT_OP : static_cast<std::size_t>(step - 1);
}

std::string signal_name(int sig) {
  const char* abbrev = sigabbrev_np(sig);
  return abbrev ? "SIG" + std::string(abbrev) : "signal " + std::to_string(sig);
}

std::string where(const GenericProgram& p, std::size_t op) {
  if (op == INIT_OP) return "arena_init (`" + op_text(p, op) + "`)";
  if (op >= p.ops.size()) return "the teardown";
  return "op " + std::to_string(op) + " (`" + op_text(p, op) + "`)";
}

Outcome died(int status, std::size_t op, const GenericProgram& p, int hang_exit_status, double timeout_s) {
  Outcome o;
  o.op = op;
  if (WIFEXITED(status) && WEXITSTATUS(status) == hang_exit_status) {
    o.kind = Kind::hang;
    o.text = "HANG in " + where(p, op) + ": the runner gave up on it (its timeout, exit status " +
             std::to_string(hang_exit_status) + ")";
    return o;
  }
  (void)timeout_s;
  o.kind = Kind::crash;
  if (WIFSIGNALED(status)) {
    o.signal = WTERMSIG(status);
    o.text = "CRASH " + signal_name(o.signal) + " in " + where(p, op) +
             ": the process running the subject died of this signal inside the op";
  } else {
    o.exit_status = WEXITSTATUS(status);
    o.text = "CRASH exit " + std::to_string(o.exit_status) + " in " + where(p, op) +
             ": the process running the subject exited inside the op (a sanitizer report or an exit() in "
             "the subject; its own output is above)";
  }
  return o;
}

Outcome hung(std::size_t op, const GenericProgram& p, double timeout_s) {
  Outcome o;
  o.kind = Kind::hang;
  o.op = op;
  char secs[32];
  std::snprintf(secs, sizeof secs, "%g", timeout_s);
  o.text = "HANG in " + where(p, op) + ": no progress for " + std::string(secs) +
           " s (the per-input time limit; -timeout=S or KMF_TIMEOUT)";
  return o;
}

/// Waits for `pid`, whose only holder of the write end of `fd` is the child:
/// poll() sees the hang-up when it dies. Calls `tick` every 100 ms; when
/// tick returns true the child is killed. Returns (status, killed).
template <class Tick>
std::pair<int, bool> watch(pid_t pid, int fd, Tick tick) {
  bool killed = false;
  for (;;) {
    pollfd pfd{fd, POLLIN, 0};
    const int n = poll(&pfd, 1, 100);
    if (n > 0) {
      char buf[64];
      if (read(fd, buf, sizeof buf) <= 0) break;  // EOF: the child is gone
      continue;
    }
    if (n < 0 && errno != EINTR) break;
    if (tick()) {
      kill(pid, SIGKILL);
      killed = true;
      break;
    }
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return {status, killed};
}

std::string basename_of(const std::string& path) { return std::filesystem::path(path).filename().string(); }

bool write_file(const std::string& path, std::string_view data) {
  std::ofstream out(path, std::ios::binary);
  out.write(data.data(), static_cast<std::streamsize>(data.size()));
  return static_cast<bool>(out);
}

std::string hex64(std::uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

std::uint64_t fnv1a(std::span<const std::uint8_t> bytes) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (std::uint8_t b : bytes) h = (h ^ b) * 0x100000001b3ULL;
  return h;
}

void note_suppressed(const Outcome& o, const GenericProgram& p, const Suppression& s) {
  static std::vector<std::string> seen;
  ++settings().suppressed;
  if (g_runner) ++g_runner->suppressed;
  const std::string key = s.id + " " + s.pattern;
  if (std::find(seen.begin(), seen.end(), key) != seen.end()) return;
  seen.push_back(key);
  std::fprintf(stderr,
               "==kmemfuzz== set aside (suppressed by `%s %s`): %s in %s; further matches are counted\n",
               s.id.c_str(), s.pattern.c_str(), o.what().c_str(), where(p, o.op).c_str());
}

}  // namespace

void register_target(const Target& (*get)()) { g_registered = get; }
const Target* registered_target() { return g_registered ? &g_registered() : nullptr; }
bool supervised() { return g_runner != nullptr; }

// ---- inputs and programs -----------------------------------------------------------------

GenericProgram load_input(std::span<const std::uint8_t> bytes, const GenericTarget& target) {
  const std::string_view text(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  if (looks_like_generic_text(text)) {
    GenericParseResult parsed = parse_generic(text, settings().input_name);
    if (parsed) return std::move(parsed).program();
    if (settings().replay) {
      std::fprintf(stderr, "==kmemfuzz== %s\n", parsed.error().to_string().c_str());
      std::exit(2);
    }
  }
  return decode_generic(bytes, target);
}

GenericProgram without_ops(const GenericProgram& p, const std::vector<bool>& drop) {
  GenericProgram q;
  q.arena = p.arena;
  GenericSlots slots;
  std::unordered_map<Slot, Slot> map;
  for (std::size_t i = 0; i < p.ops.size(); ++i) {
    if (i < drop.size() && drop[i]) continue;
    GenericOp op = p.ops[i];
    if (op.src != NO_SLOT) {
      const auto it = map.find(op.src);
      if (it == map.end()) continue;
      op.src = it->second;
    }
    if (op.verb == GenericVerb::free) op.stale = slots.freed(op.src);
    const Slot old_dst = op.dst;
    if (old_dst != NO_SLOT) op.dst = static_cast<Slot>(q.nr_slots());
    if (!slots.apply(op)) continue;
    // A canonical name (b<slot>) follows its slot; a hand-given name is kept.
    std::string name;
    if (old_dst != NO_SLOT && p.names[static_cast<std::size_t>(old_dst)] != "b" + std::to_string(old_dst))
      name = p.names[static_cast<std::size_t>(old_dst)];
    const Slot s = q.add(op, name);
    if (old_dst != NO_SLOT) map[old_dst] = s;
  }
  return q;
}

GenericProgram prefix(const GenericProgram& p, std::size_t last) {
  if (last != INIT_OP && last + 1 >= p.ops.size()) return p;
  std::vector<bool> drop(p.ops.size(), false);
  for (std::size_t i = last == INIT_OP ? 0 : last + 1; i < p.ops.size(); ++i) drop[i] = true;
  return without_ops(p, drop);
}

std::string op_text(const GenericProgram& p, std::size_t index) {
  if (index == INIT_OP) {
    if (!p.arena) return "init";
    GenericProgram q;
    q.arena = p.arena;
    std::string s = print_generic(q);
    while (!s.empty() && s.back() == '\n') s.pop_back();
    return s;
  }
  if (index >= p.ops.size()) return "teardown";
  return print_generic_op(p.ops[index], p);
}

std::string op_kind(const GenericProgram& p, std::size_t index) {
  if (index == INIT_OP) return "init";
  if (index >= p.ops.size()) return "teardown";
  const std::string text = op_text(p, index);
  std::size_t at = text.find(" = ");
  std::size_t from = at == std::string::npos ? 0 : at + 3;
  std::size_t to = text.find(' ', from);
  return text.substr(from, to == std::string::npos ? std::string::npos : to - from);
}

// ---- outcomes ----------------------------------------------------------------------------

std::string Outcome::what() const {
  switch (kind) {
    case Kind::ok: return "OK";
    case Kind::violation: return "VIOLATION " + std::string(invariant_name(id));
    case Kind::crash:
      return signal ? "CRASH " + signal_name(signal) : "CRASH exit " + std::to_string(exit_status);
    case Kind::hang: return "HANG";
  }
  return "?";
}

bool same_failure(const Outcome& a, const GenericProgram& pa, const Outcome& b, const GenericProgram& pb) {
  if (a.kind != b.kind) return false;
  const bool renamed = b.id == Inv::STALE_FREE && (a.id == Inv::NO_OVERLAP || a.id == Inv::INTEGRITY);
  if (a.kind == Kind::violation && a.id != b.id && !renamed) return false;
  if (a.kind == Kind::crash && (a.signal != b.signal || a.exit_status != b.exit_status)) return false;
  return op_kind(pa, a.op) == op_kind(pb, b.op);
}

// ---- suppressions ------------------------------------------------------------------------

bool parse_suppressions(std::string_view text, std::string_view file, std::vector<Suppression>& out,
                        std::string& error) {
  std::size_t line_no = 0;
  while (!text.empty()) {
    const std::size_t nl = text.find('\n');
    std::string line(text.substr(0, nl));
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    ++line_no;
    if (const std::size_t hash = line.find('#'); hash != std::string::npos) line.resize(hash);
    const std::size_t b = line.find_first_not_of(" \t\r");
    if (b == std::string::npos) continue;
    const std::size_t e = line.find_last_not_of(" \t\r");
    line = line.substr(b, e - b + 1);
    Suppression s;
    const std::size_t sp = line.find_first_of(" \t");
    s.id = line.substr(0, sp);
    if (sp != std::string::npos) s.pattern = line.substr(line.find_first_not_of(" \t", sp));
    if (s.id != "*" && s.id != "CRASH" && s.id != "HANG" && !invariant_from_name(s.id)) {
      error = std::string(file) + ":" + std::to_string(line_no) + ": unknown id `" + s.id +
              "` (an invariant's name such as NO-OVERLAP, or CRASH, HANG, *)";
      return false;
    }
    out.push_back(std::move(s));
  }
  return true;
}

bool read_file(const std::string& path, std::vector<std::uint8_t>& bytes) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  return !in.bad();
}

void load_suppressions_or_exit(const std::string& file) {
  std::vector<std::uint8_t> bytes;
  if (!read_file(file, bytes)) {
    std::fprintf(stderr, "==kmemfuzz== %s: cannot read the suppression file\n", file.c_str());
    std::exit(2);
  }
  std::string error;
  if (!parse_suppressions({reinterpret_cast<const char*>(bytes.data()), bytes.size()}, file,
                          settings().suppressions, error)) {
    std::fprintf(stderr, "==kmemfuzz== %s\n", error.c_str());
    std::exit(2);
  }
}

void load_suppressions_from_env() {
  static bool done = false;
  if (done) return;
  done = true;
  if (const char* f = std::getenv("KMF_SUPPRESSIONS"); f && *f) load_suppressions_or_exit(f);
}

Outcome run_past_suppressions(GenericProgram& p, const std::function<Outcome(const GenericProgram&)>& run) {
  Outcome o = run(p);
  for (int drops = 0; !o.ok(); ++drops) {
    const Suppression* s = suppressed_by(o, p);
    if (!s) return o;
    note_suppressed(o, p, *s);
    if (o.op == INIT_OP || o.op >= p.ops.size() || drops == 16) return Outcome{};
    std::vector<bool> drop(p.ops.size(), false);
    drop[o.op] = true;
    p = without_ops(p, drop);
    o = run(p);
  }
  return o;
}

const Suppression* suppressed_by(const Outcome& o, const GenericProgram& p) {
  if (o.ok()) return nullptr;
  const std::string id = o.kind == Kind::violation ? std::string(invariant_name(o.id))
                         : o.kind == Kind::crash   ? "CRASH"
                                                   : "HANG";
  const std::string text = op_text(p, o.op);
  for (const Suppression& s : settings().suppressions)
    if ((s.id == "*" || s.id == id) && fnmatch(s.pattern.c_str(), text.c_str(), 0) == 0) return &s;
  return nullptr;
}

// ---- running -----------------------------------------------------------------------------

namespace {

Outcome run_recorded(const Target& t, const GenericProgram& p, bool trace, Recorder* rec) {
  GenericExecOptions opt;
  opt.trace = trace;
  std::size_t printed = 0;
  auto flush_trace = [&](const GenericResult& r) {
    for (; printed < r.trace.size(); ++printed) std::fprintf(stderr, "  %s\n", r.trace[printed].c_str());
    std::fflush(stderr);
  };
  if (trace || rec)
    opt.on_op_start = [&](std::size_t i, const GenericResult& so_far) {
      if (rec) rec->step.store(i + 1, std::memory_order_relaxed);
      if (trace) flush_trace(so_far);
    };
  if (rec) {
    rec->step.store(0, std::memory_order_relaxed);
    rec->phase.store(RUNNING, std::memory_order_release);
  }
  const GenericResult r = t.run(p, opt);
  if (rec) rec->phase.store(IDLE, std::memory_order_release);
  if (trace) flush_trace(r);
  Outcome o;
  if (r.ok()) return o;
  o.kind = Kind::violation;
  o.id = r.violation->id;
  o.op = r.violation->op_index;
  o.text = format_violation(*r.violation);
  return o;
}

}  // namespace

Outcome run_here(const Target& t, const GenericProgram& p, bool trace) {
  return run_recorded(t, p, trace, nullptr);
}

Outcome run_in_child(const Target& t, const GenericProgram& p, double timeout_s, bool quiet) {
  static Recorder* rec = map_recorder(0);
  reset(rec);
  int fds[2];
  if (pipe(fds) != 0) {
    std::perror("kmemfuzz: pipe");
    std::exit(2);
  }
  std::fflush(stdout);
  std::fflush(stderr);
  const pid_t pid = fork();
  if (pid < 0) {
    std::perror("kmemfuzz: fork");
    std::exit(2);
  }
  if (pid == 0) {
    close(fds[0]);
    if (quiet) {
      const int null = open("/dev/null", O_WRONLY);
      if (null >= 0) {
        dup2(null, 1);
        dup2(null, 2);
      }
    }
    const Outcome o = run_recorded(t, p, false, rec);
    write_verdict(rec, o);
    rec->phase.store(VERDICT, std::memory_order_release);
    std::fflush(stdout);
    std::fflush(stderr);
    _exit(0);
  }
  close(fds[1]);
  const std::int64_t deadline = mono_ns() + static_cast<std::int64_t>(timeout_s * 1e9);
  const auto [status, killed] = watch(pid, fds[0], [&] { return mono_ns() > deadline; });
  close(fds[0]);
  const std::size_t op = step_to_op(rec->step.load());
  if (killed) return hung(op, p, timeout_s);
  if (rec->phase.load() == VERDICT && WIFEXITED(status) && WEXITSTATUS(status) == 0) return read_verdict(rec);
  return died(status, op, p, -1, timeout_s);
}

Finding shrink(const Target& t, const GenericProgram& program, const Outcome& first) {
  const double timeout = settings().timeout_s;
  Finding f;
  f.outcome = first;
  f.program = program;
  std::size_t runs = 0;
  auto fails = [&](const GenericProgram& q) {
    ++runs;
    const Outcome o = run_in_child(t, q, timeout, true);
    return !o.ok() && !suppressed_by(o, q) && same_failure(o, q, first, program);
  };
  std::fprintf(stderr, "==kmemfuzz== %s in %s; minimizing (every candidate in its own process)\n",
               first.what().c_str(), where(program, first.op).c_str());
  std::fflush(stderr);
  const auto t0 = std::chrono::steady_clock::now();
  GenericProgram start = prefix(program, first.op);
  bool reproducible = fails(start);
  if (!reproducible && start.ops.size() != program.ops.size()) {
    start = program;
    reproducible = fails(start);
  }
  // Not reproducible in a fresh process: the whole program as it was.
  f.reproducer = reproducible ? minimize_generic(start, fails) : program;
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::fprintf(stderr,
               "==kmemfuzz== minimized %zu -> %zu ops in %zu runs, %.2f s; confirming in a fresh process\n",
               program.ops.size(), f.reproducer.ops.size(), runs, secs);
  std::fflush(stderr);
  f.confirmed = run_in_child(t, f.reproducer, timeout, false);
  f.reproduced = !f.confirmed.ok() && same_failure(f.confirmed, f.reproducer, first, program);
  return f;
}

bool save_reproducer(const std::string& path, const Finding& f, std::string_view subject) {
  const Outcome& o = f.reproduced ? f.confirmed : f.outcome;
  std::string text = "# kmemfuzz reproducer: " + o.what() + " in " + op_kind(f.reproducer, o.op) + " (" +
                     std::string(subject) + ")\n";
  if (!f.reproduced) text += "# warning: this program did not fail the same way in a fresh process\n";
  text += print_generic(f.reproducer);
  return write_file(path, text);
}

std::string format_report(std::string_view subject, const Violation& v, const GenericProgram& reproducer,
                          std::size_t original_ops) {
  std::string out = "==kmemfuzz== " + std::string(subject) + ": an invariant broke\n";
  out += format_violation(v);
  out += "==kmemfuzz== reproducer (" + std::to_string(reproducer.ops.size()) + " of " +
         std::to_string(original_ops) + " ops); save it as a .kmfa file and replay it with this binary:\n";
  out += print_generic(reproducer);
  return out;
}

std::string format_finding(std::string_view subject, const Finding& f) {
  const Outcome& o = f.reproduced ? f.confirmed : f.outcome;
  const char* headline = o.kind == Kind::violation ? "an invariant broke"
                         : o.kind == Kind::crash   ? "the subject crashed"
                                                   : "the subject hung";
  std::string out = "==kmemfuzz== " + std::string(subject) + ": " + headline + "\n";
  out += o.text;
  if (out.back() != '\n') out += '\n';
  out += "==kmemfuzz== reproducer (" + std::to_string(f.reproducer.ops.size()) + " of " +
         std::to_string(f.program.ops.size()) +
         " ops, up to and including the failing op); replay it: " + settings().binary + " FILE.kmfa\n";
  out += print_generic(f.reproducer);
  if (f.reproduced)
    out += "==kmemfuzz== the reproducer fails the same way in a fresh process (" + f.confirmed.what() +
           " in " + op_kind(f.reproducer, f.confirmed.op) + ")\n";
  else
    out += "==kmemfuzz== warning: the reproducer did not fail the same way in a fresh process (it gave " +
           f.confirmed.what() + "); the first failure was " + f.outcome.what() + "\n";
  return out;
}

void report_violation(std::string_view subject, const Violation& v, const GenericProgram& reproducer,
                      std::size_t original_ops) {
  const std::string out = format_report(subject, v, reproducer, original_ops);
  std::fputs(out.c_str(), stderr);
  std::fflush(stderr);
  if (settings().on_violation) settings().on_violation();
  std::abort();
}

// ---- supervision -------------------------------------------------------------------------

int fuzz_one(const Target& t, const std::uint8_t* data, std::size_t size) {
  Recorder* rec = g_runner;
  if (rec) {
    const std::uint64_t index = rec->next_index.load(std::memory_order_relaxed);
    rec->next_index.store(index + 1, std::memory_order_relaxed);
    rec->index.store(index, std::memory_order_relaxed);
    rec->len = size;
    std::memcpy(rec->bytes(), data, std::min<std::size_t>(size, rec->capacity));
    rec->started_ns.store(mono_ns(), std::memory_order_relaxed);
    rec->inputs.fetch_add(1, std::memory_order_release);
  }
  GenericProgram program = load_input({data, size}, t.generic);
  if (rec) rec->derived.store(0, std::memory_order_relaxed);
  bool first = true;
  const Outcome o = run_past_suppressions(program, [&](const GenericProgram& q) {
    if (rec && !first) {  // the supervisor rebuilds the input from this text now
      const std::string text = print_generic(q);
      const bool fits = text.size() < PROGRAM_CAP;
      if (fits) std::memcpy(rec->program, text.c_str(), text.size() + 1);
      rec->derived.store(fits ? 1 : 2, std::memory_order_release);
    }
    first = false;
    return run_recorded(t, q, settings().trace, rec);
  });
  if (o.ok()) return 0;
  if (rec) {
    write_verdict(rec, o);
    rec->phase.store(VERDICT, std::memory_order_release);
    std::fprintf(stderr, "==kmemfuzz== %s in %s; the supervisor minimizes it\n", o.what().c_str(),
                 where(program, o.op).c_str());
    std::fflush(stderr);
    if (settings().on_violation) settings().on_violation();
    std::abort();
  }
  // Unsupervised (-in_process=1): minimize here; a crash in a candidate ends the process.
  const GenericProgram small = minimize_generic(prefix(program, o.op), [&](const GenericProgram& q) {
    const Outcome r = run_here(t, q, false);
    return !r.ok() && !suppressed_by(r, q) && same_failure(r, q, o, program);
  });
  Finding f;
  f.outcome = o;
  f.program = program;
  f.reproducer = small;
  f.confirmed = run_here(t, small, false);
  f.reproduced = !f.confirmed.ok() && same_failure(f.confirmed, small, o, program);
  const std::string out = format_finding(t.name, f);
  std::fputs(out.c_str(), stderr);
  std::fflush(stderr);
  if (settings().on_violation) settings().on_violation();
  std::abort();
}

int supervise(const Target& t, const SuperviseOptions& opt, const std::function<int(std::uint64_t)>& body) {
  static Recorder* rec = map_recorder(INPUT_CAP);
  const auto t0 = std::chrono::steady_clock::now();
  auto elapsed = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(); };
  std::uint64_t start = 0, done_before = 0;
  for (;;) {
    reset(rec);
    rec->next_index = start;
    int fds[2];
    if (pipe(fds) != 0) {
      std::perror("kmemfuzz: pipe");
      return 2;
    }
    std::fflush(stdout);
    std::fflush(stderr);
    const pid_t pid = fork();
    if (pid < 0) {
      std::perror("kmemfuzz: fork");
      return 2;
    }
    if (pid == 0) {
      close(fds[0]);
      fcntl(fds[1], F_SETFD, FD_CLOEXEC);  // programs the runner starts do not keep it
      g_runner = rec;
      if (!body) return -1;
      const int status = body(start);
      std::fflush(stdout);
      std::fflush(stderr);
      _exit(status);
    }
    close(fds[1]);
    // The runner gets ^C too and ends its own way; the supervisor waits for it,
    // and a runner that dies of it is not a crash.
    struct sigaction note {
    }, old_int{}, old_term{}, old_hup{};
    note.sa_handler = on_interrupt;
    sigaction(SIGINT, &note, &old_int);
    sigaction(SIGTERM, &note, &old_term);
    sigaction(SIGHUP, &note, &old_hup);
    double last_progress = elapsed();
    const double timeout = settings().timeout_s;
    bool forwarded = false;
    const auto [status, killed] = watch(pid, fds[0], [&] {
      if (g_interrupted && !forwarded) {  // a signal to the supervisor alone (kill PID, timeout): pass it on
        kill(pid, SIGTERM);
        forwarded = true;
      }
      const double now = elapsed();
      if (opt.progress_s > 0 && now - last_progress >= opt.progress_s) {
        last_progress = now;
        const std::uint64_t n = done_before + rec->inputs.load();
        std::fprintf(stderr, "==kmemfuzz== progress: %llu inputs, %.0f inputs/s, %.0f s elapsed\n",
                     static_cast<unsigned long long>(n), n / std::max(now, 1e-9), now);
        std::fflush(stderr);
      }
      return rec->phase.load() == RUNNING &&
             static_cast<double>(mono_ns() - rec->started_ns.load()) / 1e9 > timeout;
    });
    g_runner_status = status;
    g_runner_killed = killed;
    sigaction(SIGINT, &old_int, nullptr);
    sigaction(SIGTERM, &old_term, nullptr);
    sigaction(SIGHUP, &old_hup, nullptr);
    close(fds[0]);
    done_before += rec->inputs.load();
    const int phase = rec->phase.load();
    if (!killed && phase == IDLE && WIFEXITED(status)) return WEXITSTATUS(status);
    const bool interrupted =
        g_interrupted || (WIFSIGNALED(status) && (WTERMSIG(status) == SIGINT || WTERMSIG(status) == SIGTERM ||
                                                  WTERMSIG(status) == SIGHUP));
    if (interrupted && !killed) {
      std::fprintf(stderr, "==kmemfuzz== interrupted after %.0f s (%llu inputs run); no reproducer written\n",
                   elapsed(), static_cast<unsigned long long>(done_before));
      return WIFEXITED(status) && WEXITSTATUS(status) != 0 ? WEXITSTATUS(status) : 130;
    }
    if (!killed && phase == IDLE) {
      std::fprintf(stderr, "==kmemfuzz== the runner died of %s outside any input\n",
                   signal_name(WTERMSIG(status)).c_str());
      return 128 + WTERMSIG(status);
    }
    const std::uint64_t index = rec->index.load();
    std::vector<std::uint8_t> bytes;
    if (!(opt.input_of && opt.input_of(index, bytes))) {
      if (rec->len > rec->capacity) {
        std::fprintf(stderr, "==kmemfuzz== input %llu (%llu bytes) is longer than the %zu bytes recorded\n",
                     static_cast<unsigned long long>(index), static_cast<unsigned long long>(rec->len),
                     rec->capacity);
        return 1;
      }
      bytes.assign(rec->bytes(), rec->bytes() + rec->len);
    }
    GenericProgram program = load_input(bytes, t.generic);
    if (rec->derived.load() == 1) {
      GenericParseResult parsed = parse_generic(rec->program, "<derived>");
      if (parsed) program = std::move(parsed).program();
    } else if (rec->derived.load() == 2) {
      std::fprintf(stderr,
                   "==kmemfuzz== note: the program with the suppressed ops dropped was too long to record\n");
    }
    const std::size_t op = step_to_op(rec->step.load());
    Outcome o = killed             ? hung(op, program, timeout)
                : phase == VERDICT ? read_verdict(rec)
                                   : died(status, op, program, opt.hang_exit_status, timeout);
    if (opt.reclassify_crashes && o.kind == Kind::crash) {
      // libFuzzer's handlers exited with its error status: learn the signal from a fresh child.
      const GenericProgram cut = prefix(program, o.op);
      const Outcome again = run_in_child(t, cut, timeout, true);
      if (!again.ok() && again.kind != Kind::violation && op_kind(cut, again.op) == op_kind(program, o.op))
        o = again;
    }
    const double found_after = elapsed();
    if (const Suppression* s = o.kind != Kind::violation ? suppressed_by(o, program) : nullptr) {
      note_suppressed(o, program, *s);
      if (opt.can_resume) {
        start = index + 1;
        continue;
      }
      return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
    }
    std::fprintf(stderr, "==kmemfuzz== %s found by input %llu after %.3f s (%llu inputs run)\n",
                 o.what().c_str(), static_cast<unsigned long long>(index), found_after,
                 static_cast<unsigned long long>(done_before));
    const Finding f = shrink(t, program, o);
    const std::string kind = o.kind == Kind::hang ? "timeout-" : "crash-";
    const std::string tag = kind + (opt.tag_of ? opt.tag_of(index, bytes) : hex64(fnv1a(bytes)));
    std::string input_path;
    if (opt.input_name_of) {
      input_path = opt.input_name_of(index);
    } else {
      input_path = settings().artifact_prefix + tag;
      if (!write_file(input_path, {reinterpret_cast<const char*>(bytes.data()), bytes.size()}))
        std::fprintf(stderr, "==kmemfuzz== cannot write %s\n", input_path.c_str());
    }
    const std::string kmfa = settings().artifact_prefix + tag + ".kmfa";
    if (!save_reproducer(kmfa, f, t.name))
      std::fprintf(stderr, "==kmemfuzz== cannot write %s\n", kmfa.c_str());
    const std::string out = format_finding(t.name, f);
    std::fputs(out.c_str(), stderr);
    std::fprintf(stderr, "==kmemfuzz== saved: reproducer %s; input %s\n", kmfa.c_str(), input_path.c_str());
    std::fflush(stderr);
    return 1;
  }
}

// ---- verbs -------------------------------------------------------------------------------

namespace {

bool load_file_program(const Target& t, const std::string& file, GenericProgram& p,
                       std::vector<std::uint8_t>& bytes) {
  if (!read_file(file, bytes)) {
    std::fprintf(stderr, "==kmemfuzz== %s: cannot read\n", file.c_str());
    return false;
  }
  settings().replay = true;
  settings().input_name = file;
  p = load_input(bytes, t.generic);
  return true;
}

}  // namespace

int verb_to_text(const Target& t, const std::vector<std::string>& files, const std::string& out) {
  if (files.empty() || (!out.empty() && files.size() != 1)) {
    std::fprintf(stderr, "==kmemfuzz== -to_text=1 needs input files (exactly one with -out=PATH)\n");
    return 2;
  }
  std::string all;
  for (const std::string& f : files) {
    GenericProgram p;
    std::vector<std::uint8_t> bytes;
    if (!load_file_program(t, f, p, bytes)) return 2;
    if (files.size() > 1) all += "# " + f + "\n";
    all += print_generic(p);
  }
  if (out.empty()) {
    std::fputs(all.c_str(), stdout);
    return 0;
  }
  if (!write_file(out, all)) {
    std::fprintf(stderr, "==kmemfuzz== cannot write %s\n", out.c_str());
    return 2;
  }
  return 0;
}

int verb_to_bytes(const Target& t, const std::vector<std::string>& files, const std::string& out) {
  if (files.size() != 1 || out.empty()) {
    std::fprintf(stderr, "==kmemfuzz== -to_bytes=1 needs one input file and -out=PATH\n");
    return 2;
  }
  GenericProgram p;
  std::vector<std::uint8_t> bytes;
  if (!load_file_program(t, files[0], p, bytes)) return 2;
  std::size_t dropped = 0;
  const std::vector<std::uint8_t> enc = encode_generic(p, t.generic, &dropped);
  if (!write_file(out, {reinterpret_cast<const char*>(enc.data()), enc.size()})) {
    std::fprintf(stderr, "==kmemfuzz== cannot write %s\n", out.c_str());
    return 2;
  }
  const bool same = decode_generic(enc, t.generic) == p;
  std::fprintf(
      stderr, "==kmemfuzz== wrote %zu bytes to %s%s%s\n", enc.size(), out.c_str(),
      dropped ? (", " + std::to_string(dropped) + " ops this target cannot run dropped").c_str() : "",
      same ? "" : "; they decode to a program with clamped values (to_text shows it)");
  return 0;
}

int verb_minimize(const Target& t, const std::vector<std::string>& files, const std::string& out) {
  if (files.size() != 1) {
    std::fprintf(stderr, "==kmemfuzz== -minimize=1 needs exactly one input file\n");
    return 2;
  }
  GenericProgram p;
  std::vector<std::uint8_t> bytes;
  if (!load_file_program(t, files[0], p, bytes)) return 2;
  const Outcome o = run_in_child(t, p, settings().timeout_s, true);
  if (o.ok()) {
    std::fprintf(stderr, "==kmemfuzz== %s holds: nothing to minimize\n", files[0].c_str());
    return 1;
  }
  const Finding f = shrink(t, p, o);
  const std::string path =
      out.empty() ? settings().artifact_prefix + basename_of(files[0]) + ".min.kmfa" : out;
  std::fputs(format_finding(t.name, f).c_str(), stderr);
  if (!save_reproducer(path, f, t.name)) {
    std::fprintf(stderr, "==kmemfuzz== cannot write %s\n", path.c_str());
    return 2;
  }
  std::fprintf(stderr, "==kmemfuzz== saved: reproducer %s\n", path.c_str());
  return 0;
}

int fuzz_init(const Target& t, int* argc, char*** argv) {
  Settings& s = settings();
  s.binary = (*argv)[0];
  load_suppressions_from_env();
  int hang_status = 70;  // libFuzzer's -timeout_exitcode default
  std::string verb, out;
  std::vector<std::string> files;
  const char* env = std::getenv("KMF_SUPERVISE");
  bool supervise_on = !(env && std::string_view(env) == "0");
  int kept = 1;
  for (int i = 1; i < *argc; ++i) {
    const std::string_view a((*argv)[i]);
    auto value = [&](std::string_view name, std::string& v) {
      if (!a.starts_with(name) || a.size() <= name.size() || a[name.size()] != '=') return false;
      v = std::string(a.substr(name.size() + 1));
      return true;
    };
    std::string v;
    bool ours = false;
    if (value("-artifact_prefix", v)) {
      s.artifact_prefix = v;
    } else if (value("-timeout", v)) {
      s.timeout_s = std::strtod(v.c_str(), nullptr);
      if (s.timeout_s <= 0) s.timeout_s = 1e9;
    } else if (value("-timeout_exitcode", v)) {
      hang_status = std::atoi(v.c_str());
    } else if (value("-suppressions", v)) {
      load_suppressions_or_exit(v);
      ours = true;
    } else if (value("-trace", v)) {
      s.trace = v != "0";
      ours = true;
    } else if (value("-to_text", v) || value("-to_bytes", v) || value("-minimize", v) ||
               value("-kmf_help", v)) {
      if (v != "0") verb = std::string(a.substr(1, a.find('=') - 1));
      ours = true;
    } else if (value("-out", v)) {
      out = v;
      ours = true;
    } else if (value("-kmf_supervise", v)) {
      supervise_on = v != "0";
      ours = true;
    } else if (!a.starts_with("-")) {
      files.emplace_back(a);
    }
    if (!ours) (*argv)[kept++] = (*argv)[i];
  }
  *argc = kept;
  (*argv)[kept] = nullptr;
  if (verb == "kmf_help") {
    std::fprintf(
        stderr,
        "kmemfuzz flags of this libFuzzer target (libFuzzer's own: -help=1):\n"
        "  -to_text=1 FILE... [-out=PATH]   print inputs as text programs\n"
        "  -to_bytes=1 FILE -out=PATH       a text program as bytes for this target\n"
        "  -minimize=1 FILE [-out=PATH]     a failing input's minimized .kmfa reproducer\n"
        "  -trace=1                         print every op as it runs\n"
        "  -suppressions=FILE               set known failures aside (also $KMF_SUPPRESSIONS)\n"
        "  -kmf_supervise=0                 no supervisor process (also KMF_SUPERVISE=0): a crash leaves\n"
        "                                   only libFuzzer's file\n");
    std::exit(0);
  }
  if (verb == "to_text") std::exit(verb_to_text(t, files, out));
  if (verb == "to_bytes") std::exit(verb_to_bytes(t, files, out));
  if (verb == "minimize") std::exit(verb_minimize(t, files, out));
  if (!supervise_on) return 0;
  SuperviseOptions o;
  o.hang_exit_status = hang_status;
  o.reclassify_crashes = true;
  const int status = supervise(t, o, {});
  if (status == -1) return 0;  // the runner: libFuzzer goes on
  std::fflush(stdout);
  std::fflush(stderr);
  // End the way the runner did, so that whatever started libFuzzer (its -fork
  // mode, a script) sees the same status or signal.
  if (g_runner_killed) std::_Exit(hang_status);
  if (WIFSIGNALED(g_runner_status)) {
    signal(WTERMSIG(g_runner_status), SIG_DFL);
    raise(WTERMSIG(g_runner_status));
  }
  std::_Exit(WIFEXITED(g_runner_status) ? WEXITSTATUS(g_runner_status) : status);
}

}  // namespace kmf::front
