#!/bin/bash -eu
# OSS-Fuzz style build of kmemfuzz's fuzz targets.
#
# Honours the variables OSS-Fuzz's and ClusterFuzzLite's base-builder set:
#   CC CXX CFLAGS CXXFLAGS   compilers and flags (sanitizers and -fsanitize=fuzzer-no-link
#                            come in these; nothing is added)
#   LIB_FUZZING_ENGINE       link flags or library that supply main() (-fsanitize=fuzzer, libAFLDriver.a, …)
#   OUT                      where the fuzzers go
#   WORK                     scratch space (default: a temporary directory); builds are incremental in it
#   KMF_JOBS                 parallel compile jobs (default: nproc)
#   CMAKE_PREFIX_PATH        where CMake finds Boost and CLI11 when they are not system packages
#
# Writes into $OUT, for each of fuzz_buddy fuzz_slab fuzz_vmalloc fuzz_kernel fuzz_script:
#   <target>  <target>.dict  <target>.options  <target>_seed_corpus.zip
# The seed corpora are the .kmf seeds of corpus/seeds/<target>/ encoded as that
# target's binary inputs (fuzz_script takes the scripts themselves, and every
# regression script too).
src=$(cd "$(dirname "$0")/../.." && pwd)
: "${OUT:?OUT must name the output directory}"
: "${CXX:?CXX must name the C++ compiler}"
: "${LIB_FUZZING_ENGINE:?LIB_FUZZING_ENGINE must be set (e.g. -fsanitize=fuzzer)}"
CFLAGS="${CFLAGS:-}"
CXXFLAGS="${CXXFLAGS:-}"
CC="${CC:-cc}"
made_work=""
if [ -z "${WORK:-}" ]; then
  WORK=$(mktemp -d)
  made_work=$WORK
fi
jobs="${KMF_JOBS:-$(nproc)}"
build="$WORK/kmemfuzz-build"
targets="fuzz_buddy fuzz_slab fuzz_vmalloc fuzz_kernel fuzz_script"

generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
# The flags come from the environment only: no build type (it would add -O
# and -g of its own), no kmemfuzz sanitizer or instrumentation options, no
# -Werror (a newer compiler's new warning must not break the fuzzing build).
cmake -S "$src" -B "$build" "${generator[@]}" \
  -DCMAKE_BUILD_TYPE= \
  -DCMAKE_C_COMPILER="$CC" -DCMAKE_CXX_COMPILER="$CXX" \
  -DCMAKE_C_FLAGS="$CFLAGS" -DCMAKE_CXX_FLAGS="$CXXFLAGS" \
  -DKMF_LIBFUZZER=ON -DKMF_FUZZ_INSTRUMENT=OFF -DKMF_FUZZING_ENGINE="$LIB_FUZZING_ENGINE" \
  -DKMF_SANITIZE= -DKMF_WERROR=OFF -DKMF_TESTS=OFF -DKMF_PROPS=OFF -DKMF_TOOLS=ON
cmake --build "$build" -j "$jobs" --target fuzz_targets fuzz_seeds

mkdir -p "$OUT"
for t in $targets; do
  cp "$build/fuzz/$t" "$OUT/$t"
  cp "$src/fuzz/$t.dict" "$OUT/$t.dict"
  cp "$src/fuzz/$t.options" "$OUT/$t.options"
  rm -f "$OUT/${t}_seed_corpus.zip"
  (cd "$build/seeds/$t" && zip -q -j "$OUT/${t}_seed_corpus.zip" ./*)
done
[ -z "$made_work" ] || rm -rf "$made_work"
echo "oss-fuzz build: $(echo $targets | wc -w) targets with dictionaries, options and seed corpora in $OUT"
