// replay.cpp — running a converted trace under the executor and reporting it.
#include "trace/replay.h"

#include <sstream>

#include "check/violation.h"
#include "ops/kmf_text.h"
#include "trace/trace_reader.h"

namespace kmf::trace {

std::uint32_t line_of_op(const Conversion& c, std::size_t index) {
  return index < c.op_line.size() ? c.op_line[index] : 0;
}

ReplayResult replay(const Conversion& c, const ReplayOptions& options) {
  ReplayResult r;
  ExecOptions opt;
  opt.level = options.level;
  opt.after_boot = options.after_boot;
  std::size_t seen = 0;
  opt.after_op = [&](Kernel& k, std::size_t i) {
    for (; seen < k.reports().size(); ++seen)
      r.reports.emplace_back(
          i, std::string(report_kind_name(k.reports()[seen].kind)) + ": " + k.reports()[seen].message);
    if (options.every == 0 || (i + 1) % options.every != 0) return;
    r.snapshots.push_back("after op " + std::to_string(i + 1) + " (trace line " +
                          std::to_string(line_of_op(c, i)) + "):\n" + k.proc_buddyinfo());
  };
  opt.before_teardown = [&](const Kernel& k) { r.final_buddyinfo = k.proc_buddyinfo(); };
  r.exec = execute(c.program, opt);
  return r;
}

std::string format_replay(const Conversion& c, const ReplayResult& r, const std::string& trace_path,
                          std::size_t max_listed) {
  std::ostringstream o;
  if (!r.reports.empty()) {
    o << "the model reported " << r.reports.size()
      << " thing(s) while replaying (the trace's own misuse, or a limit of the model):\n";
    for (std::size_t i = 0; i < r.reports.size() && i < max_listed; ++i)
      o << "  trace line " << line_of_op(c, r.reports[i].first) << ": " << r.reports[i].second << '\n';
    if (r.reports.size() > max_listed) o << "  … and " << (r.reports.size() - max_listed) << " more\n";
  }
  for (const std::string& s : r.snapshots) o << s;
  if (!r.final_buddyinfo.empty()) o << "buddyinfo after the last op:\n" << r.final_buddyinfo;
  if (r.exec.ok()) {
    o << "PASS " << trace_path << ": " << c.program.ops.size()
      << " ops replayed, no invariant broken (teardown freed what the trace left live and the machine is "
         "back "
         "to its boot state)\n";
    return o.str();
  }
  const Violation& v = *r.exec.violation;
  o << "FAIL " << trace_path << '\n';
  if (v.op_index < c.program.ops.size()) {
    const std::uint32_t line = line_of_op(c, v.op_index);
    o << "VIOLATION " << invariant_name(v.id) << " replaying trace line " << line << " (op " << v.op_index
      << "): " << read_line_of(trace_path, line) << '\n';
  } else {
    o << "VIOLATION " << invariant_name(v.id) << " at teardown, after the last traced op\n";
  }
  o << format_violation(v);
  return o.str();
}

}  // namespace kmf::trace
