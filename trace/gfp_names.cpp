// gfp_names.cpp — kernel gfp flag names and raw masks to the model's bits.
#include "trace/gfp_names.h"

#include <array>
#include <charconv>
#include <cstdint>

namespace kmf::trace {

namespace {

struct Name {
  std::string_view name;  ///< without the leading `__`
  gfp_t bits;             ///< 0: a kernel flag the model has no counterpart for
};

// Composite masks and single flags across kernel eras (2.6.3x's __GFP_WAIT
// and __GFP_COLD, 4.x's __GFP_ATOMIC and __GFP_OTHER_NODE, 6.x's
// __GFP_SKIP_KASAN …). Leading underscores are stripped before lookup.
constexpr std::array NAMES{
    Name{"GFP_KERNEL", GFP_KERNEL},
    Name{"GFP_KERNEL_ACCOUNT", GFP_KERNEL},
    Name{"GFP_TEMPORARY", GFP_KERNEL},
    Name{"GFP_ATOMIC", GFP_ATOMIC},
    Name{"GFP_NOWAIT", GFP_NOWAIT},
    Name{"GFP_NOIO", GFP_RECLAIM},
    Name{"GFP_NOFS", GFP_RECLAIM | GFP_IO},
    Name{"GFP_IOFS", GFP_IO | GFP_FS},
    Name{"GFP_USER", GFP_USER},
    Name{"GFP_HIGHUSER", GFP_HIGHUSER},
    Name{"GFP_HIGHUSER_MOVABLE", GFP_HIGHUSER},
    Name{"GFP_TRANSHUGE", GFP_HIGHUSER | GFP_NOWARN},
    Name{"GFP_TRANSHUGE_LIGHT", (GFP_HIGHUSER & ~GFP_RECLAIM) | GFP_NOWARN},
    Name{"GFP_THISNODE", 0},
    Name{"GFP_DMA", GFP_DMA},
    Name{"GFP_HIGHMEM", GFP_HIGHMEM},
    Name{"GFP_DMA32", GFP_DMA32},
    Name{"GFP_WAIT", GFP_RECLAIM},
    Name{"GFP_RECLAIM", GFP_RECLAIM},
    Name{"GFP_DIRECT_RECLAIM", GFP_DIRECT_RECLAIM},
    Name{"GFP_KSWAPD_RECLAIM", GFP_KSWAPD_RECLAIM},
    Name{"GFP_HIGH", GFP_HIGH},
    Name{"GFP_IO", GFP_IO},
    Name{"GFP_FS", GFP_FS},
    Name{"GFP_HARDWALL", GFP_HARDWALL},
    Name{"GFP_NOWARN", GFP_NOWARN},
    Name{"GFP_NOFAIL", GFP_NOFAIL},
    Name{"GFP_ZERO", GFP_ZERO},
    Name{"GFP_MOVABLE", 0},
    Name{"GFP_RECLAIMABLE", 0},
    Name{"GFP_COLD", 0},
    Name{"GFP_REPEAT", 0},
    Name{"GFP_NORETRY", 0},
    Name{"GFP_RETRY_MAYFAIL", 0},
    Name{"GFP_COMP", 0},
    Name{"GFP_MEMALLOC", 0},
    Name{"GFP_NOMEMALLOC", 0},
    Name{"GFP_ACCOUNT", 0},
    Name{"GFP_NOACCOUNT", 0},
    Name{"GFP_NOTRACK", 0},
    Name{"GFP_NOTRACK_FALSE_POSITIVE", 0},
    Name{"GFP_OTHER_NODE", 0},
    Name{"GFP_WRITE", 0},
    Name{"GFP_NOLOCKDEP", 0},
    Name{"GFP_ZEROTAGS", 0},
    Name{"GFP_SKIP_ZERO", 0},
    Name{"GFP_SKIP_KASAN", 0},
    Name{"GFP_SKIP_KASAN_POISON", 0},
    Name{"GFP_SKIP_KASAN_UNPOISON", 0},
    Name{"GFP_NO_OBJ_EXT", 0},
    Name{"GFP_NO_KSWAPD", 0},
    Name{"GFP_BITS_MASK", 0},
};

bool parse_hex(std::string_view s, std::uint64_t& out) {
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) s.remove_prefix(2);
  if (s.empty()) return false;
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out, 16);
  return ec == std::errc() && p == s.data() + s.size();
}

bool is_flag_name(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_')) return false;
  return true;
}

/// 2.6/3.x layout: __GFP_WAIT (0x10) without 5.x's reclaim bits (0x400, 0x800).
bool looks_legacy(std::uint64_t raw) { return (raw & 0x10) && !(raw & 0xc00) && raw < 0x100000; }

}  // namespace

gfp_t gfp_from_linux_bits(std::uint64_t raw) {
  gfp_t g = 0;
  if (looks_legacy(raw)) {
    // 2.6.x-3.x ___GFP_* values: __GFP_WAIT 0x10 … __GFP_ZERO 0x8000, __GFP_HARDWALL 0x20000.
    if (raw & 0x01) g |= GFP_DMA;
    if (raw & 0x02) g |= GFP_HIGHMEM;
    if (raw & 0x04) g |= GFP_DMA32;
    if (raw & 0x10) g |= GFP_RECLAIM;
    if (raw & 0x20) g |= GFP_HIGH;
    if (raw & 0x40) g |= GFP_IO;
    if (raw & 0x80) g |= GFP_FS;
    if (raw & 0x200) g |= GFP_NOWARN;
    if (raw & 0x800) g |= GFP_NOFAIL;
    if (raw & 0x8000) g |= GFP_ZERO;
    if (raw & 0x20000) g |= GFP_HARDWALL;
    return g;
  }
  // Linux 5.x/6.x ___GFP_* values (include/linux/gfp_types.h).
  if (raw & 0x01) g |= GFP_DMA;
  if (raw & 0x02) g |= GFP_HIGHMEM;
  if (raw & 0x04) g |= GFP_DMA32;
  if (raw & 0x20) g |= GFP_HIGH;
  if (raw & 0x40) g |= GFP_IO;
  if (raw & 0x80) g |= GFP_FS;
  if (raw & 0x100) g |= GFP_ZERO;
  if (raw & 0x400) g |= GFP_DIRECT_RECLAIM;
  if (raw & 0x800) g |= GFP_KSWAPD_RECLAIM;
  if (raw & 0x2000) g |= GFP_NOWARN;
  if (raw & 0x8000) g |= GFP_NOFAIL;
  if (raw & 0x100000) g |= GFP_HARDWALL;
  return g;
}

std::optional<TraceGfp> parse_trace_gfp(std::string_view text) {
  TraceGfp out;
  if (text.empty() || text == "none") return out;
  if (text[0] >= '0' && text[0] <= '9') {
    // 0x… is hex; plain digits are decimal (trace-cmd's `[FAILED TO PARSE]` raw fields).
    std::uint64_t raw = 0;
    const bool hex = text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X');
    if (hex) {
      if (!parse_hex(text, raw)) return std::nullopt;
    } else {
      const auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), raw, 10);
      if (ec != std::errc() || p != text.data() + text.size()) return std::nullopt;
    }
    out.gfp = gfp_from_linux_bits(raw);
    return out;
  }
  std::size_t pos = 0;
  bool first = true;
  while (pos <= text.size()) {
    std::size_t bar = text.find('|', pos);
    if (bar == std::string_view::npos) bar = text.size();
    std::string_view word = text.substr(pos, bar - pos);
    pos = bar + 1;
    if (word.empty()) return std::nullopt;
    if (word[0] >= '0' && word[0] <= '9') {
      // Bits the kernel's name table did not cover: a trailing `|0x…`.
      std::uint64_t raw = 0;
      if (first || !parse_hex(word, raw)) return std::nullopt;
      first = false;
      continue;
    }
    first = false;
    while (!word.empty() && word[0] == '_') word.remove_prefix(1);
    if (!is_flag_name(word)) return std::nullopt;
    bool known = false;
    for (const Name& n : NAMES)
      if (n.name == word) {
        out.gfp |= n.bits;
        known = true;
        break;
      }
    if (!known) ++out.unknown_names;
  }
  return out;
}

}  // namespace kmf::trace
