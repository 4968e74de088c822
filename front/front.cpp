// front.cpp — input loading, op removal and the report.
#include "front/front.h"

#include <cstdio>
#include <cstdlib>
#include <unordered_map>

namespace kmf::front {

Settings& settings() {
  static Settings s;
  return s;
}

GenericProgram load_input(std::span<const std::uint8_t> bytes, const GenericTarget& target) {
  const std::string_view text(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  if (looks_like_generic_text(text)) {
    GenericParseResult parsed = parse_generic(text, settings().input_name);
    if (parsed) return std::move(parsed).program();
    if (settings().replay) {
      std::fprintf(stderr, "==kmemfuzz== %s\n", parsed.error().to_string().c_str());
      std::exit(2);
    }
  }
  return decode_generic(bytes, target);
}

GenericProgram without_ops(const GenericProgram& p, const std::vector<bool>& drop) {
  GenericProgram q;
  q.arena = p.arena;
  GenericSlots slots;
  std::unordered_map<Slot, Slot> map;
  for (std::size_t i = 0; i < p.ops.size(); ++i) {
    if (i < drop.size() && drop[i]) continue;
    GenericOp op = p.ops[i];
    if (op.src != NO_SLOT) {
      const auto it = map.find(op.src);
      if (it == map.end()) continue;
      op.src = it->second;
    }
    if (op.verb == GenericVerb::free) op.stale = slots.freed(op.src);
    const Slot old_dst = op.dst;
    if (old_dst != NO_SLOT) op.dst = static_cast<Slot>(q.nr_slots());
    if (!slots.apply(op)) continue;
    // A canonical name (b<slot>) follows its slot; a hand-given name is kept.
    std::string name;
    if (old_dst != NO_SLOT && p.names[static_cast<std::size_t>(old_dst)] != "b" + std::to_string(old_dst))
      name = p.names[static_cast<std::size_t>(old_dst)];
    const Slot s = q.add(op, name);
    if (old_dst != NO_SLOT) map[old_dst] = s;
  }
  return q;
}

std::string format_report(std::string_view subject, const Violation& v, const GenericProgram& reproducer,
                          std::size_t original_ops) {
  std::string out = "==kmemfuzz== " + std::string(subject) + ": an invariant broke\n";
  out += format_violation(v);
  out += "==kmemfuzz== reproducer (" + std::to_string(reproducer.ops.size()) + " of " +
         std::to_string(original_ops) + " ops); save it as a .kmfa file and replay it with this binary:\n";
  out += print_generic(reproducer);
  return out;
}

void report_violation(std::string_view subject, const Violation& v, const GenericProgram& reproducer,
                      std::size_t original_ops) {
  const std::string out = format_report(subject, v, reproducer, original_ops);
  std::fputs(out.c_str(), stderr);
  std::fflush(stderr);
  if (settings().on_violation) settings().on_violation();
  std::abort();
}

}  // namespace kmf::front
