// pairing.cpp — one pass over the events with a map per family from address to state.
#include "trace/pairing.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <sstream>
#include <unordered_map>

namespace kmf::trace {

namespace {

struct AddrState {
  std::uint32_t alloc = NO_EVENT;      ///< the allocation that is live, or the last one
  std::uint32_t last_free = NO_EVENT;  ///< the last free of this address
  bool live = false;
};

constexpr std::size_t MAX_BACKTRACE_FRAMES = 8;

std::string hex(std::uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%" PRIx64, v);
  return buf;
}

}  // namespace

std::string_view finding_name(FindingKind kind) {
  switch (kind) {
    case FindingKind::unknown_free: return "free of a never-allocated address";
    case FindingKind::double_free: return "double free";
    case FindingKind::order_mismatch: return "free with a different order than the allocation";
    case FindingKind::still_allocated: return "still allocated at the end";
    case FindingKind::alloc_over_live: return "allocated again while live";
  }
  return "?";
}

Pairing pair_events(const Trace& trace) {
  Pairing p;
  const auto& ev = trace.events;
  p.partner.assign(ev.size(), NO_EVENT);
  std::unordered_map<std::uint64_t, AddrState> maps[3];
  auto add = [&](FindingKind k, std::uint32_t event, std::uint32_t other) {
    p.findings.push_back({k, event, other});
    ++p.count[static_cast<std::size_t>(k)];
  };
  for (std::uint32_t i = 0; i < ev.size(); ++i) {
    const Event& e = ev[i];
    if (e.kind == EventKind::purge_vmap_area_lazy) continue;
    const Family fam = family_of(e.kind);
    if (is_alloc(e.kind)) {
      if (e.failed) {
        ++p.failed_allocs;
        continue;
      }
      if (e.addr_unknown) {
        ++p.unknown_pointers;
        continue;
      }
      if (fam == Family::slab && e.addr <= ZERO_SIZE_PTR) {
        ++p.zero_size;
        continue;
      }
      AddrState& st = maps[static_cast<int>(fam)][e.addr];
      if (st.live) add(FindingKind::alloc_over_live, i, st.alloc);
      st.alloc = i;
      st.live = true;
      continue;
    }
    // A free.
    if (e.failed || (fam == Family::slab && e.addr <= ZERO_SIZE_PTR)) {
      ++p.null_frees;
      continue;
    }
    if (e.addr_unknown) {
      ++p.unknown_pointers;
      continue;
    }
    auto& map = maps[static_cast<int>(fam)];
    auto it = map.find(e.addr);
    if (it == map.end()) {
      add(FindingKind::unknown_free, i, NO_EVENT);
      map.emplace(e.addr, AddrState{NO_EVENT, i, false});
      continue;
    }
    AddrState& st = it->second;
    if (!st.live) {
      add(FindingKind::double_free, i, st.last_free);
      st.last_free = i;
      continue;
    }
    p.partner[i] = st.alloc;
    p.partner[st.alloc] = i;
    if (fam == Family::page && e.order != ev[st.alloc].order) add(FindingKind::order_mismatch, i, st.alloc);
    st.live = false;
    st.last_free = i;
  }
  // Still allocated, in allocation order.
  std::vector<std::uint32_t> live;
  for (const auto& map : maps)
    for (const auto& [addr, st] : map)
      if (st.live) live.push_back(st.alloc);
  std::sort(live.begin(), live.end());
  for (std::uint32_t a : live) add(FindingKind::still_allocated, a, NO_EVENT);
  return p;
}

std::string describe_event(const Trace& trace, const Event& e) {
  std::string s(event_name(e.kind));
  switch (family_of(e.kind)) {
    case Family::slab:
      s += " ptr=" + (e.failed ? std::string("(null)") : hex(e.addr));
      if (is_alloc(e.kind))
        s += " bytes_req=" + std::to_string(e.bytes_req) + " bytes_alloc=" + std::to_string(e.bytes_alloc);
      if (e.call_site) s += " call_site=" + trace.strings.at(e.call_site);
      if (e.name) s += " name=" + trace.strings.at(e.name);
      break;
    case Family::page: s += " pfn=" + hex(e.addr) + " order=" + std::to_string(e.order); break;
    case Family::vmap:
      s += (e.kind == EventKind::purge_vmap_area_lazy ? " start=" : " va_start=") + hex(e.addr);
      if (e.kind == EventKind::alloc_vmap_area) s += " size=" + std::to_string(e.bytes_req);
      break;
  }
  return s;
}

std::string describe_findings(const Trace& trace, const Pairing& p, std::size_t max_listed) {
  std::ostringstream o;
  const auto& ev = trace.events;
  auto line = [&](std::uint32_t i) { return std::to_string(ev[i].line); };
  std::uint64_t pairs = 0;
  for (std::uint32_t i = 0; i < ev.size(); ++i)
    if (is_alloc(ev[i].kind) && p.partner[i] != NO_EVENT) ++pairs;
  o << "pairing: " << pairs << " allocations freed within the trace, " << p.of(FindingKind::still_allocated)
    << " still allocated, " << p.failed_allocs << " failed allocations, " << p.null_frees << " frees of NULL";
  if (p.zero_size) o << ", " << p.zero_size << " kmalloc(0)";
  if (p.unknown_pointers) o << ", " << p.unknown_pointers << " unpairable (____ptrval____) pointers";
  o << '\n';
  for (FindingKind k : {FindingKind::double_free, FindingKind::order_mismatch, FindingKind::alloc_over_live,
                        FindingKind::still_allocated, FindingKind::unknown_free}) {
    const std::uint64_t n = p.of(k);
    if (n == 0) continue;
    o << finding_name(k) << ": " << n;
    if (k == FindingKind::unknown_free)
      o << " (allocated before the trace began: an excerpt that starts mid-run has these); the first "
        << std::min<std::uint64_t>(n, max_listed) << ":";
    o << '\n';
    std::size_t shown = 0;
    for (const Finding& f : p.findings) {
      if (f.kind != k) continue;
      if (shown++ == max_listed) {
        o << "  … and " << (n - max_listed) << " more\n";
        break;
      }
      const Event& e = ev[f.event];
      o << "  line " << e.line << ": " << describe_event(trace, e);
      switch (k) {
        case FindingKind::double_free:
          o << " (freed before at line " << line(f.other);
          if (p.partner[f.other] != NO_EVENT) o << ", allocated at line " << line(p.partner[f.other]);
          o << ")";
          break;
        case FindingKind::order_mismatch:
          o << " (allocated with order " << unsigned(ev[f.other].order) << " at line " << line(f.other)
            << ")";
          break;
        case FindingKind::alloc_over_live:
          o << " (live since line " << line(f.other) << ", never freed)";
          break;
        default: break;
      }
      o << '\n';
      if (auto it = trace.callchains.find(f.event); it != trace.callchains.end()) {
        o << "    backtrace:\n";
        std::size_t frames = 0;
        for (std::uint32_t frame : it->second) {
          if (frames++ == MAX_BACKTRACE_FRAMES) {
            o << "      …\n";
            break;
          }
          o << "      " << trace.strings.at(frame) << '\n';
        }
      }
    }
  }
  return o.str();
}

}  // namespace kmf::trace
