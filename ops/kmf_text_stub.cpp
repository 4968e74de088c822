// TEMPORARY until the .kmf printer lands: prints op indexes only.
#include <string>

#include "ops/op.h"

namespace kmf {
std::string print_kmf(const Program& p) {
  std::string out = "machine\n";
  for (std::size_t i = 0; i < p.ops.size(); ++i) out += "op " + std::to_string(i) + "\n";
  return out;
}
}  // namespace kmf
