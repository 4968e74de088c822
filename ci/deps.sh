#!/usr/bin/env bash
# Installs every Debian package kmemfuzz builds, tests, fuzzes or benchmarks
# with. Idempotent: runs `apt-get update` only when something is missing, and
# installs only what is missing. No downloads happen anywhere else.
set -euo pipefail

packages=(
  build-essential g++ cmake ninja-build pkg-config
  clang llvm libclang-rt-dev clang-format
  libgtest-dev libgmock-dev librapidcheck-dev
  libboost-container-dev libbenchmark-dev libcli11-dev
  libmimalloc-dev libjemalloc-dev
  gnuplot-nox zip unzip python3
  chromium
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "deps: all ${#packages[@]} packages present"
  exit 0
fi

echo "deps: installing ${missing[*]}"
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
