// gfp.h — GFP ("get free pages") flags: which zones a request may use, whether
// it may sleep, how deep into the reserves it may dip, and modifiers.
//
// Kernel spellings with leading double underscores drop them
// (`__GFP_ZERO` → `GFP_ZERO`); the parser accepts both.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace kmf {

using gfp_t = std::uint32_t;

// Zone modifiers.
inline constexpr gfp_t GFP_DMA = 0x01;
inline constexpr gfp_t GFP_HIGHMEM = 0x02;
inline constexpr gfp_t GFP_DMA32 = 0x04;
// Reclaim and priority.
inline constexpr gfp_t GFP_DIRECT_RECLAIM = 0x10;  ///< may sleep
inline constexpr gfp_t GFP_KSWAPD_RECLAIM = 0x20;  ///< may wake kswapd
inline constexpr gfp_t GFP_HIGH = 0x40;            ///< may use half the min reserve
inline constexpr gfp_t GFP_IO = 0x80;
inline constexpr gfp_t GFP_FS = 0x100;
inline constexpr gfp_t GFP_HARDWALL = 0x200;
// Action modifiers.
inline constexpr gfp_t GFP_NOWARN = 0x400;
inline constexpr gfp_t GFP_NOFAIL = 0x800;
inline constexpr gfp_t GFP_ZERO = 0x1000;

inline constexpr gfp_t GFP_RECLAIM = GFP_DIRECT_RECLAIM | GFP_KSWAPD_RECLAIM;
inline constexpr gfp_t GFP_KERNEL = GFP_RECLAIM | GFP_IO | GFP_FS;
inline constexpr gfp_t GFP_ATOMIC = GFP_HIGH | GFP_KSWAPD_RECLAIM;
inline constexpr gfp_t GFP_NOWAIT = GFP_KSWAPD_RECLAIM;
inline constexpr gfp_t GFP_USER = GFP_KERNEL | GFP_HARDWALL;
inline constexpr gfp_t GFP_HIGHUSER = GFP_USER | GFP_HIGHMEM;

/// All bits that have a meaning; anything else is rejected by the parser.
inline constexpr gfp_t GFP_VALID_MASK = 0x1ff7;

/// True when the request may sleep (and so is illegal in atomic context).
constexpr bool gfpflags_allow_blocking(gfp_t gfp) { return (gfp & GFP_DIRECT_RECLAIM) != 0; }

/// Canonical text form: composite names first (GFP_KERNEL, GFP_ATOMIC, …),
/// then the remaining single flags, `|`-joined. 0 prints as `0`.
std::string gfp_to_string(gfp_t gfp);
/// Parses `GFP_KERNEL|__GFP_ZERO`, a number, or `0`; nullopt on an unknown name.
std::optional<gfp_t> gfp_from_string(std::string_view text);

}  // namespace kmf
