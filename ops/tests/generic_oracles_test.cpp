// generic_oracles_test.cpp — the oracles the generic engine gained for real
// allocators' surface (issues 14 and 20): SELF-CHECK, CONTRACT (hostile
// requests), CALLOC, RESTORE (model-free), METADATA and the segregated
// reference model. Each id fires on a tampered adapter; each planted bug of
// the segregated-fit example (examples/segfit/segfit.h) is found by a
// default campaign — the standalone driver's inputs: seeded random bytes of
// up to 512 bytes, decoded for the adapter — and the fixed allocator stays
// clean under the same budget.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>

#include "alloc/fault.h"
#include "examples/buddy/buddy_arena.h"
#include "examples/first_fit/first_fit.h"
#include "examples/segfit/segfit.h"
#include "ops/generic_binary.h"
#include "ops/generic_executor.h"
#include "ops/generic_text.h"

namespace kmf {
namespace {

using example::SegFit;
using example::SegFitSubject;

GenericProgram parse(std::string_view text) {
  GenericParseResult r = parse_generic(text);
  EXPECT_TRUE(r.ok()) << r.error().to_string();
  return std::move(r).program();
}

template <class Factory>
GenericResult run(Factory make, std::string_view text) {
  return execute_generic_fresh(make, parse(text), {.trace = true});
}

template <class Factory>
void expect_clean(Factory make, std::string_view text) {
  const GenericResult r = run(make, text);
  EXPECT_TRUE(r.ok()) << format_violation(*r.violation);
}

template <class Factory>
Violation expect_fires(Factory make, std::string_view text, Inv id) {
  const GenericResult r = run(make, text);
  EXPECT_FALSE(r.ok()) << "expected " << invariant_name(id) << " to fire";
  if (r.ok()) return {};
  EXPECT_EQ(invariant_name(r.violation->id), invariant_name(id)) << format_violation(*r.violation);
  return *r.violation;
}

/// What the standalone driver's campaign does (front/fuzz_main.cpp): input
/// i is rng.below(max_len + 1) random bytes from Rng(seed), decoded for the
/// adapter and run on a fresh subject (with its twin). Returns the first
/// violation and the 1-based input that found it.
struct Found {
  std::optional<Violation> violation;
  std::uint64_t input = 0;
  double seconds = 0;
};
template <class Factory>
Found campaign(Factory make, std::uint64_t runs, std::uint64_t seed = 1, std::size_t max_len = 512) {
  const auto start = std::chrono::steady_clock::now();
  Rng rng(seed);
  Found f;
  std::vector<std::uint8_t> bytes;
  const GenericTarget target = generic_target(make());
  for (std::uint64_t i = 0; i < runs; ++i) {
    bytes.resize(rng.below(max_len + 1));
    for (std::uint8_t& b : bytes) b = static_cast<std::uint8_t>(rng.next());
    const GenericResult r = execute_generic_fresh(make, decode_generic(bytes, target));
    if (!r.ok()) {
      f.violation = r.violation;
      f.input = i + 1;
      break;
    }
  }
  f.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return f;
}

// ---- the segregated-fit example: fixed clean, each planted bug found -------------------------

TEST(SegFit, the_fixed_allocator_holds_for_a_default_campaign) {
  const Found f = campaign([] { return SegFitSubject(); }, 3000);
  EXPECT_FALSE(f.violation) << "input " << f.input << ": " << format_violation(*f.violation);
  std::printf("segfit fixed: 3000 inputs clean in %.2f s\n", f.seconds);
}

TEST(SegFit, the_fixed_allocator_holds_without_its_self_check_too) {
  const Found f = campaign([] { return SegFitSubject(SegFit::Bug::none, false); }, 1000, 2);
  EXPECT_FALSE(f.violation) << "input " << f.input << ": " << format_violation(*f.violation);
}

struct Planted {
  SegFit::Bug bug;
  bool self_check;
  Inv id;
  const char* what;
};

class SegFitPlanted : public ::testing::TestWithParam<Planted> {};

TEST_P(SegFitPlanted, a_default_campaign_finds_it_within_its_budget) {
  const Planted p = GetParam();
  const Found f = campaign([p] { return SegFitSubject(p.bug, p.self_check); }, 3000);
  ASSERT_TRUE(f.violation) << p.what << ": not found in 3000 inputs";
  EXPECT_EQ(invariant_name(f.violation->id), invariant_name(p.id)) << format_violation(*f.violation);
  std::printf("segfit %s: %s found by input %llu in %.3f s\n", p.what,
              std::string(invariant_name(f.violation->id)).c_str(), static_cast<unsigned long long>(f.input),
              f.seconds);
}

TEST(SegFit, without_the_model_the_merge_bug_is_found_by_restore) {
  const Found f = campaign([] { return SegFitSubject(SegFit::Bug::no_backward_merge, false, false); }, 3000);
  ASSERT_TRUE(f.violation);
  EXPECT_EQ(invariant_name(f.violation->id), "RESTORE") << format_violation(*f.violation);
  std::printf("segfit no_backward_merge (self-check and model off): RESTORE found by input %llu in %.3f s\n",
              static_cast<unsigned long long>(f.input), f.seconds);
  // and the fixed allocator without its model holds too
  const Found clean = campaign([] { return SegFitSubject(SegFit::Bug::none, false, false); }, 1000);
  EXPECT_FALSE(clean.violation) << format_violation(*clean.violation);
}

INSTANTIATE_TEST_SUITE_P(
    Bugs, SegFitPlanted,
    ::testing::Values(Planted{SegFit::Bug::rounding_overflow, true, Inv::CONTRACT, "rounding_overflow"},
                      Planted{SegFit::Bug::calloc_product, true, Inv::CALLOC, "calloc_product"},
                      Planted{SegFit::Bug::wrong_list, true, Inv::SELF_CHECK, "wrong_list"},
                      Planted{SegFit::Bug::metadata_past_end, true, Inv::METADATA, "metadata_past_end"},
                      Planted{SegFit::Bug::stats_div0, true, Inv::STATS, "stats_div0"},
                      Planted{SegFit::Bug::init_keeps_heap, true, Inv::EMPTY, "init_keeps_heap"},
                      Planted{SegFit::Bug::pool_wrong_class, true, Inv::SELF_CHECK, "pool_wrong_class"},
                      Planted{SegFit::Bug::pool_wrong_class, false, Inv::IN_BOUNDS,
                              "pool_wrong_class_unchecked"},
                      Planted{SegFit::Bug::no_backward_merge, false, Inv::NO_SPURIOUS_FAILURE,
                              "no_backward_merge (self-check off)"}),
    [](const auto& info) {
      return std::string(info.param.what).substr(0, std::string(info.param.what).find(' '));
    });

// ---- RESTORE stays quiet on the other examples -------------------------------------------------

TEST(Restore, the_fixed_first_fit_and_buddy_examples_hold_with_their_twins) {
  const Found ff = campaign([] { return example::FirstFitSubject(); }, 1000);
  EXPECT_FALSE(ff.violation) << format_violation(*ff.violation);
  const Found bd = campaign([] { return example::BuddyArenaSubject(); }, 1000);
  EXPECT_FALSE(bd.violation) << format_violation(*bd.violation);
}

TEST(Restore, fires_for_a_missed_merge_that_no_model_describes) {
  // The first-fit example's planted bug with its model withheld: only the
  // comparison with a fresh twin can tell.
  class NoModel : public example::FirstFitSubject {
   public:
    NoModel() : FirstFitSubject(true) {}
    FitModel fit_model() const override { return {}; }
  };
  const std::string_view prog = "arena_init size=1K align=16\nb0 = alloc 100\nb1 = alloc 100\nfree b0\n";
  const Violation v = expect_fires([] { return NoModel(); }, prog, Inv::RESTORE);
  EXPECT_NE(v.explanation.find("the largest request a fresh twin serves"), std::string::npos)
      << v.explanation;
  // Without a twin factory (plain execute_generic) RESTORE is off.
  NoModel plain;
  EXPECT_TRUE(execute_generic(plain, parse(prog)).ok());
}

TEST(Restore, is_off_for_an_allocator_that_may_keep_space_cached) {
  class Caching : public example::FirstFitSubject {
   public:
    Caching() : FirstFitSubject(true) {}
    FitModel fit_model() const override { return {}; }
    Caps capabilities() const override { return FirstFitSubject::capabilities() | CAP_KEEPS_CACHE; }
  };
  expect_clean([] { return Caching(); },
               "arena_init size=1K align=16\nb0 = alloc 100\nb1 = alloc 100\nfree b0\n");
}

// ---- negative tests: each new id fires on a tampered adapter -------------------------------------

/// The fixed segregated-fit adapter with one promise broken on purpose.
class Tampered : public SegFitSubject {
 public:
  enum class Bug {
    none,
    check_fails,
    big_block,
    zero_null,
    zero_block,
    realloc_scribbles,
    realloc_zero_block,
    calloc_overflow,
    calloc_dirty,
    metadata_outside,
    unaligned_huge
  };
  explicit Tampered(Bug bug) : bug_(bug) {}
  bool init(void* base, std::size_t size, std::size_t align) override {
    base_ = static_cast<std::byte*>(base);
    return SegFitSubject::init(base, size, align);
  }
  std::optional<std::string> check() const override {
    if (bug_ == Bug::check_fails && calls_ >= 2) return "the free-list bitmap disagrees with the lists";
    return SegFitSubject::check();
  }
  void* alloc(std::size_t size, std::size_t align) override {
    ++calls_;
    if (bug_ == Bug::big_block && size > (std::size_t{1} << 40)) return SegFitSubject::alloc(16, 0);
    if (bug_ == Bug::unaligned_huge && align > 16) return SegFitSubject::alloc(16, 0);
    if (size == 0 && bug_ == Bug::zero_null) return nullptr;
    return SegFitSubject::alloc(size, align);
  }
  void* realloc(void* p, std::size_t size) override {
    if (bug_ == Bug::realloc_scribbles && p && size >= (std::size_t{1} << 32)) {
      static_cast<unsigned char*>(p)[0] ^= 0xff;  // fails, but not before touching the block
      return nullptr;
    }
    if (bug_ == Bug::realloc_zero_block && p && size == 0) {
      SegFitSubject::free(p);
      return SegFitSubject::alloc(1, 0);
    }
    return SegFitSubject::realloc(p, size);
  }
  void* calloc(std::size_t n, std::size_t size) override {
    std::size_t bytes = 0;
    if (bug_ == Bug::calloc_overflow && __builtin_mul_overflow(n, size, &bytes))
      return SegFitSubject::alloc(bytes, 0);
    if (bug_ == Bug::calloc_dirty && !__builtin_mul_overflow(n, size, &bytes)) {
      void* p = SegFitSubject::alloc(bytes, 0);
      if (p && bytes > 3) static_cast<unsigned char*>(p)[3] = 0x5a;
      return p;
    }
    return SegFitSubject::calloc(n, size);
  }
  kmf::Contract contract() const override {
    kmf::Contract c = SegFitSubject::contract();
    if (bug_ == Bug::zero_block) c.zero_size = kmf::Contract::ZeroSize::null;
    return c;
  }
  void metadata(const BlockVisitor& visit) const override {
    if (bug_ == Bug::metadata_outside && calls_ >= 1) visit(base_ - 32, 16);
    SegFitSubject::metadata(visit);
  }

 private:
  Bug bug_;
  std::byte* base_ = nullptr;
  int calls_ = 0;
};

template <Tampered::Bug B>
Tampered make() {
  return Tampered(B);
}

TEST(SelfCheck, fires_when_the_allocators_own_check_fails) {
  const Violation v = expect_fires(make<Tampered::Bug::check_fails>,
                                   "b0 = alloc 8\nb1 = alloc 8\nb2 = alloc 8\n", Inv::SELF_CHECK);
  EXPECT_EQ(v.op_index, 1u);
  EXPECT_NE(v.explanation.find("the free-list bitmap disagrees with the lists"), std::string::npos);
  expect_clean(make<Tampered::Bug::none>, "b0 = alloc 8\nb1 = alloc 8\nb2 = alloc 8\n");
}

TEST(SelfCheck, runs_in_the_teardown_sweep_too) {
  // One op only: the check first fails after the teardown's second alloc (the probe).
  const Violation v = expect_fires(make<Tampered::Bug::check_fails>, "b0 = alloc 8\n", Inv::SELF_CHECK);
  EXPECT_EQ(v.op_index, 1u);  // teardown
}

TEST(Contract, an_oversized_request_must_return_null) {
  const Violation v =
      expect_fires(make<Tampered::Bug::big_block>, "b0 = alloc 0xffffffffffffffff\n", Inv::CONTRACT);
  EXPECT_NE(v.explanation.find("the contract promises null"), std::string::npos) << v.explanation;
  expect_clean(
      make<Tampered::Bug::none>,
      "b0 = alloc 0xffffffffffffffff\nb1 = alloc 0x8000000000000000\nb2 = alloc 4G\nb3 = alloc 4097\n");
}

TEST(Contract, an_alignment_above_max_align_must_return_null) {
  expect_fires(make<Tampered::Bug::unaligned_huge>, "b0 = alloc 64 align=0x8000000000000000\n",
               Inv::CONTRACT);
  expect_clean(make<Tampered::Bug::none>, "b0 = alloc 64 align=0x8000000000000000\nb1 = alloc 8 align=24\n");
}

TEST(Contract, size_zero_gets_the_promised_answer) {
  expect_fires(make<Tampered::Bug::zero_null>, "b0 = alloc 0\n", Inv::CONTRACT);   // unique block promised
  expect_fires(make<Tampered::Bug::zero_block>, "b0 = alloc 0\n", Inv::CONTRACT);  // null promised
  expect_clean(make<Tampered::Bug::none>, "b0 = alloc 0\nb1 = alloc 0\nfree b0\nb2 = calloc 0 8\n");
}

TEST(Contract, a_failed_realloc_leaves_its_block_intact) {
  const Violation v = expect_fires(make<Tampered::Bug::realloc_scribbles>,
                                   "b0 = alloc 64\nb1 = realloc b0 4G\n", Inv::CONTRACT);
  EXPECT_NE(v.explanation.find("a failed realloc must leave the block intact"), std::string::npos);
  expect_clean(make<Tampered::Bug::none>, "b0 = alloc 64\nb1 = realloc b0 4G\nfree b0\n");
}

TEST(Contract, realloc_to_zero_and_from_null_keep_the_contract) {
  expect_fires(make<Tampered::Bug::realloc_zero_block>, "b0 = alloc 64\nb1 = realloc b0 0\n", Inv::CONTRACT);
  expect_clean(make<Tampered::Bug::none>,
               "b0 = alloc 64\nb1 = realloc b0 0\nb2 = realloc null 32\nfree b2\n");
}

TEST(Contract, hostile_requests_are_skipped_without_a_contract) {
  // The first-fit example declares no contract: size 0 and realloc(nullptr) are not run.
  const GenericResult r = run([] { return example::FirstFitSubject(); },
                              "b0 = alloc 0\nb1 = alloc 8\nb2 = realloc null 8\nfree b1\n");
  ASSERT_TRUE(r.ok()) << format_violation(*r.violation);
  EXPECT_NE(r.trace[1].find("skipped"), std::string::npos) << r.trace[1];
  EXPECT_NE(r.trace[3].find("skipped"), std::string::npos) << r.trace[3];
}

TEST(Calloc, an_overflowing_product_must_return_null) {
  const Violation v =
      expect_fires(make<Tampered::Bug::calloc_overflow>, "b0 = calloc 0x1000000000000001 16\n", Inv::CALLOC);
  EXPECT_NE(v.explanation.find("overflows 64 bits"), std::string::npos) << v.explanation;
  expect_clean(make<Tampered::Bug::none>, "b0 = calloc 0x1000000000000001 16\nb1 = calloc 3 40\nfree b1\n");
}

TEST(Calloc, the_block_reads_as_zero) {
  const Violation v = expect_fires(make<Tampered::Bug::calloc_dirty>, "b0 = calloc 4 8\n", Inv::CALLOC);
  EXPECT_NE(v.explanation.find("byte 3 of the calloc'ed block b0 reads 0x5a, not zero"), std::string::npos)
      << v.explanation;
  // memory a freed block stamped is zeroed again by the fixed calloc
  expect_clean(make<Tampered::Bug::none>, "b0 = alloc 100\nfree b0\nb1 = calloc 10 10\n");
}

TEST(Metadata, ranges_outside_the_current_arena_fire) {
  const Violation v = expect_fires(make<Tampered::Bug::metadata_outside>, "b0 = alloc 8\n", Inv::METADATA);
  EXPECT_NE(v.explanation.find("is not inside the current arena"), std::string::npos) << v.explanation;
}

TEST(Metadata, a_shrink_that_leaves_the_sentinel_behind_is_found) {
  const std::string_view prog = "arena_init size=4K align=16\nb0 = alloc 64\nresize 2K\n";
  expect_fires([] { return SegFitSubject(SegFit::Bug::metadata_past_end); }, prog, Inv::METADATA);
  expect_clean([] { return SegFitSubject(); }, prog);
}

TEST(Stats, counters_that_disagree_with_the_ledger_fire) {
  class Miscounting : public SegFitSubject {
    ArenaStats stats() const override {
      ArenaStats st = SegFitSubject::stats();
      if (st.used_blocks && *st.used_blocks == 2) st.used_blocks = 1;  // forgets one block
      return st;
    }
  };
  const Violation v =
      expect_fires([] { return Miscounting(); }, "b0 = alloc 8\nb1 = alloc 8\nstats\n", Inv::STATS);
  EXPECT_EQ(v.op_index, 2u);
  EXPECT_NE(v.explanation.find("used_blocks is 1"), std::string::npos) << v.explanation;
  expect_clean([] { return SegFitSubject(); }, "b0 = alloc 8\nb1 = alloc 8\nstats\nfree b0\nstats\n");
}

TEST(Stats, a_metric_that_divides_by_zero_on_the_empty_heap_is_found_right_after_init) {
  const Violation v =
      expect_fires([] { return SegFitSubject(SegFit::Bug::stats_div0); }, "b0 = alloc 8\n", Inv::STATS);
  EXPECT_NE(v.explanation.find("the metric mean_used_block is NaN"), std::string::npos) << v.explanation;
}

// ---- arenas: exact base alignment, any byte size, many GiB reserved lazily -----------------------

/// The first-fit example over arenas of up to 8 GiB with byte-granular
/// sizes, its base aligned to exactly 16.
class BigFirstFit : public example::FirstFitSubject {
 public:
  ArenaGeometry geometry() const override {
    return {.min_size = 256,
            .max_size = std::uint64_t{8} << 30,
            .size_granule = 16,
            .base_align = 16,
            .min_align = 16,
            .max_align = 16};
  }
  bool init(void* base, std::size_t size, std::size_t align) override {
    base_mod_32 = reinterpret_cast<std::uintptr_t>(base) % 32;
    return FirstFitSubject::init(base, size, align);
  }
  std::uintptr_t base_mod_32 = 0;
};

TEST(Arena, an_8_gib_arena_is_reachable_and_costs_only_what_is_touched) {
  const std::string_view prog =
      "arena_init size=8G align=16\nb0 = alloc 6G\nb1 = alloc 1G\nfree b0\nb2 = alloc 5G\nb3 = realloc b1 "
      "2G\n";
  expect_clean([] { return BigFirstFit(); }, prog);
  // The binary form carries sizes above 4 GiB for such a geometry.
  const GenericTarget t = generic_target(BigFirstFit());
  const GenericProgram p = parse(prog);
  EXPECT_EQ(decode_generic(encode_generic(p, t), t), p);
}

TEST(Arena, the_base_is_aligned_to_exactly_base_align) {
  BigFirstFit s;
  ASSERT_TRUE(execute_generic(s, parse("arena_init size=4K align=16\n")).ok());
  EXPECT_EQ(s.base_mod_32, 16u);  // 16, not 32: an allocator assuming more alignment shows it
}

TEST(Arena, the_fit_model_is_asked_after_init_so_it_may_depend_on_its_alignment) {
  class AlignedModel : public example::FirstFitSubject {
   public:
    bool init(void* base, std::size_t size, std::size_t align) override {
      align_ = align;
      return FirstFitSubject::init(base, size, align);
    }
    FitModel fit_model() const override { return FitModel::first_fit(16, 16, align_); }  // slack = align
    std::size_t align_ = 0;
  };
  const GenericResult r =
      execute_generic(*std::make_unique<AlignedModel>(), parse("arena_init size=1K align=16\nb0 = alloc 1\n"),
                      {.trace = true});
  ASSERT_TRUE(r.ok());
  EXPECT_NE(r.trace.back().find("probe alloc 992"), std::string::npos)
      << r.trace.back();  // granule 16, not 1
}

#if defined(__SANITIZE_ADDRESS__)
constexpr bool UNDER_ASAN = true;
#else
constexpr bool UNDER_ASAN = false;
#endif

/// Reads the byte just past the arena's end (or, after a shrink, past the
/// new end) on its third alloc: a bug only ASan's poisoning can show.
class Peeking : public example::FirstFitSubject {
 public:
  bool init(void* base, std::size_t size, std::size_t align) override {
    end_ = static_cast<volatile unsigned char*>(base) + size;
    return FirstFitSubject::init(base, size, align);
  }
  void* alloc(std::size_t size, std::size_t align) override {
    if (++calls_ == 3) sink_ = end_[0];
    return FirstFitSubject::alloc(size, align);
  }

 private:
  volatile unsigned char* end_ = nullptr;
  int calls_ = 0;
  unsigned char sink_ = 0;
};

TEST(Arena, under_asan_a_read_past_the_arena_end_is_an_asan_report) {
  if (!UNDER_ASAN) GTEST_SKIP() << "needs an ASan build (the asan preset)";
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(run([] { return Peeking(); }, "b0 = alloc 8\nb1 = alloc 8\nb2 = alloc 8\n"),
               "use-after-poison");
}

// ---- realloc with an alignment ---------------------------------------------------------------------

/// The first-fit example with realloc_aligned; `ignores` drops the alignment.
class AlignedRealloc : public example::FirstFitSubject {
 public:
  explicit AlignedRealloc(bool ignores) : ignores_(ignores) {}
  Caps capabilities() const override {
    return FirstFitSubject::capabilities() | CAP_ALIGN | CAP_REALLOC_ALIGN;
  }
  FitModel fit_model() const override { return {}; }  // first fit's model would promise aligned blocks
  void* alloc(std::size_t size, std::size_t align) override {
    return align > 16 ? nullptr : FirstFitSubject::alloc(size, align);
  }
  void* realloc_aligned(void* p, std::size_t size, std::size_t align) override {
    if (align > 16 && !ignores_) return nullptr;  // cannot honour it: fails, p stays live
    return FirstFitSubject::realloc(p, size);
  }

 private:
  bool ignores_;
};

TEST(ReallocAlign, a_realloc_that_ignores_its_alignment_breaks_alignment) {
  const std::string_view prog = "b0 = alloc 40\nb1 = alloc 8\nb2 = realloc b0 200 align=256\nfree b1\n";
  expect_fires([] { return AlignedRealloc(true); }, prog, Inv::ALIGNMENT);
  expect_clean([] { return AlignedRealloc(false); }, prog);
  // the decoder carries alignments on realloc for such adapters
  const GenericTarget t = generic_target(AlignedRealloc(false));
  const GenericProgram p =
      parse("arena_init size=4K align=16\nb0 = alloc 40\nb1 = realloc b0 200 align=64\n");
  EXPECT_EQ(decode_generic(encode_generic(p, t), t), p);
}

// ---- several heaps ----------------------------------------------------------------------------------

using HeapBug = example::SegFitHeapsSubject::HeapBug;
using example::SegFitHeapsSubject;

/// Each per-heap function that forgets its handle and uses the default
/// heap fires the oracle of what it answers, about heap 1.
struct WrongHeap {
  HeapBug bug;
  Inv id;
  const char* program;
  const char* says;  ///< in the explanation
};

std::string wrong_heap_name(HeapBug bug) {
  static const char* const names[] = {"none", "alloc", "calloc", "realloc", "walk", "stats", "empty"};
  return names[static_cast<int>(bug)];
}

class HeapsWrongHeap : public ::testing::TestWithParam<WrongHeap> {};

TEST_P(HeapsWrongHeap, fires_about_heap_1_and_the_fixed_heaps_hold) {
  const WrongHeap w = GetParam();
  const Violation v = expect_fires([&] { return SegFitHeapsSubject(w.bug); }, w.program, w.id);
  EXPECT_NE(v.explanation.find(w.says), std::string::npos) << v.explanation;
  expect_clean([] { return SegFitHeapsSubject(); }, w.program);
}

INSTANTIATE_TEST_SUITE_P(
    Heaps, HeapsWrongHeap,
    ::testing::Values(WrongHeap{HeapBug::alloc_default, Inv::IN_BOUNDS,
                                "b0 = alloc 64\nb1 = alloc 64 heap=1\nb2 = alloc 64 heap=2\nfree b1\n",
                                "is not inside heap 1's arena"},
                      WrongHeap{HeapBug::calloc_default, Inv::IN_BOUNDS, "b0 = calloc 4 16 heap=1\n",
                                "is not inside heap 1's arena"},
                      WrongHeap{HeapBug::realloc_default, Inv::IN_BOUNDS,
                                "b0 = alloc 32 heap=1\nb1 = realloc b0 200\n", "the reallocated block b1"},
                      WrongHeap{HeapBug::walk_default, Inv::WALK,
                                "b0 = alloc 32\nb1 = alloc 48 heap=1\nwalk heap=1\n", "(the walk of heap 1)"},
                      WrongHeap{HeapBug::stats_default, Inv::STATS, "b0 = alloc 32 heap=1\nstats heap=1\n",
                                "stats_in(1) at this op: used_blocks is 0"},
                      WrongHeap{HeapBug::empty_default, Inv::EMPTY, "b0 = alloc 32 heap=1\n",
                                "is_empty_in(1) says yes while 1 blocks are live in heap 1"}),
    [](const auto& info) { return wrong_heap_name(info.param.bug); });

/// A SegFit bug planted in the extra heaps only: the oracle that finds it
/// on the default heap finds it on heap 1 (the models, RESTORE, CALLOC,
/// METADATA through resize_in, STATS right after init_heap).
struct InHeap1 {
  SegFit::Bug bug;
  bool model;
  Inv id;
  const char* program;
  const char* says;
  bool heap0_misses = true;  ///< the program moved to the default heap runs clean
};

class HeapsPerHeapOracle : public ::testing::TestWithParam<InHeap1> {};

TEST_P(HeapsPerHeapOracle, fires_on_heap_1_while_the_default_heap_is_correct) {
  const InHeap1 w = GetParam();
  const auto buggy = [&] { return SegFitHeapsSubject(HeapBug::none, w.bug, /*self_check=*/false, w.model); };
  const Violation v = expect_fires(buggy, w.program, w.id);
  EXPECT_NE(v.explanation.find(w.says), std::string::npos) << v.explanation;
  expect_clean([&] { return SegFitHeapsSubject(HeapBug::none, SegFit::Bug::none, false, w.model); },
               w.program);
  if (!w.heap0_misses) return;
  // the same program on the default heap does not reach the bug
  std::string on_heap0 = w.program;
  for (std::size_t at; (at = on_heap0.find(" heap=1")) != std::string::npos;) on_heap0.erase(at, 7);
  expect_clean(buggy, on_heap0);
}

INSTANTIATE_TEST_SUITE_P(
    Heaps, HeapsPerHeapOracle,
    ::testing::Values(
        InHeap1{SegFit::Bug::no_backward_merge, true, Inv::NO_SPURIOUS_FAILURE,
                "b0 = alloc 1K heap=1\nb1 = alloc 1K heap=1\nfree b0\nfree b1\n", "in heap 1 failed"},
        InHeap1{SegFit::Bug::no_backward_merge, false, Inv::RESTORE,
                "b0 = alloc 1K heap=1\nb1 = alloc 1K heap=1\nfree b0\nfree b1\n", "a fresh heap of"},
        InHeap1{SegFit::Bug::calloc_product, true, Inv::CALLOC, "b0 = calloc 1152921504606846977 16 heap=1\n",
                "calloc_in(1, 1152921504606846977, 16) returned"},
        InHeap1{SegFit::Bug::metadata_past_end, true, Inv::METADATA,
                "arena_init size=4K align=16\nb0 = alloc 64 heap=1\nresize 2K heap=1\n", "heap 1's arena"},
        InHeap1{SegFit::Bug::stats_div0, true, Inv::STATS, "b0 = alloc 64 heap=1\n",
                "stats_in(1) right after init", /*heap0_misses=*/false}),
    [](const auto& info) { return std::to_string(info.index); });

/// Tampered per-heap answers the SegFit heaps never give (CAP_CAN_SHRINK
/// declared, which the example leaves out).
class TamperedHeaps : public SegFitHeapsSubject {
 public:
  enum class Bug { none, usable_short, refuses_grow, can_shrink_lies, metadata_over_blocks };
  explicit TamperedHeaps(Bug bug, HeapBug heap_bug = HeapBug::none)
      : SegFitHeapsSubject(heap_bug), bug_(bug) {}
  Caps capabilities() const override { return SegFitHeapsSubject::capabilities() | CAP_CAN_SHRINK; }
  bool init_heap(unsigned h, void* base, std::size_t size, std::size_t align) override {
    if (h == 1) heap1_ = static_cast<const std::byte*>(base);
    return SegFitHeapsSubject::init_heap(h, base, size, align);
  }
  std::size_t usable_size_in(unsigned h, const void* p) const override {
    const std::size_t n = SegFitHeapsSubject::usable_size_in(h, p);
    return bug_ == Bug::usable_short && n ? n - 1 : n;
  }
  bool resize_in(unsigned h, std::size_t n) override {
    return bug_ == Bug::refuses_grow ? false : SegFitHeapsSubject::resize_in(h, n);
  }
  bool can_shrink_in(unsigned h, std::size_t n) const override {
    return bug_ == Bug::can_shrink_lies || SegFitHeapsSubject::can_shrink_in(h, n);
  }
  void metadata_in(unsigned h, const BlockVisitor& visit) const override {
    SegFitHeapsSubject::metadata_in(h, visit);
    if (bug_ == Bug::metadata_over_blocks && h == 1)
      visit(heap1_ + 16, 32);  // where heap 1's first block lies
  }

 private:
  Bug bug_;
  const std::byte* heap1_ = nullptr;
};

TEST(Heaps, usable_size_resize_can_shrink_and_metadata_are_held_per_heap) {
  using B = TamperedHeaps::Bug;
  Violation v = expect_fires([] { return TamperedHeaps(B::usable_short); },
                             "b0 = alloc 64\nb1 = alloc 64 heap=2\n", Inv::USABLE_SIZE);
  EXPECT_NE(v.explanation.find("usable_size_in(2, "), std::string::npos) << v.explanation;
  const char* grow = "arena_init size=1K align=16\nb0 = alloc 64 heap=1\nresize 2K heap=1\n";
  v = expect_fires([] { return TamperedHeaps(B::refuses_grow); }, grow, Inv::RESIZE);
  EXPECT_NE(v.explanation.find("the grow resize_in(1, 2048) was refused"), std::string::npos)
      << v.explanation;
  expect_clean([] { return TamperedHeaps(B::none); }, grow);
  const char* shrink =
      "arena_init size=4K align=16\nb0 = alloc 3K heap=1\nresize 1K heap=1\nfree b0\nresize 1K heap=1\n";
  v = expect_fires([] { return TamperedHeaps(B::can_shrink_lies); }, shrink, Inv::EMPTY);
  EXPECT_NE(v.explanation.find("can_shrink_in(1, 1024) said yes but resize_in(1, 1024) refused"),
            std::string::npos)
      << v.explanation;
  expect_clean([] { return TamperedHeaps(B::none); },
               shrink);  // refused while b0 lives, done once it is freed
  v = expect_fires([] { return TamperedHeaps(B::metadata_over_blocks); },
                   "b0 = alloc 64\nb1 = alloc 64 heap=1\n", Inv::IN_BOUNDS);
  EXPECT_NE(v.explanation.find("overlaps the allocator's heap 1 metadata"), std::string::npos)
      << v.explanation;
  expect_clean([] { return TamperedHeaps(B::none); }, "b0 = alloc 64\nb1 = alloc 64 heap=1\n");
}

TEST(Heaps, contracts_size_limit_is_the_heaps_own) {
  // heap 0 grown to 8K; a 6K request to the 4K heap 1 must return null, and
  // the plant whose alloc_in uses the default heap serves it
  const char* prog = "arena_init size=4K align=16\nresize 8K\nb0 = alloc 6K heap=1\n";
  const Violation v =
      expect_fires([] { return SegFitHeapsSubject(HeapBug::alloc_default); }, prog, Inv::CONTRACT);
  EXPECT_NE(v.explanation.find("larger than heap 1's 4096-byte arena"), std::string::npos) << v.explanation;
  expect_clean([] { return SegFitHeapsSubject(); }, prog);
}

TEST(Heaps, a_default_campaign_finds_each_wrong_heap_and_holds_on_the_fixed_one) {
  for (const auto& [bug, id] : {std::pair{HeapBug::alloc_default, "IN-BOUNDS"},
                                {HeapBug::calloc_default, "IN-BOUNDS"},
                                {HeapBug::realloc_default, "IN-BOUNDS"},
                                {HeapBug::walk_default, "WALK"},
                                {HeapBug::stats_default, "STATS"},
                                {HeapBug::empty_default, "EMPTY"}}) {
    const HeapBug planted = bug;  // (clang 14 cannot capture a structured binding)
    const Found found = campaign([planted] { return SegFitHeapsSubject(planted); }, 3000);
    ASSERT_TRUE(found.violation) << static_cast<int>(bug);
    // a neighbouring id may come first (e.g. CONTRACT: heap 1's request served from the default heap)
    std::printf("segfit heaps bug %d: %s found by input %llu in %.3f s (expected %s)\n",
                static_cast<int>(bug), std::string(invariant_name(found.violation->id)).c_str(),
                static_cast<unsigned long long>(found.input), found.seconds, id);
  }
  const Found clean = campaign([] { return SegFitHeapsSubject(); }, 2000);
  EXPECT_FALSE(clean.violation) << "input " << clean.input << ": " << format_violation(*clean.violation);
}

// ---- pools ----------------------------------------------------------------------------------------

/// A heap over the arena plus one added pool (TLSF's tlsf_add_pool shape):
/// alloc tries the arena, then the pool; free and usable_size go by address.
/// `overrun`: the pool's blocks are handed out 64 bytes past the pool's end.
class TwoPools : public example::FirstFitSubject {
 public:
  explicit TwoPools(bool overrun = false) : overrun_(overrun) {}
  Caps capabilities() const override { return FirstFitSubject::capabilities() | CAP_POOLS; }
  FitModel fit_model() const override { return {}; }  // NO-SPURIOUS-FAILURE's model speaks about one space
  bool add_pool(void* base, std::size_t size) override {
    if (pool_base_ || !pool_.init(base, size)) return false;
    pool_base_ = static_cast<std::byte*>(base);
    pool_size_ = size;
    return true;
  }
  void* alloc(std::size_t size, std::size_t align) override {
    if (void* p = FirstFitSubject::alloc(size, align)) return p;
    if (!pool_base_) return nullptr;
    void* p = pool_.alloc(size);
    return p && overrun_ ? pool_base_ + pool_size_ + 64 : p;
  }
  void free(void* p) override { in_pool(p) ? pool_.free(p) : FirstFitSubject::free(p); }
  void* realloc(void* p, std::size_t size) override {
    return in_pool(p) ? nullptr : FirstFitSubject::realloc(p, size);
  }
  std::size_t usable_size(const void* p) const override {
    return in_pool(p) ? pool_.usable_size(p) : FirstFitSubject::usable_size(p);
  }
  bool is_empty() const override { return FirstFitSubject::is_empty() && (!pool_base_ || pool_.is_empty()); }
  void walk(const BlockVisitor& visit) const override {
    FirstFitSubject::walk(visit);
    if (pool_base_) pool_.walk(visit);
  }

 private:
  bool in_pool(const void* p) const { return pool_base_ && p >= pool_base_ && p < pool_base_ + pool_size_; }
  bool overrun_;
  example::FirstFit pool_;
  std::byte* pool_base_ = nullptr;
  std::size_t pool_size_ = 0;
};

TEST(Pools, blocks_from_an_added_pool_are_held_to_the_same_invariants) {
  const std::string_view prog =
      "arena_init size=256 align=16\nb0 = alloc 200\nadd_pool 4K\nb1 = alloc 100\nb2 = alloc 200\nwalk\nfree "
      "b1\n";
  const Violation v = expect_fires([] { return TwoPools(true); }, prog, Inv::IN_BOUNDS);
  EXPECT_NE(v.explanation.find("or any pool"), std::string::npos) << v.explanation;
  expect_clean([] { return TwoPools(); }, prog);
}

TEST(Pools, a_default_campaign_adds_pools_and_holds_on_the_correct_heap) {
  const GenericTarget t = generic_target(TwoPools());
  std::size_t pools = 0;
  Rng rng(5);
  for (int i = 0; i < 200; ++i) {
    std::vector<std::uint8_t> bytes(rng.below(513));
    for (std::uint8_t& b : bytes) b = static_cast<std::uint8_t>(rng.next());
    for (const GenericOp& op : decode_generic(bytes, t).ops) pools += op.verb == GenericVerb::add_pool;
  }
  EXPECT_GT(pools, 100u);
  const Found clean = campaign([] { return TwoPools(); }, 1000);
  EXPECT_FALSE(clean.violation) << "input " << clean.input << ": " << format_violation(*clean.violation);
  const Found bug = campaign([] { return TwoPools(true); }, 1000);
  ASSERT_TRUE(bug.violation);
  EXPECT_EQ(invariant_name(bug.violation->id), "IN-BOUNDS") << format_violation(*bug.violation);
}

// ---- calls out of order ---------------------------------------------------------------------------

/// The segregated-fit adapter with its out-of-order promises broken.
class OutOfOrder : public SegFitSubject {
 public:
  enum class Bug { none, alloc_before_init, zero_init_succeeds, second_init_refused };
  explicit OutOfOrder(Bug bug) : bug_(bug) {}
  bool init(void* base, std::size_t size, std::size_t align) override {
    if (size == 0 && bug_ == Bug::zero_init_succeeds) return true;
    if (inited_ && bug_ == Bug::second_init_refused) return false;
    inited_ = SegFitSubject::init(base, size, align) || inited_;
    return inited_ || size == 0 ? SegFitSubject::init(base, size, align) : false;
  }
  void* alloc(std::size_t size, std::size_t align) override {
    if (!inited_ && bug_ == Bug::alloc_before_init) return scratch_;
    return SegFitSubject::alloc(size, align);
  }

 private:
  Bug bug_;
  bool inited_ = false;
  alignas(16) unsigned char scratch_[64] = {};
};

TEST(OutOfOrder, calls_before_init_and_after_a_failed_init_must_be_refused) {
  const std::string_view early = "arena_init size=4K align=16 early=1\nb0 = alloc 8\n";
  const Violation v =
      expect_fires([] { return OutOfOrder(OutOfOrder::Bug::alloc_before_init); }, early, Inv::CONTRACT);
  EXPECT_NE(v.explanation.find("alloc of 64 bytes before init returned"), std::string::npos) << v.explanation;
  expect_fires([] { return OutOfOrder(OutOfOrder::Bug::zero_init_succeeds); }, early, Inv::CONTRACT);
  expect_clean([] { return OutOfOrder(OutOfOrder::Bug::none); }, early);
}

TEST(OutOfOrder, a_second_init_gets_the_promised_answer) {
  const std::string_view prog = "b0 = alloc 8\ninit\nb1 = alloc 8\nfree b1\n";
  const Violation v =
      expect_fires([] { return OutOfOrder(OutOfOrder::Bug::second_init_refused); }, prog, Inv::CONTRACT);
  EXPECT_NE(v.explanation.find("a second init was refused, but the contract says it resets the heap"),
            std::string::npos)
      << v.explanation;
  expect_clean([] { return SegFitSubject(); }, prog);  // b0 is gone with the old heap, not leaked
}

// ---- the generators reach the hostile requests at a useful rate ----------------------------------

TEST(Hostile, the_decoder_produces_hostile_requests_at_a_useful_rate) {
  const GenericTarget t = generic_target(SegFitSubject());
  Rng rng(1);
  std::size_t ops = 0, zero = 0, huge = 0, near_max = 0, big_align = 0, odd_align = 0, from_null = 0,
              callocs = 0, overflowing = 0, inits = 0, early = 0;
  std::vector<std::uint8_t> bytes;
  for (int i = 0; i < 1000; ++i) {
    bytes.resize(rng.below(513));
    for (std::uint8_t& b : bytes) b = static_cast<std::uint8_t>(rng.next());
    const GenericProgram p = decode_generic(bytes, t);
    early += p.arena->early;
    for (const GenericOp& op : p.ops) {
      ++ops;
      if (!binds(op.verb)) {
        inits += op.verb == GenericVerb::init;
        continue;
      }
      zero += op.size == 0;
      huge += op.size > p.arena->size;
      near_max += op.size >= ~std::uint64_t{0} - 64;
      big_align += op.align > 16;
      odd_align += op.align != 0 && !std::has_single_bit(op.align);
      from_null += op.verb == GenericVerb::realloc && op.src == NO_SLOT;
      std::uint64_t product = 0;
      callocs += op.verb == GenericVerb::calloc;
      overflowing += op.verb == GenericVerb::calloc && __builtin_mul_overflow(op.count, op.size, &product);
    }
  }
  std::printf(
      "%zu ops: size 0 %zu, above the arena %zu, within 64 of SIZE_MAX %zu, align > 16 %zu, non-power "
      "align %zu, realloc(nullptr) %zu, calloc %zu (overflowing %zu), second init %zu; early=1 in %zu "
      "of 1000 programs\n",
      ops, zero, huge, near_max, big_align, odd_align, from_null, callocs, overflowing, inits, early);
  // At least one op in a few hundred of each kind: every default campaign input of a few hundred bytes sees
  // some.
  for (const std::size_t n : {zero, huge, near_max, big_align, odd_align, from_null, overflowing, inits})
    EXPECT_GT(n * 300, ops);
  EXPECT_GT(early, 100u);
}

// ---- a custom model ---------------------------------------------------------------------------------

/// An adapter's own model: a pool of fixed 64-byte slots, every request up
/// to 64 bytes takes one slot, so it must fit while a whole free slot exists.
class SlotModel : public CustomFitModel {
 public:
  std::string name() const override { return "slots(64)"; }
  AddrRange extent(std::uint64_t addr, std::uint64_t, std::optional<std::uint64_t>) const override {
    return {addr - addr % 64, addr - addr % 64 + 64};
  }
  bool must_fit(AddrRange space, const std::vector<AddrRange>& occupied, std::uint64_t size, std::uint64_t,
                std::uint64_t) const override {
    if (size > 64) return false;
    for (std::uint64_t s = space.lo; s + 64 <= space.hi; s += 64)
      if (std::none_of(occupied.begin(), occupied.end(), [&](const AddrRange& r) {
            return r.overlaps({s, s + 64});
          }))
        return true;
    return false;
  }
  std::string explain(std::uint64_t size, std::uint64_t, std::uint64_t) const override {
    return "a request of " + std::to_string(size) + " bytes takes one free 64-byte slot";
  }
};

TEST(CustomModel, an_adapters_own_model_judges_failures_and_explains_them) {
  class Refusing : public example::FirstFitSubject {
   public:
    FitModel fit_model() const override { return FitModel::custom(std::make_shared<SlotModel>()); }
    void* alloc(std::size_t size, std::size_t align) override {
      return ++calls_ == 2 ? nullptr : FirstFitSubject::alloc(size, align);
    }
    int calls_ = 0;
  };
  const Violation v =
      expect_fires([] { return Refusing(); }, "arena_init size=1K align=16\nb0 = alloc 8\nb1 = alloc 8\n",
                   Inv::NO_SPURIOUS_FAILURE);
  EXPECT_NE(v.explanation.find(
                "the slots(64) model says it must fit: a request of 8 bytes takes one free 64-byte slot"),
            std::string::npos)
      << v.explanation;
}

// ---- the segregated model: classes as TLSF rounds them; explanations say what it computed --------

TEST(SegregatedModel, the_no_spurious_failure_explanation_names_the_class_and_the_gap) {
  const std::string_view prog =
      "arena_init size=512 align=16\nb0 = alloc 100\nb1 = alloc 100\nb2 = alloc 100\nfree b0\nfree b1\n"
      "b3 = alloc 200\n";
  const Violation v = expect_fires([] { return SegFitSubject(SegFit::Bug::no_backward_merge, false); }, prog,
                                   Inv::NO_SPURIOUS_FAILURE);
  EXPECT_NE(v.explanation.find("rounds to the 224-byte class"), std::string::npos) << v.explanation;
  EXPECT_NE(v.explanation.find("its largest gap is"), std::string::npos) << v.explanation;
}

}  // namespace
}  // namespace kmf
