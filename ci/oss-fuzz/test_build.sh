#!/usr/bin/env bash
# ctest `oss-fuzz-build` (label fuzz-build): runs ci/oss-fuzz/build.sh as
# OSS-Fuzz's base-builder would for an ASan libFuzzer build — clang,
# -fsanitize=fuzzer-no-link,address in the flags, LIB_FUZZING_ENGINE=-fsanitize=fuzzer —
# into a fresh $OUT, then checks $OUT: every target is there, is a libFuzzer
# binary, runs its own seed corpus clean, and has its .dict, .options and a
# non-empty seed corpus zip.
#
#   ci/oss-fuzz/test_build.sh [WORK]   WORK keeps the clang build between runs (incremental)
#
# Exit 77 (ctest: skipped) only when clang is not installed.
set -euo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
if ! command -v clang >/dev/null || ! command -v clang++ >/dev/null; then
  echo "SKIP: clang is not installed (ci/deps.sh installs it)"
  exit 77
fi
for tool in zip unzip; do
  command -v "$tool" >/dev/null || { echo "FAIL: $tool is missing (ci/deps.sh installs it)"; exit 1; }
done

export CC=clang CXX=clang++
# -Werror here (not in build.sh, which must build with a newer compiler too):
# the clang build is the only one that sees clang-only warnings such as
# -Wdangling-gsl, and ci/fuzz.sh builds with clang and warnings as errors.
flags="-O1 -fno-omit-frame-pointer -gline-tables-only -fsanitize=address -fsanitize-address-use-after-scope -fsanitize=fuzzer-no-link -Werror"
export CFLAGS="$flags" CXXFLAGS="$flags"
export LIB_FUZZING_ENGINE="-fsanitize=fuzzer"
export WORK="${1:-$(mktemp -d)}"
export KMF_JOBS="${KMF_JOBS:-2}"
mkdir -p "$WORK"
OUT=$(mktemp -d)
export OUT
scratch=$(mktemp -d)
trap 'rm -rf "$OUT" "$scratch"' EXIT

bash "$src/ci/oss-fuzz/build.sh"

failed=0
fail() { echo "FAIL: $*"; failed=1; }
for t in fuzz_buddy fuzz_slab fuzz_vmalloc fuzz_kernel fuzz_script; do
  [ -x "$OUT/$t" ] || { fail "$OUT/$t is missing or not executable"; continue; }
  [ -s "$OUT/$t.dict" ] || fail "$t.dict is missing"
  grep -q '^\[libfuzzer\]' "$OUT/$t.options" 2>/dev/null || fail "$t.options is missing or has no [libfuzzer] section"
  zip="$OUT/${t}_seed_corpus.zip"
  n=$(unzip -Z1 "$zip" 2>/dev/null | wc -l || true)
  [ "$n" -gt 0 ] || { fail "${t}_seed_corpus.zip is missing or empty"; continue; }
  # A libFuzzer binary (not the standalone replay driver), and it runs its
  # seeds without a crash, with the options' dictionary.
  mkdir -p "$scratch/$t"
  unzip -q -o "$zip" -d "$scratch/$t"
  if ! (cd "$OUT" && "./$t" -runs=0 -dict="$t.dict" "$scratch/$t") > "$scratch/$t.log" 2>&1; then
    fail "$t does not run its seed corpus clean:"; tail -20 "$scratch/$t.log"
  elif ! grep -q 'INFO: Seed:' "$scratch/$t.log"; then
    fail "$t is not a libFuzzer binary"
  else
    echo "ok: $t ($n seeds, $(stat -c %s "$OUT/$t") bytes)"
  fi
done
[ "$failed" -eq 0 ] || exit 1
echo "oss-fuzz build checked: 5 targets in \$OUT"
