// trace_reader.cpp — reading a trace line by line.
#include "trace/trace_reader.h"

#include <fstream>
#include <sstream>

#include "trace/line_parser.h"

namespace kmf::trace {

namespace {

/// `\tffffffff811d3b1d __kmalloc+0x10d ([kernel.kallsyms])` → `__kmalloc+0x10d ([kernel.kallsyms])`.
std::string_view frame_text(std::string_view line) {
  std::size_t i = 0;
  while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
  while (i < line.size() && line[i] != ' ' && line[i] != '\t') ++i;
  while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
  std::string_view rest = line.substr(i);
  while (!rest.empty() && (rest.back() == '\r' || rest.back() == ' ')) rest.remove_suffix(1);
  return rest;
}

void take(Trace& t, LineParser& parser, std::string_view line, bool& chain_to_last_event) {
  ++t.lines;
  const auto number = static_cast<std::uint32_t>(t.lines);
  LineResult r = parser.parse(line, number);
  t.unknown_fields += r.unknown_fields;
  t.unknown_gfp_names += r.unknown_gfp_names;
  switch (r.kind) {
    case LineKind::blank: ++t.blank; break;
    case LineKind::header: ++t.headers; break;
    case LineKind::callchain:
      ++t.callchain_frames;
      if (chain_to_last_event) {
        const auto index = static_cast<std::uint32_t>(t.events.size() - 1);
        t.callchains[index].push_back(t.strings.intern(frame_text(line)));
      }
      return;
    case LineKind::lost_events:
      if (t.lost_events == 0 && t.first_lost_line == 0) t.first_lost_line = number;
      t.lost_events += r.lost;
      break;
    case LineKind::other_event: {
      ++t.other_events;
      auto it = t.other_by_name.find(r.other_name);
      if (it == t.other_by_name.end()) it = t.other_by_name.emplace(std::string(r.other_name), 0).first;
      ++it->second;
      break;
    }
    case LineKind::event:
      if (r.event.cpu < 0) t.cpu_known = false;
      t.events.push_back(r.event);
      chain_to_last_event = true;
      return;
    case LineKind::unparsable:
      ++t.unparsable;
      if (t.unparsable_lines.size() < MAX_KEPT_UNPARSABLE)
        t.unparsable_lines.push_back({number, std::string(line.substr(0, 160)), std::move(r.reason)});
      break;
  }
  chain_to_last_event = false;  // a callchain after a blank line or another event is not this event's
}

}  // namespace

Trace read_trace(std::istream& in, std::string file) {
  Trace t;
  t.file = std::move(file);
  LineParser parser(t.strings);
  std::string line;
  bool chain = false;
  while (std::getline(in, line)) take(t, parser, line, chain);
  if (t.events.empty()) t.cpu_known = false;
  return t;
}

Trace read_trace_text(std::string_view text, std::string file) {
  Trace t;
  t.file = std::move(file);
  LineParser parser(t.strings);
  bool chain = false;
  while (!text.empty()) {
    const std::size_t nl = text.find('\n');
    take(t, parser, text.substr(0, nl), chain);
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
  if (t.events.empty()) t.cpu_known = false;
  return t;
}

std::string read_line_of(const std::string& path, std::uint32_t number) {
  std::ifstream in(path, std::ios::binary);
  std::string line;
  for (std::uint32_t i = 1; std::getline(in, line); ++i)
    if (i == number) return line;
  return {};
}

std::string describe_reading(const Trace& t, std::size_t max_listed) {
  std::ostringstream o;
  o << t.file << ": " << t.lines << " lines: " << t.events.size() << " kmem events, " << t.other_events
    << " other events, " << t.headers << " header lines, " << t.blank << " blank, " << t.callchain_frames
    << " callchain frames, " << t.unparsable << " unparsable\n";
  if (t.first_lost_line)
    o << "  WARNING: the kernel's ring buffer lost " << t.lost_events << " events (first marker at line "
      << t.first_lost_line << "): unknown frees, double frees and leaks near it may be artefacts\n";
  if (!t.other_by_name.empty()) {
    o << "  other events (not replayed):";
    for (const auto& [name, n] : t.other_by_name) o << ' ' << name << " x" << n;
    o << '\n';
  }
  if (t.unknown_fields || t.unknown_gfp_names)
    o << "  tolerated: " << t.unknown_fields << " unknown fields, " << t.unknown_gfp_names
      << " unknown gfp flag names\n";
  if (t.unparsable) {
    o << "  unparsable lines:\n";
    std::size_t shown = 0;
    for (const UnparsableLine& u : t.unparsable_lines) {
      if (shown++ == max_listed) break;
      o << "    line " << u.line << ": " << u.reason << ": " << u.text << '\n';
    }
    if (t.unparsable > max_listed)
      o << "    … and " << (t.unparsable - std::min<std::uint64_t>(max_listed, t.unparsable)) << " more\n";
  }
  return o.str();
}

}  // namespace kmf::trace
