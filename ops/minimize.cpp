// minimize.cpp — ddmin over ops, then argument simplification.
#include "ops/minimize.h"

#include <algorithm>
#include <type_traits>

namespace kmf {
namespace {

/// Calls fn(slot&) on every slot *reference* of an op (not its dst).
template <class Fn>
void for_each_ref(Op& op, Fn&& fn) {
  std::visit(
      [&](auto& o) {
        using T = std::decay_t<decltype(o)>;
        if constexpr (requires { o.src; }) fn(o.src);
        if constexpr (requires { o.cache; }) fn(o.cache);
        if constexpr (requires { o.obj; }) fn(o.obj);
        (void)sizeof(T);
      },
      op);
}

/// Simpler variants of one op's arguments, most aggressive first.
std::vector<Op> simpler(const Op& op) {
  std::vector<Op> out;
  std::visit(
      [&](const auto& o) {
        using T = std::decay_t<decltype(o)>;
        if constexpr (requires { o.size; } && !std::is_same_v<T, CacheCreateOp>) {
          for (std::uint64_t s : {std::uint64_t{1}, o.size / 2, o.size - 1})
            if (s < o.size && s > 0) {
              T c = o;
              c.size = s;
              out.push_back(c);
            }
        }
        if constexpr (requires { o.order; }) {
          if constexpr (std::is_same_v<std::decay_t<decltype(o.order)>, unsigned>) {
            for (unsigned ord : {0u, o.order / 2, o.order - 1})
              if (ord < o.order) {
                T c = o;
                c.order = ord;
                out.push_back(c);
              }
          }
        }
        if constexpr (requires { o.gfp; }) {
          if (o.gfp != GFP_KERNEL) {
            T c = o;
            c.gfp = GFP_KERNEL;
            out.push_back(c);
          }
        }
        if constexpr (std::is_same_v<T, MemOp>) {
          if (o.length > 1) {
            T c = o;
            c.length = 1;
            out.push_back(c);
          }
        }
      },
      op);
  return out;
}

}  // namespace

Program subprogram(const Program& p, const std::vector<std::size_t>& keep) {
  Program out;
  out.machine = p.machine;
  std::vector<Slot> remap(p.nr_slots(), NO_SLOT);
  for (std::size_t i : keep) {
    Op op = p.ops[i];
    bool ok = true;
    for_each_ref(op, [&](Slot& s) {
      if (s == NO_SLOT) return;
      if (s < 0 || static_cast<std::size_t>(s) >= remap.size() ||
          remap[static_cast<std::size_t>(s)] == NO_SLOT)
        ok = false;
      else
        s = remap[static_cast<std::size_t>(s)];
    });
    if (!ok) continue;
    const Slot old = op_dst(op);
    const Slot now =
        out.add(std::move(op), old == NO_SLOT ? std::string() : p.names[static_cast<std::size_t>(old)]);
    if (old != NO_SLOT) remap[static_cast<std::size_t>(old)] = now;
  }
  return out;
}

std::optional<MinimizeResult> minimize(const Program& p, const MinimizeOptions& options) {
  const ExecResult first = execute(p, options.exec);
  if (first.ok()) return std::nullopt;
  const Inv id = first.violation->id;
  MinimizeResult best{p, id, 1};
  auto fails = [&](const Program& cand) {
    if (best.runs >= options.max_runs) return false;
    ++best.runs;
    const ExecResult r = execute(cand, options.exec);
    if (r.ok() || r.violation->id != id) return false;
    return !options.same_failure || options.same_failure(*first.violation, *r.violation);
  };

  // Ops after the failing one never matter.
  std::vector<std::size_t> keep;
  for (std::size_t i = 0; i < p.ops.size() && i <= first.violation->op_index; ++i) keep.push_back(i);
  if (keep.size() < p.ops.size()) {
    Program cut = subprogram(p, keep);
    if (fails(cut)) best.program = cut;
  }

  // ddmin over the ops of the current best.
  std::size_t n = 2;
  while (best.program.ops.size() >= 2 && best.runs < options.max_runs) {
    const std::size_t size = best.program.ops.size();
    const std::size_t chunk = (size + n - 1) / n;
    bool reduced = false;
    for (std::size_t start = 0; start < size && !reduced; start += chunk) {
      std::vector<std::size_t> complement;
      for (std::size_t i = 0; i < size; ++i)
        if (i < start || i >= start + chunk) complement.push_back(i);
      Program cand = subprogram(best.program, complement);
      if (cand.ops.size() < size && fails(cand)) {
        best.program = std::move(cand);
        n = std::max<std::size_t>(n - 1, 2);
        reduced = true;
      }
    }
    if (!reduced) {
      if (chunk <= 1) break;
      n = std::min(size, n * 2);
    }
  }

  // Then simplify arguments, op by op, until nothing changes.
  for (bool changed = true; changed && best.runs < options.max_runs;) {
    changed = false;
    for (std::size_t i = 0; i < best.program.ops.size(); ++i) {
      for (const Op& s : simpler(best.program.ops[i])) {
        Program cand = best.program;
        cand.ops[i] = s;
        if (fails(cand)) {
          best.program = std::move(cand);
          changed = true;
          break;
        }
      }
    }
  }
  return best;
}

}  // namespace kmf
