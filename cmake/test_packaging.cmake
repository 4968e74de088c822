# test_packaging.cmake — the `packaging.library_only` test (cmake -P):
#   1. configure SOURCE_ROOT with KMF_LIBRARY_ONLY=ON, build and install it:
#      only the libraries are built (no CLI, tests, fuzz targets) and the
#      package is complete (headers, kmemfuzzConfig.cmake, the helpers)
#   2. a user's project (examples/libfuzzer_libs) against that package with
#      a compiler that has no libFuzzer and KMEMFUZZ_LIBFUZZER=ON: the
#      configure step fails and names clang
#   3. the same project with the standalone driver: builds, the fixed
#      allocator passes a campaign, the planted bug is found
#   4. the kmemfuzz tree itself with KMF_LIBFUZZER=ON and that compiler:
#      the configure step fails and names clang
foreach(v SOURCE_ROOT WORK_DIR GENERATOR CXX)
  if(NOT DEFINED ${v})
    message(FATAL_ERROR "test_packaging.cmake needs -D${v}=…")
  endif()
endforeach()

function(step)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "failed (${rc}): ${ARGN}")
  endif()
endfunction()
function(expect_configure_failure regex)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
  if(rc EQUAL 0 OR NOT out MATCHES "${regex}")
    message(FATAL_ERROR "expected the configure step to fail naming /${regex}/ (${rc}):\n${out}")
  endif()
  string(REGEX MATCH "[^\n]*${regex}[^\n]*" line "${out}")
  message("refused as expected: ${line}")
endfunction()

file(REMOVE_RECURSE ${WORK_DIR})
set(lib ${WORK_DIR}/library-only)
step(${CMAKE_COMMAND} -S ${SOURCE_ROOT} -B ${lib} -G ${GENERATOR} -DCMAKE_CXX_COMPILER=${CXX}
     -DCMAKE_BUILD_TYPE=RelWithDebInfo -DKMF_LIBRARY_ONLY=ON)
step(${CMAKE_COMMAND} --build ${lib} -j2)
file(GLOB_RECURSE objects ${lib}/*.o)
list(LENGTH objects nr_objects)
file(GLOB_RECURSE executables LIST_DIRECTORIES false ${lib}/tools/kmemfuzz ${lib}/*_test ${lib}/fuzz/fuzz_*)
message("library-only build: ${nr_objects} objects, executables: [${executables}]")
if(executables OR nr_objects GREATER 60)
  message(FATAL_ERROR "KMF_LIBRARY_ONLY built more than the libraries")
endif()
step(${CMAKE_COMMAND} --install ${lib} --prefix ${WORK_DIR}/prefix)
foreach(f include/kmemfuzz/front/fuzz_target.h include/kmemfuzz/front/props.h
          include/kmemfuzz/check/subjects/object_subject.h lib/cmake/kmemfuzz/kmemfuzzConfig.cmake
          lib/cmake/kmemfuzz/kmemfuzzHelpers.cmake)
  if(NOT EXISTS ${WORK_DIR}/prefix/${f})
    message(FATAL_ERROR "the library-only package lacks ${f}")
  endif()
endforeach()
if(EXISTS ${WORK_DIR}/prefix/bin/kmemfuzz)
  message(FATAL_ERROR "the library-only package installed the CLI")
endif()

set(user ${SOURCE_ROOT}/examples/libfuzzer_libs)
set(common -G ${GENERATOR} -DCMAKE_CXX_COMPILER=${CXX} -DCMAKE_BUILD_TYPE=RelWithDebInfo
           -DCMAKE_PREFIX_PATH=${WORK_DIR}/prefix -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF)
expect_configure_failure("needs libFuzzer.*clang" ${CMAKE_COMMAND} -S ${user} -B ${WORK_DIR}/user-libfuzzer ${common}
                         -DKMEMFUZZ_LIBFUZZER=ON)
step(${CMAKE_COMMAND} -S ${user} -B ${WORK_DIR}/user ${common})
step(${CMAKE_COMMAND} --build ${WORK_DIR}/user -j2)
step(${WORK_DIR}/user/fuzz_toy_pool -runs=2000 -seed=1)
execute_process(COMMAND ${WORK_DIR}/user/fuzz_toy_pool_buggy -runs=5000 -seed=1 -artifact_prefix=${WORK_DIR}/
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
if(rc EQUAL 0 OR NOT out MATCHES "VIOLATION NO-OVERLAP")
  message(FATAL_ERROR "the standalone driver did not find toy_pool_buggy's planted bug (${rc}):\n${out}")
endif()
expect_configure_failure("needs libFuzzer.*clang" ${CMAKE_COMMAND} -S ${SOURCE_ROOT} -B ${WORK_DIR}/tree-libfuzzer -G
                         ${GENERATOR} -DCMAKE_CXX_COMPILER=${CXX} -DKMF_LIBFUZZER=ON -DKMF_TESTS=OFF -DKMF_PROPS=OFF)
