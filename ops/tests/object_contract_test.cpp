// object_contract_test.cpp — CONTRACT for object subjects (issue 15): a
// slot allocator declares what it does with hostile requests, the executor
// holds every answer to it, and each broken variant breaks exactly one
// promise and is named CONTRACT. The generators send object subjects hostile
// requests only within the host bounds (HOST_MAX_REQUEST, HOST_MAX_ALIGN)
// unless the contract refuses them, and never a request the contract leaves
// untested.
#include <gtest/gtest.h>

#include <array>
#include <bit>
#include <cstring>

#include "alloc/fault.h"  // Rng
#include "ops/generic_binary.h"
#include "ops/generic_executor.h"
#include "ops/generic_text.h"

namespace kmf {
namespace {

/// 64 slots of 256 bytes, each aligned to 256: requests above 256 bytes or
/// 256 alignment, and alignments that are not powers of two, get null; size
/// 0 gets a slot; a failed realloc leaves its slot alone. Nothing is ever
/// written into a slot by the allocator, so a slot released behind the
/// caller's back keeps its bytes until it is handed out again.
class Slots : public ObjectSubject {
 public:
  enum class Bug {
    none,
    serves_oversize,           ///< a 300-byte request gets a slot
    serves_odd_align,          ///< alignment 24 gets a slot
    zero_size_null,            ///< size 0 gets null
    failed_realloc_releases,   ///< a realloc that fails frees the slot (bytes kept)
    failed_realloc_scribbles,  ///< a realloc that fails clears the slot, then frees it
    realloc_zero_null,         ///< realloc(p, 0) frees p and returns null
    realloc_null_allocates,    ///< realloc(nullptr, n) allocates where the contract says it refuses
  };
  static constexpr std::size_t SLOT = 256, N = 64;

  explicit Slots(Bug bug = Bug::none, Contract c = honest(), bool walked = false)
      : bug_(bug), c_(c), walked_(walked) {}
  static Contract honest() {
    Contract c;
    c.max_block = SLOT;
    c.max_align = SLOT;
    c.zero_size = Contract::ZeroSize::unique;
    c.non_pow2_align = Contract::NonPow2::refused;
    c.realloc_null = Contract::ReallocNull::allocates;
    c.realloc_zero = Contract::ReallocZero::minimal;
    return c;
  }

  std::string_view name() const override { return "slots"; }
  Caps capabilities() const override {
    return CAP_ALIGN | CAP_REALLOC | CAP_CONTRACT | (walked_ ? Caps{CAP_WALK} : Caps{0});
  }
  void walk(const BlockVisitor& visit) const override {
    for (std::size_t i = 0; i < N; ++i)
      if (used_[i]) visit(&mem_[i * SLOT], SLOT);
  }
  Contract contract() const override { return c_; }

  void* allocate(std::size_t size, std::size_t align) override {
    ++calls;
    largest = std::max(largest, size);
    if (size == 0 && bug_ == Bug::zero_size_null) return nullptr;
    const bool odd = !std::has_single_bit(align);
    if ((size > SLOT && bug_ != Bug::serves_oversize) || align > SLOT ||
        (odd && bug_ != Bug::serves_odd_align))
      return nullptr;
    for (std::size_t i = 0; i < N; ++i)
      if (!used_[i]) {
        used_[i] = true;
        return &mem_[i * SLOT];
      }
    return nullptr;
  }
  void deallocate(void* p, std::size_t, std::size_t) override { used_[index(p)] = false; }
  void* reallocate(void* p, std::size_t old_size, std::size_t new_size, std::size_t align) override {
    if (!p)
      return bug_ == Bug::realloc_null_allocates || c_.realloc_null == Contract::ReallocNull::allocates
                 ? allocate(new_size, align)
                 : nullptr;
    if (new_size == 0 && bug_ == Bug::realloc_zero_null) {
      deallocate(p, old_size, align);
      return nullptr;
    }
    void* q = allocate(new_size, align);
    if (!q) {
      if (bug_ == Bug::failed_realloc_scribbles) std::memset(p, 0, old_size);
      if (bug_ == Bug::failed_realloc_releases || bug_ == Bug::failed_realloc_scribbles)
        deallocate(p, old_size, align);
      return nullptr;
    }
    std::memcpy(q, p, std::min(old_size, new_size));
    deallocate(p, old_size, align);
    return q;
  }

  std::size_t calls = 0, largest = 0;

 private:
  std::size_t index(const void* p) const {
    return static_cast<std::size_t>(static_cast<const std::byte*>(p) - mem_) / SLOT;
  }
  Bug bug_;
  Contract c_;
  bool walked_;
  alignas(SLOT) std::byte mem_[SLOT * N] = {};
  std::array<bool, N> used_{};
};

GenericProgram parse(std::string_view text) {
  GenericParseResult r = parse_generic(text);
  EXPECT_TRUE(r.ok()) << r.error().to_string();
  return std::move(r).program();
}

GenericResult run(Slots& s, std::string_view text) {
  return execute_generic(s, parse(text), {.trace = true});
}

void expect_clean(Slots s, std::string_view text) {
  const GenericResult r = run(s, text);
  EXPECT_TRUE(r.ok()) << format_violation(*r.violation);
}

Violation expect_contract(Slots::Bug bug, std::string_view text, Contract c = Slots::honest()) {
  Slots s(bug, c);
  const GenericResult r = run(s, text);
  EXPECT_FALSE(r.ok()) << "expected CONTRACT to fire";
  if (r.ok()) return {};
  EXPECT_EQ(invariant_name(r.violation->id), "CONTRACT") << format_violation(*r.violation);
  return *r.violation;
}

constexpr std::string_view HOSTILE =
    "b0 = alloc 100\n"
    "b1 = alloc 0\n"
    "b2 = alloc 300\n"
    "b3 = alloc 18446744073709551615\n"
    "b4 = alloc 64 align=24\n"
    "b5 = alloc 64 align=512\n"
    "b6 = realloc b0 18446744073709551615\n"
    "b7 = realloc null 40\n"
    "b8 = realloc b1 0\n"
    "b9 = alloc 100\n"
    "free b0\n";

TEST(ObjectContract, the_honest_slots_keep_every_promise) { expect_clean(Slots{}, HOSTILE); }

TEST(ObjectContract, a_block_for_a_size_above_max_block_is_contract) {
  const Violation v = expect_contract(Slots::Bug::serves_oversize, "b0 = alloc 300\n");
  EXPECT_NE(v.explanation.find("above the contract's max_block 256"), std::string::npos) << v.explanation;
}

TEST(ObjectContract, a_block_for_an_alignment_that_is_not_a_power_of_two_is_contract) {
  const Violation v = expect_contract(Slots::Bug::serves_odd_align, "b0 = alloc 64 align=24\n");
  EXPECT_NE(v.explanation.find("not a power of two"), std::string::npos) << v.explanation;
}

TEST(ObjectContract, null_for_size_0_when_a_unique_block_is_promised_is_contract) {
  expect_contract(Slots::Bug::zero_size_null, "b0 = alloc 0\n");
  Contract either = Slots::honest();
  either.zero_size = Contract::ZeroSize::either;
  expect_clean(Slots(Slots::Bug::zero_size_null, either), "b0 = alloc 0\n");
}

TEST(ObjectContract, a_failed_realloc_that_changes_its_block_is_contract_at_once) {
  const Violation v =
      expect_contract(Slots::Bug::failed_realloc_scribbles, "b0 = alloc 100\nb1 = realloc b0 1000\n");
  EXPECT_EQ(v.op_index, 1u);
  EXPECT_NE(v.explanation.find("must leave the block live and intact"), std::string::npos) << v.explanation;
}

TEST(ObjectContract, a_failed_realloc_that_releases_its_block_is_contract_when_it_comes_back) {
  // The slot keeps its bytes: the failed realloc looks fine until the slot
  // is handed out again over the block the caller still owns.
  const Violation v = expect_contract(Slots::Bug::failed_realloc_releases,
                                      "b0 = alloc 100\nb1 = realloc b0 1000\nb2 = alloc 8\n");
  EXPECT_EQ(v.op_index, 2u);
  EXPECT_NE(v.explanation.find("which the failed realloc at op 1 had to leave live"), std::string::npos)
      << v.explanation;
}

TEST(ObjectContract, with_a_walk_a_released_block_without_stamps_is_contract_at_once) {
  // Size 0: no byte to read back, but the walk no longer reports the block.
  const auto bug = Slots::Bug::failed_realloc_releases;
  Slots s(bug, Slots::honest(), true);
  const GenericResult r = run(s, "b0 = alloc 0\nb1 = realloc b0 1000\n");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(invariant_name(r.violation->id), "CONTRACT");
  EXPECT_EQ(r.violation->op_index, 1u);
  EXPECT_NE(r.violation->explanation.find("the walk no longer reports b0"), std::string::npos)
      << r.violation->explanation;
  expect_clean(Slots(Slots::Bug::none, Slots::honest(), true), HOSTILE);
}

TEST(ObjectContract, realloc_to_0_must_give_a_block_when_the_contract_says_minimal) {
  expect_contract(Slots::Bug::realloc_zero_null, "b0 = alloc 100\nb1 = realloc b0 0\n");
  Contract frees = Slots::honest();
  frees.realloc_zero = Contract::ReallocZero::frees;
  expect_clean(Slots(Slots::Bug::realloc_zero_null, frees),
               "b0 = alloc 100\nb1 = realloc b0 0\nb2 = alloc 8\n");
  expect_contract(Slots::Bug::none, "b0 = alloc 100\nb1 = realloc b0 0\n", frees);  // it returned a block
}

TEST(ObjectContract, realloc_from_null_is_judged_or_left_out) {
  Contract refuses = Slots::honest();
  refuses.realloc_null = Contract::ReallocNull::refuses;
  expect_contract(Slots::Bug::realloc_null_allocates, "b0 = realloc null 40\n", refuses);
  expect_clean(Slots(Slots::Bug::none, refuses), "b0 = realloc null 40\n");
  Contract untested = Slots::honest();
  untested.realloc_null = Contract::ReallocNull::untested;
  Slots s(Slots::Bug::none, untested);
  const GenericResult r = run(s, "b0 = realloc null 40\n");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(s.calls, 0u);
  EXPECT_NE(r.trace[0].find("needs a contract that tests it: skipped"), std::string::npos) << r.trace[0];
}

TEST(ObjectContract, requests_above_the_host_bounds_go_only_when_the_contract_refuses_them) {
  Contract none = Slots::honest();
  none.max_block = 0;  // no size is promised null
  none.max_align = ~std::uint64_t{0};
  Slots s(Slots::Bug::none, none);
  const GenericResult r = run(s, "b0 = alloc 4294967296\nb1 = alloc 64 align=1099511627776\nb2 = alloc 64\n");
  ASSERT_TRUE(r.ok()) << format_violation(*r.violation);
  EXPECT_EQ(s.calls, 1u);  // only b2
  EXPECT_NE(r.trace[0].find("skipped"), std::string::npos) << r.trace[0];
  Slots promised;  // max_block 256: 2^32 is refused by promise, so it is asked
  ASSERT_TRUE(run(promised, "b0 = alloc 4294967296\n").ok());
  EXPECT_EQ(promised.largest, std::uint64_t{1} << 32);
}

/// Every alloc and realloc the decoder emits for an object contract target
/// stays within the host bounds or is refused by the contract; hostile
/// requests do appear; realloc(nullptr) appears only when it is tested.
TEST(ObjectContract, the_decoder_sends_hostile_requests_within_the_host_bounds) {
  for (const auto realloc_null : {Contract::ReallocNull::allocates, Contract::ReallocNull::untested}) {
    Contract c = Slots::honest();
    c.max_block = ~std::uint64_t{0} >> 1;
    c.max_align = ~std::uint64_t{0} >> 1;
    c.realloc_null = realloc_null;
    const GenericTarget t = generic_target(Slots(Slots::Bug::none, c));
    ASSERT_TRUE(hostile(t));
    Rng rng(15);
    std::size_t zero = 0, refused = 0, odd = 0, from_null = 0;
    for (int i = 0; i < 2000; ++i) {
      std::vector<std::uint8_t> bytes(rng.below(257));
      for (auto& b : bytes) b = static_cast<std::uint8_t>(rng.below(256));
      for (const GenericOp& op : decode_generic(bytes, t).ops) {
        if (op.verb != GenericVerb::alloc && op.verb != GenericVerb::realloc) continue;
        ASSERT_TRUE(host_safe_request(c, true, op.size, op.align)) << op.size << " align " << op.align;
        zero += op.size == 0;
        refused += op.size > c.max_block || op.align > c.max_align;
        odd += op.align && !std::has_single_bit(op.align);
        from_null += op.verb == GenericVerb::realloc && op.src == NO_SLOT;
      }
    }
    EXPECT_GT(zero, 0u);
    EXPECT_GT(refused, 0u);
    EXPECT_GT(odd, 0u);
    if (realloc_null == Contract::ReallocNull::untested)
      EXPECT_EQ(from_null, 0u);
    else
      EXPECT_GT(from_null, 0u);
  }
}

TEST(ObjectContract, the_builder_sends_hostile_requests_within_the_host_bounds) {
  Contract c = Slots::honest();
  c.max_block = 0;  // nothing promised: every hostile size above the bound is replaced
  c.max_align = ~std::uint64_t{0};
  const GenericTarget t = generic_target(Slots(Slots::Bug::none, c));
  std::vector<GenericSeed> seeds;
  for (std::uint8_t h = 1; h <= NR_HOSTILE_SIZES; ++h)
    for (std::uint8_t a : {std::uint8_t{0}, std::uint8_t{40}, std::uint8_t{63}, std::uint8_t{64}})
      seeds.push_back({GenericSeed::alloc, 0, 1, false, a, 0, h});
  const GenericProgram p = build_generic_program(t, {}, seeds);
  ASSERT_EQ(p.ops.size(), seeds.size());
  for (const GenericOp& op : p.ops)
    EXPECT_TRUE(host_safe_request(c, true, op.size, op.align)) << op.size << " align " << op.align;
}

}  // namespace
}  // namespace kmf
