// kmemfuzz.cpp — the command-line tool: run, replay, convert, minimize and
// inspect programs (.kmf scripts or binary fuzz inputs).
//
// Exit codes: 0 every op ran, every expect held, no invariant broke;
//             1 a violation or a failed expect;
//             2 a bad file or bad arguments (with a precise message).
// Nothing else: every exception is caught and reported as exit 2.
#include <sys/resource.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cctype>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include "alloc/kernel.h"
#include "check/violation.h"
#include "ops/binary_codec.h"
#include "ops/executor.h"
#include "ops/kmf_text.h"
#include "ops/minimize.h"
#include "tools/commands.h"
#include "tools/subjects.h"
#include "trace/cli.h"

namespace fs = std::filesystem;
using namespace kmf;

namespace {

struct BadInput {
  std::string message;
};

bool is_script(const fs::path& p) { return p.extension() == ".kmf"; }

/// Reads and parses/decodes a file, or throws BadInput with a precise message.
/// Binary inputs decode with the op families of `target` (a fuzz target's
/// crash decodes as that target decoded it). `-` reads a .kmf script from
/// standard input. A script's op positions go to `sources` when given.
Program load(const std::string& name, const std::string& target = "fuzz_kernel",
             std::vector<OpSource>* sources = nullptr) {
  if (sources) sources->clear();
  if (name == "-") {
    const std::string bytes((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
    if (bytes.size() > tools::MAX_PROGRAM_BYTES)
      throw BadInput{"<stdin>: more than " + std::to_string(tools::MAX_PROGRAM_BYTES) +
                     " bytes; programs are at most 16 MiB"};
    if (bytes.empty()) throw BadInput{"<stdin>: empty input: a program needs at least one statement"};
    ParseResult r = parse_kmf(bytes, "<stdin>", sources);
    if (!r.ok()) throw BadInput{r.error().to_string()};
    return std::move(r).program();
  }
  const fs::path p(name);
  std::string bytes;
  if (const auto why = tools::read_program_file(name, bytes)) throw BadInput{*why};
  if (const auto refused = tools::refuse_for_kernel(name, bytes)) throw BadInput{*refused};
  if (is_script(p)) {
    ParseResult r = parse_kmf(bytes, name, sources);
    if (!r.ok()) throw BadInput{r.error().to_string()};
    return std::move(r).program();
  }
  return decode_program({reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()},
                        codec_options_for_target(target));
}

std::string json_escape(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out;
}

std::string json_str(const std::string& v) { return "\"" + json_escape(v) + "\""; }

std::string json_hex(std::uint64_t v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "\"0x%" PRIx64 "\"", v);
  return buf;
}

/// The 0x… numbers of a trace result, in order: the op's addresses.
std::vector<std::string> hex_words(const std::string& text) {
  std::vector<std::string> out;
  for (std::size_t i = 0; (i = text.find("0x", i)) != std::string::npos;) {
    std::size_t j = i + 2;
    while (j < text.size() && std::isxdigit(static_cast<unsigned char>(text[j]))) ++j;
    if (j > i + 2 && (i == 0 || !std::isalnum(static_cast<unsigned char>(text[i - 1]))))
      out.push_back(text.substr(i, j - i));
    i = j;
  }
  return out;
}

/// The reports a run's subject made, counted by kind: `double_free 1, bad_order 2`.
std::string report_counts(const std::vector<Report>& reports) {
  std::map<std::string, std::size_t> by_kind;
  for (const Report& r : reports) ++by_kind[std::string(report_kind_name(r.kind))];
  std::string out;
  for (const auto& [kind, n] : by_kind) out += (out.empty() ? "" : ", ") + kind + " " + std::to_string(n);
  return out;
}

std::size_t line_of(const std::vector<OpSource>& sources, std::size_t op_index) {
  return op_index < sources.size() ? sources[op_index].line : 0;
}

enum class LeakPolicy : std::uint8_t { ignore, report, error };

struct RunFlags {
  std::string target = "fuzz_kernel";
  bool verbose = false;
  bool json = false;
  std::string level = "incremental";
  std::string leaks = "report";
  std::string max_host_mem = "4G";
  bool stats = false;
};

/// `1G`, `512M`, `1048576`: bytes (K/M/G/T are powers of 1024), or throws.
std::uint64_t parse_bytes(const std::string& text, const char* option) {
  std::uint64_t v = 0;
  std::size_t i = 0;
  while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
    if (v > (UINT64_MAX - 9) / 10) throw BadInput{std::string(option) + " '" + text + "' overflows"};
    v = v * 10 + static_cast<std::uint64_t>(text[i++] - '0');
  }
  unsigned shift = 0;
  if (i + 1 == text.size()) {
    switch (std::toupper(static_cast<unsigned char>(text[i]))) {
      case 'K': shift = 10; break;
      case 'M': shift = 20; break;
      case 'G': shift = 30; break;
      case 'T': shift = 40; break;
      default: shift = 64;
    }
    ++i;
  }
  if (i == 0 || i != text.size() || shift == 64 || (shift && v > (UINT64_MAX >> shift)))
    throw BadInput{std::string(option) + " '" + text + "': expected a size such as 1G, 512M or 1048576"};
  return v << shift;
}

/// Peak resident host memory of this process so far.
std::uint64_t peak_rss_bytes() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<std::uint64_t>(u.ru_maxrss) * 1024;
}

CheckLevel parse_level(const std::string& s) {
  if (s == "none") return CheckLevel::none;
  if (s == "full") return CheckLevel::full;
  return CheckLevel::incremental;
}

/// One JSON object for one file: the verdict, the misuse reports, the
/// leaks, what `print` printed and (with -v) every op with its result.
std::string json_object(const std::string& file, const Program& p, const ExecResult& r,
                        const std::vector<OpSource>& sources, bool verbose, bool leaks_fail) {
  std::string out = "{\"file\":" + json_str(file) + ",\"ops\":" + std::to_string(p.ops.size());
  if (r.ok()) {
    out += leaks_fail && !r.leaks.empty() ? ",\"verdict\":\"leaks\"" : ",\"verdict\":\"ok\"";
  } else {
    const Violation& v = *r.violation;
    out += ",\"verdict\":\"";
    out += v.id == Inv::EXPECT ? "expect_failed" : "violation";
    out += "\",\"invariant\":\"" + std::string(invariant_name(v.id)) +
           "\",\"op_index\":" + std::to_string(v.op_index);
    if (const std::size_t line = line_of(sources, v.op_index)) out += ",\"line\":" + std::to_string(line);
    out += ",\"op\":" + json_str(v.op_text) + ",\"addresses\":[";
    for (std::size_t i = 0; i < v.addrs.size(); ++i) out += (i ? "," : "") + json_hex(v.addrs[i]);
    out += "],\"explanation\":" + json_str(v.explanation);
  }
  out += ",\"reports\":[";
  for (std::size_t i = 0; i < r.reports.size(); ++i)
    out += std::string(i ? "," : "") + "{\"kind\":\"" + std::string(report_kind_name(r.reports[i].kind)) +
           "\",\"address\":" + json_hex(r.reports[i].addr) +
           ",\"message\":" + json_str(r.reports[i].message) + "}";
  out += "],\"leaks\":[";
  for (std::size_t i = 0; i < r.leaks.size(); ++i) {
    const Leak& l = r.leaks[i];
    out += std::string(i ? "," : "") + "{\"name\":" + json_str(l.name) +
           ",\"op_index\":" + std::to_string(l.op_index);
    if (const std::size_t line = line_of(sources, l.op_index)) out += ",\"line\":" + std::to_string(line);
    out += ",\"what\":" + json_str(l.description) + "}";
  }
  out += "],\"printed\":[";
  for (std::size_t i = 0; i < r.printed.size(); ++i) out += (i ? "," : "") + json_str(r.printed[i]);
  out += "]";
  if (verbose) {
    out += ",\"trace\":[";
    for (std::size_t i = 0; i < r.trace.size(); ++i) {
      const std::string& t = r.trace[i];
      const std::size_t arrow = t.find(" -> ");
      out += std::string(i ? "," : "") + "{\"index\":" + std::to_string(i);
      if (const std::size_t line = line_of(sources, i)) out += ",\"line\":" + std::to_string(line);
      out += ",\"op\":" + json_str(t.substr(0, arrow));
      if (arrow != std::string::npos) {
        const std::string result = t.substr(arrow + 4);
        out += ",\"result\":" + json_str(result) + ",\"addresses\":[";
        const auto words = hex_words(result);
        for (std::size_t j = 0; j < words.size(); ++j) out += (j ? "," : "") + json_str(words[j]);
        out += "]";
      }
      out += "}";
    }
    out += "]";
  }
  return out + "}";
}

/// A script error found while running (a `write` outside its object):
/// `file:line:column: message`, exit 2.
[[noreturn]] void throw_script_error(const std::string& file, const ScriptError& e,
                                     const std::vector<OpSource>& sources) {
  std::string where = file == "-" ? "<stdin>" : file;
  if (e.op_index < sources.size()) {
    const OpSource& src = sources[e.op_index];
    const std::size_t col = e.arg < src.columns.size() ? src.columns[e.arg] : 1;
    where += ":" + std::to_string(src.line) + ":" + std::to_string(col);
  } else {
    where += ": op " + std::to_string(e.op_index);
  }
  throw BadInput{where + ": " + e.message};
}

/// run / replay: returns the exit code for one file.
int run_one(const std::string& file, const RunFlags& f, bool replay) {
  std::vector<OpSource> sources;
  const Program p = load(file, f.target, &sources);
  ExecOptions opt;
  opt.level = parse_level(f.level);
  opt.trace = f.verbose;
  opt.max_host_bytes = parse_bytes(f.max_host_mem, "--max-host-mem");
  // Long runs say where they are on a terminal (never into a pipe or a log).
  const auto t0 = std::chrono::steady_clock::now();
  auto last = t0;
  bool progressed = false;
  if (isatty(STDERR_FILENO))
    opt.observe = [&](const Kernel&, std::size_t i, const Ledger&) {
      const auto now = std::chrono::steady_clock::now();
      if (now - last < std::chrono::seconds(1)) return;
      last = now;
      progressed = true;
      std::fprintf(stderr, "\rkmemfuzz: %s: op %zu of %zu ...", file.c_str(), i + 1, p.ops.size());
    };
  const ExecResult r = execute(p, opt);
  if (progressed) std::fprintf(stderr, "\r\033[K");
  if (f.stats)
    std::fprintf(stderr, "kmemfuzz: %s: %.3f s, peak host memory %" PRIu64 " MiB\n", file.c_str(),
                 std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(),
                 peak_rss_bytes() >> 20);
  if (r.script_error) throw_script_error(file, *r.script_error, sources);
  const bool leaks_fail = f.leaks == "error" && !r.leaks.empty();
  if (f.json) {
    // stdout holds only JSON: one object per file, one line each.
    std::cout << json_object(file, p, r, sources, f.verbose, f.leaks == "error") << '\n';
    return r.ok() ? (leaks_fail ? 1 : 0) : 1;
  }
  for (const std::string& s : r.printed) std::cout << s;
  if (f.verbose)
    for (const std::string& line : r.trace) std::cout << "  " << line << '\n';
  // What the program did wrong that the subject noticed (misuse reports) and
  // what it never freed, even when it passes: a kernel developer checking a
  // module's cleanup needs both without -v.
  auto summary = [&] {
    if (!r.reports.empty())
      std::cout << "  misuse: " << r.reports.size() << " report" << (r.reports.size() == 1 ? "" : "s") << " ("
                << report_counts(r.reports) << ")\n";
    if (f.leaks != "ignore" && !r.leaks.empty()) {
      std::cout << "  leaks: " << r.leaks.size() << " allocation" << (r.leaks.size() == 1 ? "" : "s")
                << " still live after the last op (the teardown freed them):\n";
      for (const Leak& l : r.leaks) {
        std::cout << "    unreferenced " << l.name << ": " << l.description;
        if (const std::size_t line = line_of(sources, l.op_index))
          std::cout << ", allocated at line " << line;
        std::cout << " (op " << l.op_index << ")\n";
      }
    }
  };
  if (r.ok()) {
    std::cout << (leaks_fail ? "FAIL " : "PASS ") << file << " (" << p.ops.size() << " ops)"
              << (leaks_fail ? ": leaks (--leaks=error)" : "") << '\n';
    summary();
    return leaks_fail ? 1 : 0;
  }
  std::cout << "FAIL " << file << '\n' << format_violation(*r.violation);
  if (const std::size_t line = line_of(sources, r.violation->op_index))
    std::cout << "  at " << file << ":" << line << '\n';
  if (!f.verbose) {
    // The trace up to the failing op: what the program did, with addresses.
    ExecOptions again = opt;
    again.trace = true;
    const ExecResult t = execute(p, again);
    std::cout << "  trace:\n";
    for (const std::string& line : t.trace) std::cout << "    " << line << '\n';
  }
  if (replay) std::cout << "  reproducer:\n" << print_kmf(p);
  return 1;
}

int with_bad_input_guard(const std::function<int()>& fn) {
  try {
    return fn();
  } catch (const BadInput& e) {
    std::cerr << "kmemfuzz: " << e.message << '\n';
    return 2;
  } catch (const std::bad_alloc&) {
    std::cerr << "kmemfuzz: out of host memory (an allocation failed under the process's limit); shrink "
                 "the program or raise the limit (ulimit -v)\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "kmemfuzz: error: " << e.what() << '\n';
    return 2;
  }
}

void write_file(const std::string& path, const std::string& data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) throw BadInput{path + ": cannot open for writing"};
  out.write(data.data(), static_cast<std::streamsize>(data.size()));
  if (!out) throw BadInput{path + ": write error"};
}

/// `-o` naming the input would destroy it before it is read in full.
void refuse_output_onto_input(const std::string& in, const std::string& out) {
  if (out.empty() || in == "-") return;
  std::error_code ec;
  if (out == in || (fs::exists(out, ec) && fs::equivalent(in, out, ec)))
    throw BadInput{out + ": is the input file; write the output elsewhere"};
}

std::string first_line(const std::string& s) { return s.substr(0, s.find('\n')); }

/// A message with what moves as ops go blanked: hex addresses always; for
/// an invariant's explanation also decimal numbers (slots, offsets, counts),
/// so "the same message" is the same kind of failure. A script's own
/// `expect` keeps its numbers: `k has ksize 128` must stay 128.
std::string message_shape(const std::string& s, bool keep_decimals) {
  std::string out;
  for (std::size_t i = 0; i < s.size();) {
    if (s.compare(i, 2, "0x") == 0) {
      std::size_t j = i + 2;
      while (j < s.size() && std::isxdigit(static_cast<unsigned char>(s[j]))) ++j;
      out += "0x?";
      i = j;
    } else if (!keep_decimals && std::isdigit(static_cast<unsigned char>(s[i]))) {
      while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i;
      out += '#';
    } else {
      out += s[i++];
    }
  }
  return out;
}

std::string same_shape_key(const Violation& v) { return message_shape(v.explanation, v.id == Inv::EXPECT); }

/// What encoding `p` to bytes changed, one line per difference (empty: exact).
std::vector<std::string> binary_changes(const Program& p, const Program& q, std::size_t dropped) {
  std::vector<std::string> out;
  const MachineConfig &a = p.machine, &b = q.machine;
  auto field = [&](const char* name, const std::string& x, const std::string& y) {
    if (x != y) out.push_back(std::string("machine ") + name + ": " + x + " -> " + y);
  };
  const auto mib = [](std::uint64_t v) { return std::to_string(v / (1024 * 1024)) + "M"; };
  field("mem", mib(a.mem_bytes), mib(b.mem_bytes));
  field("profile", std::string(profile_name(a.profile)), std::string(profile_name(b.profile)));
  field("kmalloc", std::string(kmalloc_profile_name(a.kmalloc)),
        std::string(kmalloc_profile_name(b.kmalloc)));
  field("seed", std::to_string(a.seed), std::to_string(b.seed));
  field("slab_debug", a.slab_debug ? "on" : "off", b.slab_debug ? "on" : "off");
  if (a.mem_bytes != b.mem_bytes)
    out.push_back(
        "a different machine size: the vmalloc window (it starts above the direct map) and every vmalloc "
        "address move");
  if (dropped)
    out.push_back(std::to_string(dropped) +
                  " ops have no binary form and are dropped (expect, print, check, ...)");
  // Op by op, in the order both programs keep them.
  const Program stripped = [&] {
    std::vector<std::size_t> keep;
    for (std::size_t i = 0; i < p.ops.size(); ++i)
      if (!std::holds_alternative<ExpectOp>(p.ops[i]) && !std::holds_alternative<PrintOp>(p.ops[i]) &&
          !(std::holds_alternative<MemOp>(p.ops[i]) && std::get<MemOp>(p.ops[i]).verb == MemVerb::check))
        keep.push_back(i);
    return subprogram(p, keep);
  }();
  const std::size_t n = std::min(stripped.ops.size(), q.ops.size());
  std::size_t changed = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const std::string x = print_op(stripped.ops[i], stripped.names), y = print_op(q.ops[i], q.names);
    // Slots number bindings in order in both programs: compare the ops.
    if (stripped.ops[i] == q.ops[i]) continue;
    if (++changed <= 20) out.push_back("op " + std::to_string(i) + ": " + x + "  ->  " + y);
  }
  if (changed > 20) out.push_back("... and " + std::to_string(changed - 20) + " more changed ops");
  if (stripped.ops.size() > q.ops.size() && dropped == 0)
    out.push_back(std::to_string(stripped.ops.size() - q.ops.size()) + " ops are lost");
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "kmemfuzz — fuzz and property-test allocators against a model of the Linux kernel's page, slab and "
      "vmalloc allocators: run, replay, minimize and convert programs, and show the machine they run on."};
  app.require_subcommand(0, 1);
  bool show_version = false;
  app.add_flag("--version", show_version, "print the version and exit");
  app.footer(tools::subject_help() + "\nExit codes: 0 pass, 1 violation or failed expect, 2 bad input.");
  std::string subject(tools::KERNEL_SUBJECT);
  auto add_subject = [&](CLI::App* sub) {
    sub->add_option("--subject", subject,
                    "the allocator the program runs on (default kernel; see kmemfuzz --help)")
        ->check(CLI::IsMember(tools::subject_names()));
  };

  RunFlags flags;
  std::vector<std::string> files;
  auto add_run_options = [&](CLI::App* sub) {
    sub->add_option("FILE", files, ".kmf scripts or binary fuzz inputs; - reads a script from stdin")
        ->required();
    sub->add_flag("-v,--verbose", flags.verbose, "print the trace: each op with addresses and owners");
    sub->add_flag("--json", flags.json,
                  "stdout is JSON only: one object per file (verdict, reports, leaks, printed output; "
                  "with -v every op's result and addresses)");
    sub->add_option("--leaks", flags.leaks,
                    "what was left allocated at the end: report (default: list it, exit 0) | error (exit 1) "
                    "| ignore")
        ->check(CLI::IsMember({"report", "error", "ignore"}));
    sub->add_option("--max-host-mem", flags.max_host_mem,
                    "host memory the run may use (default 4G); an op that would go above it stops the run "
                    "with exit 2");
    sub->add_flag("--stats", flags.stats, "print the run's time and peak host memory on stderr");
    sub->add_option("--check", flags.level, "checking: none | incremental | full (a sweep after every op)")
        ->check(CLI::IsMember({"none", "incremental", "full"}));
    sub->add_option("--target", flags.target,
                    "decode binary inputs as this fuzz target does (default fuzz_kernel)")
        ->check(CLI::IsMember({"fuzz_buddy", "fuzz_slab", "fuzz_vmalloc", "fuzz_kernel"}));
    add_subject(sub);
  };
  CLI::App* run = app.add_subcommand("run", "run programs under the checker");
  add_run_options(run);
  CLI::App* replay =
      app.add_subcommand("replay", "run crash files; print the violation and the reproducer script");
  add_run_options(replay);

  std::string in, out, target = "fuzz_kernel";
  bool to_binary = false;
  CLI::App* convert =
      app.add_subcommand("convert", "binary input -> .kmf script (or --to-binary: script -> bytes)");
  convert->add_option("FILE", in, "input")->required();
  convert->add_option("-o,--output", out, "output file (default: standard output)");
  convert->add_flag("--to-binary", to_binary, "encode a .kmf script as a binary fuzz input");
  bool lossy = false;
  convert->add_flag("--lossy", lossy,
                    "allow --to-binary to change the program (it refuses and lists the changes otherwise)");
  convert->add_option("--target", target, "the fuzz target whose op families the bytes use")
      ->check(CLI::IsMember({"fuzz_buddy", "fuzz_slab", "fuzz_vmalloc", "fuzz_kernel"}));
  add_subject(convert);

  CLI::App* minimize_cmd =
      app.add_subcommand("minimize", "shrink a failing program, keeping its invariant id and message");
  minimize_cmd->add_option("FILE", in, "a failing program")->required();
  minimize_cmd->add_option("-o,--output", out, "where to write the minimized .kmf script")->required();
  minimize_cmd->add_option("--target", target, "decode a binary input as this fuzz target does")
      ->check(CLI::IsMember({"fuzz_buddy", "fuzz_slab", "fuzz_vmalloc", "fuzz_kernel"}));
  add_subject(minimize_cmd);

  std::string what;
  CLI::App* proc = app.add_subcommand("proc", "print a /proc file after FILE's last op (before teardown)");
  proc->add_option("WHAT", what, "buddyinfo | slabinfo | vmallocinfo | meminfo")
      ->required()
      ->check(CLI::IsMember({"buddyinfo", "slabinfo", "vmallocinfo", "meminfo"}));
  proc->add_option("FILE", in, "a program")->required();

  kmf::trace::TraceCommand trace_cmd(app);  // kmemfuzz trace import|stat|replay (trace/)
  const tool::Loader loader = [](const std::string& file) { return load(file); };
  CLI::App* layout_cmd = tool::add_layout_command(app, loader);
  CLI::App* map_cmd = tool::add_map_command(app, loader);
  CLI::App* catalog_cmd = tool::add_catalog_command(app);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }
  if (show_version) {
    std::cout << "kmemfuzz " << KMF_VERSION << '\n';
    return 0;
  }
  if (app.get_subcommands().empty()) {
    std::cerr << "kmemfuzz: a subcommand is required\n" << app.help();
    return 2;
  }
  if (layout_cmd->parsed()) return with_bad_input_guard(tool::run_layout_command);
  if (map_cmd->parsed()) return with_bad_input_guard(tool::run_map_command);
  if (catalog_cmd->parsed()) return tool::run_catalog_command();

  if (trace_cmd.parsed()) return trace_cmd.run();
  // Every other subject runs generic programs (.kmfa text, generic bytes): tools/subjects.h.
  if (subject != tools::KERNEL_SUBJECT) {
    for (CLI::App* sub : {run, replay, convert, minimize_cmd})
      for (const char* kernel_only : {"--target", "--check"})
        if (sub->parsed() && sub->get_option_no_throw(kernel_only) && sub->count(kernel_only)) {
          std::cerr << "kmemfuzz: " << kernel_only
                    << " applies to the kernel's programs only, not to --subject " << subject << '\n';
          return 2;
        }
    if (run->parsed() || replay->parsed())
      return tools::run_files(subject, files, {.verbose = flags.verbose, .json = flags.json},
                              replay->parsed());
    if (minimize_cmd->parsed() || convert->parsed()) {
      const int refused = with_bad_input_guard([&] {
        refuse_output_onto_input(in, out);
        return 0;
      });
      if (refused != 0) return refused;
    }
    if (minimize_cmd->parsed()) return tools::minimize_file(subject, in, out);
    if (convert->parsed()) return tools::convert_file(subject, in, out, to_binary);
  }
  if (run->parsed() || replay->parsed()) {
    int worst = 0;
    for (const std::string& f : files) {
      const int code = with_bad_input_guard([&] {
        if (!flags.json) return run_one(f, flags, replay->parsed());
        // With --json a file that cannot run is an object too (and the
        // message also goes to stderr), so stdout stays one object per file.
        try {
          return run_one(f, flags, replay->parsed());
        } catch (const BadInput& e) {
          std::cout << "{\"file\":" << json_str(f)
                    << ",\"verdict\":\"bad_input\",\"error\":" << json_str(e.message) << "}\n";
          throw;
        }
      });
      worst = std::max(worst, code);
    }
    return worst;
  }
  if (convert->parsed()) {
    return with_bad_input_guard([&] {
      refuse_output_onto_input(in, out);
      const Program p = load(in, target);
      std::string data;
      if (to_binary) {
        std::size_t dropped = 0;
        const CodecOptions codec = codec_options_for_target(target);
        const auto bytes = encode_program(p, codec, &dropped);
        // The binary form holds less than a script (machines of 1-64 MiB, a
        // 16-bit seed, no expect/print, clamped fields): decode what was
        // encoded and list every difference. Refuse unless --lossy.
        const std::vector<std::string> changes = binary_changes(p, decode_program(bytes, codec), dropped);
        if (!changes.empty()) {
          std::cerr << "kmemfuzz: " << in << ": the binary form changes the program:\n";
          for (const std::string& c : changes) std::cerr << "  " << c << '\n';
          if (!lossy) {
            std::cerr << "kmemfuzz: refusing to write it; pass --lossy to convert anyway\n";
            return 2;
          }
        }
        data.assign(bytes.begin(), bytes.end());
      } else {
        data = print_kmf(p);
      }
      if (out.empty())
        std::cout << data;
      else
        write_file(out, data);
      return 0;
    });
  }
  if (minimize_cmd->parsed()) {
    return with_bad_input_guard([&] {
      refuse_output_onto_input(in, out);
      std::vector<OpSource> sources;
      const Program p = load(in, target, &sources);
      const ExecResult first = execute(p);
      if (first.script_error) throw_script_error(in, *first.script_error, sources);
      if (first.ok()) throw BadInput{in + ": the program passes; there is nothing to minimize"};

      // The same failure: the same invariant and the same message shape
      // (same_shape_key). An `expect ksize 64` that failed on a 100-byte
      // kmalloc stays one that fails on 100 bytes.
      MinimizeOptions mo;
      mo.same_failure = [](const Violation& a, const Violation& b) {
        return same_shape_key(a) == same_shape_key(b);
      };
      auto m = kmf::minimize(p, mo);
      std::string kept = first.violation->id == Inv::EXPECT
                             ? "the same message"
                             : "the same message (addresses and numbers aside)";
      if (!m || m->program.ops.size() == p.ops.size()) {
        // Nothing could go while keeping the message: keep the id only, and say so.
        auto loose = kmf::minimize(p);
        if (loose && loose->program.ops.size() < p.ops.size()) {
          m = std::move(loose);
          kept = "the same invariant, NOT the same message (no smaller program keeps it)";
        }
      }
      const ExecResult last = execute(m->program);
      const std::string message = last.violation ? last.violation->explanation : std::string("(passes?)");
      const std::string was = first.violation->explanation;
      std::string header =
          "# minimized by kmemfuzz from " + in + ": still " + std::string(invariant_name(m->id)) + " with " +
          kept + " (" + std::to_string(p.ops.size()) + " -> " + std::to_string(m->program.ops.size()) +
          " ops, " + std::to_string(m->runs) + " runs)\n# failure: " + first_line(message) + "\n";
      if (!last.violation || same_shape_key(*last.violation) != same_shape_key(*first.violation))
        header += "# original failure: " + first_line(was) + "\n";
      write_file(out, header + print_kmf(m->program));
      std::cout << "minimized " << in << ": " << p.ops.size() << " -> " << m->program.ops.size()
                << " ops, still " << invariant_name(m->id) << " with " << kept << " (" << m->runs
                << " runs) -> " << out << "\n  failure: " << first_line(message) << '\n';
      return 0;
    });
  }
  if (proc->parsed()) {
    return with_bad_input_guard([&] {
      const Program p = load(in);
      std::string text;
      ExecOptions opt;
      opt.before_teardown = [&](const Kernel& k) {
        if (what == "buddyinfo")
          text = k.proc_buddyinfo();
        else if (what == "slabinfo")
          text = k.proc_slabinfo();
        else if (what == "vmallocinfo")
          text = k.proc_vmallocinfo();
        else
          text = k.proc_meminfo();
      };
      const ExecResult r = execute(p, opt);
      std::cout << text;
      if (!r.ok()) {
        std::cerr << format_violation(*r.violation);
        return 1;
      }
      return 0;
    });
  }
  return 2;
}
