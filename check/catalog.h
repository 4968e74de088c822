// catalog.h — the invariant catalog: stable ids, one-line claims, cost classes.
//
// One table shared by the checker, reports, docs and tests. Ids never change
// meaning; new invariants get new ids.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace kmf {

enum class Inv : std::uint8_t {
  B_ALIGN,
  B_FREELIST,
  B_COALESCE,
  B_ACCOUNT,
  B_ORDER,
  B_AVAIL,
  B_ZONE,
  B_WMARK,
  B_RESTORE,
  S_OBJECT,
  S_FREELIST,
  S_LIMIT,
  S_KSIZE,
  S_ALIGN,
  PHYS_CONTIG,
  V_CONTIG,
  V_GUARD,
  V_FRAMES,
  V_UNMAP,
  IOREMAP,
  LAYOUT,
  NO_OVERLAP,
  ZERO,
  INTEGRITY,
  DEBUG_DETECT,
  MISUSE,
  NO_LEAK,
  FAULT,
  // Generic ids: any subject (check/subjects/), each checked by capability.
  IN_BOUNDS,
  ALIGNMENT,
  NO_SPURIOUS_FAILURE,
  RESIZE,
  WALK,
  EMPTY,
  STALE_FREE,
  USABLE_SIZE,
  TRANSLATE,
  SELF_CHECK,
  CONTRACT,
  CALLOC,
  RESTORE,
  METADATA,
  STATS,
  EXPECT,  ///< a script's `expect`/`check` statement did not hold (not an allocator invariant)
};
inline constexpr std::size_t NR_INVARIANTS = static_cast<std::size_t>(Inv::EXPECT) + 1;

enum class Cost : std::uint8_t { constant, logarithmic, linear };

struct InvariantInfo {
  Inv id;
  std::string_view name;   ///< "B-ALIGN"
  std::string_view claim;  ///< one line
  Cost incremental;        ///< cost of the per-op check
  Cost sweep;              ///< cost of the full sweep
};

std::span<const InvariantInfo> invariant_catalog();
const InvariantInfo& invariant_info(Inv id);
std::string_view invariant_name(Inv id);
std::optional<Inv> invariant_from_name(std::string_view name);
std::string_view cost_name(Cost c);

}  // namespace kmf
