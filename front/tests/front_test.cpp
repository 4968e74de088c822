// front_test.cpp — the front ends' shared pieces: loading inputs, dropping
// ops, minimizing, and the report.
#include "front/front.h"

#include <gtest/gtest.h>

#include <csignal>

#include "examples/first_fit/first_fit.h"
#include "front/tests/planted.h"

namespace kmf::front {
namespace {

GenericProgram parse(std::string_view text) {
  GenericParseResult r = parse_generic(text);
  EXPECT_TRUE(r.ok()) << r.error().to_string();
  return std::move(r).program();
}

TEST(Front, text_inputs_run_as_written_and_other_bytes_decode) {
  const GenericTarget t = generic_target(example::FirstFitSubject{});
  const std::string text = "# a comment\narena_init size=1K align=16\nb0 = alloc 100\nfree b0\n";
  const GenericProgram p = load_input({reinterpret_cast<const std::uint8_t*>(text.data()), text.size()}, t);
  EXPECT_EQ(print_generic(p), "arena_init size=1K align=16\nb0 = alloc 100\nfree b0\n");
  const std::vector<std::uint8_t> bytes{0, 0, 0, 5};
  EXPECT_EQ(load_input(bytes, t), decode_generic(bytes, t));
}

TEST(Front, without_ops_drops_the_ops_that_name_a_dropped_binding) {
  const GenericProgram p = parse("b0 = alloc 1\nb1 = alloc 2\nb2 = realloc b0 3\nfree b1\nfree b2\n");
  const GenericProgram q = without_ops(p, {true, false, false, false, false});
  EXPECT_EQ(print_generic(q), "b0 = alloc 2\nfree b0\n");  // canonical names follow their slot
}

TEST(Front, the_minimizer_keeps_only_what_the_failure_needs) {
  const GenericProgram p = parse("a = alloc 1\nb = alloc 2\nc = alloc 3\nfree a\nd = alloc 4\nfree c\n");
  // "fails" while c is allocated and freed.
  const GenericProgram small = minimize_generic(p, [](const GenericProgram& q) {
    const std::string text = print_generic(q);
    return text.find("c = alloc 3\n") != std::string::npos && text.find("free c\n") != std::string::npos;
  });
  EXPECT_EQ(print_generic(small), "c = alloc 3\nfree c\n");
}

TEST(Front, the_report_names_the_violation_and_prints_the_reproducer) {
  const GenericProgram p = parse("arena_init size=256 align=16\nb0 = alloc 8\n");
  const Violation v{Inv::WALK, 1, "walk", {0x1000}, "walk missed b0"};
  const std::string out = format_report("demo", v, p, 7);
  EXPECT_NE(out.find("==kmemfuzz== demo: an invariant broke"), std::string::npos);
  EXPECT_NE(out.find("VIOLATION WALK at op 1: walk"), std::string::npos);
  EXPECT_NE(out.find("(1 of 7 ops)"), std::string::npos);
  EXPECT_NE(out.find("arena_init size=256 align=16\nb0 = alloc 8\n"), std::string::npos);
}

Outcome outcome(Kind kind, Inv id, std::size_t op, int signal = 0) {
  Outcome o;
  o.kind = kind;
  o.id = id;
  o.op = op;
  o.signal = signal;
  return o;
}

TEST(Front, prefix_keeps_the_ops_up_to_and_including_the_failing_one) {
  const GenericProgram p =
      parse("arena_init size=1K align=16\nb0 = alloc 1\nb1 = alloc 2\nfree b0\nfree b1\n");
  EXPECT_EQ(print_generic(prefix(p, 2)),
            "arena_init size=1K align=16\nb0 = alloc 1\nb1 = alloc 2\nfree b0\n");
  EXPECT_EQ(print_generic(prefix(p, INIT_OP)), "arena_init size=1K align=16\n");
  EXPECT_EQ(prefix(p, p.ops.size()), p);  // the teardown: all of it
  EXPECT_EQ(op_kind(p, 1), "alloc");
  EXPECT_EQ(op_kind(p, 3), "free");
  EXPECT_EQ(op_kind(p, 4), "teardown");
  EXPECT_EQ(op_kind(p, INIT_OP), "init");
  EXPECT_EQ(op_text(p, INIT_OP), "arena_init size=1K align=16");
}

TEST(Front, the_same_failure_needs_the_same_id_and_the_same_kind_of_op) {
  const GenericProgram p = parse("b0 = alloc 1\nfree b0\nb1 = alloc 3\n");
  Outcome a = outcome(Kind::violation, Inv::NO_OVERLAP, 0);
  Outcome b = a;
  b.op = 2;
  EXPECT_TRUE(same_failure(a, p, b, p));  // both allocs
  b.op = 1;
  EXPECT_FALSE(same_failure(a, p, b, p));  // a free
  b = a;
  b.id = Inv::WALK;
  EXPECT_FALSE(same_failure(a, p, b, p));
  Outcome c = outcome(Kind::crash, Inv{}, 1, 6);
  Outcome d = c;
  EXPECT_TRUE(same_failure(c, p, d, p));
  d.signal = 11;
  EXPECT_FALSE(same_failure(c, p, d, p));
}

TEST(Front, suppressions_match_the_id_and_a_glob_over_the_failing_op) {
  std::vector<Suppression> s;
  std::string error;
  ASSERT_TRUE(parse_suppressions("# known\nNO-OVERLAP free *\n\nCRASH\n", "f", s, error)) << error;
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[0].pattern, "free *");
  EXPECT_EQ(s[1].pattern, "*");
  std::vector<Suppression> none;
  EXPECT_FALSE(parse_suppressions("OK\nNO-SUCH free\n", "f", none, error));
  EXPECT_EQ(error, "f:1: unknown id `OK` (an invariant's name such as NO-OVERLAP, or CRASH, HANG, *)");

  const GenericProgram p = parse("b0 = alloc 1\nfree b0\n");
  settings().suppressions = {s[0]};
  EXPECT_NE(suppressed_by(outcome(Kind::violation, Inv::NO_OVERLAP, 1), p), nullptr);
  EXPECT_EQ(suppressed_by(outcome(Kind::violation, Inv::NO_OVERLAP, 0), p), nullptr);
  EXPECT_EQ(suppressed_by(outcome(Kind::violation, Inv::WALK, 1), p), nullptr);
  EXPECT_EQ(suppressed_by(outcome(Kind::crash, Inv{}, 1, 6), p), nullptr);
  settings().suppressions.clear();
}

TEST(Front, a_suppressed_failure_drops_its_op_and_the_run_goes_on) {
  // A stand-in subject: the first odd-sized alloc breaks USABLE-SIZE; else the last op breaks WALK.
  auto run = [](const GenericProgram& q) {
    for (std::size_t i = 0; i < q.ops.size(); ++i)
      if (q.ops[i].size % 2) return outcome(Kind::violation, Inv::USABLE_SIZE, i);
    return outcome(Kind::violation, Inv::WALK, q.ops.size() - 1);
  };
  std::vector<Suppression> s;
  std::string error;
  ASSERT_TRUE(parse_suppressions("USABLE-SIZE b* = alloc *\n", "f", s, error)) << error;
  settings().suppressions = s;
  GenericProgram p = parse("b0 = alloc 3\nb1 = alloc 4\nb2 = alloc 5\nb3 = alloc 8\n");
  const std::uint64_t before = settings().suppressed;
  const Outcome o = run_past_suppressions(p, run);
  EXPECT_EQ(o.what(), "VIOLATION WALK");
  EXPECT_EQ(print_generic(p), "b0 = alloc 4\nb1 = alloc 8\n");
  EXPECT_EQ(settings().suppressed - before, 2u);
  // Suppressing everything: the input is set aside.
  ASSERT_TRUE(parse_suppressions("WALK\n", "f", settings().suppressions, error)) << error;
  GenericProgram q = parse("b0 = alloc 4\n");
  EXPECT_TRUE(run_past_suppressions(q, run).ok());
  settings().suppressions.clear();
}

// A bump allocator that hands out the previous block again for a 7-byte request.
class DupBump : public ArenaSubject {
 public:
  std::string_view name() const override { return "dup bump"; }
  Caps capabilities() const override { return CAP_STALE_FREE; }
  bool init(void* base, std::size_t size, std::size_t) override {
    next_ = static_cast<std::byte*>(base);
    end_ = next_ + size;
    return true;
  }
  void* alloc(std::size_t size, std::size_t) override {
    if (size == 7 && last_) return last_;
    const std::size_t n = (size + 15) / 16 * 16;
    if (n > static_cast<std::size_t>(end_ - next_)) return nullptr;
    last_ = next_;
    next_ += n;
    return last_;
  }
  void free(void*) override {}

 private:
  std::byte* next_ = nullptr;
  std::byte* end_ = nullptr;
  std::byte* last_ = nullptr;
};

TEST(Front, the_minimizer_drops_a_double_free_whose_only_effect_is_the_stale_free_id) {
  const Target t = make_target([] { return DupBump{}; });
  const GenericProgram p =
      parse("arena_init size=1K align=16\nb0 = alloc 16\nfree b0\nfree b0\nb1 = alloc 16\nb2 = alloc 7\n");
  const Outcome first = run_here(t, p, false);
  ASSERT_EQ(first.what(), "VIOLATION STALE-FREE");  // NO-OVERLAP, renamed after the double free
  const Finding f = shrink(t, p, first);
  EXPECT_TRUE(f.reproduced);
  EXPECT_EQ(print_generic(f.reproducer), "arena_init size=1K align=16\nb0 = alloc 16\nb1 = alloc 7\n");
  EXPECT_EQ(f.confirmed.what(), "VIOLATION NO-OVERLAP");
  // Not the other way round: a NO-OVERLAP is not kept by a STALE-FREE.
  EXPECT_FALSE(same_failure(first, p, f.confirmed, f.reproducer));
}

TEST(Front, a_crash_and_a_hang_in_a_child_are_outcomes_with_the_op_they_happened_in) {
  const GenericProgram p = parse(
      "arena_init size=4K align=16\nb0 = alloc 8\nb1 = alloc 100\nb2 = realloc b1 200\nb3 = alloc 8\n"
      "b4 = alloc 8\nfree b2\nfree b0\n");
  const Target abort = make_target([] { return planted::PlantedSubject(planted::Bug::abort); });
  const Outcome a = run_in_child(abort, p, 10, true);
  EXPECT_EQ(a.kind, Kind::crash);
  EXPECT_EQ(a.signal, SIGABRT);
  EXPECT_EQ(a.op, 5u);
  EXPECT_EQ(a.what(), "CRASH SIGABRT");
  const Target hang = make_target([] { return planted::PlantedSubject(planted::Bug::hang); });
  const Outcome h = run_in_child(hang, p, 0.3, true);
  EXPECT_EQ(h.kind, Kind::hang);
  EXPECT_EQ(h.op, 5u);
  const Target fixed = make_target([] { return planted::PlantedSubject(planted::Bug::none); });
  EXPECT_TRUE(run_in_child(fixed, p, 10, true).ok());
  // The minimizer keeps the crash and the op it happens in, and cuts what follows.
  const Finding f = shrink(abort, p, a);
  EXPECT_TRUE(f.reproduced);
  EXPECT_EQ(f.reproducer.ops.size(), 5u);  // two allocs, the realloc, one newer alloc, the free
  EXPECT_EQ(op_kind(f.reproducer, f.reproducer.ops.size() - 1), "free");
  EXPECT_EQ(f.confirmed.op, 4u);
}

}  // namespace
}  // namespace kmf::front
