#!/usr/bin/env bash
# The README's main command: a fuzz campaign on every target.
#
#   ci/fuzz.sh [--time SECONDS] [--jobs N] [--targets "fuzz_kernel fuzz_slab"]
#
# Installs what it needs, builds the `fuzz` preset (clang, libFuzzer, ASan +
# UBSan), runs every target for its share of --time (default 60 s in all),
# with libFuzzer's fork mode when --jobs > 1, merges new coverage into the
# working corpus (corpus/work/<target>/, seeded from the build's seeds),
# turns every crash into a minimized .kmf reproducer in
# corpus/regressions/<target>-<hash>.kmf, prints a summary table and writes
# reports/fuzz-<stamp>/report.md with a coverage-over-time plot (gnuplot).
# Exits 1 when anything crashed, printing the command that replays it.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

time_budget=60
jobs=1
targets="fuzz_buddy fuzz_slab fuzz_vmalloc fuzz_kernel fuzz_script"
while [ $# -gt 0 ]; do
  case "$1" in
    --time) time_budget="$2"; shift 2 ;;
    --jobs) jobs="$2"; shift 2 ;;
    --targets) targets="$2"; shift 2 ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    *) echo "ci/fuzz.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
case "$time_budget$jobs" in *[!0-9]*) echo "ci/fuzz.sh: --time and --jobs take whole numbers" >&2; exit 2 ;; esac

bash ci/deps.sh
echo "== building the fuzz preset (clang, libFuzzer, ASan+UBSan)"
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz -j2
build="$root/build/fuzz"

stamp=$(date -u +%Y%m%dT%H%M%SZ)
report="$root/reports/fuzz-$stamp"
mkdir -p "$report"
n_targets=$(echo $targets | wc -w)
per_target=$(( time_budget / n_targets ))
[ "$per_target" -ge 5 ] || per_target=5

summary="$report/summary.tsv"
printf 'target\truns\texec/s\tcoverage\tcorpus\tcrashes\n' > "$summary"
crashed=0
replays=()

for t in $targets; do
  corpus="$root/corpus/work/$t"
  mkdir -p "$corpus" "$report/$t"
  seeds="$build/seeds/$t"
  log="$report/$t/fuzz.log"
  echo "== $t: ${per_target}s, $jobs job(s); corpus $corpus"
  fork=()
  [ "$jobs" -gt 1 ] && fork=(-fork="$jobs" -ignore_crashes=1)
  opts=()
  [ -f "$build/fuzz/$t.dict" ] && opts+=(-dict="$build/fuzz/$t.dict")
  max_len=4096
  [ "$t" = fuzz_script ] && max_len=16384
  start=$SECONDS
  set +e
  # Timestamp every status line as it streams: the plot's x axis.
  "$build/fuzz/$t" "$corpus" "$seeds" -max_total_time="$per_target" -max_len="$max_len" \
      -artifact_prefix="$report/$t/" -print_final_stats=1 "${opts[@]}" "${fork[@]}" 2>&1 |
    while IFS= read -r line; do
      printf '%d %s\n' $(( SECONDS - start )) "$line" >> "$log"
      case "$line" in
        *"NEW "*|*pulse*|*REDUCE*) printf '\r  %-100.100s' "$line" ;;
        *"ERROR"*|*"VIOLATION"*) printf '\n  %s\n' "$line" ;;
      esac
    done
  set -e
  printf '\n'
  # Figures from the last status line.
  last=$(grep -E '#[0-9]+.*cov:' "$log" | tail -1 || true)
  runs=$(sed -nE 's/.*#([0-9]+).*/\1/p' <<<"$last")
  cov=$(sed -nE 's/.*cov: ([0-9]+).*/\1/p' <<<"$last")
  eps=$(sed -nE 's/.*exec\/s: ([0-9]+).*/\1/p' <<<"$last")
  # Coverage over time for the plot: seconds, coverage.
  grep -E '^[0-9]+ #[0-9]+.*cov:' "$log" | sed -nE 's/^([0-9]+) .*cov: ([0-9]+).*/\1 \2/p' > "$report/$t/cov.dat" || true
  # Merge what is new into the working corpus (keeps only inputs that add coverage).
  mkdir -p "$report/$t/merged"
  "$build/fuzz/$t" -merge=1 "$report/$t/merged" "$corpus" "$seeds" >/dev/null 2>&1 || true
  rm -rf "$corpus" && mv "$report/$t/merged" "$corpus"
  size=$(find "$corpus" -type f | wc -l)
  # Crashes → minimized reproducers.
  ncrash=0
  for c in "$report/$t"/crash-* "$report/$t"/leak-* "$report/$t"/timeout-*; do
    [ -e "$c" ] || continue
    ncrash=$((ncrash + 1))
    hash=$(sha1sum "$c" | cut -c1-10)
    if [ "$t" = fuzz_script ]; then
      mkdir -p corpus/regressions/fuzz_script
      cp "$c" "corpus/regressions/fuzz_script/$hash"
      replays+=("$build/fuzz/fuzz_script corpus/regressions/fuzz_script/$hash")
    else
      out="corpus/regressions/$t-$hash.kmf"
      "$build/tools/kmemfuzz" minimize "$c" -o "$out" || cp "$c" "corpus/regressions/$t-$hash.bin"
      replays+=("$build/tools/kmemfuzz replay $out")
    fi
  done
  [ "$ncrash" -gt 0 ] && crashed=1
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$t" "${runs:-0}" "${eps:-0}" "${cov:-0}" "$size" "$ncrash" >> "$summary"
done

echo
column -t -s $'\t' "$summary"

# The report: the table, and coverage over time drawn by gnuplot.
plot="$report/coverage.svg"
{
  echo "set terminal svg size 900,500 dynamic"
  echo "set output '$plot'"
  echo "set title 'kmemfuzz coverage over time'"
  echo "set xlabel 'seconds'; set ylabel 'coverage (edges)'; set key left top"
  printf 'plot '
  sep=""
  for t in $targets; do
    [ -s "$report/$t/cov.dat" ] || continue
    printf "%s'%s' using 1:2 with steps title '%s'" "$sep" "$report/$t/cov.dat" "$t"
    sep=", "
  done
  echo
} > "$report/coverage.gp"
if command -v gnuplot >/dev/null && grep -q "with steps" "$report/coverage.gp"; then
  gnuplot "$report/coverage.gp" || echo "ci/fuzz.sh: gnuplot failed; the data is in $report/*/cov.dat"
fi
{
  echo "# kmemfuzz fuzz campaign $stamp"
  echo
  echo "Budget ${time_budget}s over $n_targets targets (${per_target}s each), $jobs job(s), on $(nproc) cores."
  echo
  echo "| target | runs | exec/s | coverage | corpus | crashes |"
  echo "|---|---|---|---|---|---|"
  tail -n +2 "$summary" | while IFS=$'\t' read -r a b c d e f; do echo "| $a | $b | $c | $d | $e | $f |"; done
  echo
  [ -f "$plot" ] && echo "![coverage over time](coverage.svg)"
  if [ ${#replays[@]} -gt 0 ]; then
    echo
    echo "## Crashes"
    for r in "${replays[@]}"; do echo "- \`$r\`"; done
  fi
} > "$report/report.md"
echo
echo "report: $report/report.md"

if [ "$crashed" -ne 0 ]; then
  echo
  echo "CRASHES FOUND. Replay with:"
  for r in "${replays[@]}"; do echo "  $r"; done
  exit 1
fi
echo "no crashes."
