# libFuzzer targets (docs/testing.md, "Fuzzing"). They are built only in the
# ASan tree with clang (SWITCHYARD_FUZZ_INSTRUMENTED, cmake/sanitizers.cmake),
# where every library is already compiled with libFuzzer's coverage
# instrumentation and ASan + UBSan: a fuzz target is one more source file
# linked against those libraries, so nothing is compiled twice and the
# normal build does not compile anything for fuzzing.
#
# switchyard_fuzz_target(<name> SOURCE <file.cpp> TEST <ctest name> CORPUS <dir>
#                        LIBRARIES <targets...> [INCLUDES <dirs...>] [DICT <file>]
#                        [MAX_LEN <bytes>] [RUNS <n>])
# registers "<ctest name>": the checked-in corpus plus RUNS mutations from a
# fixed seed. The corpus it grows is kept in the build tree, never the source.
function(switchyard_fuzz_target name)
  if(NOT SWITCHYARD_FUZZ_INSTRUMENTED)
    return()
  endif()
  cmake_parse_arguments(FUZZ "" "SOURCE;TEST;CORPUS;DICT;MAX_LEN;RUNS" "LIBRARIES;INCLUDES" ${ARGN})
  if(NOT FUZZ_MAX_LEN)
    set(FUZZ_MAX_LEN 4096)
  endif()
  if(NOT FUZZ_RUNS)
    set(FUZZ_RUNS 20000)
  endif()
  add_executable(${name} ${FUZZ_SOURCE})
  target_link_libraries(${name} PRIVATE ${FUZZ_LIBRARIES})
  target_include_directories(${name} PRIVATE ${FUZZ_INCLUDES})
  target_link_options(${name} PRIVATE -fsanitize=fuzzer)
  set(work ${CMAKE_CURRENT_BINARY_DIR}/${name}_work)
  file(MAKE_DIRECTORY ${work}/corpus)
  set(dict_arg)
  if(FUZZ_DICT)
    set(dict_arg -dict=${FUZZ_DICT})
  endif()
  add_test(NAME "${FUZZ_TEST}"
           COMMAND ${name} -seed=1 -runs=${FUZZ_RUNS} -max_len=${FUZZ_MAX_LEN} -timeout=30
                   -rss_limit_mb=2048 -artifact_prefix=${work}/ ${dict_arg}
                   ${work}/corpus ${FUZZ_CORPUS})
  set_tests_properties("${FUZZ_TEST}" PROPERTIES TIMEOUT 600)
endfunction()
