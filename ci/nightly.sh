#!/usr/bin/env bash
# The nightly run (ci/fuzz.sh --nightly): a longer fuzz campaign, the source
# coverage its corpus reaches in alloc/, and the mutant zoo in every mode.
#
#   ci/nightly.sh [--time SECONDS] [--mutant-time SECONDS]
#
#   --time         the fuzz campaign's budget (default 3600, fork mode, 2 jobs)
#   --mutant-time  per mutant and mode (default 60)
#
# Steps, each one's report under reports/:
#   1. ci/fuzz.sh --time T --jobs 2            fuzz-<stamp>/report.md
#   2. ci/coverage.sh                          coverage-<stamp>/report.md (+ html/)
#   3. ci/mutants/run.sh --time M              mutants-<stamp>.md (seeds, empty corpus, properties)
#   4. ci/mutants/run.sh --time M --ndebug --modes empty,props
#                                              mutants-<stamp>-ndebug.md (asserts compiled out)
# Cron (02:00 UTC every night, from a checkout):
#   0 2 * * * cd /path/to/kmemfuzz && ci/nightly.sh > reports/nightly.log 2>&1
# Exits 1 when a step failed (a crash, a surviving mutant), after running all.
set -uo pipefail
cd "$(dirname "$0")/.."
fuzz_time=3600
mutant_time=60
while [ $# -gt 0 ]; do
  case "$1" in
    --time) fuzz_time="${2:-}"; shift 2 || shift ;;
    --mutant-time) mutant_time="${2:-}"; shift 2 || shift ;;
    --nightly) shift ;;  # when called through ci/fuzz.sh --nightly
    -h|--help) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "ci/nightly.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
for v in "$fuzz_time" "$mutant_time"; do
  case "$v" in ''|*[!0-9]*) echo "ci/nightly.sh: times are whole seconds" >&2; exit 2 ;; esac
done
status=0
bash ci/fuzz.sh --time "$fuzz_time" --jobs 2 || status=1
bash ci/coverage.sh || status=1
bash ci/mutants/run.sh --time "$mutant_time" || status=1
bash ci/mutants/run.sh --time "$mutant_time" --ndebug --modes empty,props || status=1
exit "$status"
