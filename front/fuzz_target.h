// fuzz_target.h — a libFuzzer target for your adapter in one line.
//
//   #include "front/fuzz_target.h"
//   #include "my_arena.h"
//   KMF_FUZZ_TARGET(MyArenaSubject)            // default-constructed per input
//   KMF_FUZZ_TARGET(MyArenaSubject, /*planted_bug=*/true)   // constructor arguments
//
// Link it with -fsanitize=fuzzer (clang) for a libFuzzer binary, or with
// kmemfuzz::fuzz_main for the standalone driver (any compiler), which
// replays files and, given none, runs a short deterministic campaign of
// seeded random inputs (`-runs=N -seed=S`). kmemfuzz_add_fuzzer() in the
// installed package does the choosing.
//
// Every input gets a fresh subject. An input that looks like a text program
// (`arena_init …`, `b0 = alloc …`) is parsed and run as written, so the
// reproducers the targets and the properties print replay as they are; any
// other bytes decode totally (ops/generic_binary.h) to a program that uses
// only the adapter's declared capabilities. On a violation the target
// minimizes the program, prints the violation and the text reproducer to
// stderr and aborts.
#pragma once

#include "front/front.h"

#define KMF_FUZZ_TARGET(Adapter, ...)                                                 \
  extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) { \
    return ::kmf::front::fuzz_one([] { return Adapter(__VA_ARGS__); }, data, size);   \
  }
