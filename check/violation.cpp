// violation.cpp — the one violation printer.
#include "check/violation.h"

#include <cinttypes>
#include <cstdio>

namespace kmf {

std::string format_violation(const Violation& v) {
  std::string out = "VIOLATION ";
  out += invariant_name(v.id);
  out += " at op " + std::to_string(v.op_index);
  out += v.op_text.empty() ? std::string(" (teardown)") : ": " + v.op_text;
  out += "\n  claim: ";
  out += invariant_info(v.id).claim;
  out += '\n';
  if (!v.addrs.empty()) {
    out += "  addresses:";
    for (std::uint64_t a : v.addrs) {
      char buf[32];
      std::snprintf(buf, sizeof buf, " 0x%" PRIx64, a);
      out += buf;
    }
    out += '\n';
  }
  out += "  " + v.explanation + '\n';
  return out;
}

}  // namespace kmf
