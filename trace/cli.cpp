// cli.cpp — the `trace` subcommands.
#include "trace/cli.h"

#include <filesystem>
#include <fstream>
#include <iostream>
#include <stdexcept>

#include "ops/kmf_text.h"
#include "trace/convert.h"
#include "trace/pairing.h"
#include "trace/replay.h"
#include "trace/stat.h"
#include "trace/trace_reader.h"

namespace kmf::trace {

namespace {

struct BadInput {
  std::string message;
};

Trace load_trace(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const auto status = fs::status(path, ec);
  if (ec || !fs::exists(status)) throw BadInput{path + ": no such file"};
  if (fs::is_directory(status)) throw BadInput{path + ": is a directory, not a trace file"};
  std::ifstream in(path, std::ios::binary);
  if (!in) throw BadInput{path + ": cannot open for reading"};
  Trace t = read_trace(in, path);
  if (in.bad()) throw BadInput{path + ": read error"};
  if (t.lines == 0) throw BadInput{path + ": empty file: no trace lines"};
  if (t.events.empty()) {
    std::string why = path + ": no kmem or vmalloc event understood in " + std::to_string(t.lines) +
                      " lines (" + std::to_string(t.unparsable) + " unparsable, " +
                      std::to_string(t.other_events) + " other events)";
    if (!t.unparsable_lines.empty())
      why += "; first unparsable: line " + std::to_string(t.unparsable_lines[0].line) + ": " +
             t.unparsable_lines[0].reason;
    throw BadInput{why};
  }
  return t;
}

void write_file(const std::string& path, const std::string& data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) throw BadInput{path + ": cannot open for writing"};
  out.write(data.data(), static_cast<std::streamsize>(data.size()));
  if (!out) throw BadInput{path + ": write error"};
}

MachineConfig pick_machine(const Trace& t, const Pairing& p, const std::string& spec) {
  const MachineConfig m = auto_machine(t, p);
  if (spec.empty()) return m;
  try {
    return machine_from_spec(spec, m);
  } catch (const BadMachineSpec& e) {
    throw BadInput{e.what()};
  }
}

std::string machine_line(const MachineConfig& m) {
  const std::string s = print_kmf(Program{m, {}, {}});
  return s.substr(0, s.find('\n'));
}

}  // namespace

TraceCommand::TraceCommand(CLI::App& app) {
  trace_ = app.add_subcommand(
      "trace", "import, summarise and replay kernel kmem traces (ftrace, trace-cmd, perf script)");
  trace_->require_subcommand(1);
  trace_->footer(
      "Events: kmalloc(_node), kmem_cache_alloc(_node), kfree, kmem_cache_free, mm_page_alloc, mm_page_free, "
      "mm_page_free_batched (and the old mm_page_free_direct, mm_pagevec_free), alloc_vmap_area, "
      "free_vmap_area_noflush, purge_vmap_area_lazy.\n"
      "Record with `trace-cmd record -e kmem -e vmalloc` then `trace-cmd report > t.txt`, with "
      "`perf record -e 'kmem:*' -e 'vmalloc:*'` then `perf script > t.txt`, or enable events/kmem and "
      "events/vmalloc under /sys/kernel/tracing and save its trace or trace_pipe.\n"
      "Exit codes: 0 done, 1 replay broke an invariant, 2 bad input.");
  import_ = trace_->add_subcommand(
      "import", "parse a trace, pair allocations with frees, list findings; -o writes it as a .kmf program");
  import_->add_option("FILE", file_, "a text trace (trace, trace_pipe, trace-cmd report, perf script)")
      ->required();
  import_->add_option(
      "-o,--output", output_,
      "write the program here (.kmf); `kmemfuzz convert --to-binary` makes a fuzz seed of it");
  import_->add_option(
      "--seed", seed_,
      "also write it as a fuzz_kernel binary input: its first 4096 ops, the machine clamped to 1-64 "
      "MiB (use --machine mem=16M); a free among more than 256 live allocations of its kind has "
      "no binary form and is dropped (counted)");
  import_->add_option("--machine", machine_,
                      "machine keys overriding the sized one, e.g. \"mem=64M profile=i386 kmalloc=2.6.18\"");
  import_->add_option("--max-listed", max_listed_, "entries listed per finding kind (default 10)");

  stat_ = trace_->add_subcommand(
      "stat", "perf kmem stat's summaries: SLAB and page allocator, per call site, per order");
  stat_->add_option("FILE", file_, "a text trace")->required();
  stat_->add_option("--lines", lines_, "rows of the call-site table (default 20)");

  replay_ = trace_->add_subcommand(
      "replay",
      "replay the trace's operations on the checked model; print the broken invariant and buddyinfo");
  replay_->add_option("FILE", file_, "a text trace")->required();
  replay_->add_option(
      "--machine", machine_,
      "machine keys overriding the sized one (default: x86_64, modern kmalloc, mem = a power of two "
      ">= 4 x the trace's peak + 16M)");
  replay_->add_option("--every", every_, "also print buddyinfo after every N ops")
      ->check(CLI::PositiveNumber);
  replay_
      ->add_option(
          "--check", check_,
          "incremental (default: after every op, full sweep at the end) | full (a sweep after every op)")
      ->check(CLI::IsMember({"incremental", "full"}));
  replay_->add_option("--max-listed", max_listed_, "entries listed per finding kind (default 10)");
}

int TraceCommand::run() const {
  try {
    const Trace t = load_trace(file_);
    const Pairing p = pair_events(t);
    if (stat_->parsed()) {
      std::cout << format_stat(t, p, lines_);
      return 0;
    }
    const MachineConfig m = pick_machine(t, p, machine_);  // a bad --machine fails before any output
    std::cout << describe_reading(t, max_listed_);
    std::cout << describe_findings(t, p, max_listed_);
    const Conversion c = convert(t, p, m);
    std::cout << "program: " << c.program.ops.size() << " ops on " << machine_line(m)
              << " (the trace's peak: " << c.peak_live_bytes << " bytes live)\n";
    if (import_->parsed()) {
      if (!output_.empty()) {
        write_file(output_, conversion_to_kmf(c, t));
        std::cout << "wrote " << output_ << '\n';
      }
      if (!seed_.empty()) {
        std::size_t kept = 0, dropped = 0;
        const std::vector<std::uint8_t> bytes = conversion_to_seed(c, &kept, &dropped);
        write_file(seed_, std::string(bytes.begin(), bytes.end()));
        std::cout << "wrote " << seed_ << ": a fuzz_kernel input of " << kept << " ops";
        if (kept < c.program.ops.size())
          std::cout << " (the first " << kept << " of " << c.program.ops.size() << ")";
        if (dropped) std::cout << ", " << dropped << " without a binary form dropped";
        std::cout << '\n';
      }
      return 0;
    }
    ReplayOptions opt;
    opt.level = check_ == "full" ? CheckLevel::full : CheckLevel::incremental;
    opt.every = every_;
    std::cout << "replaying with every check on: "
              << (opt.level == CheckLevel::full
                      ? "a full sweep after every op"
                      : "incremental checks after every op, a full sweep at the end")
              << ", then teardown (everything freed, boot state restored)\n";
    const ReplayResult r = replay(c, opt);
    std::cout << format_replay(c, r, file_, max_listed_);
    return r.exec.ok() ? 0 : 1;
  } catch (const BadInput& e) {
    std::cerr << "kmemfuzz: " << e.message << '\n';
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "kmemfuzz: error: " << e.what() << '\n';
    return 2;
  }
}

}  // namespace kmf::trace
