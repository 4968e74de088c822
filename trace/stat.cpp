// stat.cpp — perf kmem stat's summaries computed from a parsed trace.
#include "trace/stat.h"

#include <algorithm>
#include <cinttypes>
#include <cstdarg>
#include <cstdio>
#include <map>
#include <vector>

namespace kmf::trace {

namespace {

constexpr std::uint64_t PAGE_BYTES = 4096;

/// snprintf into a string; the attribute lets the compiler check every call's format.
__attribute__((format(printf, 1, 2))) std::string fmt(const char* f, ...) {
  char buf[256];
  va_list ap;
  va_start(ap, f);
  std::vsnprintf(buf, sizeof buf, f, ap);
  va_end(ap);
  return buf;
}

double fragmentation(std::uint64_t requested, std::uint64_t allocated) {
  return allocated == 0 ? 0.0
                        : 100.0 - 100.0 * static_cast<double>(requested) / static_cast<double>(allocated);
}

struct Caller {
  std::uint64_t bytes_alloc = 0, bytes_req = 0, hit = 0, pingpong = 0;
};

}  // namespace

SlabSummary slab_summary(const Trace& trace, const Pairing& p) {
  SlabSummary s;
  const auto& ev = trace.events;
  for (std::uint32_t i = 0; i < ev.size(); ++i) {
    const Event& e = ev[i];
    if (family_of(e.kind) != Family::slab || e.failed || e.addr_unknown) continue;
    if (is_alloc(e.kind)) {
      if (e.addr <= ZERO_SIZE_PTR) continue;
      s.requested += e.bytes_req;
      s.allocated += e.bytes_alloc;
      ++s.nr_allocs;
    } else if (p.partner[i] != NO_EVENT) {
      const Event& a = ev[p.partner[i]];
      s.freed += a.bytes_alloc;
      ++s.nr_frees;
      if (trace.cpu_known && a.cpu != e.cpu) ++s.cross_cpu;
    }
  }
  return s;
}

PageSummary page_summary(const Trace& trace, const Pairing& p) {
  PageSummary s;
  const auto& ev = trace.events;
  for (std::uint32_t i = 0; i < ev.size(); ++i) {
    const Event& e = ev[i];
    if (family_of(e.kind) != Family::page) continue;
    const std::uint64_t bytes = PAGE_BYTES << std::min<unsigned>(e.order, 40);
    if (e.kind == EventKind::mm_page_alloc) {
      if (e.failed) {
        ++s.nr_fail;
        s.fail_bytes += bytes;
        continue;
      }
      ++s.nr_alloc;
      s.alloc_bytes += bytes;
      if (p.partner[i] != NO_EVENT) {
        ++s.nr_alloc_freed;
        s.alloc_freed_bytes += bytes;
      }
      if (e.order <= 10 && e.migratetype >= 0) ++s.by_order[e.order][std::min<int>(e.migratetype, 4)];
    } else {
      ++s.nr_free;
      s.free_bytes += bytes;
    }
  }
  return s;
}

std::string format_stat(const Trace& trace, const Pairing& p, std::size_t max_callers) {
  std::string o;
  const auto& ev = trace.events;
  const std::string dashes(105, '-');

  // ---- per call site (slab) ----
  std::map<std::uint32_t, Caller> callers;
  bool any_slab = false, any_page = false, any_vmap = false;
  for (std::uint32_t i = 0; i < ev.size(); ++i) {
    const Event& e = ev[i];
    const Family fam = family_of(e.kind);
    any_slab |= fam == Family::slab;
    any_page |= fam == Family::page;
    any_vmap |= fam == Family::vmap;
    if (fam != Family::slab || !is_alloc(e.kind) || e.failed || e.addr_unknown || e.addr <= ZERO_SIZE_PTR)
      continue;
    Caller& c = callers[e.call_site];
    c.bytes_alloc += e.bytes_alloc;
    c.bytes_req += e.bytes_req;
    ++c.hit;
    const std::uint32_t f = p.partner[i];
    if (trace.cpu_known && f != NO_EVENT && ev[f].cpu != e.cpu) ++c.pingpong;
  }
  if (any_slab) {
    std::vector<std::pair<std::uint32_t, Caller>> rows(callers.begin(), callers.end());
    std::stable_sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) {
      if (a.second.bytes_alloc != b.second.bytes_alloc) return a.second.bytes_alloc > b.second.bytes_alloc;
      return a.second.hit > b.second.hit;
    });
    o += dashes + "\n";
    o += " Callsite                           | Total_alloc/Per | Total_req/Per   | Hit      | Ping-pong | "
         "Frag\n";
    o += dashes + "\n";
    std::size_t shown = 0;
    for (const auto& [site, c] : rows) {
      if (shown++ == max_callers) {
        o +=
            fmt(" ...                                | ...             | ...             | ...      | ...    "
                "   | ...   \n");
        break;
      }
      std::string name = site ? trace.strings.at(site) : std::string("(no call_site)");
      if (name.size() > 34) name = name.substr(0, 34);
      o += fmt(" %-34s | %9" PRIu64 "/%-5" PRIu64 " | %9" PRIu64 "/%-5" PRIu64 " | %8" PRIu64 " | %9" PRIu64
               " | %6.3f%%\n",
               name.c_str(), c.bytes_alloc, c.hit ? c.bytes_alloc / c.hit : 0, c.bytes_req,
               c.hit ? c.bytes_req / c.hit : 0, c.hit, c.pingpong, fragmentation(c.bytes_req, c.bytes_alloc));
    }
    o += dashes + "\n";

    const SlabSummary s = slab_summary(trace, p);
    o += "\nSUMMARY (SLAB allocator)\n========================\n";
    o += fmt("Total bytes requested: %" PRIu64 "\n", s.requested);
    o += fmt("Total bytes allocated: %" PRIu64 "\n", s.allocated);
    o += fmt("Total bytes freed:     %" PRIu64 "\n", s.freed);
    if (s.allocated > s.freed) o += fmt("Net total bytes allocated: %" PRIu64 "\n", s.allocated - s.freed);
    o += fmt("Total bytes wasted on internal fragmentation: %" PRIu64 "\n",
             s.allocated - std::min(s.allocated, s.requested));
    o += fmt("Internal fragmentation: %f%%\n", fragmentation(s.requested, s.allocated));
    if (trace.cpu_known)
      o += fmt("Cross CPU allocations: %" PRIu64 "/%" PRIu64 "\n", s.cross_cpu, s.nr_allocs);
    else
      o += "Cross CPU allocations: unknown (the trace has no CPU column)\n";
  }

  if (any_page) {
    const PageSummary s = page_summary(trace, p);
    auto row = [&](const char* label, std::uint64_t n, std::uint64_t bytes) {
      o += fmt("%-30s: %16" PRIu64 "   [ %16" PRIu64 " KB ]\n", label, n, bytes / 1024);
    };
    o += "\nSUMMARY (page allocator)\n========================\n";
    row("Total allocation requests", s.nr_alloc, s.alloc_bytes);
    row("Total free requests", s.nr_free, s.free_bytes);
    o += "\n";
    row("Total alloc+freed requests", s.nr_alloc_freed, s.alloc_freed_bytes);
    row("Total alloc-only requests", s.nr_alloc - s.nr_alloc_freed, s.alloc_bytes - s.alloc_freed_bytes);
    row("Total free-only requests", s.nr_free - s.nr_alloc_freed,
        s.free_bytes - std::min(s.free_bytes, s.alloc_freed_bytes));
    o += "\n";
    row("Total allocation failures", s.nr_fail, s.fail_bytes);
    o += "\n";
    o += fmt("%5s  %12s  %12s  %12s  %12s  %12s\n", "Order", "Unmovable", "Reclaimable", "Movable",
             "Reserved", "CMA/Isolated");
    o += "-----  ------------  ------------  ------------  ------------  ------------\n";
    for (int order = 0; order <= 10; ++order) {
      o += fmt("%5d", order);
      for (int m = 0; m < 5; ++m)
        o += s.by_order[order][m] ? fmt("  %12" PRIu64, s.by_order[order][m]) : fmt("  %12c", '.');
      o += "\n";
    }
  }

  if (any_vmap) {
    std::uint64_t allocs = 0, alloc_bytes = 0, frees = 0, freed_bytes = 0, fails = 0, purges = 0;
    for (std::uint32_t i = 0; i < ev.size(); ++i) {
      const Event& e = ev[i];
      if (e.kind == EventKind::alloc_vmap_area) {
        if (e.failed) {
          ++fails;
          continue;
        }
        ++allocs;
        alloc_bytes += e.bytes_req;
      } else if (e.kind == EventKind::free_vmap_area_noflush) {
        ++frees;
        if (p.partner[i] != NO_EVENT) freed_bytes += ev[p.partner[i]].bytes_req;
      } else if (e.kind == EventKind::purge_vmap_area_lazy) {
        ++purges;
      }
    }
    o += "\nSUMMARY (vmalloc)\n=================\n";
    o += fmt("%-30s: %16" PRIu64 "   [ %16" PRIu64 " KB ]\n", "vmap areas allocated", allocs,
             alloc_bytes / 1024);
    o += fmt("%-30s: %16" PRIu64 "   [ %16" PRIu64 " KB ]\n", "vmap areas freed (lazily)", frees,
             freed_bytes / 1024);
    o += fmt("%-30s: %16" PRIu64 "\n", "lazy purges", purges);
    o += fmt("%-30s: %16" PRIu64 "\n", "allocation failures", fails);
  }
  return o;
}

}  // namespace kmf::trace
