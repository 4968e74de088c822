// buddy_props.cpp — direct claims about the page allocator, and a model-based
// test (rc::state) whose model predicts every outcome and the free count.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <optional>
#include <set>

#include "alloc/kernel.h"
#include "check/kernel_checker.h"
#include "props/generators.h"

namespace kmf::props {
namespace {

RC_GTEST_PROP(Buddy, order_10_succeeds_on_a_fresh_machine_and_11_never_does, ()) {
  const MachineConfig m = *gen_machine(8, 256);
  Kernel k(m);
  RC_ASSERT(k.alloc_pages(GFP_KERNEL, 10));
  const unsigned big = *rc::gen::inRange<unsigned>(11, 64);
  RC_ASSERT(!k.alloc_pages(*gen_gfp(), big));
}

RC_GTEST_PROP(Buddy, allocating_then_freeing_in_any_order_restores_the_boot_state, ()) {
  const MachineConfig m = *gen_machine(1, 64);
  Kernel k(m);
  const auto boot = k.buddy().free_blocks();
  const auto orders = *rc::gen::container<std::vector<unsigned>>(gen_order());
  std::vector<std::pair<Pfn, unsigned>> live;
  for (unsigned o : orders)
    if (const Pfn p = k.alloc_pages(GFP_KERNEL, o)) live.emplace_back(p, o);
  const auto order =
      *rc::gen::container<std::vector<std::size_t>>(live.size(), rc::gen::arbitrary<std::size_t>());
  for (std::size_t i = live.size(); i > 1; --i) std::swap(live[i - 1], live[order[i - 1] % i]);
  for (auto [p, o] : live) k.free_pages(p, o);
  RC_ASSERT(k.buddy().free_blocks() == boot);
  RC_ASSERT(k.reports().empty());
}

RC_GTEST_PROP(Buddy, gfp_dma_memory_lies_below_16_MiB, ()) {
  Kernel k(*gen_machine(1, 128));
  for (unsigned o : *rc::gen::container<std::vector<unsigned>>(gen_order())) {
    const Pfn p = k.alloc_pages(GFP_DMA | (*rc::gen::arbitrary<bool>() ? GFP_ATOMIC : GFP_KERNEL), o);
    if (p) RC_ASSERT(((p.value + (std::uint64_t{1} << o)) << PAGE_SHIFT) <= 16 * MiB);
  }
}

// ---- a lockstep reference model ---------------------------------------------------
// The reference is a naive buddy over std::set: free blocks per zone as
// (pfn, order) pairs, split and merged by the textbook rule. Which free block
// the allocator picks is its own choice, so the model checks the choice was
// legal (the start of a smallest-order free block ≥ k in an eligible zone)
// and then follows it. After every step the model's free blocks must equal
// the allocator's, and a null must be one the watermark rules allow.

struct ReferenceBuddy {
  std::set<std::pair<std::uint64_t, unsigned>> free;
  const Kernel& k;
  explicit ReferenceBuddy(const Kernel& kernel) : k(kernel) {
    for (auto b : kernel.buddy().free_blocks()) free.insert(b);
  }
  const Zone& zone(std::uint64_t pfn) const { return *k.buddy().zone_of(pfn); }
  /// The free block containing pfn, if any.
  std::optional<std::pair<std::uint64_t, unsigned>> containing(std::uint64_t pfn) const {
    for (unsigned o = 0; o <= MAX_PAGE_ORDER; ++o) {
      const std::uint64_t head = pfn & ~((std::uint64_t{1} << o) - 1);
      if (free.count({head, o})) return std::make_pair(head, o);
    }
    return std::nullopt;
  }
  void take(std::uint64_t pfn, unsigned order) {
    auto blk = containing(pfn);
    RC_ASSERT(blk.has_value());
    auto [head, o] = *blk;
    RC_ASSERT(head == pfn);  // the lower half is handed out
    RC_ASSERT(o >= order);
    // No smaller sufficient block existed in the same zone.
    for (auto [p2, o2] : free)
      if (o2 >= order && o2 < o) RC_ASSERT(!zone(p2).contains(pfn));
    free.erase({head, o});
    while (o > order) {
      --o;
      free.insert({head + (std::uint64_t{1} << o), o});
    }
  }
  void give(std::uint64_t pfn, unsigned order) {
    const Zone& z = zone(pfn);
    while (order < MAX_PAGE_ORDER) {
      const std::uint64_t buddy = pfn ^ (std::uint64_t{1} << order);
      if (!z.contains(buddy) || !free.count({buddy, order})) break;
      free.erase({buddy, order});
      pfn &= ~(std::uint64_t{1} << order);
      ++order;
    }
    free.insert({pfn, order});
  }
};

RC_GTEST_PROP(BuddyModel, a_naive_reference_buddy_agrees_with_every_step, ()) {
  const MachineConfig m = *gen_machine(1, 32);
  Kernel k(m);
  KernelChecker chk(k);
  ReferenceBuddy model(k);
  std::vector<std::pair<Pfn, unsigned>> live;
  const auto steps = *rc::gen::container<std::vector<std::tuple<bool, unsigned, gfp_t, std::size_t>>>(
      rc::gen::tuple(rc::gen::arbitrary<bool>(), gen_order(), gen_gfp(), rc::gen::arbitrary<std::size_t>()));
  for (const auto& [do_alloc, order, gfp, pick] : steps) {
    if (do_alloc || live.empty()) {
      const auto pre = chk.zones();
      const Pfn p = k.alloc_pages(gfp, order);
      if (!p) {
        RC_ASSERT(!chk.page_failure(pre, gfp, order));
      } else {
        RC_ASSERT(order <= MAX_PAGE_ORDER);
        model.take(p.value, order);
        live.emplace_back(p, order);
      }
    } else {
      const std::size_t i = pick % live.size();
      k.free_pages(live[i].first, live[i].second);
      model.give(live[i].first.value, live[i].second);
      live.erase(live.begin() + static_cast<std::ptrdiff_t>(i));
    }
    const auto actual = k.buddy().free_blocks();
    const std::vector<std::pair<std::uint64_t, unsigned>> expected(model.free.begin(), model.free.end());
    RC_ASSERT(expected == actual);
    RC_ASSERT(k.reports().empty());
  }
  for (auto [p, o] : live) k.free_pages(p, o);
  RC_ASSERT(!chk.restored());
}

}  // namespace
}  // namespace kmf::props
