# kmemfuzzHelpers.cmake — installed beside kmemfuzzConfig.cmake.
#
#   kmemfuzz_add_fuzzer(NAME SOURCES src... [LIBS lib...] [DEFINITIONS def...])
#
# One fuzz target per call. With KMEMFUZZ_LIBFUZZER=ON (clang) it is a
# libFuzzer binary (-fsanitize=fuzzer); otherwise it links
# kmemfuzz::fuzz_main, the standalone driver that replays files and runs a
# seeded campaign when given none (`NAME -runs=5000 -seed=1`; `NAME -help=1`).
#
# With libFuzzer, the library targets named in LIBS that this project builds
# get -fsanitize=fuzzer-no-link too: libFuzzer steers by the coverage of the
# code it can see, and an allocator compiled into its own library is
# otherwise invisible to it (KMEMFUZZ_INSTRUMENT_LIBS=OFF turns this off).
# Imported and interface libraries are left alone: header-only code is
# compiled, and instrumented, inside the fuzz target itself.
#
#   kmemfuzz_instrument(lib...)
#
# does the same for libraries the fuzz target reaches indirectly (a library
# your allocator library links, say). Both do nothing without libFuzzer.
option(KMEMFUZZ_LIBFUZZER "Build kmemfuzz_add_fuzzer() targets with libFuzzer (clang)" OFF)
option(KMEMFUZZ_INSTRUMENT_LIBS "With libFuzzer, add coverage instrumentation to the LIBS of kmemfuzz_add_fuzzer()"
       ON)

# libFuzzer ships with clang; GCC has no -fsanitize=fuzzer. Say so now
# rather than with a link error on the first fuzz target.
if(KMEMFUZZ_LIBFUZZER AND NOT DEFINED CACHE{KMEMFUZZ_HAVE_LIBFUZZER})
  include(CheckCXXSourceCompiles)
  set(CMAKE_REQUIRED_FLAGS -fsanitize=fuzzer)
  set(CMAKE_REQUIRED_LINK_OPTIONS -fsanitize=fuzzer)
  set(CMAKE_REQUIRED_QUIET ON)
  check_cxx_source_compiles(
    "#include <cstddef>
     #include <cstdint>
     extern \"C\" int LLVMFuzzerTestOneInput(const std::uint8_t*, std::size_t) { return 0; }"
    KMEMFUZZ_HAVE_LIBFUZZER)
  unset(CMAKE_REQUIRED_FLAGS)
  unset(CMAKE_REQUIRED_LINK_OPTIONS)
  unset(CMAKE_REQUIRED_QUIET)
endif()
if(KMEMFUZZ_LIBFUZZER AND NOT KMEMFUZZ_HAVE_LIBFUZZER)
  unset(KMEMFUZZ_HAVE_LIBFUZZER CACHE)
  message(FATAL_ERROR
    "KMEMFUZZ_LIBFUZZER=ON needs libFuzzer (-fsanitize=fuzzer), which ${CMAKE_CXX_COMPILER_ID} "
    "${CMAKE_CXX_COMPILER_VERSION} (${CMAKE_CXX_COMPILER}) does not provide. Configure with clang: "
    "-DCMAKE_CXX_COMPILER=clang++ (Debian: apt-get install clang libclang-rt-dev), or drop "
    "KMEMFUZZ_LIBFUZZER to build the standalone driver.")
endif()

function(kmemfuzz_instrument)
  if(NOT KMEMFUZZ_LIBFUZZER)
    return()
  endif()
  foreach(lib ${ARGN})
    if(NOT TARGET ${lib})
      continue()  # a plain library file or linker flag: nothing to compile
    endif()
    get_target_property(aliased ${lib} ALIASED_TARGET)
    if(aliased)
      set(lib ${aliased})
    endif()
    get_target_property(imported ${lib} IMPORTED)
    get_target_property(type ${lib} TYPE)
    if(NOT imported AND type MATCHES "^(STATIC|SHARED|MODULE|OBJECT)_LIBRARY$")
      target_compile_options(${lib} PRIVATE -fsanitize=fuzzer-no-link)
    endif()
  endforeach()
endfunction()

# Sanitizers for kmemfuzz_add_fuzzer() targets, e.g. address,undefined: the
# target (not the LIBS) is built with them; add the same flags to your
# allocator's library to check it too. A
# sanitizer report ends the run (-fno-sanitize-recover=all: UBSan would
# otherwise print and carry on), so the supervisor sees a crash inside the
# op and writes its reproducer. Stack traces: ASAN_OPTIONS=symbolize=1 and
# UBSAN_OPTIONS=print_stacktrace=1 with llvm-symbolizer on PATH.
set(KMEMFUZZ_SANITIZE "" CACHE STRING "Sanitizers for kmemfuzz_add_fuzzer() targets (e.g. address,undefined)")

# Source coverage (clang): kmemfuzz_add_fuzzer() targets and the library
# targets named in LIBS get -fprofile-instr-generate -fcoverage-mapping, so
# that kmemfuzz's ci/coverage.sh --adapter BINARY --subject YOUR_SOURCES can
# report what a campaign reached in your allocator. Use it with the
# standalone driver (KMEMFUZZ_LIBFUZZER=OFF).
option(KMEMFUZZ_COVERAGE "Build kmemfuzz_add_fuzzer() targets and their LIBS with clang source coverage" OFF)

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
  if(KMEMFUZZ_COVERAGE)
    target_compile_options(${name} PRIVATE -fprofile-instr-generate -fcoverage-mapping)
    target_link_options(${name} PRIVATE -fprofile-instr-generate)
    foreach(lib ${F_LIBS})
      if(TARGET ${lib})
        get_target_property(imported ${lib} IMPORTED)
        get_target_property(type ${lib} TYPE)
        if(NOT imported AND type MATCHES "^(STATIC|SHARED|MODULE|OBJECT)_LIBRARY$")
          target_compile_options(${lib} PRIVATE -fprofile-instr-generate -fcoverage-mapping)
        endif()
      endif()
    endforeach()
  endif()
  if(KMEMFUZZ_LIBFUZZER)
    target_compile_options(${name} PRIVATE -fsanitize=fuzzer)
    target_link_options(${name} PRIVATE -fsanitize=fuzzer)
    if(KMEMFUZZ_INSTRUMENT_LIBS)
      kmemfuzz_instrument(${F_LIBS})
    endif()
  else()
    target_link_libraries(${name} PRIVATE kmemfuzz::fuzz_main)
  endif()
endfunction()
