// object_checker.cpp — the generic invariants over host memory.
#include "check/object_checker.h"

#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <map>

#include "alloc/fault.h"
#include "alloc/format.h"
#include "check/kernel_checker.h"

namespace kmf {
namespace {

using detail::hex;

struct Block {
  std::uintptr_t addr = 0;
  std::uint32_t size = 0, align = 0, id = 0;
  bool live = false;
};

}  // namespace

std::string to_string(const ObjectOp& op) {
  if (op.kind == ObjectOp::alloc)
    return "alloc " + std::to_string(op.size) + " align=" + std::to_string(op.align);
  return "free b" + std::to_string(op.slot);
}

std::vector<ObjectOp> random_object_program(std::uint64_t seed, std::size_t n, std::uint32_t max_align) {
  Rng rng(seed);
  std::vector<ObjectOp> ops;
  std::vector<std::uint32_t> live;
  for (std::size_t i = 0; i < n; ++i) {
    if (live.empty() || rng.below(5) < 3) {
      const auto k = static_cast<unsigned>(rng.below(17));
      const auto size = static_cast<std::uint32_t>(
          std::max<std::int64_t>(1, (std::int64_t{1} << k) + static_cast<std::int64_t>(rng.below(3)) - 1));
      unsigned shift = static_cast<unsigned>(std::min<std::uint64_t>(rng.below(13), rng.below(13)));
      while ((1u << shift) > max_align) --shift;
      const auto align = static_cast<std::uint32_t>(1u << shift);
      live.push_back(static_cast<std::uint32_t>(i));
      ops.push_back({ObjectOp::alloc, size, align, 0});
    } else {
      const std::size_t k = rng.below(live.size());
      ops.push_back({ObjectOp::free, 0, 0, live[k]});
      live[k] = live.back();
      live.pop_back();
    }
  }
  return ops;
}

std::optional<Violation> check_object_program(ObjectSubject& subject, const std::vector<ObjectOp>& ops) {
  std::vector<Block> blocks(ops.size());
  std::map<std::uintptr_t, std::size_t> live;  // start → op index
  std::uint32_t next_id = 0;
  auto violation = [&](Inv id, std::size_t i, std::vector<std::uint64_t> addrs, std::string text) {
    return Violation{id, i, i < ops.size() ? to_string(ops[i]) : std::string(), std::move(addrs),
                     std::string(subject.name()) + ": " + text};
  };
  auto verify_and_free = [&](std::size_t i, std::size_t slot) -> std::optional<Violation> {
    Block& b = blocks[slot];
    const auto* p = reinterpret_cast<const std::uint8_t*>(b.addr);
    for (std::uint32_t off = 0; off < b.size; ++off)
      if (p[off] != stamp_byte(b.id, off))
        return violation(Inv::INTEGRITY, i, {b.addr + off},
                         "byte " + std::to_string(off) + " of block b" + std::to_string(slot) + " (" +
                             std::to_string(b.size) + " bytes) changed while it was live");
    subject.deallocate(reinterpret_cast<void*>(b.addr), b.size, b.align);
    b.live = false;
    live.erase(b.addr);
    return std::nullopt;
  };

  for (std::size_t i = 0; i < ops.size(); ++i) {
    const ObjectOp& op = ops[i];
    if (op.kind == ObjectOp::free) {
      if (op.slot >= i || !blocks[op.slot].live) continue;  // not well-formed: skip
      if (auto v = verify_and_free(i, op.slot)) return v;
      continue;
    }
    void* p = subject.allocate(op.size, op.align);
    if (!p) continue;
    const auto a = reinterpret_cast<std::uintptr_t>(p);
    if (op.align && a % op.align != 0)
      return violation(Inv::S_ALIGN, i, {a},
                       "a block at " + hex(a) + " is not aligned to " + std::to_string(op.align));
    // The nearest live block starting below the new one's end must end before it starts.
    auto it = live.lower_bound(a + std::max<std::uint32_t>(op.size, 1));
    if (it != live.begin()) {
      --it;
      const Block& o = blocks[it->second];
      if (o.addr + std::max<std::uint32_t>(o.size, 1) > a)
        return violation(Inv::NO_OVERLAP, i, {a, o.addr},
                         "the new block [" + hex(a) + ", +" + std::to_string(op.size) +
                             ") overlaps live block b" + std::to_string(it->second) + " [" + hex(o.addr) +
                             ", +" + std::to_string(o.size) + ")");
    }
    Block& b = blocks[i];
    b = Block{a, op.size, op.align, next_id++, true};
    live.emplace(a, i);
    auto* bytes = static_cast<std::uint8_t*>(p);
    for (std::uint32_t off = 0; off < op.size; ++off) bytes[off] = stamp_byte(b.id, off);
  }
  // Teardown: free the rest, newest first, then everything must go upstream.
  for (std::size_t s = blocks.size(); s-- > 0;)
    if (blocks[s].live)
      if (auto v = verify_and_free(ops.size(), s)) return v;
  subject.release();
  if (auto held = subject.outstanding(); held && *held != 0)
    return violation(Inv::NO_LEAK, ops.size(), {},
                     "after every block was freed and release() ran, " + std::to_string(*held) +
                         " bytes are still held from upstream");
  return std::nullopt;
}

}  // namespace kmf
