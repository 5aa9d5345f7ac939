# Sanitizer builds (docs/testing.md). SWITCHYARD_SANITIZE selects one:
#   address  AddressSanitizer + UndefinedBehaviorSanitizer (+ LeakSanitizer);
#            with clang also libFuzzer's coverage instrumentation, so the
#            fuzz targets (test/fuzz) link against the very same objects.
#   thread   ThreadSanitizer.
# Every report is fatal (-fno-sanitize-recover, halt_on_error), so a report
# fails the test that caused it, including in child processes the tests start.
set(SWITCHYARD_SANITIZE "" CACHE STRING "sanitizer build: empty, address or thread")
set_property(CACHE SWITCHYARD_SANITIZE PROPERTY STRINGS "" address thread)

set(SWITCHYARD_FUZZ_INSTRUMENTED OFF)
if(SWITCHYARD_SANITIZE STREQUAL "")
  return()
endif()

set(sanitizer_dir ${CMAKE_SOURCE_DIR}/test/sanitizers)
if(SWITCHYARD_SANITIZE STREQUAL "address")
  set(sanitize_flags -fsanitize=address,undefined -fno-sanitize-recover=all)
  if(CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    # Third-party headers compiled into our objects (ignore list says which and why).
    list(APPEND sanitize_flags -fsanitize-ignorelist=${sanitizer_dir}/ubsan_ignorelist.txt)
    # libFuzzer's edge counters without its main: cheap enough for the tests,
    # and it lets test/fuzz link the ASan build's libraries instead of a
    # third compile of the same sources.
    add_compile_options(-fsanitize=fuzzer-no-link)
    set(SWITCHYARD_FUZZ_INSTRUMENTED ON)
  endif()
elseif(SWITCHYARD_SANITIZE STREQUAL "thread")
  set(sanitize_flags -fsanitize=thread)
else()
  message(FATAL_ERROR "SWITCHYARD_SANITIZE must be empty, address or thread, not '${SWITCHYARD_SANITIZE}'")
endif()
add_compile_options(${sanitize_flags} -fno-omit-frame-pointer)
add_link_options(${sanitize_flags})

# ctest reads this before it runs anything, so every test and every process a
# test starts (devclusters, hubs, agents) inherits the options.
# TSan: ignore_noninstrumented_modules makes the interceptors (memcmp, memcpy,
# ...) not check memory when called from a library built without TSan
# (Debian's libcpp-httplib.so, libstdc++, yaml-cpp, libuv). TSan cannot see
# those libraries' own synchronization (a function-local static's inline
# guard check, their atomics), so such reports are about third-party code
# and are false: e.g. httplib's static set of request methods, built by one
# worker thread and read by another. Our code stays fully checked, and the
# libraries' pthread calls still count as synchronization.
set(env_file ${CMAKE_BINARY_DIR}/sanitizer_env.cmake)
file(WRITE ${env_file}
  "set(ENV{ASAN_OPTIONS} \"halt_on_error=1:abort_on_error=0:detect_leaks=1:detect_stack_use_after_return=1:strict_string_checks=1:check_initialization_order=1\")\n"
  "set(ENV{LSAN_OPTIONS} \"suppressions=${sanitizer_dir}/lsan.supp:print_suppressions=0\")\n"
  "set(ENV{UBSAN_OPTIONS} \"halt_on_error=1:print_stacktrace=1\")\n"
  "set(ENV{TSAN_OPTIONS} \"halt_on_error=1:second_deadlock_stack=1:ignore_noninstrumented_modules=1:suppressions=${sanitizer_dir}/tsan.supp:print_suppressions=0\")\n")
set_property(DIRECTORY APPEND PROPERTY TEST_INCLUDE_FILES ${env_file})
message(STATUS "sanitizer build: ${SWITCHYARD_SANITIZE} (${sanitize_flags})")
