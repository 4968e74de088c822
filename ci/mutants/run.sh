#!/usr/bin/env bash
# Mutation testing for the fuzzer: does fuzz_kernel find a planted allocator bug?
#
#   ci/mutants/run.sh [--time SECONDS] [--seed N] [--fuzz-only] [PATCH...]
#
#   --time       how long fuzz_kernel may take to find each mutant (default 60)
#   --seed       libFuzzer's -seed, for a repeatable run (default: libFuzzer picks)
#   --fuzz-only  do not replay the seeds first: measure what fuzzing alone finds
#   PATCH   unified diffs against alloc/*.cpp (default: every ci/mutants/*.patch)
#
# Each patch is a realistic allocator bug. The script keeps a scratch copy of
# the work tree ($KMF_MUTANT_DIR, default /tmp/kmemfuzz-mutants; only changed
# files are copied, so rebuilds are incremental), builds the `fuzz` preset
# there, keeps the clean fuzz_kernel as the oracle, then for each mutant:
# applies the patch, rebuilds fuzz_kernel, replays the seeds (a seed may
# already kill it), and otherwise fuzzes it from the seeds in-process on one
# core, resuming after a false alarm. A mutant is killed by the first crash
# input that the clean build passes: the kill criterion is differential, so
# a crash the clean code shares (a checker false positive) does not count.
# Prints the time to the kill and the invariant that fired, writes
# reports/mutants-<stamp>.md, and exits 1 when a mutant survived.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)

budget=60
seed=()
seed_check=1
patches=()
while [ $# -gt 0 ]; do
  case "$1" in
    --time) budget="${2:-}"; shift 2 || shift ;;
    --seed) seed=(-seed="${2:-}"); shift 2 || shift ;;
    --fuzz-only) seed_check=0; shift ;;
    -h|--help) sed -n '2,24p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "ci/mutants/run.sh: unknown option '$1'" >&2; exit 2 ;;
    *) patches+=("$(realpath "$1")"); shift ;;
  esac
done
case "$budget" in ''|*[!0-9]*) echo "ci/mutants/run.sh: --time takes whole seconds" >&2; exit 2 ;; esac
[ ${#patches[@]} -gt 0 ] || patches=("$root"/ci/mutants/*.patch)

bash ci/deps.sh
scratch="${KMF_MUTANT_DIR:-/tmp/kmemfuzz-mutants}"
src="$scratch/src"
mkdir -p "$src"

# Sync the work tree into the scratch copy: copy (and touch, so that ninja
# rebuilds) only files whose content differs; a mutant left behind by an
# interrupted run is undone the same way.
sync_tree() {
  git ls-files -z --cached --others --exclude-standard | while IFS= read -r -d '' f; do
    [ -f "$f" ] || continue
    if ! cmp -s "$f" "$src/$f" 2>/dev/null; then
      mkdir -p "$src/$(dirname "$f")"
      cp "$f" "$src/$f"
      touch "$src/$f"
    fi
  done
}
sync_tree

build="$src/build/fuzz"
echo "== building the clean fuzz_kernel in $src (fuzz preset)"
(cd "$src" && cmake --preset fuzz >/dev/null && cmake --build --preset fuzz -j2 --target fuzz_kernel fuzz_seeds)
mkdir -p "$scratch/clean"
cp "$build/fuzz/fuzz_kernel" "$scratch/clean/fuzz_kernel"
oracle="$scratch/clean/fuzz_kernel"
seeds="$build/seeds/fuzz_kernel"
dict="$build/fuzz/fuzz_kernel.dict"

stamp=$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p reports
report="$root/reports/mutants-$stamp.md"
results=()
survived=0

for p in "${patches[@]}"; do
  name=$(basename "$p" .patch)
  echo "== mutant $name"
  if ! (cd "$src" && patch -p1 --dry-run --quiet < "$p" >/dev/null); then
    echo "  the patch does not apply to this tree"
    results+=("$name"$'\t'"does not apply"$'\t'"-"$'\t'"-")
    survived=1
    continue
  fi
  files=$(sed -nE 's|^\+\+\+ b/([^[:space:]]+).*|\1|p' "$p")
  (cd "$src" && patch -p1 --quiet < "$p")
  restore() { for f in $files; do cp "$root/$f" "$src/$f"; touch "$src/$f"; done; }
  if ! (cd "$src" && cmake --build --preset fuzz -j2 --target fuzz_kernel > "$scratch/$name.build.log" 2>&1); then
    echo "  the mutant does not build (see $scratch/$name.build.log)"
    restore
    results+=("$name"$'\t'"does not build"$'\t'"-"$'\t'"-")
    survived=1
    continue
  fi
  work="$scratch/runs/$name"
  rm -rf "$work" && mkdir -p "$work/corpus" "$work/artifacts" "$work/seed-check"
  t0=$(date +%s.%N)
  killed_by="" found_at="" false_alarms=0 how="fuzzing"
  # The seeds first, one by one: a seed that already kills the mutant is
  # reported as such, not as a fuzzing find. --fuzz-only skips this.
  if [ "$seed_check" -eq 1 ]; then
    for s in "$seeds"/*; do
      if ! "$build/fuzz/fuzz_kernel" -runs=0 -artifact_prefix="$work/seed-check/" "$s" > /dev/null 2>&1 &&
        "$oracle" "$s" > /dev/null 2>&1; then
        killed_by="$s" found_at=$(date +%s.%N) how="seed $(basename "$s")"
        break
      fi
    done
  fi
  if [ -n "$killed_by" ]; then
    pid=""
  else
    # In-process fuzzing, one core, stopping at the first crash. (Fork mode
    # would go on past crashes, but each of its jobs starts from a random
    # sqrt(N) of the corpus, so the one input a mutation away from a kill is
    # often not in play: the watermark mutant survived 2 of 4 fork-mode runs
    # that in-process fuzzing killed within 10 s.) A crash the clean build
    # shares is a false alarm: fuzzing resumes from the grown corpus with the
    # next seed until the budget is spent.
    attempt=0
    while [ -z "$killed_by" ]; do
      left=$(awk -v a="$t0" -v n="$(date +%s.%N)" -v b="$budget" 'BEGIN { l = b - (n - a); printf "%d", l }')
      [ "$left" -gt 0 ] || break
      fseed=()
      if [ ${#seed[@]} -gt 0 ]; then fseed=(-seed=$((${seed[0]#-seed=} + attempt))); fi
      rm -rf "$work/artifacts" && mkdir -p "$work/artifacts"
      setsid "$build/fuzz/fuzz_kernel" "$work/corpus" "$seeds" -max_total_time="$left" -max_len=4096 \
        -dict="$dict" -artifact_prefix="$work/artifacts/" "${fseed[@]}" >> "$work/fuzz.log" 2>&1 &
      pid=$!
      wait "$pid" 2>/dev/null || true
      attempt=$((attempt + 1))
      crash=""
      for c in "$work/artifacts"/crash-* "$work/artifacts"/timeout-* "$work/artifacts"/oom-*; do
        [ -e "$c" ] && crash="$c"
      done
      [ -n "$crash" ] || break  # the budget ran out without a crash
      if "$oracle" "$crash" > /dev/null 2>&1; then
        killed_by="$work/kill-$(basename "$crash")"
        found_at=$(stat -c '%.3Y' "$crash")
        cp "$crash" "$killed_by"
      else
        false_alarms=$((false_alarms + 1))
      fi
    done
  fi
  restore
  if [ -n "$killed_by" ]; then
    secs=$(awk -v a="$t0" -v b="$found_at" 'BEGIN { d = b - a; if (d < 0) d = 0; printf "%.1f", d }')
    replay=$("$build/fuzz/fuzz_kernel" "$killed_by" 2>&1 || true)  # exits 77: it crashes
    printf '%s\n' "$replay" > "$scratch/$name.replay.txt"
    inv=$(sed -nE 's/^VIOLATION ([A-Z0-9-]+) at (.*)/\1 at \2/p' <<<"$replay" | head -1)
    [ -n "$inv" ] || inv=$(grep -m1 -E 'ERROR|SUMMARY' <<<"$replay" || echo "a crash")
    cp "$killed_by" "$scratch/$name.crash"
    echo "  killed after ${secs}s ($how) by $inv"
    [ "$false_alarms" -eq 0 ] || echo "  ($false_alarms crash(es) the clean code shares were ignored)"
    results+=("$name"$'\t'"killed ($how)"$'\t'"${secs}s"$'\t'"${inv//|/\\|}")
  else
    echo "  SURVIVED ${budget}s ($false_alarms crash(es) the clean code shares)"
    results+=("$name"$'\t'"survived"$'\t'">${budget}s"$'\t'"-")
    survived=1
  fi
done
# The mutants were undone file by file; rebuild so the scratch build is clean again next time.
(cd "$src" && cmake --build --preset fuzz -j2 --target fuzz_kernel > /dev/null 2>&1) || true

{
  echo "# kmemfuzz mutants $stamp"
  echo
  echo "fuzz_kernel in-process, one core, ${budget}s budget each, from the seeds; a kill is the first crash the clean build passes"
  echo "the clean build passes. Commit \`$(git rev-parse --short HEAD)\`, $(nproc) cores."
  echo
  echo "| mutant | result | time to kill | invariant (op) |"
  echo "|---|---|---:|---|"
  for r in "${results[@]}"; do echo "| ${r//$'\t'/ | } |"; done
} > "$report"
echo
sed -n '/^| mutant/,$p' "$report"
echo
echo "report: ${report#"$root"/}; crash inputs: $scratch/<mutant>.crash"
exit "$survived"
