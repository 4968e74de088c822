// generic_binary.cpp — the total decoder and its encoder.
#include "ops/generic_binary.h"

#include <algorithm>
#include <array>
#include <bit>
#include <unordered_map>

namespace kmf {
namespace {

enum class Rec : std::uint8_t { alloc, free, realloc, resize, walk, reserve, double_free };

constexpr std::array<std::uint64_t, 16> ALIGNS{0,   0,   0,   0,    8,    16,   32, 64,
                                               128, 256, 512, 1024, 2048, 4096, 0,  0};
constexpr std::uint8_t ESCAPE = 0xff;
constexpr std::uint8_t ALIGN_ESCAPE = 0xf0;
constexpr std::uint8_t SMALL_SIZE = 0x90;
constexpr std::uint8_t FRACTION = 0xc0;
constexpr std::uint64_t MAX_SMALL = 12288;

bool arena_kind(const GenericTarget& t) { return t.kind == SubjectKind::arena; }

std::vector<Rec> record_table(const GenericTarget& t) {
  std::vector<Rec> table;
  auto add = [&](Rec r, int w) { table.insert(table.end(), static_cast<std::size_t>(w), r); };
  const bool arena = arena_kind(t);
  const bool objects = arena || t.kind == SubjectKind::object;
  add(Rec::alloc, 8);
  add(Rec::free, 5);
  if (objects && (t.caps & CAP_REALLOC)) add(Rec::realloc, 2);
  if (arena && (t.caps & CAP_RESIZE)) add(Rec::resize, 2);
  if (objects && (t.caps & CAP_WALK)) add(Rec::walk, 1);
  if (arena && (t.caps & CAP_RESERVE)) add(Rec::reserve, 1);
  if (objects && (t.caps & CAP_STALE_FREE)) add(Rec::double_free, 1);
  return table;
}

std::uint64_t max_request(const GenericTarget& t) {
  return arena_kind(t) ? std::max<std::uint64_t>(t.geometry.max_size, 1)
                       : std::max<std::uint64_t>(t.max_request, 1);
}

std::uint64_t align_cap(const GenericTarget& t) {
  return std::bit_floor(std::max<std::uint64_t>(t.max_align, 1));
}

unsigned align_levels(const ArenaGeometry& g) {
  const std::uint64_t lo = std::bit_floor(std::max<std::uint64_t>(g.min_align, 1));
  const std::uint64_t hi = std::max(lo, std::bit_floor(std::max<std::uint64_t>(g.max_align, 1)));
  return static_cast<unsigned>(std::countr_zero(hi) - std::countr_zero(lo)) + 1;
}

class Reader {
 public:
  explicit Reader(std::span<const std::uint8_t> b) : b_(b) {}
  bool done() const { return pos_ >= b_.size(); }
  std::uint8_t u8() { return pos_ < b_.size() ? b_[pos_++] : (++pos_, 0); }
  std::uint32_t u32() {
    std::uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v |= static_cast<std::uint32_t>(u8()) << (8 * i);
    return v;
  }

 private:
  std::span<const std::uint8_t> b_;
  std::size_t pos_ = 0;
};

class Writer {
 public:
  void u8(std::uint64_t v) { out.push_back(static_cast<std::uint8_t>(v)); }
  void u32(std::uint64_t v) {
    for (int i = 0; i < 4; ++i) u8(v >> (8 * i));
  }
  std::vector<std::uint8_t> out;
};

}  // namespace

GenericProgram decode_generic(std::span<const std::uint8_t> bytes, const GenericTarget& t) {
  Reader in(bytes);
  GenericProgram p;
  const std::uint64_t max_req = max_request(t);
  if (arena_kind(t)) {
    const ArenaGeometry& g = t.geometry;
    ArenaInit init;
    const std::uint8_t s = in.u8();
    init.size = s == ESCAPE
                    ? in.u32()
                    : g.min_size + (g.max_size - std::min(g.max_size, g.min_size)) * s * s / (254 * 254);
    const std::uint8_t a = in.u8();
    const std::uint64_t lo = std::bit_floor(std::max<std::uint64_t>(g.min_align, 1));
    init.align = a == ESCAPE ? std::uint64_t{1} << (in.u8() % 32) : lo << (a % align_levels(g));
    p.arena = normalize(init, g);
  }
  const std::uint64_t whole = p.arena ? p.arena->size : max_req;
  const std::uint64_t gran = std::max<std::uint64_t>(t.geometry.size_granule, 1);
  auto size = [&] {
    const std::uint8_t m = in.u8();
    std::uint64_t v;
    if (m < SMALL_SIZE) {
      v = (std::uint64_t{1} << ((m / 3) % 17)) + m % 3 - 1;
    } else if (m < FRACTION) {
      v = 1 + ((static_cast<std::uint64_t>(m - SMALL_SIZE) << 8) | in.u8());
    } else if (m < ESCAPE) {
      v = whole * (m - FRACTION + 1) / 64;
    } else {
      v = in.u32();
    }
    return std::clamp<std::uint64_t>(v, 1, max_req);
  };
  auto align = [&] {
    const std::uint8_t a = in.u8();
    const std::uint64_t v = a < ALIGN_ESCAPE ? ALIGNS[a % 16] : std::uint64_t{1} << (in.u8() % 32);
    return (t.caps & CAP_ALIGN) ? std::min(v, align_cap(t)) : 0;
  };
  const std::vector<Rec> table = record_table(t);
  GenericSlots slots;
  auto emit = [&](GenericOp op) {
    if (op.verb == GenericVerb::alloc || op.verb == GenericVerb::realloc)
      op.dst = static_cast<Slot>(p.nr_slots());
    slots.apply(op);
    p.add(op);
  };
  auto pick = [](const std::vector<Slot>& v, std::uint8_t b) {
    return v.empty() ? NO_SLOT : v[b % v.size()];
  };
  while (!in.done() && p.ops.size() < MAX_GENERIC_OPS) {
    switch (table[in.u8() % table.size()]) {
      case Rec::alloc: {
        const std::uint64_t sz = size();
        emit({GenericVerb::alloc, NO_SLOT, NO_SLOT, sz, align(), 0, false});
        break;
      }
      case Rec::free:
        if (const Slot s = pick(slots.live_list(), in.u8()); s != NO_SLOT)
          emit({GenericVerb::free, NO_SLOT, s, 0, 0, 0, false});
        break;
      case Rec::realloc: {
        const Slot s = pick(slots.live_list(), in.u8());
        const std::uint64_t sz = size();
        if (s != NO_SLOT) emit({GenericVerb::realloc, NO_SLOT, s, sz, 0, 0, false});
        break;
      }
      case Rec::resize: {
        const std::uint8_t r = in.u8();
        const std::uint64_t init = p.arena->size, max = t.geometry.max_size;
        std::uint64_t to;
        if (r < 0x80)
          to = init * (r % 64 + 1) / 64;
        else if (r < ESCAPE)
          to = init + (max - std::min(max, init)) * (r % 64 + 1) / 64;
        else
          to = in.u32();
        emit({GenericVerb::resize, NO_SLOT, NO_SLOT, normalize_arena_size(to, t.geometry), 0, 0, false});
        break;
      }
      case Rec::walk: emit({GenericVerb::walk, NO_SLOT, NO_SLOT, 0, 0, 0, false}); break;
      case Rec::reserve: {
        const std::uint8_t o = in.u8();
        const std::uint64_t off = o == ESCAPE ? in.u32() : p.arena->size * o / 255 / gran * gran;
        emit({GenericVerb::reserve, NO_SLOT, NO_SLOT, size(), 0, off, false});
        break;
      }
      case Rec::double_free:
        if (const Slot s = pick(slots.freed_list(), in.u8()); s != NO_SLOT)
          emit({GenericVerb::free, NO_SLOT, s, 0, 0, 0, true});
        break;
    }
  }
  return p;
}

std::vector<std::uint8_t> encode_generic(const GenericProgram& p, const GenericTarget& t,
                                         std::size_t* dropped_ops) {
  Writer w;
  std::size_t dropped = 0;
  const std::uint64_t max_req = max_request(t);
  ArenaInit init;
  if (arena_kind(t)) {
    init = normalize(p.arena.value_or(ArenaInit{}), t.geometry);
    w.u8(ESCAPE);
    w.u32(init.size);
    w.u8(ESCAPE);
    w.u8(static_cast<std::uint64_t>(std::countr_zero(init.align)));
  }
  const std::vector<Rec> table = record_table(t);
  auto opcode = [&](Rec r) -> int {
    const auto it = std::find(table.begin(), table.end(), r);
    return it == table.end() ? -1 : static_cast<int>(it - table.begin());
  };
  auto size = [&](std::uint64_t v) {
    v = std::clamp<std::uint64_t>(v, 1, std::min<std::uint64_t>(max_req, 0xffffffffu));
    if (v <= MAX_SMALL) {
      w.u8(SMALL_SIZE + ((v - 1) >> 8));
      w.u8((v - 1) & 0xff);
    } else {
      w.u8(ESCAPE);
      w.u32(v);
    }
  };
  GenericSlots slots;
  std::unordered_map<Slot, Slot> map;  // program slot → encoded slot
  Slot next = 0;
  std::size_t emitted = 0;
  auto index_in = [](const std::vector<Slot>& v, Slot s) -> int {
    const auto it = std::find(v.begin(), v.end(), s);
    return it == v.end() || it - v.begin() > 255 ? -1 : static_cast<int>(it - v.begin());
  };
  for (const GenericOp& op : p.ops) {
    if (emitted >= MAX_GENERIC_OPS) {
      ++dropped;
      continue;
    }
    GenericOp e = op;
    int code = -1, idx = 0;
    Slot src = NO_SLOT;
    if (op.src != NO_SLOT) {
      const auto it = map.find(op.src);
      if (it == map.end()) {
        ++dropped;
        continue;
      }
      src = it->second;
      e.src = src;
    }
    switch (op.verb) {
      case GenericVerb::alloc: code = opcode(Rec::alloc); break;
      case GenericVerb::free:
        e.stale = slots.freed(src);
        code = opcode(e.stale ? Rec::double_free : Rec::free);
        idx = index_in(e.stale ? slots.freed_list() : slots.live_list(), src);
        break;
      case GenericVerb::realloc:
        code = opcode(Rec::realloc);
        idx = index_in(slots.live_list(), src);
        break;
      case GenericVerb::resize: code = opcode(Rec::resize); break;
      case GenericVerb::walk: code = opcode(Rec::walk); break;
      case GenericVerb::reserve: code = opcode(Rec::reserve); break;
    }
    if (code < 0 || idx < 0) {
      ++dropped;
      continue;
    }
    w.u8(static_cast<std::uint64_t>(code));
    switch (op.verb) {
      case GenericVerb::alloc: {
        size(op.size);
        const std::uint64_t a = (t.caps & CAP_ALIGN) ? std::min(op.align, align_cap(t)) : 0;
        if (a == 0) {
          w.u8(0);
        } else {
          w.u8(ALIGN_ESCAPE);
          w.u8(static_cast<std::uint64_t>(std::countr_zero(std::bit_floor(a))));
        }
        break;
      }
      case GenericVerb::free: w.u8(static_cast<std::uint64_t>(idx)); break;
      case GenericVerb::realloc:
        w.u8(static_cast<std::uint64_t>(idx));
        size(op.size);
        break;
      case GenericVerb::resize:
        w.u8(ESCAPE);
        w.u32(std::min<std::uint64_t>(op.size, 0xffffffffu));
        break;
      case GenericVerb::walk: break;
      case GenericVerb::reserve:
        w.u8(ESCAPE);
        w.u32(std::min<std::uint64_t>(op.offset, 0xffffffffu));
        size(op.size);
        break;
    }
    if (op.verb == GenericVerb::alloc || op.verb == GenericVerb::realloc) {
      e.dst = next;
      map[op.dst] = next++;
    }
    slots.apply(e);
    ++emitted;
  }
  if (dropped_ops) *dropped_ops = dropped;
  return std::move(w.out);
}

}  // namespace kmf
