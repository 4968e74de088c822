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
// (and a twin for RESTORE).
// A failing case is shrunk (seeds dropped and simplified) and shown as a
// text program that the adapter's fuzz target replays. Header-only: link
// rapidcheck_gtest and GTest into the test executable (RapidCheck's Debian
// library is not PIC).
#pragma once

#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <ostream>
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

/// The body of a property: one generated program on a fresh subject.
template <class Factory>
void check_generic_property(Factory make) {
  const GenericProgram program = *gen_generic_program(generic_target(make()));
  const GenericResult result = execute_generic_fresh(make, program);
  if (!result.ok()) RC_FAIL(format_violation(*result.violation));
}

}  // namespace front
}  // namespace kmf

#define KMF_PROPERTY(Suite, Name, Adapter, ...)                                \
  RC_GTEST_PROP(Suite, Name, ()) {                                             \
    ::kmf::front::check_generic_property([] { return Adapter(__VA_ARGS__); }); \
  }
