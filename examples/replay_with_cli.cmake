# replay_with_cli.cmake — a fuzz target's crash file means the same program
# to the kmemfuzz tool: runs FUZZER (ARGS) until it saves a crash input,
# then `KMEMFUZZ replay --subject SUBJECT` on those bytes must report REGEX
# too, and `KMEMFUZZ convert` must print the same reproducer as text.
# cmake -DFUZZER=… "-DARGS=…" -DKMEMFUZZ=… -DSUBJECT=… -DREGEX=… -DWORK_DIR=… -P replay_with_cli.cmake
file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${WORK_DIR})
execute_process(COMMAND ${FUZZER} ${ARGS} -artifact_prefix=${WORK_DIR}/ RESULT_VARIABLE rc OUTPUT_VARIABLE out
                ERROR_VARIABLE out TIMEOUT 300)
file(GLOB crashes ${WORK_DIR}/crash-*)
if(rc EQUAL 0 OR NOT crashes)
  message(FATAL_ERROR "${FUZZER} saved no crash input (${rc}):\n${out}")
endif()
list(GET crashes 0 crash)
execute_process(COMMAND ${KMEMFUZZ} replay --subject ${SUBJECT} ${crash} RESULT_VARIABLE rc OUTPUT_VARIABLE replay
                ERROR_VARIABLE replay)
message("${replay}")
if(NOT rc EQUAL 1 OR NOT replay MATCHES "${REGEX}")
  message(FATAL_ERROR "kmemfuzz replay --subject ${SUBJECT} ${crash} did not report ${REGEX} (${rc})")
endif()
execute_process(COMMAND ${KMEMFUZZ} convert --subject ${SUBJECT} ${crash} RESULT_VARIABLE rc OUTPUT_VARIABLE text)
# The failing op as the fuzz target printed it, without the (renumbered) name.
string(REGEX MATCH "VIOLATION [A-Z-]+ at op [0-9]+: [^\n=]*= ([^\n]*)" line "${out}")
if(NOT rc EQUAL 0 OR NOT text MATCHES "${CMAKE_MATCH_1}")
  message(FATAL_ERROR "kmemfuzz convert --subject ${SUBJECT} ${crash} does not hold the failing op:\n${text}")
endif()
message("the tool read ${crash} as ${FUZZER} did")
