// generators.h — RapidCheck generators of Programs shaped for allocators.
//
// A program is generated as a list of OpSeeds and then *built*: the builder
// resolves each seed against what is live at that point, so every generated
// program is well-formed, and shrinking (which drops and simplifies seeds)
// keeps it well-formed too.
//
//   orders  skewed small; 0, 10 and 11 always reachable
//   sizes   2^k−1, 2^k, 2^k+1, the profile's kmalloc limit and one above
//   shapes  fragmentation (fill with order-k blocks, free every other one),
//           misuse ops, atomic sections and fault injection when asked
#pragma once

#include <rapidcheck.h>

#include <cstdint>
#include <iosfwd>
#include <vector>

#include "ops/op.h"

namespace kmf {

/// RapidCheck shows counterexamples through this: the program as a .kmf
/// script that `kmemfuzz run` replays.
void showValue(const Program& program, std::ostream& os);

namespace props {

struct OpSeed {
  std::uint8_t kind = 0;
  std::uint8_t variant = 0;
  std::uint32_t pick = 0;
  std::uint64_t size = 0;
  std::uint8_t order = 0;
  std::uint8_t gfp = 0;
};

struct Shape {
  bool pages = true;
  bool slab = true;
  bool vmalloc = true;
  bool misuse = false;
  bool atomic = false;
  bool faults = false;
  bool fragment = true;
};

/// The builder: deterministic in its inputs.
Program build_program(const MachineConfig& machine, const std::vector<OpSeed>& seeds, const Shape& shape);

rc::Gen<MachineConfig> gen_machine(std::uint64_t min_mib = 1, std::uint64_t max_mib = 64);
rc::Gen<unsigned> gen_order();
rc::Gen<std::uint64_t> gen_size();
rc::Gen<gfp_t> gen_gfp();
rc::Gen<Program> gen_program(const Shape& shape, std::uint64_t min_mib = 1, std::uint64_t max_mib = 64);

}  // namespace props
}  // namespace kmf
