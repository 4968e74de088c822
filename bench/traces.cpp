// traces.cpp — seeded trace generators (see traces.h).
#include "bench/traces.h"

#include <algorithm>
#include <bit>
#include <cassert>
#include <numeric>

#include "alloc/fault.h"

namespace kmf::bench {
namespace {

std::vector<std::uint32_t> free_sequence(std::uint32_t n, FreeOrder order, Rng& rng) {
  std::vector<std::uint32_t> seq(n);
  std::iota(seq.begin(), seq.end(), 0u);
  if (order == FreeOrder::lifo) std::reverse(seq.begin(), seq.end());
  if (order == FreeOrder::random)
    for (std::uint32_t i = n; i > 1; --i) std::swap(seq[i - 1], seq[rng.below(i)]);  // Fisher–Yates
  return seq;
}

std::uint32_t draw_size(SizeDist d, Rng& rng) {
  if (d.fixed != 0) return d.fixed;
  const unsigned k = 3 + static_cast<unsigned>(rng.below(10));  // 3..12
  const std::uint32_t hi = 1u << k, lo = hi >> 1;
  return lo + 1 + static_cast<std::uint32_t>(rng.below(hi - lo));
}

}  // namespace

Trace page_batch(std::uint32_t n, FreeOrder order, std::uint64_t seed) {
  Rng rng(seed);
  Trace t;
  t.slots = n;
  t.timed.reserve(2 * std::size_t{n});
  for (std::uint32_t i = 0; i < n; ++i) t.timed.push_back({i, 0, true});
  for (std::uint32_t i : free_sequence(n, order, rng)) t.timed.push_back({i, 0, false});
  t.timed_allocs = n;
  return t;
}

Trace page_churn(std::uint64_t frames, double occupancy, std::uint32_t steps, unsigned max_order,
                 std::uint64_t seed) {
  Rng rng(seed);
  Trace t;
  const auto target = static_cast<std::uint64_t>(static_cast<double>(frames) * occupancy);
  struct Live {
    std::uint32_t slot;
    unsigned order;
  };
  std::vector<Live> live;
  std::vector<std::uint32_t> spare;  // slot ids free for reuse
  std::uint64_t used = 0;
  auto fill = [&](std::vector<TraceOp>& out) {
    while (used < target) {
      unsigned o = static_cast<unsigned>(rng.below(max_order + 1));
      o = std::min(o, static_cast<unsigned>(std::bit_width(target - used) - 1));  // never past the target
      std::uint32_t slot;
      if (!spare.empty()) {
        slot = spare.back();
        spare.pop_back();
      } else {
        slot = t.slots++;
      }
      out.push_back({slot, o, true});
      live.push_back({slot, o});
      used += std::uint64_t{1} << o;
      if (&out == &t.timed) ++t.timed_allocs;
    }
  };
  fill(t.setup);
  for (std::uint32_t s = 0; s < steps; ++s) {
    const auto i = static_cast<std::size_t>(rng.below(live.size()));
    const Live victim = live[i];
    live[i] = live.back();
    live.pop_back();
    t.timed.push_back({victim.slot, victim.order, false});
    spare.push_back(victim.slot);
    used -= std::uint64_t{1} << victim.order;
    fill(t.timed);
  }
  for (const Live& l : live) t.teardown.push_back({l.slot, l.order, false});
  return t;
}

std::string_view pattern_name(ObjectPattern p) {
  switch (p) {
    case ObjectPattern::lifo_batches: return "lifo_batches";
    case ObjectPattern::fifo: return "fifo";
    case ObjectPattern::random_free: return "random_free";
    case ObjectPattern::sliding_window: return "sliding_window";
  }
  return "?";
}

Trace object_trace(ObjectPattern pattern, std::uint32_t n, SizeDist sizes, std::uint64_t seed,
                   std::uint32_t window) {
  Rng rng(seed);
  Trace t;
  t.slots = n;
  t.timed_allocs = n;
  t.timed.reserve(2 * std::size_t{n});
  std::vector<std::uint32_t> size(n);
  for (std::uint32_t& s : size) s = draw_size(sizes, rng);
  auto alloc = [&](std::uint32_t i) { t.timed.push_back({i, size[i], true}); };
  auto release = [&](std::uint32_t i) { t.timed.push_back({i, size[i], false}); };
  switch (pattern) {
    case ObjectPattern::lifo_batches:
      for (std::uint32_t i = 0; i < n;) {
        const std::uint32_t k = std::min<std::uint32_t>(n - i, 1 + static_cast<std::uint32_t>(rng.below(32)));
        for (std::uint32_t j = 0; j < k; ++j) alloc(i + j);
        for (std::uint32_t j = k; j-- > 0;) release(i + j);
        i += k;
      }
      break;
    case ObjectPattern::fifo:
    case ObjectPattern::random_free:
      for (std::uint32_t i = 0; i < n; ++i) alloc(i);
      for (std::uint32_t i :
           free_sequence(n, pattern == ObjectPattern::fifo ? FreeOrder::fifo : FreeOrder::random, rng))
        release(i);
      break;
    case ObjectPattern::sliding_window:
      for (std::uint32_t i = 0; i < n; ++i) {
        alloc(i);
        if (i >= window) release(i - window);
      }
      for (std::uint32_t i = n > window ? n - window : 0; i < n; ++i) release(i);
      break;
  }
  assert(t.timed.size() == 2 * std::size_t{n});
  return t;
}

}  // namespace kmf::bench
