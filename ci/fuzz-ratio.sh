#!/usr/bin/env bash
# fuzz_kernel's throughput as a fraction of a trivial libFuzzer target's
# (issue #19): both built alike, run the same way one after the other in one
# session, so the ratio says what the model and its checks cost over
# libFuzzer's own per-input work, whatever the machine.
#
#   ci/fuzz-ratio.sh [--time SECONDS] [--preset fuzz|fuzz-fast] [--target NAME] [--no-build]
#                    [--build-dir DIR] [--out FILE]
#
#   --time     seconds per target (default 30; the issue asks for 30-60 on a
#              quiet machine)
#   --preset   fuzz (clang, libFuzzer, ASan + UBSan: the build ci/fuzz.sh uses;
#              the default) or fuzz-fast (UBSan only: ci/fuzz.sh --fast)
#   --target   the measured target (default fuzz_kernel)
#   --no-build use build/<preset> as it is
#   --build-dir measure the binaries in DIR instead (DIR/fuzz/<target>,
#              DIR/fuzz/fuzz_trivial, their .options and dictionaries, and
#              DIR/seeds/<target>): a saved earlier build, to compare before
#              and after a change in one session; implies --no-build
#   --out      also write the figures as TSV (target, runs, exec/s, peak RSS MB)
#
# Each run: one process, in-process (no fork), one core, from the target's
# seeds (build/<preset>/seeds/<target>) into an empty scratch corpus,
# -max_total_time, -seed=1, and the measured target's own .options flags
# (-max_len=4096, its dictionary, value profile); the trivial target gets its
# own options (-max_len=4096) and the same seeds. Prints both exec/s
# (libFuzzer's final stats), the peak RSS and the ratio. Exit 2 on bad
# arguments, 77 when clang is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

time_s=30
preset=fuzz
target=fuzz_kernel
build_it=1
build_dir=""
out=""
while [ $# -gt 0 ]; do
  case "$1" in
    --time) time_s="${2:-}"; shift 2 || shift ;;
    --preset) preset="${2:-}"; shift 2 || shift ;;
    --target) target="${2:-}"; shift 2 || shift ;;
    --no-build) build_it=0; shift ;;
    --build-dir) build_dir="${2:-}"; build_it=0; shift 2 || shift ;;
    --out) out="${2:-}"; shift 2 || shift ;;
    -h|--help) sed -n '2,28p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "ci/fuzz-ratio.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
case "$time_s" in ''|*[!0-9]*|0) echo "ci/fuzz-ratio.sh: --time takes whole seconds >= 1" >&2; exit 2 ;; esac
case "$preset" in fuzz|fuzz-fast) ;; *) echo "ci/fuzz-ratio.sh: --preset is fuzz or fuzz-fast" >&2; exit 2 ;; esac
case "$target" in
  fuzz_buddy|fuzz_slab|fuzz_vmalloc|fuzz_kernel) ;;
  *) echo "ci/fuzz-ratio.sh: unknown target '$target' (fuzz_buddy, fuzz_slab, fuzz_vmalloc, fuzz_kernel)" >&2; exit 2 ;;
esac
if ! command -v clang++ >/dev/null; then
  echo "ci/fuzz-ratio.sh: clang++ not found; the libFuzzer builds need it (ci/deps.sh installs it)" >&2
  exit 77
fi

build="$root/build/$preset"
if [ -n "$build_dir" ]; then
  [ -d "$build_dir/fuzz" ] || { echo "ci/fuzz-ratio.sh: --build-dir '$build_dir' has no fuzz/ directory" >&2; exit 2; }
  build=$(cd "$build_dir" && pwd)
fi
if [ "$build_it" -eq 1 ]; then
  cmake --preset "$preset" >/dev/null
  cmake --build --preset "$preset" -j2 --target "$target" fuzz_trivial fuzz_seeds
fi
for b in "$target" fuzz_trivial; do
  [ -x "$build/fuzz/$b" ] || { echo "ci/fuzz-ratio.sh: $build/fuzz/$b is not built" >&2; exit 2; }
done
seeds="$build/seeds/$target"

source "$root/ci/options-flags.sh"

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
echo "== $preset build ($build), ${time_s}s each, in-process, one core, -seed=1, seeds $seeds"
echo "   load before: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
declare -A eps runs rss
for b in "$target" fuzz_trivial; do
  mapfile -t opts < <(options_flags "$b")
  mkdir -p "$scratch/$b"
  log="$scratch/$b.log"
  # A crash (status != 0) is reported but the figures up to it still print.
  if ! "$build/fuzz/$b" "$scratch/$b" "$seeds" "${opts[@]}" -max_total_time="$time_s" -seed=1 \
      -print_final_stats=1 -artifact_prefix="$scratch/" > "$log" 2>&1; then
    echo "   $b stopped early (a crash?); its log's tail:" >&2
    tail -5 "$log" >&2
  fi
  runs[$b]=$(sed -nE 's/^stat::number_of_executed_units: *([0-9]+).*/\1/p' "$log" | tail -1)
  eps[$b]=$(sed -nE 's/^stat::average_exec_per_sec: *([0-9]+).*/\1/p' "$log" | tail -1)
  rss[$b]=$(sed -nE 's/^stat::peak_rss_mb: *([0-9]+).*/\1/p' "$log" | tail -1)
  printf '   %-13s %10s runs %9s exec/s   peak RSS %5s MB   (%s)\n' "$b" "${runs[$b]:-?}" "${eps[$b]:-?}" \
    "${rss[$b]:-?}" "${opts[*]//$build\/fuzz\//}"
done
echo "   load after:  $(cut -d' ' -f1-3 /proc/loadavg)"
if [ -z "${eps[$target]:-}" ] || [ -z "${eps[fuzz_trivial]:-}" ] || [ "${eps[fuzz_trivial]}" -eq 0 ]; then
  echo "ci/fuzz-ratio.sh: no exec/s figure from one of the runs" >&2
  exit 1
fi
ratio=$(awk -v a="${eps[$target]}" -v b="${eps[fuzz_trivial]}" 'BEGIN { printf "%.3f", 100 * a / b }')
echo "$target / fuzz_trivial = $ratio % (issue #19 asks >= 1 % with ASan, >= 4 % for the fast build)"
if [ -n "$out" ]; then
  {
    printf 'preset\t%s\n' "$preset"
    printf 'seconds\t%s\n' "$time_s"
    for b in "$target" fuzz_trivial; do printf '%s\t%s\t%s\t%s\n' "$b" "${runs[$b]}" "${eps[$b]}" "${rss[$b]:-}"; done
  } > "$out"
fi
