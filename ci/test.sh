#!/usr/bin/env bash
# The README's test command: installs what is missing, configures the
# `default` preset (gcc, warnings as errors), builds with two jobs and runs
# every test through ctest, which ends with its summary line.
set -euo pipefail
cd "$(dirname "$0")/.."
bash ci/deps.sh
cmake --preset default
cmake --build --preset default -j2
ctest --preset default -j2 --timeout 600
