// generic_binary.cpp — the total decoder and its encoder.
#include "ops/generic_binary.h"

#include <algorithm>
#include <array>
#include <bit>
#include <unordered_map>

namespace kmf {
namespace {

enum class Rec : std::uint8_t {
  alloc,
  free,
  realloc,
  resize,
  walk,
  reserve,
  double_free,
  calloc,
  stats,
  init,
  add_pool
};

constexpr std::array<std::uint64_t, 16> ALIGNS{0,   0,   0,   0,    8,    16,   32, 64,
                                               128, 256, 512, 1024, 2048, 4096, 0,  0};
constexpr std::uint8_t ESCAPE = 0xff;
constexpr std::uint8_t ALIGN_ESCAPE = 0xf0;
constexpr std::uint8_t SMALL_SIZE = 0x90;
constexpr std::uint8_t FRACTION = 0xc0;
constexpr std::uint64_t MAX_SMALL = 12288;
// Hostile targets (CAP_CONTRACT): size codes HOSTILE .. HOSTILE + 14 pick
// hostile_size(), HOSTILE + 15 reads a u64; align codes 14 and 15 are 2^63
// and a non-power of two (when the contract takes them), the align escape
// reads log2 mod 64; a realloc slot byte of NULL_SLOT or more is
// realloc(nullptr); size code 0 (2^0 + 0 − 1) is size 0, not clamped to 1.
constexpr std::uint8_t HOSTILE = 0x80;
constexpr std::uint8_t HOSTILE_U64 = HOSTILE + NR_HOSTILE_SIZES;
constexpr std::uint8_t NULL_SLOT = 0xf0;  // and above
// calloc counts: c < CALLOC_TABLE is 1 + c mod 32; then calloc_count(); 0xff reads a u64.
constexpr std::uint8_t CALLOC_TABLE = 0xe0;

bool arena_kind(const GenericTarget& t) { return t.kind == SubjectKind::arena; }

/// Geometries with arenas above 4 GiB: arena sizes and resize targets are
/// u64 instead of u32.
bool wide(const ArenaGeometry& g) { return g.max_size > 0xffffffffu; }

/// CAP_HEAPS targets: alloc, calloc, realloc(nullptr), resize, walk and
/// stats records end with a heap byte (mod this).
unsigned heap_count(const GenericTarget& t) {
  return arena_kind(t) && (t.caps & CAP_HEAPS) ? std::min(t.extra_heaps, 255u) + 1 : 1;
}

/// Targets whose contract tests calls before init read one more header
/// byte: early = (byte mod 4 == 0).
bool early_header(const GenericTarget& t) {
  return arena_kind(t) && hostile(t) && t.contract.before_init == Contract::BeforeInit::refused;
}

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
  if (arena && (t.caps & CAP_CALLOC)) add(Rec::calloc, 2);
  if (arena && (t.caps & CAP_STATS)) add(Rec::stats, 1);
  if (arena && hostile(t) && t.contract.second_init != Contract::SecondInit::untested) add(Rec::init, 1);
  if (arena && (t.caps & CAP_POOLS)) add(Rec::add_pool, 1);
  return table;
}

std::uint64_t max_request(const GenericTarget& t) {
  return arena_kind(t) ? std::max<std::uint64_t>(t.geometry.max_size, 1)
                       : std::max<std::uint64_t>(t.max_request, 1);
}

std::uint64_t align_cap(const GenericTarget& t) {
  if (hostile(t)) return std::uint64_t{1} << 63;
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
  std::uint64_t u64() {
    const std::uint64_t lo = u32();
    return lo | static_cast<std::uint64_t>(u32()) << 32;
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
  void u64(std::uint64_t v) {
    for (int i = 0; i < 8; ++i) u8(v >> (8 * i));
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
                    ? (wide(g) ? in.u64() : in.u32())
                    : g.min_size + (g.max_size - std::min(g.max_size, g.min_size)) * s * s / (254 * 254);
    const std::uint8_t a = in.u8();
    const std::uint64_t lo = std::bit_floor(std::max<std::uint64_t>(g.min_align, 1));
    init.align = a == ESCAPE ? std::uint64_t{1} << (in.u8() % 32) : lo << (a % align_levels(g));
    p.arena = normalize(init, g);
    if (early_header(t)) p.arena->early = in.u8() % 4 == 0;
  }
  const std::uint64_t whole = p.arena ? p.arena->size : max_req;
  const std::uint64_t gran = std::max<std::uint64_t>(t.geometry.size_granule, 1);
  const bool hostile_ok = hostile(t);
  auto size = [&] {
    const std::uint8_t m = in.u8();
    std::uint64_t v;
    if (hostile_ok && m >= HOSTILE && m < SMALL_SIZE) {
      if (m != HOSTILE_U64) return hostile_size(t, whole, m - HOSTILE);
      const std::uint64_t v = in.u64();
      return arena_kind(t) || host_safe_request(t.contract, true, v, 0) ? v : HOST_MAX_REQUEST;
    } else if (m < SMALL_SIZE) {
      v = (std::uint64_t{1} << ((m / 3) % 17)) + m % 3 - 1;
    } else if (m < FRACTION) {
      v = 1 + ((static_cast<std::uint64_t>(m - SMALL_SIZE) << 8) | in.u8());
    } else if (m < ESCAPE) {
      v = whole * (m - FRACTION + 1) / 64;
    } else {
      v = wide(t.geometry) ? in.u64() : in.u32();
    }
    return std::clamp<std::uint64_t>(v, hostile_ok ? 0 : 1, max_req);  // hostile: 2^0 + 0 − 1 is size 0
  };
  // Object targets: an alignment host_safe_request() refuses becomes the largest ordinary one.
  auto bounded = [&](std::uint64_t a) {
    return arena_kind(t) || host_safe_request(t.contract, true, 0, a)
               ? a
               : std::bit_floor(std::max<std::uint64_t>(t.max_align, 1));
  };
  auto align = [&]() -> std::uint64_t {
    const std::uint8_t a = in.u8();
    if (hostile_ok) {
      if (a >= ALIGN_ESCAPE) return (t.caps & CAP_ALIGN) ? bounded(std::uint64_t{1} << (in.u8() % 64)) : 0;
      if (!(t.caps & CAP_ALIGN)) return 0;
      if (a % 16 == 14) return bounded(std::uint64_t{1} << 63);
      if (a % 16 == 15)
        return t.contract.non_pow2_align == Contract::NonPow2::skip ? 0 : ODD_ALIGNS[(a / 16) % 4];
      return ALIGNS[a % 16];
    }
    const std::uint64_t v = a < ALIGN_ESCAPE ? ALIGNS[a % 16] : std::uint64_t{1} << (in.u8() % 32);
    return (t.caps & CAP_ALIGN) ? std::min(v, align_cap(t)) : 0;
  };
  auto count = [&](std::uint64_t sz) -> std::uint64_t {
    const std::uint8_t c = in.u8();
    if (c < CALLOC_TABLE) return 1 + c % 32;
    if (c == ESCAPE) return in.u64();
    return calloc_count(sz, whole, c - CALLOC_TABLE);
  };
  const bool realloc_align = (t.caps & CAP_REALLOC_ALIGN) && arena_kind(t);
  const unsigned heaps = heap_count(t);
  const std::vector<Rec> table = record_table(t);
  GenericSlots slots;
  auto emit = [&](GenericOp op) {
    if (binds(op.verb)) op.dst = static_cast<Slot>(p.nr_slots());
    slots.apply(op);
    p.add(op);
  };
  auto pick = [](const std::vector<Slot>& v, std::uint8_t b) {
    return v.empty() ? NO_SLOT : v[b % v.size()];
  };
  while (!in.done() && p.ops.size() < MAX_GENERIC_OPS) {
    const Rec record = table[in.u8() % table.size()];
    switch (record) {
      case Rec::alloc: {
        const std::uint64_t sz = size();
        GenericOp op{GenericVerb::alloc, NO_SLOT, NO_SLOT, sz, align(), 0, false, 0};
        if (heaps > 1) op.heap = static_cast<std::uint8_t>(in.u8() % heaps);
        emit(op);
        break;
      }
      case Rec::free:
        if (const Slot s = pick(slots.live_list(), in.u8()); s != NO_SLOT)
          emit({GenericVerb::free, NO_SLOT, s, 0, 0, 0, false, 0});
        break;
      case Rec::realloc: {
        const std::uint8_t b = in.u8();
        const bool from_null = hostile_ok && t.contract.realloc_null != Contract::ReallocNull::untested &&
                               (b >= NULL_SLOT || slots.live_list().empty());
        const Slot s = from_null ? NO_SLOT : pick(slots.live_list(), b);
        const std::uint64_t sz = size();
        const std::uint64_t al = realloc_align ? align() : 0;
        GenericOp op{GenericVerb::realloc, NO_SLOT, s, sz, al, 0, false, 0};
        if (from_null && heaps > 1) op.heap = static_cast<std::uint8_t>(in.u8() % heaps);
        if (s != NO_SLOT || from_null) emit(op);
        break;
      }
      case Rec::calloc: {
        const std::uint64_t sz = size();
        const std::uint64_t n = count(sz);
        GenericOp op{GenericVerb::calloc, NO_SLOT, NO_SLOT, sz, 0, 0, false, n};
        if (heaps > 1) op.heap = static_cast<std::uint8_t>(in.u8() % heaps);
        emit(op);
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
          to = wide(t.geometry) ? in.u64() : in.u32();
        GenericOp op{
            GenericVerb::resize, NO_SLOT, NO_SLOT, normalize_arena_size(to, t.geometry), 0, 0, false, 0};
        if (heaps > 1) op.heap = static_cast<std::uint8_t>(in.u8() % heaps);
        emit(op);
        break;
      }
      case Rec::walk:
      case Rec::stats: {
        GenericOp op{record == Rec::walk ? GenericVerb::walk : GenericVerb::stats,
                     NO_SLOT,
                     NO_SLOT,
                     0,
                     0,
                     0,
                     false,
                     0};
        if (heaps > 1) op.heap = static_cast<std::uint8_t>(in.u8() % heaps);
        emit(op);
        break;
      }
      case Rec::init: emit({GenericVerb::init, NO_SLOT, NO_SLOT, 0, 0, 0, false, 0}); break;
      case Rec::add_pool: {
        const std::uint8_t r = in.u8();
        const std::uint64_t to =
            r == ESCAPE ? (wide(t.geometry) ? in.u64() : in.u32()) : t.geometry.max_size * (r % 64 + 1) / 64;
        emit({GenericVerb::add_pool, NO_SLOT, NO_SLOT, normalize_arena_size(to, t.geometry), 0, 0, false, 0});
        break;
      }
      case Rec::reserve: {
        const std::uint8_t o = in.u8();
        const std::uint64_t off = o == ESCAPE ? in.u32() : p.arena->size * o / 255 / gran * gran;
        {
          // reserve sizes are never hostile
          const std::uint64_t sz = size();
          emit({GenericVerb::reserve, NO_SLOT, NO_SLOT, std::max<std::uint64_t>(std::min(sz, max_req), 1), 0,
                off, false, 0});
        }
        break;
      }
      case Rec::double_free:
        if (const Slot s = pick(slots.freed_list(), in.u8()); s != NO_SLOT)
          emit({GenericVerb::free, NO_SLOT, s, 0, 0, 0, true, 0});
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
    if (wide(t.geometry))
      w.u64(init.size);
    else
      w.u32(init.size);
    w.u8(ESCAPE);
    w.u8(static_cast<std::uint64_t>(std::countr_zero(init.align)));
    if (early_header(t)) w.u8(p.arena && p.arena->early ? 0 : 1);
  }
  const std::vector<Rec> table = record_table(t);
  auto opcode = [&](Rec r) -> int {
    const auto it = std::find(table.begin(), table.end(), r);
    return it == table.end() ? -1 : static_cast<int>(it - table.begin());
  };
  const bool hostile_ok = hostile(t);
  const bool realloc_align = (t.caps & CAP_REALLOC_ALIGN) && arena_kind(t);
  auto size = [&](std::uint64_t v) {
    if (hostile_ok && (v == 0 || v > std::min<std::uint64_t>(max_req, 0xffffffffu))) {
      w.u8(HOSTILE_U64);
      w.u64(v);
      return;
    }
    const bool w64 = wide(t.geometry);
    v = std::clamp<std::uint64_t>(v, 1, w64 ? max_req : std::min<std::uint64_t>(max_req, 0xffffffffu));
    if (v <= MAX_SMALL) {
      w.u8(SMALL_SIZE + ((v - 1) >> 8));
      w.u8((v - 1) & 0xff);
    } else {
      w.u8(ESCAPE);
      if (w64)
        w.u64(v);
      else
        w.u32(v);
    }
  };
  GenericSlots slots;
  std::unordered_map<Slot, Slot> map;  // program slot → encoded slot
  Slot next = 0;
  std::size_t emitted = 0;
  auto align = [&](std::uint64_t a) {
    if (hostile_ok && (t.caps & CAP_ALIGN) && a != 0 && !std::has_single_bit(a) &&
        t.contract.non_pow2_align != Contract::NonPow2::skip) {
      const auto* it = std::find(std::begin(ODD_ALIGNS), std::end(ODD_ALIGNS), a);
      if (it != std::end(ODD_ALIGNS)) {
        w.u8(static_cast<std::uint64_t>(it - std::begin(ODD_ALIGNS)) * 16 + 15);
        return;
      }
    }
    a = (t.caps & CAP_ALIGN) ? std::min(a, align_cap(t)) : 0;
    if (a == 0) {
      w.u8(0);
    } else {
      w.u8(ALIGN_ESCAPE);
      w.u8(static_cast<std::uint64_t>(std::countr_zero(std::bit_floor(a))));
    }
  };
  const int max_index =
      hostile_ok ? NULL_SLOT - 1 : 255;  // hostile: NULL_SLOT and above are realloc(nullptr)
  auto index_in = [&](const std::vector<Slot>& v, Slot s) -> int {
    const auto it = std::find(v.begin(), v.end(), s);
    return it == v.end() || it - v.begin() > max_index ? -1 : static_cast<int>(it - v.begin());
  };
  const unsigned heaps = heap_count(t);
  auto heap = [&](const GenericOp& op) {
    if (heaps > 1) w.u8(std::min<unsigned>(op.heap, heaps - 1));
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
        if (op.src == NO_SLOT)
          idx = hostile_ok && t.contract.realloc_null != Contract::ReallocNull::untested ? NULL_SLOT : -1;
        else
          idx = index_in(slots.live_list(), src);
        break;
      case GenericVerb::resize: code = opcode(Rec::resize); break;
      case GenericVerb::walk: code = opcode(Rec::walk); break;
      case GenericVerb::stats: code = opcode(Rec::stats); break;
      case GenericVerb::init: code = opcode(Rec::init); break;
      case GenericVerb::add_pool: code = opcode(Rec::add_pool); break;
      case GenericVerb::reserve: code = opcode(Rec::reserve); break;
      case GenericVerb::calloc: code = opcode(Rec::calloc); break;
    }
    if (code < 0 || idx < 0) {
      ++dropped;
      continue;
    }
    w.u8(static_cast<std::uint64_t>(code));
    switch (op.verb) {
      case GenericVerb::alloc:
        size(op.size);
        align(op.align);
        heap(op);
        break;
      case GenericVerb::free: w.u8(static_cast<std::uint64_t>(idx)); break;
      case GenericVerb::realloc:
        w.u8(static_cast<std::uint64_t>(idx));
        size(op.size);
        if (realloc_align) align(op.align);
        if (op.src == NO_SLOT) heap(op);
        break;
      case GenericVerb::calloc:
        size(op.size);
        if (op.count >= 1 && op.count <= 32) {
          w.u8(op.count - 1);
        } else {
          w.u8(ESCAPE);
          w.u64(op.count);
        }
        heap(op);
        break;
      case GenericVerb::resize:
        w.u8(ESCAPE);
        if (wide(t.geometry))
          w.u64(op.size);
        else
          w.u32(std::min<std::uint64_t>(op.size, 0xffffffffu));
        heap(op);
        break;
      case GenericVerb::walk:
      case GenericVerb::stats: heap(op); break;
      case GenericVerb::init: break;
      case GenericVerb::add_pool:
        w.u8(ESCAPE);
        if (wide(t.geometry))
          w.u64(op.size);
        else
          w.u32(std::min<std::uint64_t>(op.size, 0xffffffffu));
        break;
      case GenericVerb::reserve:
        w.u8(ESCAPE);
        w.u32(std::min<std::uint64_t>(op.offset, 0xffffffffu));
        size(op.size);
        break;
    }
    if (binds(op.verb)) {
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
