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
// seeded random inputs (`-runs=N -seed=S`; `-help=1` lists the rest).
// kmemfuzz_add_fuzzer() in the installed package does the choosing.
//
// Every input gets a fresh subject. An input that looks like a text program
// (`arena_init …`, `b0 = alloc …`) is parsed and run as written, so the
// reproducers the targets and the properties print replay as they are; any
// other bytes decode totally (ops/generic_binary.h) to a program that uses
// only the adapter's declared capabilities.
//
// Crash safety (front/front.h): both drivers run the inputs in a runner
// process watched by a supervisor, which learns from a shared page which
// input and which op were running. On a violation, a crash (abort, assert,
// SIGSEGV, SIGBUS, a sanitizer report) or a hang (-timeout=S) the
// supervisor cuts the program after the failing op, minimizes it with each
// candidate in its own child process, prints the report with the text
// reproducer, and saves it as ARTIFACT_PREFIX{crash,timeout}-TAG.kmfa beside
// the raw input. The macro also defines LLVMFuzzerInitialize (libFuzzer's
// process becomes the runner there) and registers the target for the
// standalone driver's verbs (-to_text=1, -to_bytes=1, -minimize=1, -trace=1).
#pragma once

#include "front/front.h"

#define KMF_FUZZ_TARGET(Adapter, ...)                                                 \
  namespace {                                                                         \
  const ::kmf::front::Target& kmf_fuzz_target() {                                     \
    static const ::kmf::front::Target target =                                        \
        ::kmf::front::make_target([] { return Adapter(__VA_ARGS__); });               \
    return target;                                                                    \
  }                                                                                   \
  [[maybe_unused]] const bool kmf_fuzz_target_registered =                            \
      (::kmf::front::register_target(&kmf_fuzz_target), true);                        \
  }                                                                                   \
  extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv) {                      \
    return ::kmf::front::fuzz_init(kmf_fuzz_target(), argc, argv);                    \
  }                                                                                   \
  extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) { \
    return ::kmf::front::fuzz_one(kmf_fuzz_target(), data, size);                     \
  }
