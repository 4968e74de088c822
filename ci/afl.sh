#!/usr/bin/env bash
# AFL++ on kmemfuzz's harnesses: the same LLVMFuzzerTestOneInput, compiled by
# afl-clang-fast++ and linked with AFL++'s libFuzzer driver (-fsanitize=fuzzer),
# with ASan + UBSan (the `afl` preset).
#
#   ci/afl.sh [--time SECONDS] [--target fuzz_kernel] [--secondaries N] [--no-build]
#
#   --time         how long to fuzz (default 60)
#   --target       fuzz_buddy | fuzz_slab | fuzz_vmalloc | fuzz_kernel | fuzz_script (default fuzz_kernel)
#   --secondaries  secondary instances (-S) beside the main one (-M); default nproc - 1
#
# Installs afl++ (the Debian package) when it is missing, builds the preset,
# runs one main and N secondary instances on the target's seeds with its
# dictionary, into corpus/work/afl/<target>/ (kept: a second run resumes),
# prints afl-whatsup's summary and every crash with the command that replays
# it. Exits 1 when a crash was found.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

budget=60
target=fuzz_kernel
secondaries=$(( $(nproc) - 1 ))
build_it=1
while [ $# -gt 0 ]; do
  case "$1" in
    --time) budget="${2:-}"; shift 2 || shift ;;
    --target) target="${2:-}"; shift 2 || shift ;;
    --secondaries) secondaries="${2:-}"; shift 2 || shift ;;
    --no-build) build_it=0; shift ;;
    -h|--help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "ci/afl.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
case "$budget$secondaries" in ''|*[!0-9]*) echo "ci/afl.sh: --time and --secondaries take whole numbers" >&2; exit 2 ;; esac
case "$target" in fuzz_buddy|fuzz_slab|fuzz_vmalloc|fuzz_kernel|fuzz_script) ;;
  *) echo "ci/afl.sh: unknown target '$target'" >&2; exit 2 ;; esac

if [ "$build_it" -eq 1 ]; then
  bash ci/deps.sh
  if ! command -v afl-fuzz >/dev/null || ! command -v afl-clang-fast++ >/dev/null; then
    echo "afl: installing afl++"
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo=sudo
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends afl++ ||
      { DEBIAN_FRONTEND=noninteractive $sudo apt-get update -qq &&
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends afl++; }
  fi
  echo "== building the afl preset (afl-clang-fast++, ASan+UBSan)"
  cmake --preset afl >/dev/null
  cmake --build --preset afl -j2 --target "$target" fuzz_seeds kmemfuzz
fi
build="$root/build/afl"
out="$root/corpus/work/afl/$target"
mkdir -p "$out"
input="$build/seeds/$target"
# An existing output directory resumes where the last run stopped.
[ -d "$out/main/queue" ] && input=-

# ASan needs no memory limit and must abort (not exit) on a finding; the
# machine's CPU governor and core_pattern are not ours to change.
export AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_UI=1
export ASAN_OPTIONS="abort_on_error=1:symbolize=0:detect_leaks=0:allocator_may_return_null=1"
common=(-o "$out" -m none -t 2000+ -V "$budget" -x "$build/fuzz/$target.dict")
pids=()
echo "== $target: main + $secondaries secondary instance(s) for ${budget}s -> corpus/work/afl/$target"
afl-fuzz -i "$input" -M main "${common[@]}" -- "$build/fuzz/$target" > "$out/main.log" 2>&1 &
pids+=($!)
for i in $(seq 1 "$secondaries"); do
  afl-fuzz -i "$input" -S "sec$i" "${common[@]}" -- "$build/fuzz/$target" > "$out/sec$i.log" 2>&1 &
  pids+=($!)
done
status=0
for p in "${pids[@]}"; do wait "$p" || status=1; done
if [ "$status" -ne 0 ]; then
  echo "ci/afl.sh: an afl-fuzz instance failed; its log:" >&2
  tail -20 "$out"/*.log >&2
  exit 2
fi

afl-whatsup -s "$out" || true
crashes=$(find "$out" -path '*/crashes/id:*' -type f | sort)
if [ -n "$crashes" ]; then
  echo
  echo "CRASHES FOUND. Replay with:"
  for c in $crashes; do
    if [ "$target" = fuzz_script ]; then
      echo "  build/afl/fuzz/fuzz_script '${c#"$root"/}'"
    else
      echo "  build/afl/tools/kmemfuzz replay --target $target '${c#"$root"/}'"
    fi
  done
  exit 1
fi
echo "no crashes."
