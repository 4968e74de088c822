// generic_program.cpp — slots, normalization and the seed builder.
#include "ops/generic_program.h"

#include <algorithm>
#include <bit>

namespace kmf {

std::string_view subject_kind_name(SubjectKind kind) {
  switch (kind) {
    case SubjectKind::page: return "page";
    case SubjectKind::object: return "object";
    case SubjectKind::virt: return "virtual";
    case SubjectKind::arena: return "arena";
  }
  return "?";
}

bool host_safe_request(const Contract& c, bool contract, std::uint64_t size, std::uint64_t align) {
  const bool size_ok = size <= HOST_MAX_REQUEST || (contract && c.max_block && size > c.max_block);
  const bool align_ok = align <= HOST_MAX_ALIGN || (contract && align > c.max_align);
  return size_ok && align_ok;
}

namespace {

std::uint64_t raw_hostile_size(const GenericTarget& t, std::uint64_t whole, unsigned index) {
  constexpr std::uint64_t MAX = ~std::uint64_t{0};
  const std::uint64_t block = t.contract.max_block ? t.contract.max_block : t.geometry.max_size;
  switch (index % NR_HOSTILE_SIZES) {
    case 0: return 0;
    case 1: return whole + 1;
    case 2: return (std::uint64_t{1} << 31) - 1;
    case 3: return std::uint64_t{1} << 31;
    case 4: return (std::uint64_t{1} << 32) - 1;
    case 5: return std::uint64_t{1} << 32;
    case 6: return (std::uint64_t{1} << 32) + 1;
    case 7: return std::uint64_t{1} << 63;
    case 8: return (std::uint64_t{1} << 63) + 1;
    case 9: return MAX - 64;
    case 10: return MAX - 15;
    case 11: return MAX - 1;
    case 12: return MAX;
    case 13: return block;
    default: return block + 1;
  }
}

}  // namespace

std::uint64_t hostile_size(const GenericTarget& t, std::uint64_t whole, unsigned index) {
  const std::uint64_t v = raw_hostile_size(t, whole, index);
  if (t.kind == SubjectKind::object && !host_safe_request(t.contract, true, v, 0)) return HOST_MAX_REQUEST;
  return v;
}

std::uint64_t calloc_count(std::uint64_t size, std::uint64_t whole, unsigned index) {
  constexpr std::uint64_t MAX = ~std::uint64_t{0};
  const std::uint64_t s = std::max<std::uint64_t>(size, 1);
  switch (index % NR_CALLOC_COUNTS) {
    case 0: return std::uint64_t{1} << 16;
    case 1: return std::uint64_t{1} << 31;
    case 2: return std::uint64_t{1} << 32;
    case 3: return (std::uint64_t{1} << 32) + 1;
    case 4: return std::uint64_t{1} << 48;
    case 5: return std::uint64_t{1} << 63;
    case 6: return MAX;
    case 7: return MAX / s + 1;  // the smallest overflowing count (wraps to a small product for 2^k sizes)
    case 8: return MAX / s + 2;
    case 9: return MAX / s;
    case 10: return whole / s + 1;
    case 11: return std::max<std::uint64_t>(whole / s, 1);
    case 12: return 0;
    default: return 1;
  }
}

Slot GenericProgram::add(GenericOp op, std::string name) {
  Slot s = NO_SLOT;
  if (binds(op.verb)) {
    s = static_cast<Slot>(names.size());
    op.dst = s;
    names.push_back(name.empty() ? "b" + std::to_string(s) : std::move(name));
  }
  ops.push_back(op);
  return s;
}

std::uint64_t normalize_arena_size(std::uint64_t size, const ArenaGeometry& g) {
  const std::uint64_t gran = std::max<std::uint64_t>(g.size_granule, 1);
  size = std::clamp(size, g.min_size, std::max(g.min_size, g.max_size));
  size = size / gran * gran;
  if (size < g.min_size) size += gran;
  return size;
}

ArenaInit normalize(ArenaInit init, const ArenaGeometry& g) {
  init.size = normalize_arena_size(init.size, g);
  std::uint64_t a = std::clamp(init.align, std::max<std::uint64_t>(g.min_align, 1),
                               std::max<std::uint64_t>(g.max_align, std::max<std::uint64_t>(g.min_align, 1)));
  init.align = std::bit_floor(a);
  return init;
}

// ---- GenericSlots ---------------------------------------------------------------------------

void GenericSlots::kill(Slot s) {
  state_[static_cast<std::size_t>(s)] = State::freed;
  live_.erase(std::find(live_.begin(), live_.end(), s));
  freed_.push_back(s);
}

bool GenericSlots::apply(const GenericOp& op) {
  switch (op.verb) {
    case GenericVerb::alloc:
    case GenericVerb::calloc:
      if (op.dst != static_cast<Slot>(state_.size())) return false;
      break;
    case GenericVerb::realloc:
      if (op.dst != static_cast<Slot>(state_.size())) return false;
      if (op.src == NO_SLOT) break;  // realloc(nullptr, size)
      if (!live(op.src)) return false;
      kill(op.src);
      break;
    case GenericVerb::free:
      if (op.stale ? !freed(op.src) : !live(op.src)) return false;
      if (!op.stale) kill(op.src);
      return true;
    default: return true;
  }
  state_.push_back(State::live);
  live_.push_back(op.dst);
  return true;
}

// ---- the builder ----------------------------------------------------------------------------

GenericProgram build_generic_program(const GenericTarget& t, ArenaInit init,
                                     std::span<const GenericSeed> seeds) {
  GenericProgram p;
  const bool arena = t.kind == SubjectKind::arena;
  const bool hostile_ok = hostile(t);
  if (arena) {
    p.arena = normalize(init, t.geometry);
    p.arena->early = init.early && hostile_ok && t.contract.before_init == Contract::BeforeInit::refused;
  }
  const std::uint64_t max_request = arena ? t.geometry.max_size : std::max<std::uint64_t>(t.max_request, 1);
  const std::uint64_t whole = arena ? p.arena->size : max_request;
  const std::uint64_t gran = std::max<std::uint64_t>(t.geometry.size_granule, 1);
  GenericSlots slots;
  auto size_of = [&](const GenericSeed& s) {
    if (hostile_ok && s.hostile != 0 && s.hostile <= NR_HOSTILE_SIZES)
      return hostile_size(t, whole, s.hostile - 1u);
    const std::uint64_t v = s.fraction ? whole * (s.size % 64 + 1) / 64 : s.size;
    return std::clamp<std::uint64_t>(v, 1, max_request);
  };
  // Object targets: an alignment host_safe_request() refuses becomes max_align.
  auto bounded = [&](std::uint64_t a) {
    return arena || host_safe_request(t.contract, true, 0, a) ? a : t.max_align;
  };
  auto align_of = [&](const GenericSeed& s) -> std::uint64_t {
    if (!(t.caps & CAP_ALIGN) || s.align_log == 0) return 0;
    if (!hostile_ok)
      return std::min<std::uint64_t>(std::uint64_t{1} << std::min<unsigned>(s.align_log, 20), t.max_align);
    if (s.align_log < 64) return bounded(std::uint64_t{1} << s.align_log);
    if (t.contract.non_pow2_align == Contract::NonPow2::skip) return bounded(std::uint64_t{1} << 63);
    return ODD_ALIGNS[s.align_log % 4];
  };
  auto emit = [&](GenericOp op) {
    if (binds(op.verb)) op.dst = static_cast<Slot>(p.nr_slots());
    if (slots.apply(op)) p.add(op);
  };
  auto pick = [](const std::vector<Slot>& v, std::uint32_t k) { return v[k % v.size()]; };
  // CAP_HEAPS: the heap an op runs in, from the seed's pick.
  const unsigned heaps = arena && (t.caps & CAP_HEAPS) ? std::min(t.extra_heaps, 255u) + 1 : 1;
  auto heap_of = [&](const GenericSeed& s) { return static_cast<std::uint8_t>(s.pick % heaps); };
  auto op = [](GenericVerb verb) {
    GenericOp o;
    o.verb = verb;
    return o;
  };
  for (const GenericSeed& s : seeds) {
    switch (s.kind % GenericSeed::NR_KINDS) {
      case GenericSeed::alloc: {
        GenericOp o = op(GenericVerb::alloc);
        o.size = size_of(s);
        o.align = align_of(s);
        o.heap = heap_of(s);
        emit(o);
        break;
      }
      case GenericSeed::free:
        if (!slots.live_list().empty()) {
          GenericOp o = op(GenericVerb::free);
          o.src = pick(slots.live_list(), s.pick);
          emit(o);
        }
        break;
      case GenericSeed::realloc: {
        if (!(t.caps & CAP_REALLOC)) break;
        const bool from_null = hostile_ok && t.contract.realloc_null != Contract::ReallocNull::untested &&
                               (s.hostile == NR_HOSTILE_SIZES + 1 || slots.live_list().empty());
        if (!from_null && slots.live_list().empty()) break;
        GenericOp o = op(GenericVerb::realloc);
        o.src = from_null ? NO_SLOT : pick(slots.live_list(), s.pick);
        GenericSeed sized = s;
        if (s.hostile > NR_HOSTILE_SIZES) sized.hostile = 0;
        o.size = size_of(sized);
        if (arena && (t.caps & CAP_REALLOC_ALIGN)) o.align = align_of(s);
        if (from_null) o.heap = heap_of(s);
        emit(o);
        break;
      }
      case GenericSeed::calloc: {
        if (!arena || !(t.caps & CAP_CALLOC)) break;
        GenericOp o = op(GenericVerb::calloc);
        o.size = size_of(s);
        o.count = s.count < 0x80 ? 1 + s.count % 16 : calloc_count(o.size, whole, s.count - 0x80u);
        o.heap = heap_of(s);
        emit(o);
        break;
      }
      case GenericSeed::resize:
        if (arena && (t.caps & CAP_RESIZE)) {
          const std::uint64_t to = s.fraction ? t.geometry.max_size * (s.size % 64 + 1) / 64 : s.size;
          GenericOp o = op(GenericVerb::resize);
          o.size = normalize_arena_size(to, t.geometry);
          o.heap = heap_of(s);
          emit(o);
        }
        break;
      case GenericSeed::walk:
        if ((arena || t.kind == SubjectKind::object) && (t.caps & CAP_WALK)) {
          GenericOp o = op(GenericVerb::walk);
          o.heap = heap_of(s);
          emit(o);
        }
        break;
      case GenericSeed::add_pool:
        if (arena && (t.caps & CAP_POOLS)) {
          GenericOp o = op(GenericVerb::add_pool);
          o.size = normalize_arena_size(t.geometry.max_size * (s.size % 64 + 1) / 64, t.geometry);
          emit(o);
        }
        break;
      case GenericSeed::init:
        if (arena && hostile_ok && t.contract.second_init != Contract::SecondInit::untested)
          emit(op(GenericVerb::init));
        break;
      case GenericSeed::stats:
        if (arena && (t.caps & CAP_STATS)) {
          GenericOp o = op(GenericVerb::stats);
          o.heap = heap_of(s);
          emit(o);
        }
        break;
      case GenericSeed::reserve:
        if (arena && (t.caps & CAP_RESERVE)) {
          GenericOp o = op(GenericVerb::reserve);
          o.offset = (p.arena->size * (s.pick % 64) / 64) / gran * gran;
          GenericSeed sized = s;
          sized.hostile = 0;
          o.size = std::min(size_of(sized), p.arena->size);
          emit(o);
        }
        break;
      case GenericSeed::double_free:
        if ((t.caps & CAP_STALE_FREE) && t.kind != SubjectKind::page && t.kind != SubjectKind::virt &&
            !slots.freed_list().empty()) {
          GenericOp o = op(GenericVerb::free);
          o.src = pick(slots.freed_list(), s.pick);
          o.stale = true;
          emit(o);
        }
        break;
      case GenericSeed::fragment: {
        // Fill with equal blocks, then free every other one: the free space
        // is plentiful but scattered, where NO-SPURIOUS-FAILURE bites.
        const std::size_t first = p.nr_slots();
        const unsigned n = 2 + s.count % 32;
        GenericSeed sized = s;
        sized.hostile = 0;
        for (unsigned i = 0; i < n; ++i) {
          GenericOp o = op(GenericVerb::alloc);
          o.size = size_of(sized);
          o.heap = heap_of(s);
          emit(o);
        }
        for (std::size_t b = first; b < p.nr_slots(); b += 2) {
          GenericOp o = op(GenericVerb::free);
          o.src = static_cast<Slot>(b);
          emit(o);
        }
        break;
      }
    }
  }
  return p;
}

}  // namespace kmf
