// mutator_test.cpp — the op-level mutations (fuzz/mutator.h) do what they
// claim: each kind is reachable, works on whole records, respects max_size,
// is deterministic, and cross-over splices record boundaries.
#include "fuzz/mutator.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <set>
#include <string>
#include <vector>

#include "fuzz/fuzz_target.h"
#include "ops/binary_codec.h"
#include "ops/kmf_text.h"

extern "C" std::size_t LLVMFuzzerCustomMutator(std::uint8_t* data, std::size_t size, std::size_t max_size,
                                               unsigned int seed);

namespace kmf::fuzz {
// The mutator's hooks read the target's options; this test stands in for a target.
const CodecOptions TARGET_OPTIONS = codec_options_for_target("fuzz_kernel");
const char* const TARGET_NAME = "mutator_test";
}  // namespace kmf::fuzz

namespace kmf::fuzz {
namespace {

const CodecOptions OPTIONS = codec_options_for_target("fuzz_kernel");

std::vector<std::uint8_t> seed_input() {
  const ParseResult r = parse_kmf(
      "machine mem=16M profile=i386 kmalloc=2.6.18 seed=7\n"
      "a0 = alloc_pages order=2 gfp=GFP_KERNEL\n"
      "k0 = kmalloc 100 gfp=GFP_KERNEL\n"
      "v0 = vmalloc 20000\n"
      "k1 = kmalloc 64 gfp=GFP_ATOMIC\n"
      "kfree k1\n"
      "vfree v0\n"
      "kfree k0\n"
      "free_pages a0\n",
      "seed.kmf");
  EXPECT_TRUE(r.ok());
  return encode_program(r.program(), OPTIONS);
}

std::size_t records(const std::vector<std::uint8_t>& bytes) {
  return op_record_offsets(bytes, OPTIONS).size();
}

// A byte mutator that flips the first byte: enough to tell "bytes" apart.
std::size_t flip_first(std::uint8_t* data, std::size_t size, std::size_t) {
  if (size > 0) data[0] ^= 0x5a;
  return size;
}

std::vector<std::uint8_t> mutated(const std::vector<std::uint8_t>& in, unsigned seed, std::size_t max_size) {
  std::vector<std::uint8_t> buf(in);
  buf.resize(std::max(max_size, in.size()));
  buf.resize(mutate_ops(buf.data(), in.size(), max_size, seed, OPTIONS, flip_first));
  return buf;
}

TEST(Mutator, every_kind_is_reachable_and_half_are_record_level) {
  const std::size_t n = records(seed_input());
  ASSERT_EQ(n, 8u);
  std::array<int, 6> counts{};
  for (unsigned seed = 0; seed < 2000; ++seed) ++counts[static_cast<int>(pick_mutation(seed, n))];
  for (int c : counts) EXPECT_GT(c, 0);
  EXPECT_NEAR(counts[static_cast<int>(OpMutation::bytes)], 1000, 150);
  for (unsigned seed = 0; seed < 100; ++seed) EXPECT_EQ(pick_mutation(seed, 0), OpMutation::bytes);
}

TEST(Mutator, record_moves_change_the_record_count_as_named) {
  const std::vector<std::uint8_t> in = seed_input();
  const std::size_t n = records(in);
  std::set<OpMutation> seen;
  for (unsigned seed = 0; seed < 500; ++seed) {
    const std::vector<std::uint8_t> out = mutated(in, seed, 4096);
    const OpMutation kind = pick_mutation(seed, n);
    seen.insert(kind);
    const bool same_header = std::equal(in.begin(), in.begin() + 3, out.begin());
    if (kind == OpMutation::bytes) {
      EXPECT_FALSE(same_header) << "the stand-in byte mutator flips the first byte (seed " << seed << ")";
    } else if (kind == OpMutation::machine) {
      // Only the size bits of the header may change; the ops are the same bytes.
      EXPECT_EQ(out[0] & 0xc0, in[0] & 0xc0) << seed;
      EXPECT_TRUE(std::equal(in.begin() + 1, in.end(), out.begin() + 1)) << seed;
      EXPECT_EQ(out.size(), in.size()) << seed;
    } else {
      EXPECT_TRUE(same_header) << "record moves keep the header (seed " << seed << ")";
    }
    switch (kind) {
      case OpMutation::insert: EXPECT_EQ(records(out), n + 1) << seed; break;
      case OpMutation::erase: EXPECT_EQ(records(out), n - 1) << seed; break;
      case OpMutation::repeat:
        EXPECT_GE(records(out), n + 1) << seed;
        EXPECT_LE(records(out), n + 31) << seed;
        break;
      case OpMutation::drain:
        EXPECT_EQ(records(out), n) << seed;  // one record became a repeat record around it
        EXPECT_EQ(out.size(), in.size() + 2) << seed;
        EXPECT_GE(decode_program(out, OPTIONS).ops.size(), decode_program(in, OPTIONS).ops.size()) << seed;
        break;
      default: break;
    }
  }
  EXPECT_EQ(seen.size(), 7u);
}

TEST(Mutator, machine_moves_reach_highmem_and_multi_gib_machines) {
  const std::vector<std::uint8_t> in = seed_input();
  const std::size_t n = records(in);
  std::set<std::uint64_t> mems;
  for (unsigned seed = 0; seed < 4000; ++seed) {
    if (pick_mutation(seed, n) != OpMutation::machine) continue;
    const std::vector<std::uint8_t> out = mutated(in, seed, 4096);
    mems.insert(decode_program(out, OPTIONS).machine.mem_bytes);
  }
  EXPECT_TRUE(mems.count(1 * MiB));
  EXPECT_TRUE(mems.count(896 * MiB) || mems.count(897 * MiB));
  EXPECT_TRUE(std::any_of(mems.begin(), mems.end(), [](std::uint64_t m) { return m >= 1536 * MiB; }));
  EXPECT_GT(mems.size(), 30u);
}

TEST(Mutator, repeat_reaches_many_copies_of_one_record) {
  const std::vector<std::uint8_t> in = seed_input();
  std::size_t most = 0;
  for (unsigned seed = 0; seed < 500; ++seed)
    if (pick_mutation(seed, records(in)) == OpMutation::repeat)
      most = std::max(most, records(mutated(in, seed, 4096)));
  EXPECT_GE(most, records(in) + 25);
}

TEST(Mutator, never_exceeds_max_size) {
  const std::vector<std::uint8_t> in = seed_input();
  for (std::size_t max_size : {in.size(), in.size() + 1, in.size() + 5, std::size_t{4096}})
    for (unsigned seed = 0; seed < 300; ++seed)
      ASSERT_LE(mutated(in, seed, max_size).size(), max_size) << seed;
}

TEST(Mutator, is_deterministic_in_its_seed) {
  const std::vector<std::uint8_t> in = seed_input();
  for (unsigned seed = 0; seed < 100; ++seed) EXPECT_EQ(mutated(in, seed, 4096), mutated(in, seed, 4096));
}

TEST(Mutator, tiny_inputs_get_byte_mutations) {
  for (std::size_t size = 0; size <= BINARY_HEADER_BYTES; ++size) {
    std::vector<std::uint8_t> buf(16, 0x11);
    EXPECT_EQ(mutate_ops(buf.data(), size, 16, 1, OPTIONS, flip_first), size);
  }
}

TEST(Mutator, cross_over_is_a_head_of_records_then_a_tail_of_records) {
  const std::vector<std::uint8_t> a = seed_input();
  std::vector<std::uint8_t> b = seed_input();
  b[0] ^= 0x40;  // another machine: the header must come from a
  std::vector<std::size_t> cuts_a = op_record_offsets(a, OPTIONS), cuts_b = op_record_offsets(b, OPTIONS);
  cuts_a.push_back(a.size());
  cuts_b.push_back(b.size());
  std::set<std::size_t> sizes;
  for (unsigned seed = 0; seed < 300; ++seed) {
    std::vector<std::uint8_t> out(4096);
    out.resize(cross_over_ops(a.data(), a.size(), b.data(), b.size(), out.data(), out.size(), seed, OPTIONS));
    ASSERT_GE(out.size(), BINARY_HEADER_BYTES);
    EXPECT_EQ(out[0], a[0]);
    // Some cut of a at a record boundary (or its end), then b from a record
    // boundary (or nothing).
    bool found = false;
    for (std::size_t c1 : cuts_a)
      for (std::size_t c2 : cuts_b)
        found |= out.size() == c1 + (b.size() - c2) && std::equal(a.begin(), a.begin() + c1, out.begin()) &&
                 std::equal(b.begin() + c2, b.end(), out.begin() + c1);
    EXPECT_TRUE(found) << "seed " << seed;
    sizes.insert(out.size());
  }
  EXPECT_GT(sizes.size(), 5u) << "cuts vary with the seed";
  std::vector<std::uint8_t> small(5);
  EXPECT_LE(cross_over_ops(a.data(), a.size(), b.data(), b.size(), small.data(), small.size(), 3, OPTIONS),
            5u);
}

TEST(Mutator, the_hooks_are_inert_without_libfuzzer) {
  // Linked without libFuzzer (this test, AFL++'s driver), LLVMFuzzerMutate is
  // absent and the custom mutator leaves the input alone.
  std::vector<std::uint8_t> in = seed_input();
  const std::vector<std::uint8_t> copy = in;
  in.resize(4096);
  EXPECT_EQ(LLVMFuzzerCustomMutator(in.data(), copy.size(), in.size(), 9), copy.size());
  EXPECT_TRUE(std::equal(copy.begin(), copy.end(), in.begin()));
}

}  // namespace
}  // namespace kmf::fuzz
