// convert.h — a parsed trace as a kmemfuzz Program, on a machine sized to hold it.
//
// Events become ops in trace order; real addresses map to slots:
//   kmalloc(_node)                → kN = kmalloc bytes_req gfp=…
//   kmem_cache_alloc(_node)       → cN = kmem_cache_create (once per cache: name= when the
//                                   trace names it, else by object size) and oN = kmem_cache_alloc cN
//   kfree / kmem_cache_free       → kfree kN / kmem_cache_free cN oN (the allocation's API;
//                                   kfree of a cache object stays kfree, which is legal)
//   mm_page_alloc                 → aN = alloc_pages order=… gfp=…
//   mm_page_free*                 → free_pages aN, with order= when the trace freed with
//                                   another order (a misuse op: the model must report bad_order)
//   alloc_vmap_area               → vN = vmalloc size−4096 (the trace's size holds the guard page)
//   free_vmap_area_noflush        → vfree vN
// A double free in the trace is a double free in the program (a misuse op).
// Not converted, and counted: frees of never-allocated addresses, failed
// allocations, frees of NULL, kmalloc(0), (____ptrval____) pointers, purges.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "alloc/machine.h"
#include "ops/op.h"
#include "trace/pairing.h"
#include "trace/trace_reader.h"

namespace kmf::trace {

struct Conversion {
  Program program;
  std::vector<std::uint32_t> op_line;  ///< op_line[i]: the trace line op i came from
  std::uint64_t peak_live_bytes = 0;   ///< the trace's own peak (slab bytes_alloc + pages + vmap areas)
  std::uint64_t skipped_unknown_frees = 0;
  std::uint64_t skipped_failed = 0;
  std::uint64_t skipped_null_frees = 0;
  std::uint64_t skipped_zero_size = 0;
  std::uint64_t skipped_unknown_pointers = 0;
  std::uint64_t skipped_purges = 0;
};

/// The trace's peak live bytes, as convert() counts them.
std::uint64_t peak_live_bytes(const Trace& trace, const Pairing& pairing);

/// The machine a replay gets without --machine: x86_64, modern kmalloc,
/// slab_debug on, seed 0, and mem the smallest power of two ≥ 16 MiB that
/// is at least 4 × the trace's peak plus 16 MiB (red zones, partly used
/// slabs and page tables cost more than the bytes the trace counts),
/// at most 64 GiB.
MachineConfig auto_machine(const Trace& trace, const Pairing& pairing);

struct BadMachineSpec : std::invalid_argument {
  using std::invalid_argument::invalid_argument;
};
/// `mem=256M profile=i386 kmalloc=2.6.18 seed=3 slab_debug=off`: any of the
/// `.kmf` machine keys, each overriding `base`. Throws BadMachineSpec.
MachineConfig machine_from_spec(const std::string& spec, const MachineConfig& base);

Conversion convert(const Trace& trace, const Pairing& pairing, const MachineConfig& machine);

/// The .kmf script: a comment header naming the source, then print_kmf.
std::string conversion_to_kmf(const Conversion& c, const Trace& trace);

/// The program as a fuzz_kernel input: its first MAX_DECODED_OPS ops (what a
/// binary input holds), the machine clamped into the binary range (1–64 MiB).
/// `kept_ops` and `dropped_ops` (ops with no binary form) are filled when given.
std::vector<std::uint8_t> conversion_to_seed(const Conversion& c, std::size_t* kept_ops = nullptr,
                                             std::size_t* dropped_ops = nullptr);

}  // namespace kmf::trace
