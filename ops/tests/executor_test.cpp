// executor_test.cpp — the executor (ops/executor.h) judges outcomes: valid
// programs pass, misuse ops pass only with their report, and a failing
// expectation or broken invariant stops the run with a Violation.
#include "ops/executor.h"

#include <gtest/gtest.h>

#include "alloc/fault.h"
#include "alloc/tests/test_util.h"
#include "check/violation.h"
#include "ops/binary_codec.h"
#include "ops/kmf_text.h"
#include "ops/tests/ops_test_util.h"

namespace kmf {
namespace {

Program page_program(std::uint64_t seed, Profile profile, std::size_t n) {
  Rng rng(seed);
  Program p;
  p.machine.mem_bytes = (4 + rng.below(60)) * MiB;
  p.machine.profile = profile;
  p.machine.seed = seed;
  std::vector<Slot> live;
  for (std::size_t i = 0; i < n; ++i) {
    const auto r = rng.below(10);
    const auto order = static_cast<unsigned>(std::min(rng.below(12), rng.below(12)));
    const gfp_t gfps[] = {GFP_KERNEL, GFP_ATOMIC, GFP_KERNEL | GFP_DMA, GFP_HIGHUSER, GFP_KERNEL | GFP_ZERO,
                          GFP_NOWAIT};
    const gfp_t gfp = gfps[rng.below(6)];
    if (r < 4) {
      live.push_back(p.add(AllocPagesOp{NO_SLOT, order, gfp}));
    } else if (r < 7) {
      live.push_back(p.add(GetFreePagesOp{NO_SLOT, order, gfp}));
    } else if (!live.empty()) {
      const std::size_t k = rng.below(live.size());
      p.add(FreePagesOp{live[k], std::nullopt});
      live.erase(live.begin() + static_cast<std::ptrdiff_t>(k));
    }
  }
  return p;
}

/// What a run shows its user: every trace line, then the violation if any.
std::string outcome(const ExecResult& r) {
  std::string s;
  for (const std::string& line : r.trace) s += line + "\n";
  return s + (r.violation ? format_violation(*r.violation) : "ok");
}

TEST(Executor, fuzz_inputs_give_the_same_result_on_reused_host_memory) {
  // fuzz_kernel runs input after input on pooled host mappings
  // (alloc/phys_mem.h): each must leave the pool zeroed, and each must run
  // exactly as it would on memory mapped afresh.
  Rng rng(testing::test_seed(0x9001));
  const ExecOptions traced{.trace = true};
  std::size_t machines = 0;
  for (int i = 0; i < 80; ++i) {
    const auto bytes = testing::random_bytes(rng, 3 + rng.below(1200));
    const Program p = decode_program(bytes, codec_options_for_target("fuzz_kernel"));
    const std::string reused = outcome(execute(p, traced));
    machines += p.machine.mem_bytes <= PhysMem::POOLED_BYTES;
    ASSERT_TRUE(PhysMem::pool_is_clean_for_testing()) << "input " << i;
    PhysMem::drain_pool();
    ASSERT_EQ(outcome(execute(p, traced)), reused) << "input " << i;
  }
  // Three in four fuzz machines (1–64 MiB) are small enough to be pooled;
  // the others (96 MiB … 8 GiB) map afresh.
  EXPECT_GE(machines, 40u);
  EXPECT_LT(machines, 80u);
}

TEST(Executor, random_valid_page_programs_report_nothing_in_either_profile) {
  const std::uint64_t seed = testing::test_seed(2024);
  for (Profile profile : {Profile::i386, Profile::x86_64}) {
    for (std::uint64_t i = 0; i < 40; ++i) {
      const Program p = page_program(seed + i, profile, 400);
      const ExecResult r = execute(p, {.level = CheckLevel::full});
      ASSERT_TRUE(r.ok()) << "seed " << seed + i << "\n" << format_violation(*r.violation);
      EXPECT_EQ(r.ops_run, p.ops.size());
    }
  }
}

TEST(Executor, incremental_and_full_checking_agree_on_clean_programs) {
  const std::uint64_t seed = testing::test_seed(77);
  for (std::uint64_t i = 0; i < 20; ++i) {
    const Program p = page_program(seed + i, Profile::i386, 300);
    EXPECT_EQ(execute(p, {.level = CheckLevel::incremental}).ok(),
              execute(p, {.level = CheckLevel::full}).ok());
  }
}

TEST(Executor, page_misuse_ops_pass_with_exactly_their_report) {
  Program p;
  const Slot a = p.add(AllocPagesOp{NO_SLOT, 2, GFP_KERNEL});
  const Slot b = p.add(GetFreePagesOp{NO_SLOT, 1, GFP_KERNEL});
  p.add(FreePagesOp{a, 3});  // wrong order: bad_order
  p.add(ExpectOp{ExpectKind::report, NO_SLOT, false, 0, 0, ReportKind::bad_order});
  p.add(FreePagesOp{a, std::nullopt});
  p.add(FreePagesOp{a, std::nullopt});  // double free
  p.add(ExpectOp{ExpectKind::report, NO_SLOT, false, 0, 0, ReportKind::double_free});
  p.add(AtomicOp{true});
  const Slot c = p.add(AllocPagesOp{NO_SLOT, 0, GFP_KERNEL});  // sleeping in atomic
  p.add(ExpectOp{ExpectKind::report, NO_SLOT, false, 0, 0, ReportKind::sleep_in_atomic});
  p.add(ExpectOp{ExpectKind::null, c, false, 0, 0, {}});
  p.add(AtomicOp{false});
  p.add(FreePagesOp{b, std::nullopt});
  const ExecResult r = execute(p, {.trace = true});
  ASSERT_TRUE(r.ok()) << format_violation(*r.violation);
  EXPECT_EQ(r.trace.size(), p.ops.size());
}

TEST(Executor, a_failing_expectation_is_an_expect_violation_at_its_op) {
  Program p;
  const Slot a = p.add(GetFreePagesOp{NO_SLOT, 0, GFP_KERNEL});
  p.add(ExpectOp{ExpectKind::in_vmalloc, a, false, 0, 0, {}});
  const ExecResult r = execute(p);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.violation->id, Inv::EXPECT);
  EXPECT_EQ(r.violation->op_index, 1u);
}

Program parse_or_die(const char* text) {
  ParseResult r = parse_kmf(text, "t.kmf");
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().to_string());
  return r.ok() ? std::move(r).program() : Program{};
}

TEST(Executor, expect_report_judges_the_last_op_that_ran_on_the_subject) {
  // Expectations and prints in between do not replace "the last op".
  const ExecResult ok =
      execute(parse_or_die("c = kmem_cache_create name=big size=200000000\nexpect c null\nprint "
                           "buddyinfo\nexpect report oversized\n"
                           "expect report oversized\n"));
  EXPECT_TRUE(ok.ok()) << (ok.ok() ? "" : format_violation(*ok.violation));
  const ExecResult bad = execute(parse_or_die("k = kmalloc 100\nexpect k ok\nexpect report oversized\n"));
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.violation->explanation.find("the last op produced no report"), std::string::npos);
}

TEST(Executor, a_write_outside_its_object_is_a_script_error_naming_the_argument) {
  const ExecResult r = execute(parse_or_die("k = kmalloc 100\nwrite k 0 200 0x11\n"));
  ASSERT_TRUE(r.script_error.has_value());
  EXPECT_EQ(r.script_error->op_index, 1u);
  EXPECT_EQ(r.script_error->arg, 3u);  // the length
  EXPECT_EQ(
      r.script_error->message,
      "write k: length 200 at offset 0 runs 72 bytes past its 128 usable bytes (scribble writes outside an "
      "object)");
  ASSERT_TRUE(r.violation.has_value());  // every caller stops
}

TEST(Executor, leaks_list_what_the_program_left_live) {
  const ExecResult r = execute(
      parse_or_die("k = kmalloc 100\nv = vmalloc 9000\nkfree k\nc = kmem_cache_create name=x size=64\n"));
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r.leaks.size(), 2u);
  EXPECT_EQ(r.leaks[0].name, "v");
  EXPECT_EQ(r.leaks[0].op_index, 1u);
  EXPECT_EQ(r.leaks[1].description, "kmem_cache (never destroyed)");
}

TEST(Executor, a_host_memory_budget_stops_before_the_op_that_would_exceed_it) {
  ExecOptions o;
  o.max_host_bytes = 64 * MiB;  // below what a 4 GiB vmalloc's bookkeeping needs
  const ExecResult r =
      execute(parse_or_die("machine mem=8G profile=x86_64\nk = kmalloc 100\nv = vmalloc 4G\n"), o);
  ASSERT_TRUE(r.script_error.has_value());
  EXPECT_EQ(r.script_error->op_index, 1u);
  EXPECT_NE(r.script_error->message.find("above the budget of 64 MiB"), std::string::npos)
      << r.script_error->message;
}

TEST(Executor, documents_page_facts_hold) {
  Program p;  // 160 MiB i386
  const Slot a = p.add(GetFreePagesOp{NO_SLOT, 0, GFP_KERNEL});
  p.add(ExpectOp{ExpectKind::in_direct_map, a, false, 0, 0, {}});
  p.add(ExpectOp{ExpectKind::in_range, a, false, 0xC0000000ULL, 0xC0000000ULL + 160 * MiB, {}});
  p.add(ExpectOp{ExpectKind::aligned, a, false, PAGE_SIZE, 0, {}});
  const Slot big = p.add(AllocPagesOp{NO_SLOT, 10, GFP_KERNEL});
  p.add(ExpectOp{ExpectKind::ok, big, false, 0, 0, {}});
  const Slot huge = p.add(AllocPagesOp{NO_SLOT, 11, GFP_KERNEL});
  p.add(ExpectOp{ExpectKind::null, huge, false, 0, 0, {}});
  const Slot dma = p.add(AllocPagesOp{NO_SLOT, 3, GFP_KERNEL | GFP_DMA});
  p.add(ExpectOp{ExpectKind::in_dma, dma, false, 0, 0, {}});
  const ExecResult r = execute(p);
  EXPECT_TRUE(r.ok()) << format_violation(*r.violation);
}

TEST(Executor, fault_injection_returns_null_and_changes_nothing) {
  Program p;
  p.add(FailOp{false, FaultTarget::page_alloc, 100, 2, -1, 0, 0, false, false, {}});
  for (int i = 0; i < 6; ++i) p.add(AllocPagesOp{NO_SLOT, 1, GFP_ATOMIC});
  p.add(FailOp{true, FaultTarget::page_alloc, 0, 1, 1, 0, 1, true, true, {}});
  const ExecResult r = execute(p, {.level = CheckLevel::full, .trace = true});
  ASSERT_TRUE(r.ok()) << format_violation(*r.violation);
  int injected = 0;
  for (const std::string& line : r.trace) injected += line.find("injected fault") != std::string::npos;
  EXPECT_EQ(injected, 3);
}

}  // namespace
}  // namespace kmf
