// cpu_clock.h — the clock of the manually timed benchmarks: this thread's CPU
// time, so that other processes on a shared machine (2 cores here, shared
// with builds) do not inflate the figures the way wall time would.
//
// Reading it is a system call (about 1 µs on the reference VM), so every
// measured span subtracts the median cost of an empty span, measured once.
#pragma once

#include <time.h>

#include <algorithm>
#include <array>

namespace kmf::bench {

inline double thread_cpu_seconds() {
  timespec ts{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

/// Seconds one empty (start, stop) span measures: the median of 201 tries.
inline double cpu_clock_overhead() {
  static const double overhead = [] {
    std::array<double, 201> spans{};
    for (double& s : spans) {
      const double t0 = thread_cpu_seconds();
      s = thread_cpu_seconds() - t0;
    }
    std::nth_element(spans.begin(), spans.begin() + spans.size() / 2, spans.end());
    return spans[spans.size() / 2];
  }();
  return overhead;
}

/// A span [t0, t1) of thread_cpu_seconds() less the clock's own cost (never below zero).
inline double cpu_span(double t0, double t1) { return std::max(0.0, t1 - t0 - cpu_clock_overhead()); }

}  // namespace kmf::bench
