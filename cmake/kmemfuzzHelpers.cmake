# kmemfuzzHelpers.cmake — installed beside kmemfuzzConfig.cmake.
#
#   kmemfuzz_add_fuzzer(NAME SOURCES src... [LIBS lib...] [DEFINITIONS def...])
#
# One fuzz target per call. With KMEMFUZZ_LIBFUZZER=ON (clang) it is a
# libFuzzer binary (-fsanitize=fuzzer); otherwise it links
# kmemfuzz::fuzz_main, the standalone driver that replays files and runs a
# seeded campaign when given none (`NAME -runs=5000 -seed=1`).
option(KMEMFUZZ_LIBFUZZER "Build kmemfuzz_add_fuzzer() targets with libFuzzer (clang)" OFF)

function(kmemfuzz_add_fuzzer name)
  cmake_parse_arguments(F "" "" "SOURCES;LIBS;DEFINITIONS" ${ARGN})
  add_executable(${name} ${F_SOURCES})
  target_link_libraries(${name} PRIVATE kmemfuzz::front ${F_LIBS})
  if(F_DEFINITIONS)
    target_compile_definitions(${name} PRIVATE ${F_DEFINITIONS})
  endif()
  if(KMEMFUZZ_LIBFUZZER)
    target_compile_options(${name} PRIVATE -fsanitize=fuzzer)
    target_link_options(${name} PRIVATE -fsanitize=fuzzer)
  else()
    target_link_libraries(${name} PRIVATE kmemfuzz::fuzz_main)
  endif()
endfunction()
