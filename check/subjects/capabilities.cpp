// capabilities.cpp — capability names for messages and traces.
#include "check/subjects/capabilities.h"

#include <array>
#include <string_view>

namespace kmf {

std::string caps_to_string(Caps caps) {
  constexpr std::array<std::string_view, 21> NAMES{
      "align",      "sized_free", "realloc",       "usable_size", "memory",   "translate",  "resize",
      "can_shrink", "is_empty",   "walk",          "reserve",     "metadata", "stale_free", "self_check",
      "contract",   "calloc",     "realloc_align", "keeps_cache", "stats",    "heaps",      "pools"};
  std::string out;
  for (std::size_t i = 0; i < NAMES.size(); ++i)
    if (caps & (1u << i)) out += (out.empty() ? "" : "|") + std::string(NAMES[i]);
  return out.empty() ? "none" : out;
}

}  // namespace kmf
