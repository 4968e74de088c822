// codec_fuzz_test.cpp — both codecs survive hostile input: 100k random byte
// strings decode, 10k mutated scripts parse or fail cleanly, and whatever
// parses still round-trips. (The libFuzzer targets go further; this runs on
// every build.)
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "ops/binary_codec.h"
#include "ops/kmf_text.h"
#include "ops/tests/ops_test_util.h"

namespace kmf {
namespace {

using testing::random_bytes;
using testing::test_seed;

TEST(CodecFuzz, a_hundred_thousand_random_inputs_decode_to_bounded_programs) {
  Rng rng(test_seed(0xdec0de));
  std::size_t total_ops = 0;
  for (int i = 0; i < 100000; ++i) {
    const auto bytes = random_bytes(rng, rng.below(i % 100 == 0 ? 20000 : 600));
    const Program p = decode_program(
        bytes, CodecOptions{i % 7 == 0 ? static_cast<std::uint32_t>(rng.next()) : std::uint32_t{FAMILY_ALL}});
    ASSERT_LE(p.ops.size(), MAX_DECODED_OPS);
    ASSERT_LE(p.ops.size(), bytes.size() * 1048);  // a repeat record decodes to at most 1048 ops
    total_ops += p.ops.size();
  }
  EXPECT_GT(total_ops, 1000000u);  // the inputs really do decode to ops
}

/// One random edit of a script.
void mutate(Rng& rng, std::string& s, const std::vector<std::string>& words) {
  static const char* const NUMBERS[] = {"-1",
                                        "0x",
                                        "0",
                                        "99999999999999999999",
                                        "18446744073709551615",
                                        "4K",
                                        "0xffffffffffffffffK",
                                        "1G",
                                        "63",
                                        "64",
                                        "255",
                                        "256"};
  const std::size_t at = s.empty() ? 0 : rng.below(s.size() + 1);
  switch (rng.below(8)) {
    case 0:
      if (!s.empty()) s[rng.below(s.size())] = static_cast<char>(rng.next());
      break;
    case 1: {
      std::string junk;
      for (std::uint64_t n = 1 + rng.below(8); n > 0; --n) junk += static_cast<char>(rng.next());
      s.insert(at, junk);
      break;
    }
    case 2:
      if (!s.empty()) s.erase(at, 1 + rng.below(16));
      break;
    case 3: s.insert(at, words[rng.below(words.size())]); break;
    case 4: s.insert(at, std::string(" ") + NUMBERS[rng.below(std::size(NUMBERS))] + " "); break;
    case 5: {  // duplicate a line
      const std::size_t start = s.rfind('\n', at == 0 ? 0 : at - 1);
      const std::size_t from = start == std::string::npos ? 0 : start + 1;
      const std::size_t end = s.find('\n', from);
      const std::string line = s.substr(from, end == std::string::npos ? std::string::npos : end - from + 1);
      s.insert(from, line);
      break;
    }
    case 6: s.insert(at, rng.below(2) ? "\n" : " "); break;
    default:
      if (!s.empty())
        s.erase(at, s.find('\n', at) == std::string::npos ? std::string::npos : s.find('\n', at) - at);
  }
}

TEST(CodecFuzz, ten_thousand_mutated_scripts_parse_or_fail_at_a_real_place) {
  Rng rng(test_seed(0x5c819));
  std::vector<std::string> seeds{testing::design_example_with_k1(), testing::DESIGN_EXAMPLE, ""};
  for (int i = 0; i < 20; ++i) seeds.push_back(print_kmf(decode_program(random_bytes(rng, 200))));
  const std::vector<std::string> words = kmf_keywords();
  std::size_t parsed = 0;
  for (int i = 0; i < 10000; ++i) {
    std::string s = seeds[rng.below(seeds.size())];
    for (std::uint64_t n = 1 + rng.below(3); n > 0; --n) mutate(rng, s, words);
    const ParseResult r = parse_kmf(s, "m.kmf");
    if (r.ok()) {
      ++parsed;
      const std::string printed = print_kmf(r.program());
      const ParseResult again = parse_kmf(printed, "printed.kmf");
      ASSERT_TRUE(again.ok()) << again.error().to_string() << "\n--- mutated ---\n" << s;
      ASSERT_EQ(again.program(), r.program()) << s;
    } else {
      const KmfError& e = r.error();
      const std::size_t lines = static_cast<std::size_t>(std::count(s.begin(), s.end(), '\n')) + 1;
      ASSERT_GE(e.line, 1u);
      ASSERT_LE(e.line, lines) << e.to_string();
      ASSERT_GE(e.column, 1u) << e.to_string();
      ASSERT_FALSE(e.message.empty());
      ASSERT_LT(e.message.size(), 200u) << e.message;
    }
  }
  EXPECT_GT(parsed, 300u);  // the mutations leave some scripts valid
}

}  // namespace
}  // namespace kmf
