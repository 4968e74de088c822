#!/bin/bash -eu
# ClusterFuzzLite's build step (runs in the image of .clusterfuzzlite/Dockerfile
# with $CC $CXX $CFLAGS $CXXFLAGS $LIB_FUZZING_ENGINE $SRC $WORK $OUT set).
# Builds the two dependencies the base image lacks with the fuzzing flags, then
# the project's own OSS-Fuzz build (ci/oss-fuzz/build.sh), which writes every
# target with its .dict, .options and seed corpus zip into $OUT.
deps="$WORK/deps"
mkdir -p "$deps"

# CLI11 (header-only): installed for find_package(CLI11 CONFIG).
cmake -S "$SRC/CLI11" -B "$WORK/cli11" -DCMAKE_INSTALL_PREFIX="$deps" \
  -DCLI11_BUILD_TESTS=OFF -DCLI11_BUILD_EXAMPLES=OFF -DCLI11_BUILD_DOCS=OFF -DCLI11_PRECOMPILED=OFF
cmake --build "$WORK/cli11"
cmake --install "$WORK/cli11"

# Boost.Container, static, with the fuzzing compiler and flags. b2 itself is
# built without them (it is a host tool, not part of the fuzzers).
if [ ! -f "$deps/lib/libboost_container.a" ]; then
  (cd "$SRC/boost" &&
     env -u CFLAGS -u CXXFLAGS ./bootstrap.sh --with-toolset=clang --with-libraries=container &&
     ./b2 -j"$(nproc)" toolset=clang link=static variant=release threading=multi \
       cxxflags="$CXXFLAGS" --prefix="$deps" install)
fi

export CMAKE_PREFIX_PATH="$deps"
bash "$SRC/kmemfuzz/ci/oss-fuzz/build.sh"
