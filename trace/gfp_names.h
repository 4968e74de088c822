// gfp_names.h — the gfp_flags field of a kmem event, as the kernel prints it,
// in the model's bits.
//
// Kernels print the mask through their flag-name tables: composite names
// first (GFP_KERNEL, GFP_NOFS, GFP_HIGHUSER_MOVABLE, …), then single flags,
// with or without the leading `__` (`__GFP_ZERO`, `GFP_ZERO` in newer
// trace-cmd output), bits no name covers as a trailing `|0x…`. The fields
// print mode and some tools print the raw number instead.
//
// Only the bits the model knows survive (zone, reclaim, HIGH, IO, FS,
// HARDWALL, NOWARN, NOFAIL, ZERO); flags that steer things the model has no
// notion of (MOVABLE, COMP, ACCOUNT, NORETRY, …) are dropped. A raw number
// (0x… hex, or decimal) is read with the bit values of Linux 5.x/6.x
// (GFP_KERNEL = 0xcc0), the era of the fields print mode — unless it has
// 2.6/3.x's __GFP_WAIT bit (0x10) and none of the newer reclaim bits
// (0xc00), which marks the old layout (GFP_KERNEL = 0xd0, __GFP_ZERO = 0x8000).
// The layouts of 4.x kernels in between are not told apart (they print names).
#pragma once

#include <optional>
#include <string_view>

#include "alloc/gfp.h"

namespace kmf::trace {

struct TraceGfp {
  gfp_t gfp = 0;               ///< the model's bits
  unsigned unknown_names = 0;  ///< names that are no known kernel flag (tolerated, dropped)
};

/// Parses `GFP_KERNEL|__GFP_ZERO`, `GFP_NOFS|0x4000000`, `0xcc0`, `none` or
/// the empty text. nullopt when the text is neither names nor a number.
std::optional<TraceGfp> parse_trace_gfp(std::string_view text);

/// The model bits of a raw gfp mask (5.x/6.x layout, or 2.6/3.x when it looks like one).
gfp_t gfp_from_linux_bits(std::uint64_t raw);

}  // namespace kmf::trace
