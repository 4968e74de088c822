# subjects.cmake — CLI tests of `--subject` (included from tools/CMakeLists.txt):
# every verb on .kmfa text and generic bytes for each built-in subject, and
# every form mismatch refused with exit 2 and a message naming the right
# subject or binary.
set(sin ${CMAKE_CURRENT_BINARY_DIR}/subject-inputs)
add_test(NAME cli/subject/make-inputs COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/tests/make_subject_inputs.sh ${sin})
set_tests_properties(cli/subject/make-inputs PROPERTIES FIXTURES_SETUP subject_inputs LABELS cli)
function(kmf_subject_cli name code regex)
  add_test(NAME cli/subject/${name} COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/tests/expect_exit.sh ${code} "${regex}" --
                                            $<TARGET_FILE:kmemfuzz> ${ARGN})
  set_tests_properties(cli/subject/${name} PROPERTIES FIXTURES_REQUIRED subject_inputs LABELS cli)
endfunction()

set(generic_subjects first-fit buddy-arena pmr kernel-pages kernel-kmalloc kernel-vmalloc)
if(KMF_MIMALLOC_INCLUDE)
  list(APPEND generic_subjects mimalloc mimalloc-aligned)
endif()
if(KMF_JEMALLOC_INCLUDE)
  list(APPEND generic_subjects jemalloc)
endif()
kmf_subject_cli(help-lists-subjects 0 "kernel-vmalloc +virtual" --help)
foreach(s ${generic_subjects})
  set(o ${sin}/${s})
  # run and replay: text and bytes
  kmf_subject_cli(${s}/run-text 0 "PASS .*prog.kmfa \\(6 ops, subject ${s}\\)" run --subject ${s} ${sin}/prog.kmfa)
  kmf_subject_cli(${s}/run-bytes 0 "PASS .*prog.bin \\([0-9]+ ops, subject ${s}\\)" run --subject ${s} ${sin}/prog.bin)
  kmf_subject_cli(${s}/run-trace 0 "1: b1 = alloc 300 align=256" run -v --subject ${s} ${sin}/prog.kmfa)
  kmf_subject_cli(${s}/run-json 0 "\"subject\":\"${s}\",\"ops\":6,\"verdict\":\"ok\"" run --json --subject ${s}
                  ${sin}/prog.kmfa)
  kmf_subject_cli(${s}/replay-text 0 "PASS" replay --subject ${s} ${sin}/prog.kmfa)
  kmf_subject_cli(${s}/replay-bytes 0 "PASS" replay --subject ${s} ${sin}/prog.bin)
  # convert: bytes -> text -> bytes -> the same text (many byte strings decode to one program)
  kmf_subject_cli(${s}/convert-to-text 0 "" convert --subject ${s} ${sin}/prog.bin -o ${o}.kmfa)
  kmf_subject_cli(${s}/convert-to-binary 0 "" convert --to-binary --subject ${s} ${o}.kmfa -o ${o}.bin)
  kmf_subject_cli(${s}/convert-back 0 "" convert --subject ${s} ${o}.bin -o ${o}-back.kmfa)
  add_test(NAME cli/subject/${s}/convert-round-trip COMMAND ${CMAKE_COMMAND} -E compare_files ${o}.kmfa ${o}-back.kmfa)
  set_tests_properties(cli/subject/${s}/convert-round-trip PROPERTIES FIXTURES_REQUIRED subject_inputs LABELS cli)
  set_tests_properties(cli/subject/${s}/convert-to-binary PROPERTIES DEPENDS cli/subject/${s}/convert-to-text)
  set_tests_properties(cli/subject/${s}/convert-back PROPERTIES DEPENDS cli/subject/${s}/convert-to-binary)
  set_tests_properties(cli/subject/${s}/convert-round-trip PROPERTIES DEPENDS cli/subject/${s}/convert-back)
  kmf_subject_cli(${s}/convert-text-to-binary 0 "" convert --to-binary --subject ${s} ${sin}/prog.kmfa -o ${o}-t.bin)
  kmf_subject_cli(${s}/converted-bytes-run 0 "PASS" run --subject ${s} ${o}-t.bin)
  set_tests_properties(cli/subject/${s}/converted-bytes-run PROPERTIES DEPENDS cli/subject/${s}/convert-text-to-binary)
  # minimize: a passing program has nothing to shrink (exit 2, as for the kernel)
  if(NOT s STREQUAL "mimalloc-aligned")
    kmf_subject_cli(${s}/minimize-passing-text 2 "passes on ${s}; there is nothing to minimize" minimize --subject
                    ${s} ${sin}/prog.kmfa -o ${o}-min.kmfa)
    kmf_subject_cli(${s}/minimize-passing-bytes 2 "passes on ${s}; there is nothing to minimize" minimize --subject
                    ${s} ${sin}/prog.bin -o ${o}-min.kmfa)
  endif()
  # mismatches
  kmf_subject_cli(${s}/refuses-kmf 2 "kernel.kmf: a kernel script \\(.kmf\\) is not a program for --subject ${s}; run it without --subject"
                  run --subject ${s} ${sin}/kernel.kmf)
  kmf_subject_cli(${s}/refuses-kernel-script-text 2 "reads as a kernel script, not a program for --subject ${s}"
                  replay --subject ${s} ${sin}/kernel-script.txt)
endforeach()

# A real bug through every verb: mi_heap_malloc_aligned before mimalloc 2.1.
find_package(mimalloc CONFIG QUIET)
if(KMF_MIMALLOC_INCLUDE AND mimalloc_VERSION AND mimalloc_VERSION VERSION_LESS 2.1)
  kmf_subject_cli(mimalloc-aligned/run-finds-issue-700 1 "VIOLATION ALIGNMENT at op 4: a3 = alloc 512 align=512" run
                  --subject mimalloc-aligned ${sin}/issue700.kmfa)
  kmf_subject_cli(mimalloc-aligned/replay-prints-reproducer 1 "reproducer \\(.kmfa\\):" replay --subject
                  mimalloc-aligned ${sin}/issue700.kmfa)
  kmf_subject_cli(mimalloc-aligned/minimize 0 "8 -> 1 ops, still ALIGNMENT on mimalloc-aligned" minimize --subject
                  mimalloc-aligned ${sin}/issue700.kmfa -o ${sin}/issue700-min.kmfa)
  kmf_subject_cli(mimalloc-aligned/minimized-still-fails 1 "FAIL .*issue700-min.kmfa" run --subject mimalloc-aligned
                  ${sin}/issue700-min.kmfa)
  set_tests_properties(cli/subject/mimalloc-aligned/minimized-still-fails PROPERTIES DEPENDS
                       cli/subject/mimalloc-aligned/minimize)
  kmf_subject_cli(mimalloc/same-program-passes 0 "PASS" run --subject mimalloc ${sin}/issue700.kmfa)
endif()

# Form mismatches on the kernel side, and flags that belong to one side.
kmf_subject_cli(kmfa-without-subject-is-refused 2 "prog.kmfa: a generic program \\(.kmfa\\) is not a kernel program; give --subject NAME \\(first-fit"
                run ${sin}/prog.kmfa)
kmf_subject_cli(kmfa-on-kernel-is-refused 2 "give --subject NAME" run --subject kernel ${sin}/prog.kmfa)
kmf_subject_cli(kmfa-replay-without-subject 2 "is not a kernel program" replay ${sin}/prog.kmfa)
kmf_subject_cli(kmfa-minimize-without-subject 2 "is not a kernel program" minimize ${sin}/prog.kmfa -o ${sin}/x.kmf)
kmf_subject_cli(kmfa-convert-without-subject 2 "is not a kernel program" convert ${sin}/prog.kmfa)
kmf_subject_cli(kmfa-proc 2 "is not a kernel program" proc meminfo ${sin}/prog.kmfa)
kmf_subject_cli(generic-text-on-kernel 2 "generic-text.txt: reads as a generic text program, not a kernel input; give --subject"
                run ${sin}/generic-text.txt)
kmf_subject_cli(kernel-script-not-named-kmf 2 "kernel-script.txt: reads as a kernel script but is not named .kmf" run
                ${sin}/kernel-script.txt)
kmf_subject_cli(bin-is-bytes-for-the-kernel 0 "PASS .*generic-text.bin" run ${sin}/generic-text.bin)
kmf_subject_cli(bin-is-bytes-for-a-subject 0 "PASS .*generic-text.bin \\([0-9]+ ops, subject first-fit\\)" run --subject
                first-fit ${sin}/generic-text.bin)
kmf_subject_cli(bin-bytes-convert-to-text 0 "b0 = alloc" convert --subject pmr ${sin}/generic-text.bin)
kmf_subject_cli(kernel-still-runs-kmf 0 "PASS .*kernel.kmf" run --subject kernel ${sin}/kernel.kmf)
kmf_subject_cli(arena-program-on-object-subject 2 "arena.kmfa: has arena_init, but pmr is object subject, not an arena; arena subjects: first-fit, buddy-arena"
                run --subject pmr ${sin}/arena.kmfa)
kmf_subject_cli(arena-program-on-arena-subject 0 "PASS" run --subject first-fit ${sin}/arena.kmfa)
kmf_subject_cli(bad-text-names-line 2 "unbound.kmfa:2:6: " run --subject pmr ${sin}/unbound.kmfa)
kmf_subject_cli(unknown-subject 2 "subject" run --subject tcmalloc ${sin}/prog.kmfa)
kmf_subject_cli(target-is-kernel-only 2 "--target applies to the kernel's programs only, not to --subject first-fit" run
                --subject first-fit --target fuzz_slab ${sin}/prog.bin)
kmf_subject_cli(check-is-kernel-only 2 "--check applies to the kernel's programs only" replay --subject pmr --check full
                ${sin}/prog.bin)
kmf_subject_cli(missing-file 2 "nope.kmfa: no such file" run --subject kernel-pages ${sin}/nope.kmfa)
