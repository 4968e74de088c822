#!/usr/bin/env bash
# crash_test.sh CASE BIN_DIR WORK_DIR [PROPS_BIN] — crash-safe reproducers
# (ctest front.crash.*). Each case runs a planted-bug allocator
# (planted.h) through a front end and checks what it leaves behind: exit
# status 1, the failure named, a minimized .kmfa reproducer that ends with
# the failing op, the raw input saved, and the reproducer replaying to the
# same failure in a fresh process.
set -u
case_=$1 bin=$2 work=$3 props=${4:-}
rm -rf "$work" && mkdir -p "$work"
fails=0
log() { printf '%s\n' "$*"; }
bad() { log "FAIL: $*"; fails=$((fails + 1)); }

# run NAME CMD... : stdout+stderr to $work/NAME.out, status in $rc
run() {
  local name=$1
  shift
  "$@" >"$work/$name.out" 2>&1
  rc=$?
  log "--- $name (exit $rc): $*"
  grep -E '==kmemfuzz== (.* found by input|minimized|campaign done|saved)|Executed' "$work/$name.out" | sed 's/^/    /'
}
expect_rc() { [ "$rc" = "$1" ] || bad "$2: exit $rc, expected $1"; }
expect_out() { grep -Eq -- "$2" "$work/$1.out" || bad "$1: output lacks /$2/"; }

# the reproducer's ops (lines that are not comments and not arena_init)
ops_of() { grep -Ev '^(#|arena_init|$)' "$1"; }

# check_campaign BIN KIND REGEX: a campaign that finds it, then replays
check_campaign() {
  local exe=$1 kind=$2 regex=$3 extra=${4:-}
  run "$kind.campaign" "$bin/$exe" -runs=20000 -seed=1 -artifact_prefix="$work/$kind-" $extra
  expect_rc 1 "$kind.campaign"
  expect_out "$kind.campaign" "$regex"
  expect_out "$kind.campaign" "fails the same way in a fresh process"
  local kmfa
  kmfa=$(ls "$work/$kind-"*.kmfa 2>/dev/null | head -1)
  if [ -z "$kmfa" ]; then
    bad "$kind: no .kmfa reproducer saved"
    return
  fi
  [ -f "${kmfa%.kmfa}" ] || bad "$kind: the raw input ${kmfa%.kmfa} was not saved"
  log "    reproducer $kmfa:" && sed 's/^/      /' "$kmfa"
  ops_of "$kmfa" | tail -1 | grep -Eq '^free ' || bad "$kind: the reproducer does not end with the crashing free"
  [ "$(ops_of "$kmfa" | wc -l)" -le 5 ] || bad "$kind: the reproducer is not minimal (4 allocs/reallocs and a free suffice)"
  run "$kind.replay" "$bin/$exe" "$kmfa" -artifact_prefix="$work/$kind-replay-" $extra
  expect_rc 1 "$kind.replay"
  expect_out "$kind.replay" "$regex"
  expect_out "$kind.replay" "fails the same way in a fresh process"
  ls "$work/$kind-replay-"*.kmfa >/dev/null 2>&1 || bad "$kind: replay saved no reproducer"
  run "$kind.replay_raw" "$bin/$exe" "${kmfa%.kmfa}" -artifact_prefix="$work/$kind-raw-" $extra
  expect_rc 1 "$kind.replay_raw"
  expect_out "$kind.replay_raw" "$regex"
}

case $case_ in
  abort) check_campaign fuzz_planted_abort abort 'CRASH SIGABRT in op [0-9]+ \(`free' ;;
  segv) check_campaign fuzz_planted_segv segv 'CRASH (SIGSEGV|exit 1) in op [0-9]+ \(`free' ;;
  hang) check_campaign fuzz_planted_hang hang 'HANG in op [0-9]+ \(`free' -timeout=0.5 ;;
  sanitizers)
    if [ ! -x "$bin/fuzz_planted_asan" ]; then
      log "no ASan/UBSan build of the planted allocator here (KMF_SANITIZE set or no sanitizer runtime)"
      exit 0
    fi
    check_campaign fuzz_planted_asan asan 'CRASH exit 1 in op [0-9]+ \(`free'
    expect_out asan.campaign 'AddressSanitizer: heap-buffer-overflow'
    check_campaign fuzz_planted_ubsan ubsan 'CRASH exit 1 in op [0-9]+ \(`free'
    expect_out ubsan.campaign 'runtime error: shift exponent 64'
    # the allocator reads past its arena: kmemfuzz (built without ASan) poisons
    # what lies outside the arena through the runtime the target brought
    check_campaign fuzz_planted_arena_oob arena_oob 'CRASH exit 1 in op [0-9]+ \(`free'
    expect_out arena_oob.campaign 'AddressSanitizer: use-after-poison'
    ;;
  props)
    if [ -z "$props" ]; then
      log "no property test built here (KMF_PROPS=OFF)"
      exit 0
    fi
    export RC_PARAMS="seed=7"
    for b in abort segv hang; do
      KMF_TIMEOUT=0.5 KMF_ARTIFACT_PREFIX="$work/" run "props.$b" "$props" --gtest_filter="Planted.$b"
      [ "$rc" != 0 ] || bad "props.$b passed"
      kind=crash && [ $b = hang ] && kind=timeout
      kmfa="$work/Planted.$b-$kind.kmfa"
      [ -f "$kmfa" ] || { bad "props.$b: no $kmfa"; continue; }
      [ -f "$work/Planted.$b-$kind.input.kmfa" ] || bad "props.$b: the generated program was not saved"
      log "    reproducer $kmfa:" && sed 's/^/      /' "$kmfa"
      # the free that fails is the last op, or one of the teardown's frees
      ops_of "$kmfa" | tail -1 | grep -Eq '^free ' || grep -q '^# kmemfuzz reproducer: .* in teardown' "$kmfa" ||
        bad "props.$b: the reproducer does not end with the failing free"
      # a generated program may reach the state through a chain of reallocs
      # (b1 = realloc b0, b2 = realloc b1 …) that dropping ops cannot shorten:
      # small, and 1-minimal (the replay's minimizer removes nothing more)
      [ "$(ops_of "$kmfa" | wc -l)" -le 8 ] || bad "props.$b: the reproducer is not minimal"
      run "props.$b.replay" "$bin/fuzz_planted_$b" "$kmfa" -timeout=0.5 -artifact_prefix="$work/props-$b-"
      expect_rc 1 "props.$b.replay"
      expect_out "props.$b.replay" "fails the same way in a fresh process"
      expect_out "props.$b.replay" "minimized ([0-9]+) -> \\1 ops"
    done
    expect_out props.abort 'CRASH SIGABRT found by case [0-9]+ of Planted.abort'
    expect_out props.abort 'CRASH SIGABRT in (op|the teardown)'
    expect_out props.segv 'CRASH (SIGSEGV|exit 1) in (op|the teardown)'
    expect_out props.hang 'HANG in (op|the teardown)'
    run props.fixed "$props" --gtest_filter=Planted.fixed
    expect_rc 0 props.fixed
    ;;
  verbs)
    run v.campaign "$bin/fuzz_planted_abort" -runs=20000 -artifact_prefix="$work/v-"
    raw=$(ls "$work"/v-crash-1-* | grep -v kmfa | head -1)
    run v.to_text "$bin/fuzz_planted_abort" -to_text=1 "$raw" -out="$work/raw.kmfa"
    expect_rc 0 v.to_text
    grep -q '^b0 = alloc' "$work/raw.kmfa" || bad "to_text wrote no program"
    run v.to_bytes "$bin/fuzz_planted_abort" -to_bytes=1 "$work/raw.kmfa" -out="$work/raw.bin"
    expect_rc 0 v.to_bytes
    "$bin/fuzz_planted_abort" -to_text=1 "$work/raw.bin" >"$work/back.kmfa" 2>/dev/null
    cmp -s "$work/raw.kmfa" "$work/back.kmfa" || bad "bytes -> text -> bytes -> text is not the same program"
    run v.minimize "$bin/fuzz_planted_abort" -minimize=1 "$raw" -out="$work/min.kmfa"
    expect_rc 0 v.minimize
    [ "$(ops_of "$work/min.kmfa" | wc -l)" -le 5 ] || bad "-minimize=1 did not minimize"
    run v.minimize_clean "$bin/fuzz_planted_none" -minimize=1 "$work/min.kmfa" -out="$work/none.kmfa"
    expect_rc 1 v.minimize_clean
    expect_out v.minimize_clean 'nothing to minimize'
    # -trace=1 streams: the ops before the crash are printed before the abort message
    run v.trace "$bin/fuzz_planted_abort" -trace=1 "$work/min.kmfa" -artifact_prefix="$work/t-"
    line_op=$(grep -n '^  3: b3 = ' "$work/v.trace.out" | head -1 | cut -d: -f1)
    line_abort=$(grep -n '^planted: free: assertion' "$work/v.trace.out" | head -1 | cut -d: -f1)
    [ -n "$line_op" ] && [ -n "$line_abort" ] && [ "$line_op" -lt "$line_abort" ] ||
      bad "-trace=1 did not print the ops before the crash ($line_op, $line_abort)"
    run v.help "$bin/fuzz_planted_none" -help=1
    expect_rc 0 v.help
    for f in -max_total_time -timeout -suppressions -to_text -to_bytes -minimize -trace; do expect_out v.help "$f="; done
    run v.time "$bin/fuzz_planted_none" -max_total_time=3 -progress=1
    expect_rc 0 v.time
    expect_out v.time 'progress: [0-9]+ inputs, [0-9]+ inputs/s, [0-9]+ s elapsed'
    expect_out v.time 'campaign done'
    # a signal to the supervisor alone is passed on; an interrupted runner is not a crash
    (cd "$work" && run v.interrupt timeout -s INT 1 "$bin/fuzz_planted_none" -max_total_time=30)
    expect_out v.interrupt 'interrupted after [0-9]+ s'
    ls "$work"/crash-* >/dev/null 2>&1 && bad "an interrupted campaign wrote a reproducer"
    run v.badflag "$bin/fuzz_planted_none" -runs=abc
    expect_rc 2 v.badflag
    run v.nofile "$bin/fuzz_planted_none" "$work/does-not-exist"
    expect_rc 2 v.nofile
    ;;
  suppressions)
    run s.first "$bin/fuzz_planted_two" -runs=20000 -artifact_prefix="$work/s1-"
    expect_rc 1 s.first
    expect_out s.first 'VIOLATION USABLE-SIZE'
    printf '# the known short usable size\nUSABLE-SIZE *\n' >"$work/known.supp"
    run s.second "$bin/fuzz_planted_two" -runs=20000 -artifact_prefix="$work/s2-" -suppressions="$work/known.supp"
    expect_rc 1 s.second
    expect_out s.second 'set aside \(suppressed by `USABLE-SIZE \*`\)'
    expect_out s.second 'VIOLATION NO-SPURIOUS-FAILURE'
    # seed 2: the crash comes first; set aside, the runner resumes at the next input
    run s.crash_first "$bin/fuzz_planted_abort_merge" -runs=20000 -seed=2 -artifact_prefix="$work/s3-"
    expect_rc 1 s.crash_first
    expect_out s.crash_first 'CRASH SIGABRT found by input'
    printf 'CRASH free *\nCRASH teardown\n' >"$work/crash.supp"
    KMF_SUPPRESSIONS="$work/crash.supp" run s.crash "$bin/fuzz_planted_abort_merge" -runs=20000 -seed=2 \
      -artifact_prefix="$work/s4-"
    expect_rc 1 s.crash
    expect_out s.crash 'set aside \(suppressed by `CRASH free \*`\): CRASH SIGABRT'
    expect_out s.crash 'VIOLATION NO-SPURIOUS-FAILURE'
    run s.fixed "$bin/fuzz_planted_none" -runs=3000 -suppressions="$work/known.supp"
    expect_rc 0 s.fixed
    printf 'NO-SUCH-ID *\n' >"$work/bad.supp"
    run s.bad "$bin/fuzz_planted_none" -suppressions="$work/bad.supp"
    expect_rc 2 s.bad
    expect_out s.bad 'bad.supp:1: unknown id `NO-SUCH-ID`'
    if [ -n "$props" ]; then
      RC_PARAMS="seed=7" KMF_SUPPRESSIONS="$work/known.supp" run s.props "$props" --gtest_filter=Planted.two
      [ "$rc" != 0 ] || bad "s.props passed"
      expect_out s.props 'VIOLATION NO-SPURIOUS-FAILURE'
    fi
    ;;
  libfuzzer)
    # KMF_CLANGXX, KMF_SOURCE_DIR, KMF_LIBS (;-list of this build's static libraries)
    IFS=';' read -r -a libs <<<"$KMF_LIBS"
    for b in abort hang none two; do
      if ! "$KMF_CLANGXX" -std=c++20 -O1 -g -fsanitize=fuzzer -I"$KMF_SOURCE_DIR" -DPLANTED_BUG=$b \
        "$KMF_SOURCE_DIR/front/tests/fuzz_planted.cpp" "${libs[@]}" -o "$work/lf_$b" 2>"$work/lf_$b.build"; then
        log "clang++ cannot build a libFuzzer target here:" && cat "$work/lf_$b.build"
        exit 0
      fi
    done
    mkdir -p "$work/a" "$work/h"
    # the supervisor ends as the runner did: libFuzzer's -error_exitcode 77, -timeout_exitcode 70
    run lf.abort "$work/lf_abort" -runs=200000 -seed=1 -artifact_prefix="$work/a/"
    expect_rc 77 lf.abort
    expect_out lf.abort 'Test unit written to'  # libFuzzer's own crash file
    expect_out lf.abort 'CRASH SIGABRT found by input'
    expect_out lf.abort 'fails the same way in a fresh process'
    kmfa=$(ls "$work"/a/crash-*.kmfa 2>/dev/null | head -1)
    [ -n "$kmfa" ] || bad "lf.abort: no .kmfa saved"
    lfcrash=$(ls "$work"/a/crash-* | grep -v '\.kmfa$' | head -1)
    run lf.replay "$work/lf_abort" "$lfcrash" -artifact_prefix="$work/a/replay-"
    expect_rc 77 lf.replay
    expect_out lf.replay 'CRASH SIGABRT found by input'
    run lf.to_text "$work/lf_abort" -to_text=1 "$lfcrash"
    expect_rc 0 lf.to_text
    expect_out lf.to_text '^b0 = alloc'
    run lf.minimize "$work/lf_abort" -minimize=1 "$lfcrash" -out="$work/a/min.kmfa"
    expect_rc 0 lf.minimize
    [ -f "$work/a/min.kmfa" ] || bad "lf.minimize wrote nothing"
    run lf.hang "$work/lf_hang" -runs=200000 -seed=1 -timeout=1 -artifact_prefix="$work/h/"
    expect_rc 70 lf.hang
    expect_out lf.hang 'HANG found by input'
    ls "$work"/h/timeout-*.kmfa >/dev/null 2>&1 || bad "lf.hang: no timeout-*.kmfa saved"
    printf 'USABLE-SIZE\n' >"$work/known.supp"
    mkdir -p "$work/s"
    KMF_SUPPRESSIONS="$work/known.supp" run lf.suppressed "$work/lf_two" -runs=300000 -seed=1 -artifact_prefix="$work/s/"
    expect_rc 77 lf.suppressed
    expect_out lf.suppressed 'set aside \(suppressed by `USABLE-SIZE \*`\)'
    expect_out lf.suppressed 'VIOLATION NO-SPURIOUS-FAILURE found by input'
    ls "$work"/s/crash-*.kmfa >/dev/null 2>&1 || bad "lf.suppressed: no .kmfa saved"
    mkdir -p "$work/u"
    KMF_SUPERVISE=0 run lf.unsupervised "$work/lf_abort" -runs=200000 -seed=1 -artifact_prefix="$work/u/"
    expect_rc 77 lf.unsupervised
    ls "$work"/u/*.kmfa >/dev/null 2>&1 && bad "KMF_SUPERVISE=0 still wrote a .kmfa"
    run lf.fixed "$work/lf_none" -runs=20000 -seed=1
    expect_rc 0 lf.fixed
    ;;
  fixed)
    for b in none; do
      run "fixed.$b" "$bin/fuzz_planted_$b" -runs=5000 -seed=1 -timeout=10
      expect_rc 0 "fixed.$b"
    done
    ;;
  *) bad "unknown case $case_" ;;
esac
[ $fails = 0 ] && log "PASS $case_" || log "FAILED $case_: $fails check(s)"
[ $fails = 0 ]
