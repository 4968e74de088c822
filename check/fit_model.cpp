// fit_model.cpp — the buddy, first-fit and segregated reference models.
#include "check/fit_model.h"

#include <algorithm>
#include <bit>

namespace kmf {
namespace {

std::uint64_t round_up(std::uint64_t v, std::uint64_t g) { return g <= 1 ? v : (v + g - 1) / g * g; }

std::uint64_t pow2_ceil(std::uint64_t v) { return v <= 1 ? 1 : std::bit_ceil(v); }

/// The buddy block a request needs, or 0 when the model cannot promise one.
std::uint64_t buddy_block(const FitModel& m, std::uint64_t size, std::uint64_t align,
                          std::uint64_t default_align) {
  if (size > (std::uint64_t{1} << 62) || align > (std::uint64_t{1} << 62)) return 0;
  std::uint64_t bs = pow2_ceil(std::max({size + m.header, m.granule, std::uint64_t{1}}));
  if (align > default_align) {
    if (m.header != 0) return 0;  // a header shifts the body off the block's alignment
    bs = std::max(bs, pow2_ceil(align));
  }
  if (m.max_block != 0 && bs > m.max_block) return 0;
  return bs;
}

std::uint64_t segregated_body(const FitModel& m, std::uint64_t size) {
  return std::max(round_up(std::max<std::uint64_t>(size, 1), std::max<std::uint64_t>(m.granule, 1)),
                  m.min_block);
}

/// first_fit and segregated: the gap a request needs (0: no claim).
std::uint64_t gap_needed(const FitModel& m, std::uint64_t size, std::uint64_t align,
                         std::uint64_t default_align) {
  if (m.kind == FitModel::Kind::first_fit) {
    std::uint64_t need = m.header + round_up(size, m.granule) + m.slack;
    if (align > default_align) need += m.header + m.granule + align;
    return need;
  }
  if (align > default_align) return 0;  // the segregated model makes no claim about alignments
  const std::uint64_t c = segregated_class(m, size);
  return c == 0 ? 0 : m.header + c + m.slack;
}

}  // namespace

std::uint64_t segregated_class(const FitModel& m, std::uint64_t size) {
  if (size > (std::uint64_t{1} << 60)) return 0;
  const std::uint64_t b = segregated_body(m, size);
  const std::uint64_t small = (std::uint64_t{1} << m.sl_log2) * std::max<std::uint64_t>(m.granule, 1);
  if (b < small) return b;  // linear classes, one granule apart
  const unsigned f = static_cast<unsigned>(std::bit_width(b) - 1);
  const std::uint64_t width = std::uint64_t{1} << (f > m.sl_log2 ? f - m.sl_log2 : 0);
  return round_up(b, width);
}

std::string explain_fit(const FitModel& m, std::uint64_t size, std::uint64_t align,
                        std::uint64_t default_align) {
  const std::string al = align > default_align ? " aligned to " + std::to_string(align) : std::string();
  switch (m.kind) {
    case FitModel::Kind::none: return "no model";
    case FitModel::Kind::first_fit:
      return "a request of " + std::to_string(size) + " bytes" + al + " needs one gap of " +
             std::to_string(gap_needed(m, size, align, default_align)) + " bytes (header " +
             std::to_string(m.header) + " + the size rounded to " + std::to_string(m.granule) + " + slack " +
             std::to_string(m.slack) + (align > default_align ? " + alignment padding" : "") + ")";
    case FitModel::Kind::buddy: {
      const std::uint64_t bs = buddy_block(m, size, align, default_align);
      return "a request of " + std::to_string(size) + " bytes" + al +
             (bs ? " needs a free aligned block of " + std::to_string(bs) + " bytes" : " has no buddy block");
    }
    case FitModel::Kind::segregated: {
      const std::uint64_t c = segregated_class(m, size);
      return "a request of " + std::to_string(size) + " bytes" + al + " rounds to the " + std::to_string(c) +
             "-byte class, so it needs one gap of " +
             std::to_string(gap_needed(m, size, align, default_align)) + " bytes (header " +
             std::to_string(m.header) + " + class + slack " + std::to_string(m.slack) + ")";
    }
    case FitModel::Kind::custom: return m.model ? m.model->explain(size, align, default_align) : "no model";
  }
  return "?";
}

std::vector<AddrRange> free_gaps(AddrRange space, std::vector<AddrRange> occupied) {
  std::sort(occupied.begin(), occupied.end(),
            [](const AddrRange& a, const AddrRange& b) { return a.lo < b.lo; });
  std::vector<AddrRange> gaps;
  std::uint64_t at = space.lo;
  for (const AddrRange& r : occupied) {
    if (r.hi <= at || r.lo >= space.hi) {
      if (r.lo >= space.hi) break;
      continue;
    }
    if (r.lo > at) gaps.push_back({at, r.lo});
    at = std::max(at, r.hi);
  }
  if (at < space.hi) gaps.push_back({at, space.hi});
  return gaps;
}

AddrRange model_extent(const FitModel& m, std::uint64_t addr, std::uint64_t size,
                       std::optional<std::uint64_t> usable) {
  std::uint64_t body = std::max<std::uint64_t>(size, 1);
  switch (m.kind) {
    case FitModel::Kind::none: break;
    case FitModel::Kind::first_fit: body = round_up(body, m.granule); break;
    case FitModel::Kind::buddy: body = pow2_ceil(std::max(body + m.header, m.granule)) - m.header; break;
    case FitModel::Kind::segregated: body = segregated_body(m, body); break;
    case FitModel::Kind::custom:
      if (m.model) return m.model->extent(addr, size, usable);
      break;
  }
  if (usable) body = std::max(body, *usable);
  return {addr - std::min(addr, m.header), addr + body};
}

bool must_fit(const FitModel& m, AddrRange space, std::vector<AddrRange> occupied, std::uint64_t size,
              std::uint64_t align, std::uint64_t default_align) {
  if (!m || size == 0 || size > space.size() || align > space.size()) return false;
  if (m.kind == FitModel::Kind::custom) return m.model->must_fit(space, occupied, size, align, default_align);
  const std::vector<AddrRange> gaps = free_gaps(space, std::move(occupied));
  if (m.kind == FitModel::Kind::first_fit || m.kind == FitModel::Kind::segregated) {
    const std::uint64_t need = gap_needed(m, size, align, default_align);
    if (need == 0) return false;
    return std::any_of(gaps.begin(), gaps.end(), [&](const AddrRange& g) { return g.size() >= need; });
  }
  const std::uint64_t bs = buddy_block(m, size, align, default_align);
  if (bs == 0) return false;
  // Candidates lie at lo + j*bs; with bs ≥ align they all share lo's residue.
  if (align > default_align && (space.lo + m.header) % align != 0) return false;
  for (const AddrRange& g : gaps) {
    const std::uint64_t c = space.lo + round_up(g.lo - space.lo, bs);
    if (c + bs <= g.hi) return true;
  }
  return false;
}

bool must_fit_at(const FitModel& m, AddrRange space, std::vector<AddrRange> occupied, AddrRange want) {
  if (m.kind != FitModel::Kind::first_fit || want.size() == 0) return false;
  if ((want.lo - space.lo) % std::max<std::uint64_t>(m.granule, 1) != 0) return false;
  if (want.lo < space.lo + m.header) return false;
  const AddrRange ext{want.lo - m.header, want.lo + round_up(want.size(), m.granule)};
  const std::uint64_t min_free = m.header + m.granule + m.slack;
  for (const AddrRange& g : free_gaps(space, std::move(occupied))) {
    if (!g.contains(ext)) continue;
    const std::uint64_t left = ext.lo - g.lo, right = g.hi - ext.hi;
    return (left == 0 || left >= min_free) && (right == 0 || right >= min_free);
  }
  return false;
}

std::uint64_t largest_must_fit(const FitModel& m, AddrRange space, const std::vector<AddrRange>& occupied,
                               std::uint64_t default_align) {
  if (!m || !must_fit(m, space, occupied, 1, 0, default_align)) return 0;
  std::uint64_t lo = 1, hi = space.size();  // must_fit(lo); find the largest
  while (lo < hi) {
    const std::uint64_t mid = lo + (hi - lo + 1) / 2;
    if (must_fit(m, space, occupied, mid, 0, default_align))
      lo = mid;
    else
      hi = mid - 1;
  }
  return lo;
}

std::string to_string(const FitModel& m) {
  switch (m.kind) {
    case FitModel::Kind::none: return "none";
    case FitModel::Kind::first_fit:
      return "first_fit(header=" + std::to_string(m.header) + ", granule=" + std::to_string(m.granule) +
             ", slack=" + std::to_string(m.slack) + ")";
    case FitModel::Kind::buddy:
      return "buddy(min_block=" + std::to_string(m.granule) + ", header=" + std::to_string(m.header) +
             (m.max_block ? ", max_block=" + std::to_string(m.max_block) : std::string()) + ")";
    case FitModel::Kind::segregated:
      return "segregated(sl_log2=" + std::to_string(m.sl_log2) +
             ", min_block=" + std::to_string(m.min_block) + ", header=" + std::to_string(m.header) +
             ", granule=" + std::to_string(m.granule) + ", slack=" + std::to_string(m.slack) + ")";
    case FitModel::Kind::custom: return m.model ? m.model->name() : "none";
  }
  return "?";
}

}  // namespace kmf
