// fuzz_main.cpp — the standalone driver for fuzz targets built without
// libFuzzer (kmemfuzz::fuzz_main). It speaks a little of libFuzzer's
// command line so the same scripts drive both (`-help=1` lists it all):
//
//   TARGET FILE|DIR...           replay each file (directories: every file inside, sorted)
//   TARGET [-runs=N] [-seed=S] [-max_len=L] [-max_total_time=T]
//                                a deterministic campaign of seeded random inputs
//   -timeout=S                   a per-input time limit: a longer input is a HANG
//   -artifact_prefix=P           where reproducers and inputs are written
//   -suppressions=FILE           set known failures aside (also $KMF_SUPPRESSIONS)
//   -trace=1                     print every op as it runs
//   -to_text=1, -to_bytes=1, -minimize=1 FILE [-out=PATH]   convert and minimize
//
// The inputs run in a runner process that a supervisor watches
// (front/front.h): a violation, a crash or a hang is reported with its
// minimized text reproducer, saved as P{crash,timeout}-<seed>-<n>.kmfa (a
// campaign; replay: P{crash,timeout}-<file name>.kmfa) beside the raw input
// P{crash,timeout}-<seed>-<n>, and the driver exits 1 with how long the
// search took. Exit 0: every input held; 2: bad usage, or a file could not
// be read or parsed.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

#include "alloc/fault.h"
#include "front/front.h"

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
namespace front = kmf::front;

struct Campaign {
  std::uint64_t runs = 5000;
  bool runs_given = false;
  std::uint64_t seed = 1;
  std::size_t max_len = 512;
  double max_total_time = 0;  // 0: no limit
  double progress_s = 10;
  bool in_process = false;
  // The input being run, for the in-process violation hook.
  const std::vector<std::uint8_t>* input = nullptr;
  std::uint64_t index = 0;
  bool campaign = false;
  Clock::time_point start = Clock::now();
};

Campaign& campaign() {
  static Campaign c;
  return c;
}

double elapsed() { return std::chrono::duration<double>(Clock::now() - campaign().start).count(); }

// -in_process=1: the driver of old, with no supervisor (a crash loses the input).
void on_violation_in_process() {
  const Campaign& c = campaign();
  if (c.campaign && c.input) {
    const std::string path =
        front::settings().artifact_prefix + "crash-" + std::to_string(c.seed) + "-" + std::to_string(c.index);
    std::ofstream(path, std::ios::binary)
        .write(reinterpret_cast<const char*>(c.input->data()), static_cast<std::streamsize>(c.input->size()));
    std::fprintf(
        stderr,
        "==kmemfuzz== found by input %llu of the campaign (seed %llu) after %.3f s; input saved to %s\n",
        static_cast<unsigned long long>(c.index + 1), static_cast<unsigned long long>(c.seed), elapsed(),
        path.c_str());
  } else {
    std::fprintf(stderr, "==kmemfuzz== violation after %.3f s\n", elapsed());
  }
  std::fflush(stderr);
  std::_Exit(1);
}

// Supervised: the supervisor does the reporting.
void on_violation_supervised() { std::_Exit(1); }

bool flag(std::string_view arg, std::string_view name, std::string& value) {
  if (!arg.starts_with(name) || arg.size() <= name.size() || arg[name.size()] != '=') return false;
  value = std::string(arg.substr(name.size() + 1));
  return true;
}

bool number(const std::string& v, double& out) {
  char* end = nullptr;
  out = std::strtod(v.c_str(), &end);
  return !v.empty() && end && *end == 0 && out >= 0;
}

bool whole(const std::string& v, std::uint64_t& out) {
  char* end = nullptr;
  out = std::strtoull(v.c_str(), &end, 0);
  return !v.empty() && end && *end == 0 && v[0] != '-';
}

void help(const char* argv0) {
  std::fprintf(
      stderr,
      "usage: %s [flags] [FILE|DIR...]   (the standalone kmemfuzz fuzz driver)\n"
      "  FILE|DIR...            replay these inputs (text programs or bytes); none: a campaign\n"
      "  -runs=N                campaign inputs (default 5000; unlimited with -max_total_time)\n"
      "  -seed=S                campaign seed (default 1)\n"
      "  -max_len=L             campaign input length limit in bytes (default 512)\n"
      "  -max_total_time=T      stop the campaign after T seconds (0: no limit)\n"
      "  -timeout=S             per-input time limit in seconds; longer is a HANG (default 1200)\n"
      "  -artifact_prefix=P     prefix of the saved reproducers and inputs (default: none)\n"
      "  -suppressions=FILE     known failures to set aside: `ID [GLOB over the op]` a line\n"
      "                         (ID: an invariant, CRASH, HANG or *); also $KMF_SUPPRESSIONS\n"
      "  -trace=1               print every op's trace line as it runs\n"
      "  -progress=S            a progress line every S seconds (default 10; 0: none)\n"
      "  -to_text=1 FILE...     print inputs as text programs (-out=PATH: write one there)\n"
      "  -to_bytes=1 FILE -out=PATH   write a text program as bytes for this target\n"
      "  -minimize=1 FILE       minimize a failing input (-out=PATH; default P<FILE name>.min.kmfa)\n"
      "  -in_process=1          no supervisor: faster to debug, but a crash loses the input\n"
      "  -help=1                this list\n"
      "Exit status: 0 no failure, 1 a failure was found (reproducer saved), 2 bad usage or input.\n"
      "Other libFuzzer flags are accepted and ignored (with a note).\n",
      argv0);
}

std::vector<std::uint8_t> next_input(kmf::Rng& rng, std::size_t max_len) {
  std::vector<std::uint8_t> bytes(rng.below(max_len + 1));
  for (std::uint8_t& b : bytes) b = static_cast<std::uint8_t>(rng.next());
  return bytes;
}

}  // namespace

int main(int argc, char** argv) {
  Campaign& c = campaign();
  front::Settings& s = front::settings();
  s.binary = argv[0];
  front::load_suppressions_from_env();
  const front::Target* target = front::registered_target();
  if (!target) {
    std::fprintf(stderr, "%s: no fuzz target registered (define it with KMF_FUZZ_TARGET)\n", argv[0]);
    return 2;
  }
  std::vector<std::string> files;
  std::string verb, out;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg(argv[i]);
    std::string v;
    std::uint64_t n = 0;
    double d = 0;
    auto bad = [&] {
      std::fprintf(stderr, "%s: bad value in %s (see -help=1)\n", argv[0], argv[i]);
      return 2;
    };
    if (flag(arg, "-runs", v)) {
      if (!whole(v, c.runs)) return bad();
      c.runs_given = true;
    } else if (flag(arg, "-seed", v)) {
      if (!whole(v, c.seed)) return bad();
    } else if (flag(arg, "-max_len", v)) {
      if (!whole(v, n)) return bad();
      c.max_len = n;
    } else if (flag(arg, "-max_total_time", v)) {
      if (!number(v, c.max_total_time)) return bad();
    } else if (flag(arg, "-timeout", v)) {
      if (!number(v, d)) return bad();
      s.timeout_s = d > 0 ? d : 1e9;
    } else if (flag(arg, "-progress", v)) {
      if (!number(v, c.progress_s)) return bad();
    } else if (flag(arg, "-artifact_prefix", v)) {
      s.artifact_prefix = v;
    } else if (flag(arg, "-suppressions", v)) {
      front::load_suppressions_or_exit(v);
    } else if (flag(arg, "-trace", v)) {
      s.trace = v != "0";
    } else if (flag(arg, "-in_process", v)) {
      c.in_process = v != "0";
    } else if (flag(arg, "-out", v)) {
      out = v;
    } else if (flag(arg, "-help", v)) {
      if (v != "0") {
        help(argv[0]);
        return 0;
      }
    } else if (flag(arg, "-to_text", v) || flag(arg, "-to_bytes", v) || flag(arg, "-minimize", v)) {
      if (v != "0") verb = std::string(arg.substr(1, arg.find('=') - 1));
    } else if (arg.starts_with("-")) {
      std::fprintf(stderr, "%s: ignoring libFuzzer flag %s\n", argv[0], argv[i]);
    } else {
      std::error_code ec;
      if (fs::is_directory(argv[i], ec)) {
        std::vector<fs::path> inside;
        for (const auto& e : fs::directory_iterator(argv[i], ec))
          if (e.is_regular_file()) inside.push_back(e.path());
        std::sort(inside.begin(), inside.end());
        for (const fs::path& p : inside) files.push_back(p.string());
      } else {
        files.emplace_back(argv[i]);
      }
    }
  }
  if (verb == "to_text") return front::verb_to_text(*target, files, out);
  if (verb == "to_bytes") return front::verb_to_bytes(*target, files, out);
  if (verb == "minimize") return front::verb_minimize(*target, files, out);
  s.on_violation = c.in_process ? on_violation_in_process : on_violation_supervised;

  front::SuperviseOptions opt;
  opt.progress_s = c.progress_s;
  opt.can_resume = true;
  std::function<int(std::uint64_t)> body;
  if (!files.empty()) {
    s.replay = true;
    opt.input_of = [&](std::uint64_t i, std::vector<std::uint8_t>& bytes) {
      s.input_name = files[i];
      return i < files.size() && front::read_file(files[i], bytes);
    };
    opt.input_name_of = [&](std::uint64_t i) { return files[i]; };
    opt.tag_of = [&](std::uint64_t i, std::span<const std::uint8_t>) {
      const fs::path name = fs::path(files[i]).filename();
      return (name.extension() == ".kmfa" ? name.stem() : name).string();
    };
    body = [&](std::uint64_t start) {
      for (std::uint64_t i = start; i < files.size(); ++i) {
        std::vector<std::uint8_t> bytes;
        if (!front::read_file(files[i], bytes)) {
          std::fprintf(stderr, "%s: cannot read\n", files[i].c_str());
          return 2;
        }
        std::fprintf(stderr, "Running: %s (%zu bytes)\n", files[i].c_str(), bytes.size());
        c.input = &bytes;
        s.input_name = files[i];
        front::fuzz_one(*target, bytes.data(), bytes.size());
      }
      std::fprintf(stderr, "Executed %zu inputs: no violation", files.size());
      if (s.suppressed)
        std::fprintf(stderr, " (%llu set aside)", static_cast<unsigned long long>(s.suppressed));
      std::fprintf(stderr, "\n");
      return 0;
    };
  } else {
    c.campaign = true;
    const std::uint64_t runs = (c.max_total_time > 0 && !c.runs_given) ? UINT64_MAX : c.runs;
    opt.tag_of = [&](std::uint64_t i, std::span<const std::uint8_t>) {
      return std::to_string(c.seed) + "-" + std::to_string(i);
    };
    body = [&, runs](std::uint64_t start) {
      if (start == 0) {
        std::fprintf(stderr, "==kmemfuzz== campaign: ");
        if (runs == UINT64_MAX)
          std::fprintf(stderr, "inputs for %g s", c.max_total_time);
        else
          std::fprintf(stderr, "%llu inputs", static_cast<unsigned long long>(runs));
        std::fprintf(stderr, " of up to %zu bytes, seed %llu\n", c.max_len,
                     static_cast<unsigned long long>(c.seed));
      }
      kmf::Rng rng(c.seed);
      for (std::uint64_t i = 0; i < start; ++i) next_input(rng, c.max_len);  // resume: the same sequence
      std::uint64_t done = start;
      for (c.index = start; c.index < runs; ++c.index) {
        if (c.max_total_time > 0 && (c.index & 63) == 0 && elapsed() >= c.max_total_time) break;
        const std::vector<std::uint8_t> bytes = next_input(rng, c.max_len);
        c.input = &bytes;
        front::fuzz_one(*target, bytes.data(), bytes.size());
        done = c.index + 1;
      }
      std::fprintf(stderr, "==kmemfuzz== campaign done: %llu inputs in %.3f s (%.0f inputs/s), no violation",
                   static_cast<unsigned long long>(done), elapsed(), done / std::max(elapsed(), 1e-9));
      if (s.suppressed)
        std::fprintf(stderr, "; %llu set aside by suppressions",
                     static_cast<unsigned long long>(s.suppressed));
      std::fprintf(stderr, "\n");
      return 0;
    };
  }
  if (c.in_process) return body(0);
  return front::supervise(*target, opt, body);
}
