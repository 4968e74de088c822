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
//           GFP_DMA exhaustion, watermark-window pressure, multi-slab churn,
//           misuse ops (double frees, smaller and larger wrong orders,
//           scribbles at the size class / red zone and after free), atomic
//           sections and fault injection when asked
//   machines 1 MiB … 64 MiB mostly; i386 896 MiB … 1.6 GiB and x86_64
//           4 GiB … 6 GiB a quarter of the time (gen_machine_wide)
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
  /// Zone pressure: GFP_DMA exhaustion, a zone drained to its watermark
  /// window (between the atomic reserve and the low mark) and then worked
  /// with sleeping and atomic requests (small machines only).
  bool pressure = true;
  /// Multi-slab churn: fill two or three slabs of one cache, drain them in
  /// an interleaved order, refill.
  bool churn = true;
  /// Half of the seeds become pressure or churn ops (a focused property).
  bool heavy = false;
};

/// The builder: deterministic in its inputs.
Program build_program(const MachineConfig& machine, const std::vector<OpSeed>& seeds, const Shape& shape);

rc::Gen<MachineConfig> gen_machine(std::uint64_t min_mib = 1, std::uint64_t max_mib = 64);
/// Machines of every size class: three in four 1–64 MiB; the rest i386
/// around lowmem's 896 MiB end and up to 1.6 GiB (ZONE_HIGHMEM), or x86_64
/// around DMA32's 4 GiB end and up to 6 GiB (ZONE_NORMAL).
rc::Gen<MachineConfig> gen_machine_wide();
rc::Gen<unsigned> gen_order();
rc::Gen<std::uint64_t> gen_size();
rc::Gen<gfp_t> gen_gfp();
/// Programs on gen_machine(min_mib, max_mib); with the defaults (no bounds
/// given) on gen_machine_wide().
rc::Gen<Program> gen_program(const Shape& shape, std::uint64_t min_mib = 0, std::uint64_t max_mib = 0);

}  // namespace props
}  // namespace kmf
