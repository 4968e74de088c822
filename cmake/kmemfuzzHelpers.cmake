# kmemfuzzHelpers.cmake — installed beside kmemfuzzConfig.cmake.
#
#   kmemfuzz_add_fuzzer(NAME SOURCES src... [LIBS lib...] [DEFINITIONS def...])
#
# One fuzz target per call. With KMEMFUZZ_LIBFUZZER=ON (clang) it is a
# libFuzzer binary (-fsanitize=fuzzer); otherwise it links
# kmemfuzz::fuzz_main, the standalone driver that replays files and runs a
# seeded campaign when given none (`NAME -runs=5000 -seed=1`; `NAME -help=1`).
# With KMEMFUZZ_SANITIZE the target (not the LIBS) is built with those
# sanitizers; add the same flags to your allocator's library to check it too.
option(KMEMFUZZ_LIBFUZZER "Build kmemfuzz_add_fuzzer() targets with libFuzzer (clang)" OFF)
# Sanitizers for kmemfuzz_add_fuzzer() targets, e.g. address,undefined. A
# sanitizer report ends the run (-fno-sanitize-recover=all: UBSan would
# otherwise print and carry on), so the supervisor sees a crash inside the
# op and writes its reproducer. Stack traces: ASAN_OPTIONS=symbolize=1 and
# UBSAN_OPTIONS=print_stacktrace=1 with llvm-symbolizer on PATH.
set(KMEMFUZZ_SANITIZE "" CACHE STRING "Sanitizers for kmemfuzz_add_fuzzer() targets (e.g. address,undefined)")

function(kmemfuzz_add_fuzzer name)
  cmake_parse_arguments(F "" "" "SOURCES;LIBS;DEFINITIONS" ${ARGN})
  add_executable(${name} ${F_SOURCES})
  target_link_libraries(${name} PRIVATE kmemfuzz::front ${F_LIBS})
  if(F_DEFINITIONS)
    target_compile_definitions(${name} PRIVATE ${F_DEFINITIONS})
  endif()
  if(KMEMFUZZ_SANITIZE)
    target_compile_options(${name} PRIVATE -fsanitize=${KMEMFUZZ_SANITIZE} -fno-sanitize-recover=all
                                           -fno-omit-frame-pointer)
    target_link_options(${name} PRIVATE -fsanitize=${KMEMFUZZ_SANITIZE})
  endif()
  if(KMEMFUZZ_LIBFUZZER)
    target_compile_options(${name} PRIVATE -fsanitize=fuzzer)
    target_link_options(${name} PRIVATE -fsanitize=fuzzer)
  else()
    target_link_libraries(${name} PRIVATE kmemfuzz::fuzz_main)
  endif()
endfunction()
