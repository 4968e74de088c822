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
# prints each instance's figures (from afl-fuzz's fuzzer_stats) and the
# crashes with the command that replays them. Exits 1 when a crash was found.
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

# Per instance, from afl-fuzz's own fuzzer_stats (afl-whatsup counts only
# instances still alive, and these have just stopped).
afl_stat() { sed -nE "s/^$2[[:space:]]*: *(.*)/\1/p" "$1/fuzzer_stats"; }
printf '\n%-8s %9s %9s %8s %9s %8s\n' instance execs exec/s corpus coverage crashes
for dir in "$out"/*/; do
  [ -f "$dir/fuzzer_stats" ] || continue
  printf '%-8s %9s %9s %8s %9s %8s\n' "$(basename "$dir")" "$(afl_stat "$dir" execs_done)" "$(afl_stat "$dir" execs_per_sec)" \
    "$(afl_stat "$dir" corpus_count)" "$(afl_stat "$dir" bitmap_cvg)" "$(afl_stat "$dir" saved_crashes)"
done
mapfile -t crashes < <(find "$out" -path '*/crashes/id:*' -type f | sort)
if [ ${#crashes[@]} -gt 0 ]; then
  replay="build/afl/tools/kmemfuzz replay --target $target"
  [ "$target" = fuzz_script ] && replay="build/afl/fuzz/fuzz_script"
  echo
  echo "CRASHES FOUND: ${#crashes[@]} in corpus/work/afl/$target/*/crashes/. Replay with, e.g.:"
  for c in "${crashes[@]:0:5}"; do echo "  $replay '${c#"$root"/}'"; done
  [ "$target" = fuzz_script ] ||
    echo "and shrink one into a .kmf reproducer: build/afl/tools/kmemfuzz minimize --target $target FILE -o OUT.kmf"
  exit 1
fi
echo "no crashes."
