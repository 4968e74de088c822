// trace_reader.h — a whole trace file to events, with an account of every
// line: nothing is dropped silently.
//
// Every line is one of: blank, header (`# tracer:` legends, trace-cmd's
// preamble), a kmem/vmalloc event, another event (counted by name), a perf
// script callchain frame, a lost-events marker (the ring buffer overflowed:
// pairing findings around it may be artefacts), or unparsable (counted; the
// first ones are kept with their line numbers, text and reason).
#pragma once

#include <cstdint>
#include <istream>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "trace/event.h"

namespace kmf::trace {

struct UnparsableLine {
  std::uint32_t line = 0;
  std::string text;  ///< the line, cut at 160 bytes
  std::string reason;
};

struct Trace {
  std::string file;  ///< labels reports
  StringTable strings;
  std::vector<Event> events;  ///< kmem/vmalloc events in file order
  std::uint64_t lines = 0;
  std::uint64_t blank = 0;
  std::uint64_t headers = 0;
  std::uint64_t callchain_frames = 0;
  std::uint64_t other_events = 0;
  std::map<std::string, std::uint64_t, std::less<>> other_by_name;
  std::uint64_t unparsable = 0;
  std::vector<UnparsableLine> unparsable_lines;  ///< the first MAX_KEPT_UNPARSABLE
  std::uint64_t unknown_fields = 0;              ///< tolerated key=value fields no event here has
  std::uint64_t unknown_gfp_names = 0;           ///< tolerated gfp names no kernel table here has
  /// perf script callchains: event index → its frames (interned, innermost
  /// first, without the address), for kmemleak-style backtraces in findings.
  std::unordered_map<std::uint32_t, std::vector<std::uint32_t>> callchains;
  bool cpu_known = true;              ///< every event line had a CPU column
  std::uint64_t lost_events = 0;      ///< events the kernel's ring buffer dropped (LOST markers)
  std::uint32_t first_lost_line = 0;  ///< the first LOST marker's line, 0 when none
};

inline constexpr std::size_t MAX_KEPT_UNPARSABLE = 1000;

/// Reads `in` to its end. Never fails on content; the caller decides what an
/// empty result means (the CLI: exit 2 when no event was understood).
Trace read_trace(std::istream& in, std::string file);
Trace read_trace_text(std::string_view text, std::string file = "<input>");

/// The trace's line `number` (1-based) read again from `path`, or "" (for
/// reports that quote the line a violation came from).
std::string read_line_of(const std::string& path, std::uint32_t number);

/// `N lines: E kmem events, O other events, U unparsable, …` and the first
/// `max_listed` unparsable lines with their numbers and reasons.
std::string describe_reading(const Trace& trace, std::size_t max_listed);

}  // namespace kmf::trace
