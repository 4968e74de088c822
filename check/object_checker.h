// object_checker.h — runs object programs on any ObjectSubject and checks
// the generic invariants after every op.
//
//   NO-OVERLAP  a new block shares no byte with a live block      O(log n)
//   S-ALIGN     a block honours the requested alignment            O(1)
//   INTEGRITY   stamps written at allocation read back at free     O(size)
//   NO-LEAK     after freeing everything and release(), the subject
//               holds nothing from its upstream                    O(1)
//
// Kept for its users; ops/generic_executor.h runs these checks and the rest
// of the generic catalog (ALIGNMENT there where S-ALIGN is here) on object,
// page, virtual and arena subjects from generic programs.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "check/subject.h"
#include "check/violation.h"

namespace kmf {

struct ObjectOp {
  enum Kind : std::uint8_t { alloc, free } kind;
  std::uint32_t size = 0;   ///< alloc
  std::uint32_t align = 0;  ///< alloc: a power of two
  std::uint32_t slot = 0;   ///< free: index of the alloc op's result (must be live)
};

/// `n` ops: allocations of mixed sizes (2^k−1, 2^k, 2^k+1 up to 64 KiB) and
/// alignments (1..max_align, powers of two), frees of random live blocks.
/// Deterministic in `seed`.
std::vector<ObjectOp> random_object_program(std::uint64_t seed, std::size_t n,
                                            std::uint32_t max_align = 4096);

/// Runs `ops` on `subject`; frees what is live at the end, calls release()
/// and checks NO-LEAK. The first violation, or nothing.
std::optional<Violation> check_object_program(ObjectSubject& subject, const std::vector<ObjectOp>& ops);

std::string to_string(const ObjectOp& op);

}  // namespace kmf
