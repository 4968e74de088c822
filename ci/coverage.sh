#!/usr/bin/env bash
# Source coverage of the subject: what a fuzz corpus reaches in alloc/.
#
#   ci/coverage.sh [--targets "fuzz_kernel fuzz_buddy"] [--corpus DIR] [--no-build]
#   ci/fuzz.sh --coverage [same options]
#
#   --targets   which program targets replay their inputs (default: the four
#               program targets and fuzz_script)
#   --corpus    replay DIR/<target>/ instead of corpus/work/<target>/
#   --no-build  use build/coverage as it is
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
cd "$(dirname "$0")/.."
root=$(pwd)

targets="fuzz_kernel fuzz_buddy fuzz_slab fuzz_vmalloc fuzz_script"
corpus_root="$root/corpus/work"
build_it=1
while [ $# -gt 0 ]; do
  case "$1" in
    --targets) targets="${2:-}"; shift 2 || shift ;;
    --corpus) corpus_root="$(realpath "${2:-.}")"; shift 2 || shift ;;
    --no-build) build_it=0; shift ;;
    --coverage) shift ;;  # when called through ci/fuzz.sh --coverage
    -h|--help) sed -n '2,24p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "ci/coverage.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
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
  # shellcheck disable=SC2086
  cmake --build "$build" -j2 --target $targets fuzz_seeds
fi

stamp=$(date -u +%Y%m%dT%H%M%SZ)
report="$root/reports/coverage-$stamp"
prof="$report/profiles"
mkdir -p "$prof"
objects=()
for t in $targets; do
  bin="$build/fuzz/$t"
  [ -x "$bin" ] || { echo "ci/coverage.sh: $bin is missing (build without --no-build)" >&2; exit 1; }
  objects+=("$bin")
  inputs=()
  for d in "$corpus_root/$t" "$build/seeds/$t"; do
    [ -d "$d" ] && while IFS= read -r -d '' f; do inputs+=("$f"); done < <(find "$d" -type f -print0)
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

python3 - "$report" "$root" "$targets" <<'PY'
import json, subprocess, sys, os
report, root, targets = sys.argv[1], sys.argv[2], sys.argv[3]
data = json.load(open(os.path.join(report, "coverage.json")))["data"][0]
rows, total = [], {"lines": [0, 0], "branches": [0, 0], "functions": [0, 0]}
for f in data["files"]:
    rel = os.path.relpath(os.path.normpath(f["filename"]), root)
    if not rel.startswith("alloc/"):
        continue
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
    files = [os.path.relpath(os.path.normpath(x), root) for x in fn["filenames"]]
    if fn["count"] == 0 and files and files[0].startswith("alloc/"):
        if "_for_testing" in fn["name"]:
            hooks += 1  # test hooks: no program reaches them by design
            continue
        never.setdefault(files[0], set()).add(fn["name"])
names = sorted({n for s in never.values() for n in s})
demangled = dict(zip(names, subprocess.run(["c++filt"], input="\n".join(names), capture_output=True,
                                           text=True).stdout.split("\n"))) if names else {}
with open(os.path.join(report, "report.md"), "w") as out:
    out.write(f"# Source coverage of alloc/ ({os.path.basename(report)})\n\n")
    out.write(f"Targets replayed: {targets}. Line-by-line: [html/index.html](html/index.html).\n\n")
    out.write("| file | lines | branches | functions |\n|---|---:|---:|---:|\n")
    for r in rows:
        out.write("| " + " | ".join(r) + " |\n")
    t = ["**alloc/**"] + [f"{c}/{n} ({100.0 * c / n:.1f}%)" if n else "-" for c, n in total.values()]
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
