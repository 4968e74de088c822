// fuzz_main.cpp — the standalone driver for fuzz targets built without
// libFuzzer (kmemfuzz::fuzz_main). It speaks a little of libFuzzer's
// command line so the same scripts drive both:
//
//   TARGET FILE|DIR...           replay each file (directories: every file inside, sorted)
//   TARGET [-runs=N] [-seed=S] [-max_len=L] [-artifact_prefix=P]
//                                a deterministic campaign: N inputs (default 5000) of
//                                random length (0..L bytes, default 512) from seed S
//                                (default 1), through the same entry point
//   -trace=1                     print every op as it runs
//
// A violation prints the target's report, then the driver saves the input
// to P + crash-<seed>-<n> (a campaign) and exits 1 with how long the search
// took. Exit 0: every input held; 2: a file could not be read or parsed.
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

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

struct Campaign {
  std::uint64_t runs = 5000;
  std::uint64_t seed = 1;
  std::size_t max_len = 512;
  std::string artifact_prefix;
  // The input being run, for the violation hook.
  const std::vector<std::uint8_t>* input = nullptr;
  std::uint64_t index = 0;
  bool campaign = false;
  Clock::time_point start = Clock::now();
};

Campaign& campaign() {
  static Campaign c;
  return c;
}

void on_violation() {
  const Campaign& c = campaign();
  const double secs = std::chrono::duration<double>(Clock::now() - c.start).count();
  if (c.campaign && c.input) {
    const std::string path =
        c.artifact_prefix + "crash-" + std::to_string(c.seed) + "-" + std::to_string(c.index);
    std::ofstream(path, std::ios::binary)
        .write(reinterpret_cast<const char*>(c.input->data()), static_cast<std::streamsize>(c.input->size()));
    std::fprintf(
        stderr,
        "==kmemfuzz== found by input %llu of the campaign (seed %llu) after %.3f s; input saved to %s\n",
        static_cast<unsigned long long>(c.index + 1), static_cast<unsigned long long>(c.seed), secs,
        path.c_str());
  } else {
    std::fprintf(stderr, "==kmemfuzz== violation after %.3f s\n", secs);
  }
  std::fflush(stderr);
  std::_Exit(1);
}

bool flag(std::string_view arg, std::string_view name, std::string& value) {
  if (!arg.starts_with(name) || arg.size() <= name.size() || arg[name.size()] != '=') return false;
  value = std::string(arg.substr(name.size() + 1));
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  Campaign& c = campaign();
  kmf::front::settings().on_violation = on_violation;
  std::vector<fs::path> files;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg(argv[i]);
    std::string v;
    if (flag(arg, "-runs", v)) {
      c.runs = std::strtoull(v.c_str(), nullptr, 0);
    } else if (flag(arg, "-seed", v)) {
      c.seed = std::strtoull(v.c_str(), nullptr, 0);
    } else if (flag(arg, "-max_len", v)) {
      c.max_len = std::strtoull(v.c_str(), nullptr, 0);
    } else if (flag(arg, "-artifact_prefix", v)) {
      c.artifact_prefix = v;
    } else if (flag(arg, "-trace", v)) {
      kmf::front::settings().trace = v != "0";
    } else if (arg.starts_with("-")) {
      std::fprintf(stderr, "%s: ignoring libFuzzer flag %s\n", argv[0], argv[i]);
    } else {
      std::error_code ec;
      if (fs::is_directory(argv[i], ec)) {
        std::vector<fs::path> inside;
        for (const auto& e : fs::directory_iterator(argv[i], ec))
          if (e.is_regular_file()) inside.push_back(e.path());
        std::sort(inside.begin(), inside.end());
        files.insert(files.end(), inside.begin(), inside.end());
      } else {
        files.emplace_back(argv[i]);
      }
    }
  }

  if (!files.empty()) {
    kmf::front::settings().replay = true;
    for (const fs::path& f : files) {
      std::ifstream in(f, std::ios::binary);
      if (!in) {
        std::fprintf(stderr, "%s: cannot read\n", f.c_str());
        return 2;
      }
      const std::vector<std::uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                                            std::istreambuf_iterator<char>());
      std::fprintf(stderr, "Running: %s (%zu bytes)\n", f.c_str(), bytes.size());
      c.input = &bytes;
      kmf::front::settings().input_name = f.string();
      LLVMFuzzerTestOneInput(bytes.data(), bytes.size());
    }
    std::fprintf(stderr, "Executed %zu inputs: no violation\n", files.size());
    return 0;
  }

  c.campaign = true;
  std::fprintf(stderr, "==kmemfuzz== campaign: %llu inputs of up to %zu bytes, seed %llu\n",
               static_cast<unsigned long long>(c.runs), c.max_len, static_cast<unsigned long long>(c.seed));
  kmf::Rng rng(c.seed);
  std::vector<std::uint8_t> bytes;
  for (c.index = 0; c.index < c.runs; ++c.index) {
    bytes.resize(rng.below(c.max_len + 1));
    for (std::uint8_t& b : bytes) b = static_cast<std::uint8_t>(rng.next());
    c.input = &bytes;
    LLVMFuzzerTestOneInput(bytes.data(), bytes.size());
  }
  const double secs = std::chrono::duration<double>(Clock::now() - c.start).count();
  std::fprintf(stderr, "==kmemfuzz== campaign done: %llu inputs in %.3f s, no violation\n",
               static_cast<unsigned long long>(c.runs), secs);
  return 0;
}
