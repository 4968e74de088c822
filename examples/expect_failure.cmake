# expect_failure.cmake — runs EXE with ARGS (a ;-list) and passes when it
# fails with output matching REGEX: how ctest checks that a planted bug is
# found. cmake -DEXE=… "-DARGS=…" -DREGEX=… -P expect_failure.cmake
execute_process(COMMAND ${EXE} ${ARGS} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out TIMEOUT 300)
message("${out}")
if(rc EQUAL 0)
  message(FATAL_ERROR "expected ${EXE} to find the planted bug, but it passed")
endif()
if(NOT out MATCHES "${REGEX}")
  message(FATAL_ERROR "${EXE} failed (${rc}) without reporting ${REGEX}")
endif()
message("found as expected (${rc}): ${REGEX}")
