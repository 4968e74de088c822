#!/usr/bin/env bash
# The benchmark suite (issue #9): installs what is missing, builds the `bench`
# preset (gcc, Release -O2, KMF_BENCH=ON, tests off) with two jobs, runs
# kmf_bench with repetitions in random interleaving, and prints the table of
# medians and ratios (bench/report.py reads Google Benchmark's JSON).
#
#   ci/bench.sh                         the whole suite, 5 repetitions
#   ci/bench.sh --benchmark_filter=page  extra arguments go to kmf_bench
#   KMF_BENCH_REPS=9 ci/bench.sh         more repetitions
#   KMF_BENCH_OUT=path.json ci/bench.sh  where the JSON goes (default build/bench/bench.json)
#   KMF_BENCH_MIN_TIME=0.5 ci/bench.sh   seconds per repetition (default 0.2)
#   KMF_BENCH_FUZZ=0 ci/bench.sh         skip the libFuzzer ratios (issue #19; skipped
#                                       anyway without clang): otherwise ci/fuzz-ratio.sh
#                                       builds fuzz_kernel and fuzz_trivial in each preset of
#                                       KMF_BENCH_FUZZ_PRESETS (default "fuzz fuzz-fast":
#                                       ASan + UBSan, and UBSan only) and runs each target
#                                       KMF_BENCH_FUZZ_TIME seconds (default 30), the
#                                       presets back to back
#
# The machine is shared: the script prints the load average before and after;
# figures are CPU time of the measured region, medians over the repetitions.
set -euo pipefail
cd "$(dirname "$0")/.."
bash ci/deps.sh
cmake --preset bench
cmake --build --preset bench -j2 --target kmf_bench

out="${KMF_BENCH_OUT:-build/bench/bench.json}"
reps="${KMF_BENCH_REPS:-5}"
mkdir -p "$(dirname "$out")"

echo "== machine"
lscpu | grep -E '^(Model name|CPU\(s\)|Thread\(s\) per core|Core\(s\) per socket)' || true
g++ --version | head -n1
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"

# Google Benchmark's own console table (mean/median/stddev/cv of every
# benchmark) goes to a file beside the JSON; the summary below is the table.
console="${out%.json}.console.txt"
echo "running kmf_bench ($reps repetitions; console output in $console)"
build/bench/bench/kmf_bench \
  --benchmark_repetitions="$reps" \
  --benchmark_enable_random_interleaving=true \
  --benchmark_report_aggregates_only=true \
  --benchmark_min_time="${KMF_BENCH_MIN_TIME:-0.2}" \
  --benchmark_out="$out" --benchmark_out_format=json \
  "$@" > "$console"

echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"

# Issue #19's second ratio: fuzz_kernel vs a trivial libFuzzer target, same
# build, one after the other in this session: the ASan build ci/fuzz.sh uses
# and the throughput build (ci/fuzz.sh --fast), back to back.
fuzz_tsv=()
if [ "${KMF_BENCH_FUZZ:-1}" != 0 ] && command -v clang++ >/dev/null; then
  for preset in ${KMF_BENCH_FUZZ_PRESETS:-fuzz fuzz-fast}; do
    ratio_out="${out%.json}.fuzz-ratio.$preset.tsv"
    if bash ci/fuzz-ratio.sh --preset "$preset" --time "${KMF_BENCH_FUZZ_TIME:-30}" --out "$ratio_out"; then
      fuzz_tsv+=("$ratio_out")
    else
      echo "ci/bench.sh: ci/fuzz-ratio.sh --preset $preset failed; its ratio is left out" >&2
    fi
  done
else
  echo "(fuzzing ratio skipped: KMF_BENCH_FUZZ=0 or no clang++)"
fi
echo
python3 bench/report.py "$out" "${fuzz_tsv[@]}"
