// vm_flags.h — vm_struct flags (Linux's VM_*) shared by the Kernel facade
// and the vmalloc space.
#pragma once

#include <cstdint>

namespace kmf {

using VmFlags = std::uint32_t;
inline constexpr VmFlags VM_NONE = 0;
inline constexpr VmFlags VM_IOREMAP = 0x1;    ///< set by ioremap on its areas
inline constexpr VmFlags VM_ALLOC = 0x2;      ///< set by vmalloc and friends on theirs
inline constexpr VmFlags VM_NO_GUARD = 0x40;  ///< no guard page after the area

}  // namespace kmf
