# test_libfuzzer_libs.cmake — the `examples.libfuzzer_libs` test (cmake -P):
# a user's allocator compiled as a separate library (examples/libfuzzer_libs)
# fuzzed by libFuzzer through the installed package.
#   1. cmake --install BUILD_DIR into WORK_DIR/prefix
#   2. configure and build the project with clang, KMEMFUZZ_LIBFUZZER=ON,
#      twice: KMEMFUZZ_INSTRUMENT_LIBS=ON (the default) and OFF
#   3. the same campaign (-runs=RUNS -seed=1) on the fixed library in both:
#      libFuzzer's final `cov:` must be higher with the LIBS instrumentation
#   4. the instrumented build finds the planted bug (NO-OVERLAP)
# Prints "SKIPPED:" (the test's skip pattern) when clang has no libFuzzer.
foreach(v BUILD_DIR SOURCE_DIR WORK_DIR GENERATOR CLANG)
  if(NOT DEFINED ${v})
    message(FATAL_ERROR "test_libfuzzer_libs.cmake needs -D${v}=…")
  endif()
endforeach()
set(RUNS 3000)

function(step)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "failed (${rc}): ${ARGN}")
  endif()
endfunction()

if(NOT CLANG)
  message("SKIPPED: no clang++ found; libFuzzer needs clang")
  return()
endif()
file(REMOVE_RECURSE ${WORK_DIR})
step(${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${WORK_DIR}/prefix)

# libFuzzer's last line: `#N DONE cov: C ft: F corp: …`
function(final_cov exe out_var)
  execute_process(COMMAND ${exe} -runs=${RUNS} -seed=1 -max_len=512 RESULT_VARIABLE rc OUTPUT_VARIABLE out
                  ERROR_VARIABLE out TIMEOUT 300)
  if(NOT rc EQUAL 0 OR NOT out MATCHES "DONE +cov: ([0-9]+)")
    message(FATAL_ERROR "${exe} -runs=${RUNS} failed (${rc}) or printed no final cov:\n${out}")
  endif()
  set(${out_var} ${CMAKE_MATCH_1} PARENT_SCOPE)
endfunction()

foreach(instrument ON OFF)
  set(b ${WORK_DIR}/build-libs-${instrument})
  execute_process(COMMAND ${CMAKE_COMMAND} -S ${SOURCE_DIR} -B ${b} -G ${GENERATOR} -DCMAKE_CXX_COMPILER=${CLANG}
                          -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_PREFIX_PATH=${WORK_DIR}/prefix
                          -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF -DKMEMFUZZ_LIBFUZZER=ON
                          -DKMEMFUZZ_INSTRUMENT_LIBS=${instrument}
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
  if(NOT rc EQUAL 0 AND out MATCHES "KMEMFUZZ_LIBFUZZER=ON needs libFuzzer")
    message("${out}\nSKIPPED: ${CLANG} has no libFuzzer")
    return()
  elseif(NOT rc EQUAL 0)
    message(FATAL_ERROR "configure failed (${rc}):\n${out}")
  endif()
  step(${CMAKE_COMMAND} --build ${b} -j2)
  final_cov(${b}/fuzz_toy_pool cov_${instrument})
endforeach()
message("libFuzzer cov: after ${RUNS} runs (seed 1): ${cov_ON} with LIBS instrumented, ${cov_OFF} without")
if(NOT cov_ON GREATER cov_OFF)
  message(FATAL_ERROR "instrumenting LIBS did not raise coverage (${cov_ON} <= ${cov_OFF})")
endif()

execute_process(COMMAND ${WORK_DIR}/build-libs-ON/fuzz_toy_pool_buggy -runs=200000 -seed=1 -max_len=512
                        -artifact_prefix=${WORK_DIR}/
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out TIMEOUT 300)
if(rc EQUAL 0 OR NOT out MATCHES "VIOLATION NO-OVERLAP")
  message(FATAL_ERROR "the libFuzzer build did not find toy_pool_buggy's planted bug (${rc}):\n${out}")
endif()
string(REGEX MATCH "VIOLATION NO-OVERLAP[^\n]*" found "${out}")
string(REGEX MATCHALL "\n#[0-9]+" progress "${out}")
list(POP_BACK progress last)
string(STRIP "${last}" last)
message("found the planted bug: ${found} (libFuzzer's last progress line before it: ${last})")
