// regression_seeds.cpp — the build step that turns corpus/regressions/ into
// fuzz_kernel seeds (build/<preset>/seeds/fuzz_kernel/regression-*.bin).
//
//   kmf_regression_seeds OUTDIR FILE...
//
// A regression becomes a seed when fuzz_kernel's vocabulary can express it:
// its machine is one the binary header has (table size, slab_debug on,
// seed < 2^16) and every op but the ones no binary form has by design
// (expect, print, check, kfree NULL) encodes. Those decode to the same
// program minus the expectations, so the seed starts one mutation away
// from the bug the regression pins. Binary fuzz_kernel-*.bin regressions
// are fuzz_kernel inputs already and are copied. Everything else is listed
// with the reason and skipped. Old regression-*.bin seeds are removed first.
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>
#include <vector>

#include "ops/binary_codec.h"
#include "ops/kmf_text.h"

namespace fs = std::filesystem;
using namespace kmf;

namespace {

/// Ops that have no binary form by design (they would only be dropped).
bool by_design_unencodable(const Op& op) {
  if (std::holds_alternative<ExpectOp>(op) || std::holds_alternative<PrintOp>(op)) return true;
  if (const auto* m = std::get_if<MemOp>(&op)) return m->verb == MemVerb::check;
  if (const auto* k = std::get_if<KfreeOp>(&op)) return k->src == NO_SLOT;
  return false;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: kmf_regression_seeds OUTDIR FILE...\n";
    return 2;
  }
  const fs::path out = argv[1];
  fs::create_directories(out);
  for (const auto& f : fs::directory_iterator(out))
    if (f.path().filename().string().starts_with("regression-")) fs::remove(f.path());
  const CodecOptions options = codec_options_for_target("fuzz_kernel");
  int written = 0, skipped = 0;
  for (int i = 2; i < argc; ++i) {
    const fs::path in = argv[i];
    const std::string stem = in.stem().string();
    std::ifstream file(in, std::ios::binary);
    const std::string text((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
    if (!file && !file.eof()) {
      std::cerr << "kmf_regression_seeds: cannot read " << in << "\n";
      return 2;
    }
    std::vector<std::uint8_t> bytes;
    if (in.extension() == ".bin") {
      if (!stem.starts_with("fuzz_kernel-")) {
        std::cout << "  skip " << in.filename().string() << ": a binary input of another target\n";
        ++skipped;
        continue;
      }
      bytes.assign(text.begin(), text.end());
    } else {
      const ParseResult parsed = parse_kmf(text, in.string());
      if (!parsed.ok()) {
        std::cerr << "kmf_regression_seeds: " << parsed.error().to_string() << "\n";
        return 2;
      }
      const Program& p = parsed.program();
      std::size_t dropped = 0, by_design = 0;
      for (const Op& op : p.ops) by_design += by_design_unencodable(op);
      bytes = encode_program(p, options, &dropped);
      const Program back = decode_program(bytes, options);
      std::string why;
      if (back.machine != p.machine)
        why = "its machine has no binary header (" + std::to_string(p.machine.mem_bytes >> 20) +
              " MiB, seed " + std::to_string(p.machine.seed) +
              (p.machine.slab_debug ? "" : ", slab_debug off") + ")";
      else if (dropped != by_design)
        why = std::to_string(dropped - by_design) + " op(s) have no binary form";
      if (!why.empty()) {
        std::cout << "  skip " << in.filename().string() << ": " << why << "\n";
        ++skipped;
        continue;
      }
    }
    const fs::path o = out / ("regression-" + stem + ".bin");
    std::ofstream(o, std::ios::binary)
        .write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    ++written;
  }
  std::cout << "kmf_regression_seeds: " << written << " regressions are fuzz_kernel seeds, " << skipped
            << " cannot be expressed\n";
  return 0;
}
