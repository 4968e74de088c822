# install.cmake — `find_package(kmemfuzz CONFIG)` support (issue #10).
#
# Installs the libraries as kmemfuzz::alloc, kmemfuzz::check, kmemfuzz::ops,
# kmemfuzz::front and kmemfuzz::fuzz_main (the standalone fuzz driver, with
# main()), the headers under include/kmemfuzz/{alloc,check,ops,front}/, and
# kmemfuzz_add_fuzzer() (kmemfuzzHelpers.cmake). Included from the top-level
# CMakeLists.txt; the `examples` test installs to a temporary prefix and
# builds examples/ against it.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(KMF_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/kmemfuzz)
set(KMF_EXPORTED alloc check ops front fuzz_main)

foreach(t ${KMF_EXPORTED})
  set_target_properties(kmemfuzz_${t} PROPERTIES EXPORT_NAME ${t})
  target_include_directories(kmemfuzz_${t} PUBLIC $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}>
                                                  $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}/kmemfuzz>)
  add_library(kmemfuzz::${t} ALIAS kmemfuzz_${t})
endforeach()

# The static libraries name kmf_warnings as a link-only dependency, so the
# export carries it too; it adds nothing to a consumer's compile line.
install(TARGETS kmf_warnings kmemfuzz_alloc kmemfuzz_check kmemfuzz_ops kmemfuzz_front kmemfuzz_fuzz_main
        EXPORT kmemfuzzTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(DIRECTORY alloc check ops front
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/kmemfuzz
        FILES_MATCHING PATTERN "*.h"
        PATTERN "tests" EXCLUDE)
install(EXPORT kmemfuzzTargets NAMESPACE kmemfuzz:: DESTINATION ${KMF_INSTALL_CMAKEDIR})

configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/kmemfuzzConfig.cmake.in
                              ${PROJECT_BINARY_DIR}/kmemfuzzConfig.cmake
                              INSTALL_DESTINATION ${KMF_INSTALL_CMAKEDIR})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/kmemfuzzConfigVersion.cmake
                                 COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/kmemfuzzConfig.cmake ${PROJECT_BINARY_DIR}/kmemfuzzConfigVersion.cmake
              ${PROJECT_SOURCE_DIR}/cmake/kmemfuzzHelpers.cmake
        DESTINATION ${KMF_INSTALL_CMAKEDIR})

# ctest -L examples: install into a fresh prefix, build examples/ out of tree
# against it, and run its tests (the planted bugs found, the fixed ones clean).
if(KMF_TESTS AND NOT KMF_LIBFUZZER)
  add_test(NAME examples.out_of_tree
           COMMAND ${CMAKE_COMMAND} -DBUILD_DIR=${PROJECT_BINARY_DIR} -DSOURCE_DIR=${PROJECT_SOURCE_DIR}/examples
                   -DWORK_DIR=${PROJECT_BINARY_DIR}/examples-out-of-tree "-DGENERATOR=${CMAKE_GENERATOR}"
                   -DCXX=${CMAKE_CXX_COMPILER} -P ${PROJECT_SOURCE_DIR}/cmake/test_examples.cmake)
  set_tests_properties(examples.out_of_tree PROPERTIES LABELS examples TIMEOUT 1200)
endif()

# ctest -L examples: a user's allocator in a library of its own, fuzzed by
# libFuzzer through the installed package: coverage with and without
# kmemfuzz_add_fuzzer(… LIBS …) instrumenting it, and its planted bug found.
# Needs clang with libFuzzer (skipped otherwise); about a minute.
if(KMF_TESTS AND NOT KMF_LIBFUZZER)
  find_program(KMF_CLANGXX clang++)
  add_test(NAME examples.libfuzzer_libs
           COMMAND ${CMAKE_COMMAND} -DBUILD_DIR=${PROJECT_BINARY_DIR}
                   -DSOURCE_DIR=${PROJECT_SOURCE_DIR}/examples/libfuzzer_libs
                   -DWORK_DIR=${PROJECT_BINARY_DIR}/examples-libfuzzer-libs "-DGENERATOR=${CMAKE_GENERATOR}"
                   -DCLANG=${KMF_CLANGXX} -P ${PROJECT_SOURCE_DIR}/cmake/test_libfuzzer_libs.cmake)
  set_tests_properties(examples.libfuzzer_libs PROPERTIES LABELS examples TIMEOUT 900 SKIP_REGULAR_EXPRESSION
                                                          "SKIPPED:")
endif()

# ctest -L packaging: KMF_LIBRARY_ONLY builds only the libraries and installs
# a complete package; KMEMFUZZ_LIBFUZZER / KMF_LIBFUZZER with a compiler
# without libFuzzer fail at configure time naming clang.
if(KMF_TESTS AND NOT KMF_LIBFUZZER AND NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
  add_test(NAME packaging.library_only
           COMMAND ${CMAKE_COMMAND} -DSOURCE_ROOT=${PROJECT_SOURCE_DIR} -DWORK_DIR=${PROJECT_BINARY_DIR}/packaging
                   "-DGENERATOR=${CMAKE_GENERATOR}" -DCXX=${CMAKE_CXX_COMPILER} -P
                   ${PROJECT_SOURCE_DIR}/cmake/test_packaging.cmake)
  set_tests_properties(packaging.library_only PROPERTIES LABELS packaging TIMEOUT 1200)
endif()
