// kmemfuzz.cpp — the command-line tool: run, replay, convert, minimize and
// inspect programs (.kmf scripts or binary fuzz inputs).
//
// Exit codes: 0 every op ran, every expect held, no invariant broke;
//             1 a violation or a failed expect;
//             2 a bad file or bad arguments (with a precise message).
// Nothing else: every exception is caught and reported as exit 2.
#include <CLI/CLI.hpp>
#include <cinttypes>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
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
#include "trace/cli.h"
#include "tools/subjects.h"

namespace fs = std::filesystem;
using namespace kmf;

namespace {

constexpr std::uintmax_t MAX_FILE_BYTES = 16 * 1024 * 1024;  // scripts and inputs alike

struct BadInput {
  std::string message;
};

bool is_script(const fs::path& p) { return p.extension() == ".kmf"; }

/// Reads and parses/decodes a file, or throws BadInput with a precise message.
/// Binary inputs decode with the op families of `target` (a fuzz target's
/// crash decodes as that target decoded it).
Program load(const std::string& name, const std::string& target = "fuzz_kernel") {
  const fs::path p(name);
  std::error_code ec;
  const auto status = fs::status(p, ec);
  if (ec || !fs::exists(status)) throw BadInput{name + ": no such file"};
  if (fs::is_directory(status)) throw BadInput{name + ": is a directory, not a program file"};
  const auto size = fs::file_size(p, ec);
  if (ec) throw BadInput{name + ": cannot read: " + ec.message()};
  if (size == 0) throw BadInput{name + ": empty file: a program needs at least one statement or byte"};
  if (size > MAX_FILE_BYTES)
    throw BadInput{name + ": file is " + std::to_string(size) + " bytes; programs are at most " +
                   std::to_string(MAX_FILE_BYTES) + " bytes (16 MiB)"};
  std::ifstream in(p, std::ios::binary);
  if (!in) throw BadInput{name + ": cannot open for reading"};
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (!in.good() && !in.eof()) throw BadInput{name + ": read error"};
  if (const auto refused = tools::refuse_for_kernel(name, bytes)) throw BadInput{*refused};
  if (is_script(p)) {
    ParseResult r = parse_kmf(bytes, name);
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

std::string json_verdict(const std::string& file, const Program& p, const ExecResult& r) {
  std::string out = "{\"file\":\"" + json_escape(file) + "\",\"ops\":" + std::to_string(p.ops.size());
  if (r.ok()) return out + ",\"verdict\":\"ok\"}";
  const Violation& v = *r.violation;
  out += ",\"verdict\":\"";
  out += v.id == Inv::EXPECT ? "expect_failed" : "violation";
  out += "\",\"invariant\":\"" + std::string(invariant_name(v.id)) +
         "\",\"op_index\":" + std::to_string(v.op_index);
  out += ",\"op\":\"" + json_escape(v.op_text) + "\",\"addresses\":[";
  for (std::size_t i = 0; i < v.addrs.size(); ++i) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%s\"0x%" PRIx64 "\"", i ? "," : "", v.addrs[i]);
    out += buf;
  }
  return out + "],\"explanation\":\"" + json_escape(v.explanation) + "\"}";
}

CheckLevel parse_level(const std::string& s) {
  if (s == "none") return CheckLevel::none;
  if (s == "full") return CheckLevel::full;
  return CheckLevel::incremental;
}

struct RunFlags {
  std::string target = "fuzz_kernel";
  bool verbose = false;
  bool json = false;
  std::string level = "incremental";
};

/// run / replay: returns the exit code for one file.
int run_one(const std::string& file, const RunFlags& f, bool replay) {
  const Program p = load(file, f.target);
  ExecOptions opt;
  opt.level = parse_level(f.level);
  opt.trace = f.verbose;
  const ExecResult r = execute(p, opt);
  for (const std::string& s : r.printed) std::cout << s;
  if (f.json) {
    std::cout << json_verdict(file, p, r) << '\n';
    return r.ok() ? 0 : 1;
  }
  if (f.verbose)
    for (const std::string& line : r.trace) std::cout << "  " << line << '\n';
  if (r.ok()) {
    std::cout << "PASS " << file << " (" << p.ops.size() << " ops)\n";
    return 0;
  }
  std::cout << "FAIL " << file << '\n' << format_violation(*r.violation);
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

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"kmemfuzz — fuzz and property-test allocators against a model of the Linux kernel's"};
  app.require_subcommand(1);
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
    sub->add_option("FILE", files, ".kmf scripts or binary fuzz inputs")->required();
    sub->add_flag("-v,--verbose", flags.verbose, "print the trace: each op with addresses and owners");
    sub->add_flag("--json", flags.json, "print one JSON verdict per file");
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
  convert->add_option("--target", target, "the fuzz target whose op families the bytes use")
      ->check(CLI::IsMember({"fuzz_buddy", "fuzz_slab", "fuzz_vmalloc", "fuzz_kernel"}));
  add_subject(convert);

  CLI::App* minimize_cmd =
      app.add_subcommand("minimize", "shrink a failing program, keeping its invariant id");
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

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }

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
    if (minimize_cmd->parsed()) return tools::minimize_file(subject, in, out);
    if (convert->parsed()) return tools::convert_file(subject, in, out, to_binary);
  }
  if (run->parsed() || replay->parsed()) {
    int worst = 0;
    for (const std::string& f : files) {
      const int code = with_bad_input_guard([&] { return run_one(f, flags, replay->parsed()); });
      worst = std::max(worst, code);
    }
    return worst;
  }
  if (convert->parsed()) {
    return with_bad_input_guard([&] {
      const Program p = load(in, target);
      std::string data;
      if (to_binary) {
        std::size_t dropped = 0;
        const auto bytes = encode_program(p, codec_options_for_target(target), &dropped);
        data.assign(bytes.begin(), bytes.end());
        if (dropped) std::cerr << "kmemfuzz: " << dropped << " ops have no binary form and were dropped\n";
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
      const Program p = load(in, target);
      const auto m = kmf::minimize(p);
      if (!m) throw BadInput{in + ": the program passes; there is nothing to minimize"};
      write_file(out, "# minimized by kmemfuzz from " + in + ": still " + std::string(invariant_name(m->id)) +
                          " (" + std::to_string(p.ops.size()) + " -> " +
                          std::to_string(m->program.ops.size()) + " ops, " + std::to_string(m->runs) +
                          " runs)\n" + print_kmf(m->program));
      std::cout << "minimized " << in << ": " << p.ops.size() << " -> " << m->program.ops.size()
                << " ops, still " << invariant_name(m->id) << " (" << m->runs << " runs) -> " << out << '\n';
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
