#!/usr/bin/env bash
# Nightly property run: the same RapidCheck properties as CI (ctest label
# `prop`) with a much larger budget. Every failure prints RapidCheck's
# reproduce string and the counterexample as a .kmf script.
#
#   ci/props-nightly.sh [MAX_SUCCESS] [MAX_SIZE]     (defaults 5000 and 400)
set -euo pipefail
cd "$(dirname "$0")/.."
max_success="${1:-5000}"
max_size="${2:-400}"
bash ci/deps.sh
cmake --preset default >/dev/null
cmake --build --preset default -j2
seed="${RC_SEED:-$(date +%s)}"
echo "== properties: max_success=$max_success max_size=$max_size seed=$seed"
echo "   (reproduce this run with RC_SEED=$seed ci/props-nightly.sh $max_success $max_size)"
start=$(date +%s)
status=0
for t in build/default/props/*_props; do
  [ -x "$t" ] || continue
  echo "== $(basename "$t")"
  RC_PARAMS="max_success=$max_success max_size=$max_size seed=$seed" "$t" --gtest_brief=1 || status=1
done
echo "== done in $(( $(date +%s) - start )) s, status $status"
exit $status
