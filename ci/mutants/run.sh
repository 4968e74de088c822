#!/usr/bin/env bash
# Mutation testing: which of kmemfuzz's oracles kill a planted allocator bug?
#
#   ci/mutants/run.sh [--time SECONDS] [--seed N] [--modes LIST] [--fuzz-only]
#                     [--until-killed] [--ndebug] [--check] [PATCH...]
#
#   --time       budget per mutant and mode, seconds (default 60)
#   --seed       libFuzzer's -seed for a repeatable run (default: libFuzzer picks)
#   --modes      comma-separated, any of (default: seeds,empty,props)
#                  seeds  replay the fuzz_kernel seeds (regressions included),
#                         then fuzz from them
#                  empty  fuzz from an EMPTY corpus: no seed directory at all,
#                         so a kill is fuzzing's own
#                  props  the CI property suite (kernel_props, buddy_props,
#                         kernel_model_props at the CI budget)
#   --fuzz-only  the same as --modes empty
#   --until-killed  skip a mutant's remaining modes once one killed it (the
#                table shows "-" for them): whether every mutant dies, in
#                about a third of the time
#   --ndebug     build the subject (alloc/) with its asserts compiled out
#                (KMF_SUBJECT_NDEBUG): only the checker can kill
#   --check      only check that every patch applies and compiles (both
#                builds), run nothing
#   PATCH        unified diffs against alloc/ (default: every ci/mutants/*.patch)
#
# Each patch is a realistic one-to-four-line allocator bug; its first line
# says what it breaks. The script keeps a scratch copy of the work tree
# ($KMF_MUTANT_DIR, default /tmp/kmemfuzz-mutants; only changed files are
# copied, so rebuilds are incremental) with two builds: the `fuzz` preset for
# fuzz_kernel and the default preset (gcc) for the properties. The clean
# fuzz_kernel is kept as the oracle: a fuzzing kill is the first crash input
# the clean build passes, so a crash the clean code shares (a checker false
# positive) does not count and fuzzing resumes. Writes
# reports/mutants-<stamp>.md (Magma-style: mutant, killed by seed / fuzzing /
# property, time to kill, invariant id; median time to kill; survivors) and
# exits 1 when a mutant survived every mode that ran.
#
# Nightly (one core, 60 s per mode; about 45 mutants x 3 modes, ~2.5 h worst
# case), from ci/fuzz.sh --nightly or cron:
#   ci/mutants/run.sh --time 60 && ci/mutants/run.sh --time 60 --ndebug --modes empty,props
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)

budget=60
seed=()
modes="seeds,empty,props"
ndebug=0
until_killed=0
check_only=0
patches=()
while [ $# -gt 0 ]; do
  case "$1" in
    --time) budget="${2:-}"; shift 2 || shift ;;
    --seed) seed=(-seed="${2:-}"); shift 2 || shift ;;
    --modes) modes="${2:-}"; shift 2 || shift ;;
    --fuzz-only) modes="empty"; shift ;;
    --until-killed) until_killed=1; shift ;;
    --ndebug) ndebug=1; shift ;;
    --check) check_only=1; shift ;;
    -h|--help) sed -n '2,40p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "ci/mutants/run.sh: unknown option '$1'" >&2; exit 2 ;;
    *) [ -f "$1" ] || { echo "ci/mutants/run.sh: no such patch '$1'" >&2; exit 2; }
       patches+=("$(realpath "$1")"); shift ;;
  esac
done
case "$budget" in ''|*[!0-9]*) echo "ci/mutants/run.sh: --time takes whole seconds" >&2; exit 2 ;; esac
want_seeds=0 want_empty=0 want_props=0
IFS=',' read -r -a mode_list <<<"$modes"
for m in "${mode_list[@]}"; do
  case "$m" in
    seeds) want_seeds=1 ;; empty) want_empty=1 ;; props) want_props=1 ;;
    *) echo "ci/mutants/run.sh: unknown mode '$m' (seeds, empty, props)" >&2; exit 2 ;;
  esac
done
[ ${#patches[@]} -gt 0 ] || patches=("$root"/ci/mutants/*.patch)
want_fuzz=$((want_seeds + want_empty))

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
# The code under test is what was synced now (the report is written at the end).
commit="$(git rev-parse --short HEAD)$(git diff --quiet HEAD -- . 2>/dev/null || echo '+uncommitted changes')"

suffix=""; [ "$ndebug" -eq 0 ] || suffix="-ndebug"
nd_flag="-DKMF_SUBJECT_NDEBUG=$([ "$ndebug" -eq 1 ] && echo ON || echo OFF)"
fbuild="$src/build/mutant-fuzz$suffix"
pbuild="$src/build/mutant-props$suffix"
prop_bins=(props/kernel_props props/buddy_props props/kernel_model_props)
build_fuzz() { (cd "$src" && cmake --build "$fbuild" -j2 --target fuzz_kernel "$@"); }
build_props() { (cd "$src" && cmake --build "$pbuild" -j2 --target kernel_props buddy_props kernel_model_props); }
if [ "$want_fuzz" -gt 0 ] || [ "$check_only" -eq 1 ]; then
  echo "== building the clean fuzz_kernel in $fbuild (fuzz preset$suffix)"
  (cd "$src" && cmake --preset fuzz -B "$fbuild" "$nd_flag" >/dev/null)
  build_fuzz fuzz_seeds
  mkdir -p "$scratch/clean$suffix"
  cp "$fbuild/fuzz/fuzz_kernel" "$scratch/clean$suffix/fuzz_kernel"
fi
if [ "$want_props" -eq 1 ] || [ "$check_only" -eq 1 ]; then
  echo "== building the clean property suite in $pbuild (default preset$suffix)"
  (cd "$src" && cmake --preset default -B "$pbuild" -DKMF_WERROR=OFF "$nd_flag" >/dev/null)
  build_props
fi
oracle="$scratch/clean$suffix/fuzz_kernel"
seeds="$fbuild/seeds/fuzz_kernel"
dict="$fbuild/fuzz/fuzz_kernel.dict"
rc_params="max_success=300 max_size=200 seed=20261122"  # the CI budget (props/CMakeLists.txt)

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { d = b - a; if (d < 0) d = 0; printf "%.1f", d }'; }
# The invariant a crash or a failed property names ("B-ACCOUNT at op 3"), or what else stopped it.
invariant_of() {
  local id
  id=$(sed -nE 's/.*VIOLATION ([A-Z0-9-]+) at (op [0-9]+|teardown).*/\1/p' "$1" | head -1)
  [ -n "$id" ] || id=$(grep -m1 -oE 'Assertion .* failed|AddressSanitizer: [a-z-]+|runtime error|RC_ASSERT|Falsifiable' "$1" | head -1 || true)
  echo "${id:-a crash}"
}

# Fuzzes the current mutant from corpus dir $1 (plus seed dir $2 when given)
# until a kill or the budget; sets kill_secs / kill_inv.
fuzz_mode() {
  local work="$1" seeddir="${2:-}" t0 attempt=0 left crash
  rm -rf "$work" && mkdir -p "$work/corpus" "$work/artifacts"
  t0=$(now)
  kill_secs="" kill_inv=""
  while :; do
    left=$(awk -v a="$t0" -v n="$(now)" -v b="$budget" 'BEGIN { printf "%d", b - (n - a) }')
    [ "$left" -gt 0 ] || break
    local fseed=()
    if [ ${#seed[@]} -gt 0 ]; then fseed=(-seed=$((${seed[0]#-seed=} + attempt))); fi
    rm -rf "$work/artifacts" && mkdir -p "$work/artifacts"
    # In-process, one core, stopping at the first crash (fork mode's jobs
    # start from random corpus subsets and miss one-mutation kills).
    # shellcheck disable=SC2086
    setsid "$fbuild/fuzz/fuzz_kernel" "$work/corpus" $seeddir -max_total_time="$left" -max_len=4096 \
      -dict="$dict" -artifact_prefix="$work/artifacts/" "${fseed[@]}" >> "$work/fuzz.log" 2>&1 || true
    attempt=$((attempt + 1))
    crash=""
    for c in "$work/artifacts"/crash-* "$work/artifacts"/timeout-* "$work/artifacts"/oom-*; do
      [ -e "$c" ] && crash="$c"
    done
    [ -n "$crash" ] || break
    if "$oracle" "$crash" > /dev/null 2>&1; then
      kill_secs=$(elapsed "$t0" "$(stat -c '%.3Y' "$crash")")
      "$fbuild/fuzz/fuzz_kernel" "$crash" > "$work/kill.txt" 2>&1 || true
      kill_inv=$(invariant_of "$work/kill.txt")
      cp "$crash" "$work/kill.bin"
      return
    fi
    echo "  (a crash the clean build shares was ignored: $crash)" >> "$work/fuzz.log"
  done
}

stamp=$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p reports
report="$root/reports/mutants-$stamp$suffix.md"
rows=()
kill_times=()
survivors=()
failed=0

loads=()  # the 1-minute load average as each mutant starts (the machine may be shared)
run_start=$(now)
for p in "${patches[@]}"; do
  name=$(basename "$p" .patch)
  loads+=("$(cut -d' ' -f1 /proc/loadavg)")
  echo "== mutant $name (load $(cut -d' ' -f1-3 /proc/loadavg))"
  what=$(sed -n '1s/^# //p' "$p")
  if ! (cd "$src" && patch -p1 --dry-run --quiet < "$p" >/dev/null); then
    echo "  the patch does not apply to this tree"
    rows+=("$name | does not apply | | | | |"); failed=1; continue
  fi
  files=$(sed -nE 's|^\+\+\+ b/([^[:space:]]+).*|\1|p' "$p")
  (cd "$src" && patch -p1 --quiet < "$p")
  restore() { for f in $files; do cp "$root/$f" "$src/$f"; touch "$src/$f"; done; }
  ok=1
  if [ "$want_fuzz" -gt 0 ] || [ "$check_only" -eq 1 ]; then
    build_fuzz > "$scratch/$name.build.log" 2>&1 || ok=0
  fi
  # With --until-killed the property suite is built only when its mode runs.
  if [ "$ok" -eq 1 ] && { [ "$want_props" -eq 1 ] && [ "$until_killed" -eq 0 ] || [ "$check_only" -eq 1 ]; }; then
    build_props >> "$scratch/$name.build.log" 2>&1 || ok=0
  fi
  if [ "$ok" -eq 0 ]; then
    echo "  the mutant does not build (see $scratch/$name.build.log)"
    restore; rows+=("$name | does not build | | | | |"); failed=1; continue
  fi
  if [ "$check_only" -eq 1 ]; then
    echo "  applies and builds"; restore; rows+=("$name | builds | | | | $what |"); continue
  fi
  seed_col="" fuzz_col="" prop_col="" invs="" best=""
  work="$scratch/runs$suffix/$name"
  mkdir -p "$work"
  note_kill() {  # $1 secs, $2 invariant
    if [ -z "$best" ] || awk -v a="$1" -v b="$best" 'BEGIN { exit !(a < b) }'; then best="$1"; fi
    case " $invs " in *" $2 "*) ;; *) invs="${invs:+$invs, }$2" ;; esac
  }
  if [ "$want_seeds" -eq 1 ]; then
    t0=$(now) hit=""
    for s in "$seeds"/*; do
      if ! "$fbuild/fuzz/fuzz_kernel" -runs=0 "$s" > "$work/seed.txt" 2>&1 && "$oracle" "$s" > /dev/null 2>&1; then
        hit="$s"; break
      fi
    done
    if [ -n "$hit" ]; then
      secs=$(elapsed "$t0" "$(now)") inv=$(invariant_of "$work/seed.txt")
      seed_col="killed ${secs}s ($(basename "$hit"))"; note_kill "$secs" "$inv"
    else
      fuzz_mode "$work/from-seeds" "$seeds"
      if [ -n "$kill_secs" ]; then seed_col="killed ${kill_secs}s (fuzzing from seeds)"; note_kill "$kill_secs" "$kill_inv"
      else seed_col="survived ${budget}s"; fi
    fi
    echo "  seeds: $seed_col"
  fi
  if [ "$want_empty" -eq 1 ] && { [ "$until_killed" -eq 0 ] || [ -z "$best" ]; }; then
    fuzz_mode "$work/empty"
    if [ -n "$kill_secs" ]; then fuzz_col="killed ${kill_secs}s"; note_kill "$kill_secs" "$kill_inv"
    else fuzz_col="survived ${budget}s"; fi
    echo "  fuzzing from an empty corpus: $fuzz_col"
  fi
  if [ "$want_props" -eq 1 ] && { [ "$until_killed" -eq 0 ] || [ -z "$best" ]; }; then
    prop_col=""
    if [ "$until_killed" -eq 1 ] && ! build_props >> "$scratch/$name.build.log" 2>&1; then
      prop_col="does not build"
    fi
    t0=$(now)
    for b in "${prop_bins[@]}"; do
      [ -z "$prop_col" ] || break
      left=$(awk -v a="$t0" -v n="$(now)" -v b="$budget" 'BEGIN { printf "%d", b - (n - a) }')
      [ "$left" -gt 0 ] || break
      if ! (cd "$pbuild" && RC_PARAMS="$rc_params" timeout "$left" "./$b" --gtest_fail_fast > "$work/props.txt" 2>&1); then
        secs=$(elapsed "$t0" "$(now)")
        if grep -q '^\[  FAILED  \]' "$work/props.txt"; then
          inv=$(invariant_of "$work/props.txt")
          test=$(sed -nE 's/^\[  FAILED  \] ([A-Za-z0-9_.]+).*/\1/p' "$work/props.txt" | head -1)
          prop_col="killed ${secs}s (${test})"; note_kill "$secs" "$inv"
        elif grep -qE 'Assertion|Aborted|Segmentation' "$work/props.txt"; then
          inv=$(invariant_of "$work/props.txt")
          prop_col="killed ${secs}s ($(basename "$b") aborted)"; note_kill "$secs" "$inv"
        fi
        break
      fi
    done
    [ -n "$prop_col" ] || prop_col="survived ${budget}s"
    [ "$prop_col" != "does not build" ] || failed=1
    echo "  properties: $prop_col"
  fi
  restore
  if [ -n "$best" ]; then
    kill_times+=("$best")
  else
    survivors+=("$name"); failed=1
  fi
  rows+=("$name | ${seed_col:--} | ${fuzz_col:--} | ${prop_col:--} | ${best:+${best}s} | ${invs:--} | $what")
done
# Undo the last mutant in both builds so the scratch builds are clean next time.
if [ "$want_fuzz" -gt 0 ]; then build_fuzz > /dev/null 2>&1 || true; fi
if [ "$want_props" -eq 1 ]; then build_props > /dev/null 2>&1 || true; fi

median="-"
if [ ${#kill_times[@]} -gt 0 ]; then
  median=$(printf '%s\n' "${kill_times[@]}" | sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.1f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }')
fi
{
  echo "# kmemfuzz mutants $stamp$suffix"
  echo
  echo "Modes: $modes$([ "$until_killed" -eq 1 ] && echo " (until killed: a mode after a kill is skipped, \"-\")"), ${budget}s per mutant and mode, one core; subject asserts $([ "$ndebug" -eq 1 ] && echo "compiled out (NDEBUG)" || echo "on")."
  echo "A fuzzing kill is the first crash input the clean build passes. Commit \`$commit\` (as synced at the start),"
  echo "$(nproc) cores ($(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)), load $(cut -d' ' -f1-3 /proc/loadavg) at the end;"
  echo "1-minute load average as each mutant started: $(printf '%s\n' "${loads[@]}" | sort -g | awk '{ v[NR] = $1 } END { printf "min %s, median %s, max %s", v[1], v[int((NR + 1) / 2)], v[NR] }')."
  echo "Wall time $(elapsed "$run_start" "$(now)")s (builds included)."
  echo
  echo "| mutant | seeds | fuzzing (empty corpus) | properties | time to kill | invariant | bug |"
  echo "|---|---|---|---|---:|---|---|"
  for r in "${rows[@]}"; do echo "| $r |"; done
  echo
  echo "Killed: ${#kill_times[@]} of ${#patches[@]}; median time to kill (fastest mode): ${median}s."
  echo "Survivors: ${survivors[*]:-none}."
} > "$report"
echo
sed -n '/^| mutant/,$p' "$report"
echo
echo "report: ${report#"$root"/}; kill inputs: $scratch/runs$suffix/<mutant>/*/kill.bin"
exit "$failed"
