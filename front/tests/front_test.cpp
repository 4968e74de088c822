// front_test.cpp — the front ends' shared pieces: loading inputs, dropping
// ops, minimizing, and the report.
#include "front/front.h"

#include <gtest/gtest.h>

#include "examples/first_fit/first_fit.h"

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

}  // namespace
}  // namespace kmf::front
