// violation.h — what the checker reports when an invariant breaks.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "check/catalog.h"

namespace kmf {

struct Violation {
  Inv id;
  std::size_t op_index;              ///< index of the op after which it was found; ops.size() = teardown
  std::string op_text;               ///< the op in .kmf form ("" at teardown)
  std::vector<std::uint64_t> addrs;  ///< addresses involved
  std::string explanation;           ///< one paragraph
};

/// The one printing function every front end uses (tool, fuzzers, tests):
///   VIOLATION B-COALESCE at op 12: free_pages a3
///     addresses: 0xc1000000 0xc1001000
///     <explanation>
std::string format_violation(const Violation& v);

}  // namespace kmf
