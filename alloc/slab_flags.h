// slab_flags.h — kmem_cache creation flags and the constructor type, shared by
// the Kernel facade and the slab allocator.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>

namespace kmf {

using SlabFlags = std::uint32_t;
inline constexpr SlabFlags SLAB_NONE = 0;
inline constexpr SlabFlags SLAB_HWCACHE_ALIGN = 0x1;  ///< align objects to the L1 line (64 bytes)
inline constexpr SlabFlags SLAB_CACHE_DMA = 0x2;      ///< slabs from ZONE_DMA
inline constexpr SlabFlags SLAB_POISON = 0x4;         ///< poison free objects (0x6b … 0xa5)
inline constexpr SlabFlags SLAB_RED_ZONE = 0x8;       ///< red zones around objects (0xbb / 0xcc)
inline constexpr SlabFlags SLAB_PANIC = 0x10;         ///< accepted and ignored: never panics here

/// Object constructor: runs on every new object, given the object's bytes.
using Ctor = std::function<void(std::span<std::byte> object)>;

inline constexpr std::size_t L1_CACHE_BYTES = 64;

}  // namespace kmf
