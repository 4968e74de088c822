// props.h — a RapidCheck property for your adapter in one line.
//
//   #include "front/props.h"
//   #include "my_arena.h"
//   KMF_PROPERTY(MyArena, keeps_every_generic_invariant, MyArenaSubject)
//   KMF_PROPERTY(MyArena, with_the_bug, MyArenaSubject, /*planted_bug=*/true)
//
// Each case builds a program from generated seeds (GenericSeed: alloc, free,
// realloc, resize, walk, reserve, double free, and a fragment pattern that
// fills with equal blocks and frees every other one), using only the
// adapter's capabilities; sizes are 2^k−1, 2^k, 2^k+1, small odd values and
// fractions of the arena; with CAP_CONTRACT also hostile sizes and
// alignments (ops/generic_program.h's hostile_size), with CAP_CALLOC calloc
// with overflowing counts. It runs on a fresh subject with every check on
// (and a twin for RESTORE),
// in a forked child with a time limit ($KMF_TIMEOUT, default 60 s). A
// violating case is shrunk by RapidCheck (seeds dropped and simplified) and
// shown as a text program that the adapter's fuzz target replays; a crash
// or hang is minimized by kmemfuzz in child processes, printed and saved as
// a .kmfa file (report_property_crash). $KMF_SUPPRESSIONS names a
// suppression file (front/front.h) whose known failures are set aside. Header-only: link
// rapidcheck_gtest and GTest into the test executable (RapidCheck's Debian
// library is not PIC).
#pragma once

#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <ostream>
#include <string_view>
#include <vector>

#include "front/front.h"

namespace kmf {

/// RapidCheck shows generated programs through this: the text form.
inline void showValue(const GenericProgram& program, std::ostream& os) {
  os << "\n# counterexample as a text program (save as FILE.kmfa; replay: FUZZ_TARGET FILE.kmfa)\n"
     << print_generic(program);
}

namespace front {

inline rc::Gen<std::uint64_t> gen_request_size() {
  return rc::gen::oneOf(
      rc::gen::inRange<std::uint64_t>(1, 129),
      rc::gen::apply([](int k, int d) { return (std::uint64_t{1} << k) + static_cast<std::uint64_t>(d) - 1; },
                     rc::gen::inRange(1, 14), rc::gen::inRange(0, 3)));
}

/// Seeds. `hostile` (CAP_CONTRACT and CAP_CALLOC targets) makes about one
/// request in seven hostile (GenericSeed::hostile), alignments up to 2^63
/// and non-powers of two, and calloc with overflowing counts.
inline rc::Gen<GenericSeed> gen_seed(bool hostile = false) {
  using K = GenericSeed::Kind;
  const auto kinds = hostile ? rc::gen::weightedElement<std::uint8_t>({{8, K::alloc},
                                                                       {5, K::free},
                                                                       {2, K::realloc},
                                                                       {2, K::resize},
                                                                       {1, K::walk},
                                                                       {1, K::reserve},
                                                                       {1, K::double_free},
                                                                       {1, K::fragment},
                                                                       {2, K::calloc},
                                                                       {1, K::stats},
                                                                       {1, K::init},
                                                                       {1, K::add_pool}})
                             : rc::gen::weightedElement<std::uint8_t>({{8, K::alloc},
                                                                       {5, K::free},
                                                                       {2, K::realloc},
                                                                       {2, K::resize},
                                                                       {1, K::walk},
                                                                       {1, K::reserve},
                                                                       {1, K::double_free},
                                                                       {1, K::fragment},
                                                                       {1, K::stats},
                                                                       {1, K::add_pool}});
  const auto hostile_gen =
      hostile ? rc::gen::weightedElement<std::uint8_t>({{6, 0}, {1, 1}}) : rc::gen::just<std::uint8_t>(0);
  return rc::gen::apply(
      [](std::uint8_t kind, std::uint32_t pick, std::uint64_t size, bool fraction, std::uint8_t align_log,
         std::uint8_t count, std::uint8_t hostile_on, std::uint8_t hostile_index, std::uint8_t count_kind) {
        GenericSeed s;
        s.kind = kind;
        s.pick = pick;
        s.size = fraction ? size % 64 : size;
        s.fraction = fraction;
        s.align_log = align_log;
        s.count = kind == K::calloc ? static_cast<std::uint8_t>(count_kind ? 0x80 + count : count) : count;
        s.hostile = hostile_on ? static_cast<std::uint8_t>(1 + hostile_index) : 0;
        return s;
      },
      kinds, rc::gen::arbitrary<std::uint32_t>(), gen_request_size(),
      rc::gen::weightedElement<bool>({{4, false}, {1, true}}),
      hostile ? rc::gen::weightedElement<std::uint8_t>(
                    {{12, 0}, {1, 3}, {1, 6}, {1, 8}, {1, 12}, {1, 40}, {1, 63}, {1, 64}, {1, 65}})
              : rc::gen::weightedElement<std::uint8_t>({{6, 0}, {1, 3}, {1, 6}, {1, 8}, {1, 12}}),
      rc::gen::inRange<std::uint8_t>(0, 32), hostile_gen,
      rc::gen::inRange<std::uint8_t>(0, NR_HOSTILE_SIZES + 1),
      rc::gen::weightedElement<std::uint8_t>({{2, 0}, {1, 1}}));
}

/// Programs for `target`: an arena size skewed small, then built seeds.
inline rc::Gen<GenericProgram> gen_generic_program(const GenericTarget& target) {
  const ArenaGeometry g = target.geometry;
  return rc::gen::apply(
      [target](std::uint64_t size, std::uint64_t align, bool early, const std::vector<GenericSeed>& seeds) {
        return build_generic_program(target, ArenaInit{size, align, early}, seeds);
      },
      rc::gen::oneOf(rc::gen::just(g.min_size), rc::gen::inRange(g.min_size, g.min_size * 8 + 1),
                     rc::gen::inRange(g.min_size, g.max_size + 1)),
      rc::gen::inRange(g.min_align, g.max_align + 1), rc::gen::weightedElement<bool>({{3, false}, {1, true}}),
      rc::gen::container<std::vector<GenericSeed>>(
          gen_seed(hostile(target) || (target.caps & CAP_CALLOC) != 0)));
}

/// The per-case time limit of the properties: $KMF_TIMEOUT seconds, else 60.
inline double property_timeout() {
  const char* v = std::getenv("KMF_TIMEOUT");
  const double t = v ? std::strtod(v, nullptr) : 0;
  return t > 0 ? t : 60;
}

/// A crash or a hang in a property case: the reproducer is minimized (every
/// candidate in its own process), printed and saved as
/// $KMF_ARTIFACT_PREFIX<property>-{crash,timeout}.kmfa (the generated
/// program beside it as ….input.kmfa), and the test process ends with
/// status 1 — RapidCheck's own shrinking would re-run the crash or wait out
/// the time limit for every candidate.
[[noreturn]] inline void report_property_crash(const char* property, const Target& t,
                                               const GenericProgram& program, const Outcome& o,
                                               std::uint64_t cases, double secs) {
  std::fprintf(stderr, "==kmemfuzz== %s found by case %llu of %s after %.3f s\n", o.what().c_str(),
               static_cast<unsigned long long>(cases), property, secs);
  settings().timeout_s = property_timeout();
  if (const char* p = std::getenv("KMF_ARTIFACT_PREFIX")) settings().artifact_prefix = p;
  settings().binary = "YOUR_FUZZ_TARGET";
  const Finding f = shrink(t, program, o);
  const std::string base =
      settings().artifact_prefix + property + (o.kind == Kind::hang ? "-timeout" : "-crash");
  const bool saved = save_reproducer(base + ".kmfa", f, t.name);
  std::ofstream(base + ".input.kmfa") << print_generic(program);
  std::fputs(format_finding(t.name, f).c_str(), stderr);
  std::fprintf(stderr, "==kmemfuzz== saved: reproducer %s.kmfa%s; input %s.input.kmfa\n", base.c_str(),
               saved ? "" : " (could not write it)", base.c_str());
  std::fflush(stderr);
  std::_Exit(1);
}

/// The body of a property: one generated program on a fresh subject, run in
/// a forked child (crash-safe, time-limited; KMF_IN_PROCESS=1 runs it here).
/// A failure matched by $KMF_SUPPRESSIONS is set aside (run_past_suppressions).
template <class Factory>
void check_generic_property(const char* property, Factory make) {
  static const Target t = make_target(make);
  static const auto start = std::chrono::steady_clock::now();
  static std::uint64_t cases = 0;
  ++cases;
  load_suppressions_from_env();
  const GenericProgram generated = *gen_generic_program(t.generic);
  GenericProgram program = generated;
  static const bool in_process = [] {
    const char* v = std::getenv("KMF_IN_PROCESS");
    return v && std::string_view(v) == "1";
  }();
  const Outcome o = run_past_suppressions(program, [&](const GenericProgram& q) {
    return in_process ? run_here(t, q, false) : run_in_child(t, q, property_timeout(), false);
  });
  if (o.ok()) return;
  if (o.kind == Kind::crash || o.kind == Kind::hang)
    report_property_crash(property, t, program, o, cases,
                          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  if (program != generated)
    RC_FAIL(o.text + "\n# with the ops whose failures are suppressed dropped, the failing program is:\n" +
            print_generic(program));
  RC_FAIL(o.text);
}

}  // namespace front
}  // namespace kmf

#define KMF_PROPERTY(Suite, Name, Adapter, ...)                                                  \
  RC_GTEST_PROP(Suite, Name, ()) {                                                               \
    ::kmf::front::check_generic_property(#Suite "." #Name, [] { return Adapter(__VA_ARGS__); }); \
  }
