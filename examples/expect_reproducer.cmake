# expect_reproducer.cmake — a planted bug found by a campaign leaves a
# crash-safe reproducer that replays the same way: runs EXE with ARGS (a
# ;-list) and -artifact_prefix=WORK_DIR/, which must fail with output
# matching REGEX and save a .kmfa reproducer of at most MAX_OPS ops; then
# EXE replays that file (with ARGS' -timeout= if any) in a fresh process and
# must fail matching REGEX again, saying it "fails the same way".
# cmake -DEXE=… "-DARGS=…" -DREGEX=… -DMAX_OPS=… -DWORK_DIR=… -P expect_reproducer.cmake
file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${WORK_DIR})
execute_process(COMMAND ${EXE} ${ARGS} -artifact_prefix=${WORK_DIR}/ RESULT_VARIABLE rc OUTPUT_VARIABLE out
                ERROR_VARIABLE out TIMEOUT 300)
message("${out}")
if(rc EQUAL 0)
  message(FATAL_ERROR "expected ${EXE} to find the planted bug, but it passed")
endif()
if(NOT out MATCHES "${REGEX}")
  message(FATAL_ERROR "${EXE} failed (${rc}) without reporting ${REGEX}")
endif()
file(GLOB reproducers ${WORK_DIR}/*.kmfa)
if(NOT reproducers)
  message(FATAL_ERROR "${EXE} saved no .kmfa reproducer in ${WORK_DIR}")
endif()
list(GET reproducers 0 kmfa)
file(STRINGS ${kmfa} lines)
set(ops 0)
foreach(line IN LISTS lines)
  if(NOT line MATCHES "^(#|arena_init|$)")
    math(EXPR ops "${ops} + 1")
  endif()
endforeach()
file(READ ${kmfa} text)
message("reproducer ${kmfa} (${ops} ops):\n${text}")
if(ops GREATER MAX_OPS)
  message(FATAL_ERROR "the reproducer has ${ops} ops, more than ${MAX_OPS}: not minimized")
endif()
set(replay_args "")
foreach(a IN LISTS ARGS)
  if(a MATCHES "^-timeout=")
    list(APPEND replay_args ${a})
  endif()
endforeach()
execute_process(COMMAND ${EXE} ${kmfa} ${replay_args} -artifact_prefix=${WORK_DIR}/replay- RESULT_VARIABLE rc
                OUTPUT_VARIABLE replay ERROR_VARIABLE replay TIMEOUT 300)
message("${replay}")
if(NOT rc EQUAL 1 OR NOT replay MATCHES "${REGEX}" OR NOT replay MATCHES "fails the same way in a fresh process")
  message(FATAL_ERROR "${EXE} ${kmfa} did not fail the same way (${rc}, expected ${REGEX})")
endif()
message("found, and the ${ops}-op reproducer replays the same way: ${REGEX}")
