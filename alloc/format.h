// format.h — printf-style formatting into std::string for report messages,
// shared by the allocator files (internal).
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>

namespace kmf::detail {

template <class... Args>
std::string format(const char* fmt, Args... args) {
  const int n = std::snprintf(nullptr, 0, fmt, args...);
  std::string out(static_cast<std::size_t>(n > 0 ? n : 0), '\0');
  std::snprintf(out.data(), out.size() + 1, fmt, args...);
  return out;
}

/// "0x1f": an address or value in hex for messages.
inline std::string hex(std::uint64_t v) { return format("0x%llx", static_cast<unsigned long long>(v)); }

/// For %llx / %llu of a 64-bit value.
inline unsigned long long ull(std::uint64_t v) { return static_cast<unsigned long long>(v); }

}  // namespace kmf::detail
