// line_parser.h — one line of a kernel trace, in any of the shapes the kmem
// events are printed in, to an Event.
//
//   ftrace trace / trace_pipe          bash-1234  [001] d..1.  1234.567890: kmalloc: call_site=…
//     (no irq-info columns, TGID)      bash-1234  (   1234) [001]  1234.567890: kmalloc: …
//     (latency format)                 bash-1234    1d..1    5us : kmalloc: …
//     (context-info off)               kmalloc: call_site=…
//   trace-cmd report                   bash-1234  [001]  1234.567890123: kmalloc:   call_site=…
//   perf script                        bash  1234 [001]  1234.567890: kmem:kmalloc: call_site=…
//                                          ffffffff811d3b1d __kmalloc+0x10d ([kernel.kallsyms])   (callchain)
//
// The line is anchored on `TIMESTAMP: [SYSTEM:]EVENT:`; what comes before is
// TASK-PID (or perf's TASK PID[/TID]), an optional (TGID), [CPU] and the
// irq-info flags; task names may hold spaces, dashes and colons. The fields
// are `key=value` words; a word without `=` continues the previous value
// (`ptr=  (null)`, `call_site=foo+0x1/0x2 [mod]`, the fields print mode's
// `bytes_req=0x80 (128)`); `va_start: N` (alloc_vmap_area) is a key too.
// Unknown keys are tolerated and counted.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "trace/event.h"

namespace kmf::trace {

enum class LineKind : std::uint8_t {
  blank,        ///< empty or white space only
  header,       ///< `# tracer: nop`, column legends, trace-cmd's `version = 6`, `cpus=4`, `CPU 3 is empty`
  event,        ///< a kmem/vmalloc event: LineResult::event
  other_event,  ///< a well-formed line of another event (sched_switch, mm_page_alloc_zone_locked …)
  callchain,    ///< a perf script callchain frame after an event
  lost_events,  ///< `CPU:2 [LOST 123 EVENTS]` (ftrace) or `CPU:2 [123 EVENTS DROPPED]` (trace-cmd)
  unparsable,   ///< LineResult::reason says why
};

struct LineResult {
  LineKind kind = LineKind::unparsable;
  Event event;
  std::string_view other_name;  ///< other_event: the event's name (a view into the line)
  std::string reason;           ///< unparsable: what was wrong
  unsigned unknown_fields = 0;  ///< key=value fields the event does not have (tolerated)
  unsigned unknown_gfp_names = 0;
  std::uint64_t lost = 0;  ///< lost_events: how many the ring buffer dropped
};

class LineParser {
 public:
  explicit LineParser(StringTable& strings) : strings_(strings) {}
  /// Parses one line (without its newline; a trailing '\r' is ignored).
  /// `number` is the 1-based line number stored in the event.
  LineResult parse(std::string_view line, std::uint32_t number);

 private:
  /// The fields after `EVENT:` of a kmem/vmalloc event.
  LineResult event_fields(EventKind kind, std::int32_t cpu, std::string_view rest, std::uint32_t number);

  StringTable& strings_;
  bool callchain_may_follow_ = false;  ///< the last line was an event or a callchain frame
};

}  // namespace kmf::trace
