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

Slot GenericProgram::add(GenericOp op, std::string name) {
  Slot s = NO_SLOT;
  if (op.verb == GenericVerb::alloc || op.verb == GenericVerb::realloc) {
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
      if (op.dst != static_cast<Slot>(state_.size())) return false;
      break;
    case GenericVerb::realloc:
      if (op.dst != static_cast<Slot>(state_.size()) || !live(op.src)) return false;
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
  if (arena) p.arena = normalize(init, t.geometry);
  const std::uint64_t max_request = arena ? t.geometry.max_size : std::max<std::uint64_t>(t.max_request, 1);
  const std::uint64_t whole = arena ? p.arena->size : max_request;
  const std::uint64_t gran = std::max<std::uint64_t>(t.geometry.size_granule, 1);
  GenericSlots slots;
  auto size_of = [&](const GenericSeed& s) {
    const std::uint64_t v = s.fraction ? whole * (s.size % 64 + 1) / 64 : s.size;
    return std::clamp<std::uint64_t>(v, 1, max_request);
  };
  auto emit = [&](GenericOp op) {
    if (op.verb == GenericVerb::alloc || op.verb == GenericVerb::realloc)
      op.dst = static_cast<Slot>(p.nr_slots());
    if (slots.apply(op)) p.add(op);
  };
  auto pick = [](const std::vector<Slot>& v, std::uint32_t k) { return v[k % v.size()]; };
  for (const GenericSeed& s : seeds) {
    switch (s.kind % GenericSeed::NR_KINDS) {
      case GenericSeed::alloc: {
        std::uint64_t align = 0;
        if ((t.caps & CAP_ALIGN) && s.align_log != 0)
          align =
              std::min<std::uint64_t>(std::uint64_t{1} << std::min<unsigned>(s.align_log, 20), t.max_align);
        emit({GenericVerb::alloc, NO_SLOT, NO_SLOT, size_of(s), align, 0, false});
        break;
      }
      case GenericSeed::free:
        if (!slots.live_list().empty())
          emit({GenericVerb::free, NO_SLOT, pick(slots.live_list(), s.pick), 0, 0, 0, false});
        break;
      case GenericSeed::realloc:
        if ((t.caps & CAP_REALLOC) && !slots.live_list().empty())
          emit({GenericVerb::realloc, NO_SLOT, pick(slots.live_list(), s.pick), size_of(s), 0, 0, false});
        break;
      case GenericSeed::resize:
        if (arena && (t.caps & CAP_RESIZE)) {
          const std::uint64_t to = s.fraction ? t.geometry.max_size * (s.size % 64 + 1) / 64 : s.size;
          emit({GenericVerb::resize, NO_SLOT, NO_SLOT, normalize_arena_size(to, t.geometry), 0, 0, false});
        }
        break;
      case GenericSeed::walk:
        if ((arena || t.kind == SubjectKind::object) && (t.caps & CAP_WALK))
          emit({GenericVerb::walk, NO_SLOT, NO_SLOT, 0, 0, 0, false});
        break;
      case GenericSeed::reserve:
        if (arena && (t.caps & CAP_RESERVE)) {
          const std::uint64_t off = (p.arena->size * (s.pick % 64) / 64) / gran * gran;
          emit({GenericVerb::reserve, NO_SLOT, NO_SLOT, std::min(size_of(s), p.arena->size), 0, off, false});
        }
        break;
      case GenericSeed::double_free:
        if ((t.caps & CAP_STALE_FREE) && t.kind != SubjectKind::page && t.kind != SubjectKind::virt &&
            !slots.freed_list().empty())
          emit({GenericVerb::free, NO_SLOT, pick(slots.freed_list(), s.pick), 0, 0, 0, true});
        break;
      case GenericSeed::fragment: {
        // Fill with equal blocks, then free every other one: the free space
        // is plentiful but scattered, where NO-SPURIOUS-FAILURE bites.
        const std::size_t first = p.nr_slots();
        const unsigned n = 2 + s.count % 32;
        for (unsigned i = 0; i < n; ++i)
          emit({GenericVerb::alloc, NO_SLOT, NO_SLOT, size_of(s), 0, 0, false});
        for (std::size_t b = first; b < p.nr_slots(); b += 2)
          emit({GenericVerb::free, NO_SLOT, static_cast<Slot>(b), 0, 0, 0, false});
        break;
      }
    }
  }
  return p;
}

}  // namespace kmf
