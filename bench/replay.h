// replay.h — the one timing loop every trace benchmark uses.
//
// Each iteration replays setup (untimed), timed, teardown (untimed) on the
// same subject; only `timed` is inside the clock (manual time: this thread's
// CPU time, see cpu_clock.h), so building an occupancy or draining it never
// counts. A handle equal to
// `null` is a failed allocation: its free is skipped and counted.
#pragma once

#include <benchmark/benchmark.h>

#include <cstdint>
#include <vector>

#include "bench/cpu_clock.h"
#include "bench/traces.h"

namespace kmf::bench {

/// Counters every trace benchmark reports: `pairs` (allocations in the timed
/// part), `ops` (allocations + frees in it), `failed` (allocations that
/// returned null, per iteration) and the rates.
inline void set_trace_counters(benchmark::State& state, const Trace& t, std::uint64_t failed) {
  state.counters["pairs"] = static_cast<double>(t.timed_allocs);
  state.counters["ops"] = static_cast<double>(t.timed.size());
  state.counters["failed"] =
      benchmark::Counter(static_cast<double>(failed), benchmark::Counter::kAvgIterations);
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * t.timed_allocs));
}

template <class Handle, class AllocFn, class FreeFn>
void replay_trace(benchmark::State& state, const Trace& t, Handle null, AllocFn&& alloc, FreeFn&& release) {
  std::vector<Handle> h(t.slots, null);
  std::uint64_t failed = 0;
  auto play = [&](const std::vector<TraceOp>& ops) {
    for (const TraceOp& op : ops) {
      Handle& slot = h[op.slot];
      if (op.alloc) {
        slot = alloc(op.arg);
        if (slot == null) ++failed;
      } else if (slot != null) {
        release(slot, op.arg);
        slot = null;
      }
    }
  };
  for (auto _ : state) {
    play(t.setup);
    const double t0 = thread_cpu_seconds();
    play(t.timed);
    const double t1 = thread_cpu_seconds();
    play(t.teardown);
    state.SetIterationTime(cpu_span(t0, t1));
  }
  set_trace_counters(state, t, failed);
}

}  // namespace kmf::bench
