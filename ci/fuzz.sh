#!/usr/bin/env bash
# The README's main command: a fuzz campaign on every target.
#
#   ci/fuzz.sh [--time SECONDS] [--jobs N] [--parallel fork|jobs] [--fast] [--targets "fuzz_kernel fuzz_slab"] [--no-build]
#   ci/fuzz.sh --coverage [ci/coverage.sh's options]   source coverage of alloc/ from the corpus
#   ci/fuzz.sh --nightly [ci/nightly.sh's options]     campaign + coverage + the mutant zoo
#
#   --time     the whole campaign's fuzzing budget, shared by the targets
#              (default 60; each target gets at least 5 s)
#   --jobs     libFuzzer fork mode with N jobs when N > 1 (crashes are then
#              collected and fuzzing goes on); 1 = in-process, stops at the
#              first crash (default 1)
#   --parallel with --jobs N > 1: fork (libFuzzer -fork=N, the default) or
#              jobs (-jobs=N -workers=N: N independent in-process fuzzers
#              sharing the corpus directory; each stops at its first crash)
#   --fast     the fuzz-fast preset (build/fuzz-fast: UBSan, no ASan) for
#              throughput; the model's checks are the same, host-memory
#              errors in the harness go unseen (README, "Which fuzz build")
#   --targets  which targets (default: all five)
#   --no-build use build/fuzz as it is
#
# Installs what it needs (ci/deps.sh), builds the `fuzz` preset (clang,
# libFuzzer, ASan + UBSan), runs every target with the flags of its .options
# file, merges new coverage into the working corpus corpus/work/<target>/
# (libFuzzer -merge=1 over the old corpus and the build's seeds), turns every
# crash into a minimized .kmf reproducer corpus/regressions/<target>-<hash>.kmf,
# prints a summary table and writes reports/fuzz-<stamp>/report.md with a
# coverage-over-time plot (gnuplot, from libFuzzer's status lines).
# Exits 1 when anything crashed, printing the command that replays it;
# 2 on bad arguments; 0 otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
case "${1:-}" in
  --coverage) exec bash ci/coverage.sh "$@" ;;
  --nightly) exec bash ci/nightly.sh "$@" ;;
esac

time_budget=60
jobs=1
parallel=fork
preset=fuzz
targets="fuzz_buddy fuzz_slab fuzz_vmalloc fuzz_kernel fuzz_script"
build_it=1
while [ $# -gt 0 ]; do
  case "$1" in
    --time) time_budget="${2:-}"; shift 2 || shift ;;
    --jobs) jobs="${2:-}"; shift 2 || shift ;;
    --parallel) parallel="${2:-}"; shift 2 || shift ;;
    --fast) preset=fuzz-fast; shift ;;
    --targets) targets="${2:-}"; shift 2 || shift ;;
    --no-build) build_it=0; shift ;;
    -h|--help) sed -n '2,30p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "ci/fuzz.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
case "$time_budget" in ''|*[!0-9]*) echo "ci/fuzz.sh: --time takes whole seconds" >&2; exit 2 ;; esac
case "$jobs" in ''|*[!0-9]*|0) echo "ci/fuzz.sh: --jobs takes a whole number >= 1" >&2; exit 2 ;; esac
case "$parallel" in fork|jobs) ;; *) echo "ci/fuzz.sh: --parallel takes fork or jobs" >&2; exit 2 ;; esac
for t in $targets; do
  case "$t" in
    fuzz_buddy|fuzz_slab|fuzz_vmalloc|fuzz_kernel|fuzz_script) ;;
    *) echo "ci/fuzz.sh: unknown target '$t'" >&2; exit 2 ;;
  esac
done

build="$root/build/$preset"
if [ "$build_it" -eq 1 ]; then
  bash ci/deps.sh
  echo "== building the $preset preset (clang, libFuzzer, $([ "$preset" = fuzz ] && echo ASan+UBSan || echo UBSan, no ASan))"
  cmake --preset "$preset" >/dev/null
  cmake --build --preset "$preset" -j2
fi
kmemfuzz="$build/tools/kmemfuzz"

stamp=$(date -u +%Y%m%dT%H%M%SZ)
report="$root/reports/fuzz-$stamp"
mkdir -p "$report" corpus/regressions
n_targets=$(echo $targets | wc -w)
per_target=$(( time_budget / n_targets ))
[ "$per_target" -ge 5 ] || per_target=5

summary="$report/summary.tsv"
printf 'target\truns\texec/s\tcoverage\tcorpus\tcrashes\n' > "$summary"
crashed=0
replays=()
tty=0
[ -t 1 ] && tty=1

source "$root/ci/options-flags.sh"

for t in $targets; do
  corpus="$root/corpus/work/$t"
  seeds="$build/seeds/$t"
  out="$report/$t"
  log="$out/fuzz.log"
  mkdir -p "$corpus" "$out/artifacts"
  echo "== $t: ${per_target}s, $jobs job(s); corpus corpus/work/$t ($(find "$corpus" -type f | wc -l) inputs) + seeds"
  mapfile -t opts < <(options_flags "$t")
  fork=()
  if [ "$jobs" -gt 1 ] && [ "$parallel" = jobs ]; then
    # -jobs: each worker logs to fuzz-<n>.log in the working directory.
    fork=(-jobs="$jobs" -workers="$jobs")
  elif [ "$jobs" -gt 1 ]; then
    fork=(-fork="$jobs" -ignore_crashes=1)
  fi
  if [ "$jobs" -gt 1 ]; then
    # Fork mode's initial merge drops an input that crashes without a word,
    # so a corpus input that crashes after a code change would go unreported:
    # replay corpus and seeds in-process first (a crash is reported below).
    "$build/fuzz/$t" -runs=0 "${opts[@]}" -artifact_prefix="$out/artifacts/" "$corpus" "$seeds" \
      > "$out/replay.log" 2>&1 || echo "  an input of the corpus or the seeds crashes (see $out/replay.log)"
  fi
  start=$SECONDS
  last_print=-10
  set +e
  # Timestamp every line as it streams: the plot's x axis.
  (cd "$out" && "$build/fuzz/$t" "$corpus" "$seeds" -max_total_time="$per_target" "${opts[@]}" "${fork[@]}" \
      -artifact_prefix="$out/artifacts/" -print_final_stats=1) 2>&1 |
    while IFS= read -r line; do
      now=$(( SECONDS - start ))
      printf '%d %s\n' "$now" "$line" >> "$log"
      case "$line" in
        \#*cov:*)
          if [ "$tty" -eq 1 ]; then
            printf '\r  [%3ds] %-90.90s' "$now" "$line"
          elif [ $(( now - last_print )) -ge 10 ]; then
            printf '  [%3ds] %s\n' "$now" "$line"; last_print=$now
          fi ;;
        *"==kmemfuzz=="*|"VIOLATION "*|*"ERROR: "*|*"SUMMARY: "*)
          [ "$tty" -eq 1 ] && printf '\n'
          printf '  %s\n' "$line" ;;
      esac
    done
  set -e
  [ "$tty" -eq 1 ] && printf '\n'

  # Figures: libFuzzer's final stats (in-process), else the last status line
  # (fork mode writes "exec/s N" without the colon).
  last=$(grep -E '^[0-9]+ #[0-9]+:?[[:space:]].*cov:' "$log" | tail -1 || true)
  runs=$(sed -nE 's/^[0-9]+ stat::number_of_executed_units: *([0-9]+).*/\1/p' "$log" | tail -1)
  eps=$(sed -nE 's/^[0-9]+ stat::average_exec_per_sec: *([0-9]+).*/\1/p' "$log" | tail -1)
  [ -n "$runs" ] || runs=$(sed -nE 's/^[0-9]+ #([0-9]+).*/\1/p' <<<"$last")
  if [ "$jobs" -gt 1 ] && [ "$parallel" = jobs ]; then
    # -jobs: the workers' own logs; the campaign's figures are their sums.
    cat "$out"/fuzz-*.log >> "$log" 2>/dev/null || true
    runs=0
    for w in "$out"/fuzz-*.log; do
      [ -e "$w" ] || continue
      r=$(sed -nE 's/^stat::number_of_executed_units: *([0-9]+).*/\1/p; s/^#([0-9]+).*/\1/p' "$w" | tail -1)
      runs=$(( runs + ${r:-0} ))
    done
    eps=""
    last=$(grep -E '^#[0-9]+:?[[:space:]].*cov:' "$out"/fuzz-0.log 2>/dev/null | tail -1 | sed 's/^/0 /' || true)
  fi
  # Fork mode prints the last job's rate; the campaign's is runs / time.
  if [ -z "$eps" ] && [ -n "$runs" ]; then eps=$(( runs / (SECONDS - start > 0 ? SECONDS - start : 1) )); fi
  cov=$(sed -nE 's/.* cov: ([0-9]+).*/\1/p' <<<"$last")
  # Coverage over time for the plot: seconds, edges.
  sed -nE 's/^([0-9]+) #[0-9]+:?[[:space:]].*cov: ([0-9]+).*/\1 \2/p' "$log" > "$out/cov.dat" || true

  # Merge what is new into the working corpus: keep only inputs that add
  # coverage. Crashing inputs are skipped by libFuzzer's merge; the old
  # corpus is replaced only when the merge succeeded.
  mkdir -p "$out/merged"
  if "$build/fuzz/$t" -merge=1 "${opts[@]}" "$out/merged" "$corpus" "$seeds" > "$out/merge.log" 2>&1; then
    rm -rf "$corpus" && mv "$out/merged" "$corpus"
  else
    echo "  merge failed (see $out/merge.log); corpus/work/$t kept as it was"
  fi
  size=$(find "$corpus" -type f | wc -l)

  # Crashes → minimized reproducers, named by the minimized program's hash
  # so that one bug found many times gives one file. Fork mode may collect
  # hundreds of crashes of one bug: only the first of each signature (the
  # invariant and op kind, and for a misuse op the report it got; or the
  # sanitizer's source location) is minimized.
  ncrash=0
  declare -A signatures=()
  for c in "$out/artifacts"/crash-* "$out/artifacts"/leak-* "$out/artifacts"/timeout-* "$out/artifacts"/oom-*; do
    [ -e "$c" ] || continue
    ncrash=$((ncrash + 1))
    replay=$({ timeout 60 "$build/fuzz/$t" "$c" 2>&1 || true; })
    sig=$(printf '%s\n' "$replay" |
            sed -nE 's/^VIOLATION ([A-Z0-9-]+) at op [0-9]+(: [a-z0-9]+ = ([a-z_]+)|: ([a-z_]+)| \(teardown\)).*/\1 \3\4\2/p; s/^SUMMARY: (.*)/\1/p' |
            head -1 | sed -E 's/ = [a-z_]+$//; s/^([A-Z0-9-]+ [a-z_]*): .*/\1/' || true)
    [ -n "$sig" ] || sig="unknown $(basename "$c")"
    # A misuse op judged wrong says how: two such bugs on one op kind differ
    # there ("it was reported as wrong_cache" vs "… as invalid_free").
    how=$(printf '%s\n' "$replay" |
            sed -nE 's/.*(it was reported as [a-z_]+|it yielded [0-9]+|was reported but changed allocator state).*/\1/p' |
            head -1)
    [ -z "$how" ] || sig="$sig ($how)"
    if [ -n "${signatures[$sig]:-}" ]; then continue; fi
    signatures[$sig]=1
    if [ "$t" = fuzz_script ]; then
      hash=$(sha1sum "$c" | cut -c1-12)
      dest="corpus/regressions/fuzz_script/$hash"
      mkdir -p corpus/regressions/fuzz_script
      cp "$c" "$dest"
      replays+=("build/$preset/fuzz/fuzz_script $dest")
      continue
    fi
    tmp="$out/$(basename "$c").kmf"
    if timeout 120 "$kmemfuzz" minimize --target "$t" "$c" -o "$tmp" > "$out/minimize.log" 2>&1; then
      hash=$(grep -v '^#' "$tmp" | sha1sum | cut -c1-12)
      dest="corpus/regressions/$t-$hash.kmf"
    else
      # Not a checker violation the tool can shrink (a sanitizer report, a
      # timeout; the tool itself is sanitized too): let libFuzzer shrink the
      # bytes while they still crash, and keep them as <target>-<hash>.bin,
      # which the target replays.
      cp "$c" "$tmp"
      timeout 45 "$build/fuzz/$t" -minimize_crash=1 -max_total_time=30 -exact_artifact_path="$tmp.min" "$c" \
        > "$out/minimize-crash.log" 2>&1 || true
      [ -s "$tmp.min" ] && cp "$tmp.min" "$tmp"
      hash=$(sha1sum "$tmp" | cut -c1-12)
      dest="corpus/regressions/$t-$hash.bin"
    fi
    [ -e "$dest" ] || cp "$tmp" "$dest"
    case "$dest" in
      *.kmf) replays+=("build/$preset/tools/kmemfuzz replay $dest") ;;
      *) replays+=("build/$preset/fuzz/$t $dest") ;;
    esac
  done
  [ "$ncrash" -gt 0 ] && crashed=1
  if [ "$ncrash" -gt 0 ]; then
    echo "  $ncrash crash(es), ${#signatures[@]} distinct:"
    printf '    %s\n' "${!signatures[@]}"
  fi
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$t" "${runs:-0}" "${eps:-0}" "${cov:-0}" "$size" "$ncrash" >> "$summary"
done

echo
while IFS=$'\t' read -r a b c d e f; do
  printf '%-14s %10s %8s %9s %7s %8s\n' "$a" "$b" "$c" "$d" "$e" "$f"
done < "$summary"

# The plot: coverage over time, one line per target, as SVG and PNG.
plot_cmds() {  # $1 = terminal line, $2 = output file
  echo "$1"
  echo "set termoption noenhanced"
  echo "set output '$2'"
  echo "set title 'kmemfuzz: coverage over time ($stamp, ${per_target}s per target, $jobs job(s))'"
  echo "set xlabel 'seconds'; set ylabel 'coverage (libFuzzer cov)'; set key outside right top; set grid"
  printf 'plot '
  local sep=""
  for t in $targets; do
    [ -s "$report/$t/cov.dat" ] || continue
    printf "%s'%s' using 1:2 with steps lw 2 title '%s'" "$sep" "$report/$t/cov.dat" "$t"
    sep=", "
  done
  echo
}
have_plot=0
if command -v gnuplot >/dev/null && [ -n "$(find "$report" -name cov.dat -size +0)" ]; then
  plot_cmds "set terminal svg size 1000,500 dynamic background '#ffffff'" "$report/coverage.svg" > "$report/coverage.gp"
  plot_cmds "set terminal pngcairo size 1000,500" "$report/coverage.png" > "$report/coverage-png.gp"
  if gnuplot "$report/coverage.gp" && gnuplot "$report/coverage-png.gp"; then
    have_plot=1
  else
    echo "ci/fuzz.sh: gnuplot failed; the data is in $report/*/cov.dat"
  fi
fi

{
  echo "# kmemfuzz fuzz campaign $stamp"
  echo
  echo "Budget ${time_budget}s over $n_targets target(s) (${per_target}s each), $jobs job(s), on $(nproc) cores;"
  echo "commit \`$(git rev-parse --short HEAD 2>/dev/null || echo unknown)\`, $(clang --version | head -1)."
  echo
  echo "| target | runs | exec/s | coverage (edges) | corpus | crashes |"
  echo "|---|---:|---:|---:|---:|---:|"
  tail -n +2 "$summary" | while IFS=$'\t' read -r a b c d e f; do echo "| $a | $b | $c | $d | $e | $f |"; done
  echo
  if [ "$have_plot" -eq 1 ]; then
    echo "![coverage over time](coverage.png)"
    echo
    echo "(also [coverage.svg](coverage.svg); data in \`<target>/cov.dat\`, raw logs in \`<target>/fuzz.log\`)"
  fi
  if [ ${#replays[@]} -gt 0 ]; then
    echo
    echo "## Crashes"
    echo
    echo "Each is minimized into corpus/regressions/ (a ctest regression test from the next configure on)."
    echo
    printf '%s\n' "${replays[@]}" | sort -u | sed 's/.*/- `&`/'
  fi
} > "$report/report.md"
echo
echo "report: ${report#"$root"/}/report.md"

if [ "$crashed" -ne 0 ]; then
  echo
  echo "CRASHES FOUND. Replay with:"
  printf '  %s\n' "${replays[@]}" | sort -u
  exit 1
fi
echo "no crashes."
