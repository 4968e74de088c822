// stat.h — `perf kmem stat` for a text trace: the same summaries, so the two
// can be put side by side.
//
//   SUMMARY (SLAB allocator)   bytes requested / allocated / freed, net, internal
//                              fragmentation (allocated − requested) and its share,
//                              cross-CPU frees (freed on another CPU than allocated)
//   per call site              Total_alloc/Per | Total_req/Per | Hit | Ping-pong | Frag
//   SUMMARY (page allocator)   requests, frees, alloc+freed, alloc-only, free-only,
//                              failures, each with its KB (4 KiB pages)
//   per order                  allocation requests by order and migratetype (columns
//                              labelled as perf labels them, by migratetype number 0..4)
//   SUMMARY (vmalloc)          vmap areas allocated, freed, purged (not in perf)
//
// Numbers are printed without thousands separators (perf's output in the C locale).
// Freed bytes count only frees whose allocation is in the trace, as perf does.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "trace/pairing.h"
#include "trace/trace_reader.h"

namespace kmf::trace {

struct SlabSummary {
  std::uint64_t requested = 0, allocated = 0, freed = 0;
  std::uint64_t nr_allocs = 0, nr_frees = 0;
  std::uint64_t cross_cpu = 0;  ///< frees on another CPU than their allocation
};
struct PageSummary {
  std::uint64_t nr_alloc = 0, alloc_bytes = 0;
  std::uint64_t nr_free = 0, free_bytes = 0;
  std::uint64_t nr_alloc_freed = 0, alloc_freed_bytes = 0;
  std::uint64_t nr_fail = 0, fail_bytes = 0;
  std::uint64_t by_order[11][5] = {};  ///< allocation requests, order 0..10 × migratetype 0..4 (≥ 4 folded)
};

SlabSummary slab_summary(const Trace& trace, const Pairing& pairing);
PageSummary page_summary(const Trace& trace, const Pairing& pairing);

/// The whole report; `max_callers` rows of the call-site table (by bytes allocated).
std::string format_stat(const Trace& trace, const Pairing& pairing, std::size_t max_callers);

}  // namespace kmf::trace
