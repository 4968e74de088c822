// fault.cpp — the fault_attr decision, in Linux's order.
#include "alloc/fault.h"

namespace kmf {

bool FaultAttr::should_fail(std::uint64_t size) {
  if (probability == 0) return false;
  if (times == 0) return false;
  if (space > size) {
    space -= size;
    return false;
  }
  ++calls;
  if (interval > 1 && calls % interval != 0) return false;
  if (probability < 100 && rng_.below(100) >= probability) return false;
  if (times != -1) --times;
  ++failures;
  return true;
}

}  // namespace kmf
