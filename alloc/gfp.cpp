// gfp.cpp — printing and parsing GFP masks.
#include "alloc/gfp.h"

#include <array>
#include <charconv>
#include <span>
#include <utility>

namespace kmf {
namespace {

// Composite names are tried first, largest first, so that GFP_HIGHUSER prints
// as itself rather than as GFP_USER|GFP_HIGHMEM.
constexpr std::array<std::pair<std::string_view, gfp_t>, 6> COMPOSITES{{
    {"GFP_HIGHUSER", GFP_HIGHUSER},
    {"GFP_USER", GFP_USER},
    {"GFP_KERNEL", GFP_KERNEL},
    {"GFP_ATOMIC", GFP_ATOMIC},
    {"GFP_NOWAIT", GFP_NOWAIT},
    {"GFP_RECLAIM", GFP_RECLAIM},
}};

constexpr std::array<std::pair<std::string_view, gfp_t>, 13> SINGLES{{
    {"GFP_DMA", GFP_DMA},
    {"GFP_HIGHMEM", GFP_HIGHMEM},
    {"GFP_DMA32", GFP_DMA32},
    {"GFP_DIRECT_RECLAIM", GFP_DIRECT_RECLAIM},
    {"GFP_KSWAPD_RECLAIM", GFP_KSWAPD_RECLAIM},
    {"GFP_HIGH", GFP_HIGH},
    {"GFP_IO", GFP_IO},
    {"GFP_FS", GFP_FS},
    {"GFP_HARDWALL", GFP_HARDWALL},
    {"GFP_NOWARN", GFP_NOWARN},
    {"GFP_NOFAIL", GFP_NOFAIL},
    {"GFP_ZERO", GFP_ZERO},
    {"GFP_WAIT", GFP_DIRECT_RECLAIM},  // the 2.6-era name of DIRECT_RECLAIM
}};

}  // namespace

std::string gfp_to_string(gfp_t gfp) {
  if (gfp == 0) return "0";
  std::string out;
  gfp_t rest = gfp;
  auto emit = [&](std::string_view name) {
    if (!out.empty()) out += '|';
    out += name;
  };
  for (const auto& [name, bits] : COMPOSITES) {
    if ((rest & bits) == bits) {
      emit(name);
      rest &= ~bits;
      break;  // one composite at most: the rest are modifiers
    }
  }
  for (const auto& [name, bits] : SINGLES) {
    if (name == "GFP_WAIT") continue;
    if ((rest & bits) == bits) {
      emit(name);
      rest &= ~bits;
    }
  }
  if (rest != 0) {
    char buf[16];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, rest, 16);
    (void)ec;
    emit("0x" + std::string(buf, end));
  }
  return out;
}

std::optional<gfp_t> gfp_from_string(std::string_view text) {
  if (text.empty()) return std::nullopt;
  gfp_t result = 0;
  while (true) {
    const auto bar = text.find('|');
    std::string_view word = text.substr(0, bar);
    while (!word.empty() && word.front() == ' ') word.remove_prefix(1);
    while (!word.empty() && word.back() == ' ') word.remove_suffix(1);
    if (word.starts_with("__")) word.remove_prefix(2);
    bool found = false;
    for (const auto& table :
         {std::span{COMPOSITES.data(), COMPOSITES.size()}, std::span{SINGLES.data(), SINGLES.size()}}) {
      for (const auto& [name, bits] : table) {
        if (name == word) {
          result |= bits;
          found = true;
          break;
        }
      }
      if (found) break;
    }
    if (!found) {
      std::uint64_t value = 0;
      int base = 10;
      std::string_view digits = word;
      if (digits.starts_with("0x") || digits.starts_with("0X")) {
        digits.remove_prefix(2);
        base = 16;
      }
      if (digits.empty()) return std::nullopt;
      auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value, base);
      if (ec != std::errc{} || ptr != digits.data() + digits.size()) return std::nullopt;
      if ((value & ~std::uint64_t{GFP_VALID_MASK}) != 0) return std::nullopt;
      result |= static_cast<gfp_t>(value);
    }
    if (bar == std::string_view::npos) break;
    text.remove_prefix(bar + 1);
  }
  return result;
}

}  // namespace kmf
