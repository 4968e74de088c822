#!/usr/bin/env bash
# Source coverage of the subject: what a fuzz corpus reaches in alloc/, or
# in a user's allocator behind a generic adapter.
#
#   ci/coverage.sh [--targets "fuzz_kernel fuzz_buddy"] [--corpus DIR] [--no-build]
#   ci/coverage.sh --adapter NAME|BINARY [--subject PATH,...] [--time S] [--seed N]
#                  [--corpus DIR] [--no-build]
#   ci/fuzz.sh --coverage [same options]
#
#   --targets   which program targets replay their inputs (default: the four
#               program targets and fuzz_script)
#   --corpus    replay DIR/<target>/ instead of corpus/work/<target>/ (with
#               --adapter: every file in DIR)
#   --no-build  use build/coverage as it is
#   --adapter   a user's generic fuzz target instead: fuzz_first_fit or
#               fuzz_segfit (the examples, built in tree in the coverage
#               preset; their subject is examples/<name>/), or the path of
#               a target built with the standalone driver and source coverage
#               (kmemfuzz_add_fuzzer with -DKMEMFUZZ_COVERAGE=ON, clang)
#   --subject   with --adapter: the allocator's source files or directories
#               (comma-separated) the table covers; default for the examples
#               their folder, required for a binary
#   --time      with --adapter: also run a seeded campaign of S seconds
#               (default 30; 0: only replay --corpus)
#   --seed      with --adapter: the campaign's seed (default 1)
#
# Builds the `coverage` preset (clang, -fprofile-instr-generate
# -fcoverage-mapping, the standalone replay driver instead of libFuzzer),
# replays every target's working corpus (corpus/work/<target>/, what ci/fuzz.sh
# keeps) and the build's seeds (regressions included) one input per process
# (a crashing input loses only its own profile), merges the profiles with
# llvm-profdata and writes reports/coverage-<stamp>/:
#   html/index.html   llvm-cov's line-by-line report of the sources
#   report.md         a per-file table of line, branch and function coverage
#                     of alloc/ and the functions of alloc/ never entered
#   uncovered.txt     the never-entered functions alone, demangled
# Uses Debian's llvm-14 tools (llvm-profdata-14, llvm-cov-14; plain names as
# a fallback). Exits 0, 2 on bad arguments, 1 when the build or a tool fails.
set -euo pipefail
caller=$(pwd)
cd "$(dirname "$0")/.."
root=$(pwd)
# Paths given on the command line are relative to where it was run.
from_caller() { case "$1" in /*) echo "$1" ;; *) echo "$caller/$1" ;; esac; }

targets="fuzz_kernel fuzz_buddy fuzz_slab fuzz_vmalloc fuzz_script"
corpus_root="$root/corpus/work"
corpus_given=0
build_it=1
adapter=""
subject=""
camp_time=30
camp_seed=1
while [ $# -gt 0 ]; do
  case "$1" in
    --targets) targets="${2:-}"; shift 2 || shift ;;
    --corpus) [ -n "${2:-}" ] && [ -d "$(from_caller "$2")" ] ||
                { echo "ci/coverage.sh: --corpus needs a directory" >&2; exit 2; }
              corpus_root="$(realpath "$(from_caller "$2")")"; corpus_given=1; shift 2 ;;
    --no-build) build_it=0; shift ;;
    --adapter) adapter="${2:-}"; shift 2 || shift ;;
    --subject) subject="${2:-}"; shift 2 || shift ;;
    --time) camp_time="${2:-}"; shift 2 || shift ;;
    --seed) camp_seed="${2:-}"; shift 2 || shift ;;
    --coverage) shift ;;  # when called through ci/fuzz.sh --coverage
    -h|--help) sed -n '2,41p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "ci/coverage.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
case "$camp_time" in ''|*[!0-9]*) echo "ci/coverage.sh: --time takes whole seconds" >&2; exit 2 ;; esac
case "$camp_seed" in ''|*[!0-9]*) echo "ci/coverage.sh: --seed takes a number" >&2; exit 2 ;; esac
if [ -z "$adapter" ] && [ -n "$subject" ]; then
  echo "ci/coverage.sh: --subject goes with --adapter" >&2; exit 2
fi
if [ -n "$adapter" ]; then
  # The examples by name: built in tree (front/CMakeLists.txt) as <name>_intree.
  case "$adapter" in
    fuzz_first_fit|fuzz_segfit)
      adapter_target="${adapter}_intree"
      [ -n "$subject" ] || subject="$root/examples/${adapter#fuzz_}" ;;
    */*) adapter="$(from_caller "$adapter")"
         [ -x "$adapter" ] || { echo "ci/coverage.sh: '$adapter' is not an executable" >&2; exit 2; }
         adapter="$(realpath "$adapter")"; adapter_target=""; build_it=0
         [ -n "$subject" ] || { echo "ci/coverage.sh: --adapter BINARY needs --subject" >&2; exit 2; } ;;
    *) echo "ci/coverage.sh: unknown adapter '$adapter' (fuzz_first_fit, fuzz_segfit or a path)" >&2; exit 2 ;;
  esac
  subjects=()
  IFS=',' read -r -a subject_list <<<"$subject"
  for s in "${subject_list[@]}"; do
    s=$(from_caller "$s")
    [ -e "$s" ] || { echo "ci/coverage.sh: no such subject '$s'" >&2; exit 2; }
    subjects+=("$(realpath "$s")")
  done
  [ "$camp_time" -gt 0 ] || [ "$corpus_given" -eq 1 ] ||
    { echo "ci/coverage.sh: --time 0 needs --corpus (nothing would run)" >&2; exit 2; }
  targets=""
else
  subjects=("$root/alloc")
fi
for t in $targets; do
  case "$t" in
    fuzz_buddy|fuzz_slab|fuzz_vmalloc|fuzz_kernel|fuzz_script) ;;
    *) echo "ci/coverage.sh: unknown target '$t'" >&2; exit 2 ;;
  esac
done
tool() {
  if command -v "$1-14" > /dev/null; then echo "$1-14"; elif command -v "$1" > /dev/null; then echo "$1"; else
    echo "ci/coverage.sh: $1 (llvm-14) is not installed; run ci/deps.sh" >&2; exit 1
  fi
}
profdata=$(tool llvm-profdata)
cov=$(tool llvm-cov)

build="$root/build/coverage"
if [ "$build_it" -eq 1 ]; then
  echo "== building the coverage preset (clang, source coverage)"
  cmake --preset coverage >/dev/null
  if [ -n "$adapter" ]; then
    cmake --build "$build" -j2 --target "$adapter_target"
  else
    # shellcheck disable=SC2086
    cmake --build "$build" -j2 --target $targets fuzz_seeds
  fi
fi

stamp=$(date -u +%Y%m%dT%H%M%SZ)
report="$root/reports/coverage-$stamp"
prof="$report/profiles"
mkdir -p "$prof"
objects=()
if [ -n "$adapter" ]; then
  bin="$adapter"
  [ -z "$adapter_target" ] || bin="$build/front/$adapter_target"
  [ -x "$bin" ] || { echo "ci/coverage.sh: $bin is missing (build without --no-build)" >&2; exit 1; }
  objects+=("$bin")
  name=$(basename "$bin")
  # In process (-in_process=1): one process, so one profile written at exit.
  if [ "$corpus_given" -eq 1 ]; then
    echo "== $name: replaying $corpus_root"
    LLVM_PROFILE_FILE="$prof/$name-replay-%p.profraw" "$bin" -in_process=1 "$corpus_root" > "$report/replay.log" 2>&1 ||
      echo "  the replay found a failure (see $report/replay.log)"
  fi
  if [ "$camp_time" -gt 0 ]; then
    echo "== $name: a ${camp_time}s campaign, -seed=$camp_seed"
    LLVM_PROFILE_FILE="$prof/$name-campaign-%p.profraw" "$bin" -in_process=1 -seed="$camp_seed" \
      -runs=1000000000 -max_total_time="$camp_time" > "$report/campaign.log" 2>&1 ||
      echo "  the campaign found a failure (see $report/campaign.log)"
    tail -n 3 "$report/campaign.log" | sed 's/^/  /'
  fi
fi
for t in $targets; do
  bin="$build/fuzz/$t"
  [ -x "$bin" ] || { echo "ci/coverage.sh: $bin is missing (build without --no-build)" >&2; exit 1; }
  objects+=("$bin")
  inputs=()
  for d in "$corpus_root/$t" "$build/seeds/$t"; do
    [ -d "$d" ] && while IFS= read -r -d '' f; do inputs+=("$f"); done < <(find "$d/" -type f -print0)
  done
  echo "== $t: replaying ${#inputs[@]} inputs"
  crashes=0
  for f in "${inputs[@]}"; do
    LLVM_PROFILE_FILE="$prof/$t-%p.profraw" "$bin" "$f" > /dev/null 2>&1 || crashes=$((crashes + 1))
  done
  [ "$crashes" -eq 0 ] || echo "  $crashes input(s) crash (their profiles are lost; ci/fuzz.sh reports them)"
done
# Targets share sources (fuzz_target.cpp is built into each): llvm-profdata
# warns about their differing hashes and keeps the first; harmless here.
"$profdata" merge -sparse "$prof"/*.profraw -o "$report/coverage.profdata" 2> "$report/merge.log" ||
  { cat "$report/merge.log" >&2; exit 1; }
obj_args=("${objects[0]}")
for o in "${objects[@]:1}"; do obj_args+=(-object "$o"); done
ignore='(/tests/|^/usr/)'
"$cov" show -format=html -output-dir "$report/html" -instr-profile "$report/coverage.profdata" \
  -ignore-filename-regex="$ignore" -show-branches=count "${obj_args[@]}" > /dev/null
"$cov" export -format=text -instr-profile "$report/coverage.profdata" -ignore-filename-regex="$ignore" \
  "${obj_args[@]}" > "$report/coverage.json"

replayed="$targets"
if [ -n "$adapter" ]; then
  what=()
  [ "$camp_time" -eq 0 ] || what+=("a ${camp_time}s campaign, -seed=$camp_seed")
  [ "$corpus_given" -eq 0 ] || what+=("the inputs in $corpus_root")
  replayed="$(basename "$adapter"): $(IFS=';'; echo "${what[*]}" | sed 's/;/ and /')"
fi
python3 - "$report" "$root" "$replayed" "${subjects[@]}" <<'PY'
import json, subprocess, sys, os
report, root, targets, subjects = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
data = json.load(open(os.path.join(report, "coverage.json")))["data"][0]

def show(path):
    path = os.path.realpath(os.path.normpath(path))
    rel = os.path.relpath(path, root)
    return path if rel.startswith("..") else rel

def in_subject(path):
    path = os.path.realpath(os.path.normpath(path))
    return any(path == s or path.startswith(s.rstrip("/") + "/") for s in subjects)

label = ", ".join(show(s) + ("/" if os.path.isdir(s) else "") for s in subjects)
rows, total = [], {"lines": [0, 0], "branches": [0, 0], "functions": [0, 0]}
for f in data["files"]:
    if not in_subject(f["filename"]):
        continue
    rel = show(f["filename"])
    s = f["summary"]
    row = [rel]
    for k in ("lines", "branches", "functions"):
        c, n = s[k]["covered"], s[k]["count"]
        total[k][0] += c; total[k][1] += n
        row.append(f"{c}/{n} ({100.0 * c / n:.1f}%)" if n else "-")
    rows.append(row)
rows.sort()
never, hooks = {}, 0
for fn in data["functions"]:
    if fn["count"] == 0 and fn["filenames"] and in_subject(fn["filenames"][0]):
        files = [show(fn["filenames"][0])]
        if "_for_testing" in fn["name"]:
            hooks += 1  # test hooks: no program reaches them by design
            continue
        never.setdefault(files[0], set()).add(fn["name"])
names = sorted({n for s in never.values() for n in s})
demangled = dict(zip(names, subprocess.run(["c++filt"], input="\n".join(names), capture_output=True,
                                           text=True).stdout.split("\n"))) if names else {}
with open(os.path.join(report, "report.md"), "w") as out:
    out.write(f"# Source coverage of {label} ({os.path.basename(report)})\n\n")
    out.write(f"Replayed: {targets}. Line-by-line: [html/index.html](html/index.html).\n\n")
    out.write("| file | lines | branches | functions |\n|---|---:|---:|---:|\n")
    for r in rows:
        out.write("| " + " | ".join(r) + " |\n")
    t = [f"**{label}**"] + [f"{c}/{n} ({100.0 * c / n:.1f}%)" if n else "-" for c, n in total.values()]
    out.write("| " + " | ".join(t) + " |\n\n## Functions never entered\n\n")
    out.write(f"({hooks} `*_for_testing` hooks left out: no program reaches them by design.)\n\n")
    if not never:
        out.write("none\n")
    for fname in sorted(never):
        out.write(f"- `{fname}`: " + ", ".join(f"`{demangled.get(n, n)}`" for n in sorted(never[fname])) + "\n")
with open(os.path.join(report, "uncovered.txt"), "w") as out:
    for fname in sorted(never):
        for n in sorted(never[fname]):
            out.write(f"{fname}\t{demangled.get(n, n)}\n")
print(open(os.path.join(report, "report.md")).read())
PY
echo "report: ${report#"$root"/}/report.md, html: ${report#"$root"/}/html/index.html"
