// machine_bench.cpp — boot time and host memory of a fresh machine.
//
//   machine/boot/{16MiB_i386,1GiB_i386,64GiB_x86_64}
//
// Time: the Kernel constructor only (manual time, this thread's CPU time: see
// cpu_clock.h); tearing the machine down happens outside the clock. Host memory, two ways, as counters:
//   resident_bytes  PhysMem::resident_bytes() right after boot: mincore() over
//                   the RAM and the frame-metadata mappings (what the machine
//                   itself made resident)
//   maxrss_delta    a forked child's getrusage(RUSAGE_SELF).ru_maxrss after
//                   booting minus before: the process high-water mark the boot
//                   adds, the host heap (zones, caches, vectors) included
//   resident_pct    resident_bytes as a percentage of the simulated RAM
#include <benchmark/benchmark.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <optional>
#include <string>

#include "alloc/kernel.h"
#include "bench/cpu_clock.h"

namespace kmf::bench {
namespace {

std::uint64_t maxrss_bytes() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  return static_cast<std::uint64_t>(u.ru_maxrss) * 1024;  // Linux reports KiB
}

/// Boots `config` in a forked child and returns how much the boot raised its
/// maxrss (bytes), or -1 when the child could not report.
double child_maxrss_delta(const MachineConfig& config) {
  int fds[2];
  if (::pipe(fds) != 0) return -1;
  const pid_t pid = ::fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    ::close(fds[0]);
    const std::uint64_t before = maxrss_bytes();
    std::uint64_t delta = 0;
    {
      Kernel k(config);
      benchmark::DoNotOptimize(k.nr_free_pages());
      delta = maxrss_bytes() - before;
    }
    const ssize_t n = ::write(fds[1], &delta, sizeof delta);
    ::_exit(n == sizeof delta ? 0 : 1);
  }
  ::close(fds[1]);
  std::uint64_t delta = 0;
  const ssize_t n = ::read(fds[0], &delta, sizeof delta);
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  return n == sizeof delta && WIFEXITED(status) && WEXITSTATUS(status) == 0 ? static_cast<double>(delta) : -1;
}

void boot(benchmark::State& state, MachineConfig config) {
  std::uint64_t resident = 0;
  {
    const Kernel k(config);  // one extra boot, outside the loop, for the memory figures
    resident = k.mem().resident_bytes();
  }
  for (auto _ : state) {
    std::optional<Kernel> k;
    const double t0 = thread_cpu_seconds();
    k.emplace(config);
    const double t1 = thread_cpu_seconds();
    benchmark::DoNotOptimize(k->nr_free_pages());
    state.SetIterationTime(cpu_span(t0, t1));
  }  // the machine is torn down here, outside the clock
  state.counters["sim_bytes"] = static_cast<double>(config.mem_bytes);
  state.counters["resident_bytes"] = static_cast<double>(resident);
  state.counters["resident_pct"] =
      100.0 * static_cast<double>(resident) / static_cast<double>(config.mem_bytes);
  state.counters["maxrss_delta"] = child_maxrss_delta(config);
}

void add(const char* name, std::uint64_t mem, Profile profile) {
  MachineConfig c;
  c.mem_bytes = mem;
  c.profile = profile;
  benchmark::RegisterBenchmark((std::string("machine/boot/") + name).c_str(), [c](benchmark::State& s) {
    boot(s, c);
  })->UseManualTime();
}

[[maybe_unused]] const bool registered = [] {
  add("16MiB_i386", 16 * MiB, Profile::i386);
  add("1GiB_i386", 1 * GiB, Profile::i386);
  add("64GiB_x86_64", 64 * GiB, Profile::x86_64);
  return true;
}();

}  // namespace
}  // namespace kmf::bench
