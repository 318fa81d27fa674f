# Runs one consumer project from scratch: in `install` mode, installs the
# already built fluxgate tree into a fresh prefix first; in `subdirectory`
# mode, points the consumer at the source tree. Then configures, builds and
# runs the consumer's program, failing on the first step that fails.

function(run_step)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE result OUTPUT_VARIABLE output ERROR_VARIABLE output)
  if(NOT result EQUAL 0)
    message(FATAL_ERROR "step failed (${result}): ${ARGN}\n${output}")
  endif()
endfunction()

file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${WORK_DIR})

set(configure_args -S ${CONSUMER_SOURCE_DIR} -B ${WORK_DIR}/build -G Ninja
    -DCMAKE_CXX_COMPILER=${CXX_COMPILER} -DCMAKE_BUILD_TYPE=Debug)
if(MODE STREQUAL "install")
  run_step(${CMAKE_COMMAND} --install ${FLUXGATE_BINARY_DIR} --prefix ${WORK_DIR}/prefix)
  if(NOT EXISTS ${WORK_DIR}/prefix/lib/pkgconfig/fluxgate.pc AND
     NOT EXISTS ${WORK_DIR}/prefix/lib/x86_64-linux-gnu/pkgconfig/fluxgate.pc)
    message(FATAL_ERROR "the install did not create fluxgate.pc")
  endif()
  list(APPEND configure_args -DCMAKE_PREFIX_PATH=${WORK_DIR}/prefix)
else()
  list(APPEND configure_args -DFLUXGATE_SOURCE_DIR=${FLUXGATE_SOURCE_DIR})
endif()

# In install mode, also build the program with the flags pkg-config gives,
# as a Makefile user would.
find_program(PKG_CONFIG_EXECUTABLE pkg-config)
if(MODE STREQUAL "install" AND PKG_CONFIG_EXECUTABLE)
  file(GLOB pc_dirs ${WORK_DIR}/prefix/lib*/pkgconfig ${WORK_DIR}/prefix/lib/*/pkgconfig)
  set(ENV{PKG_CONFIG_PATH} "${pc_dirs}")
  execute_process(COMMAND ${PKG_CONFIG_EXECUTABLE} --cflags --libs fluxgate
                  RESULT_VARIABLE result OUTPUT_VARIABLE pc_flags OUTPUT_STRIP_TRAILING_WHITESPACE)
  if(NOT result EQUAL 0)
    message(FATAL_ERROR "pkg-config --cflags --libs fluxgate failed (${result})")
  endif()
  separate_arguments(pc_flags UNIX_COMMAND "${pc_flags}")
  run_step(${CXX_COMPILER} ${CONSUMER_SOURCE_DIR}/../main.cpp ${pc_flags} -pthread -o ${WORK_DIR}/pkg-config-consumer)
  run_step(${WORK_DIR}/pkg-config-consumer)
endif()

run_step(${CMAKE_COMMAND} ${configure_args})
run_step(${CMAKE_COMMAND} --build ${WORK_DIR}/build)
run_step(${WORK_DIR}/build/consumer)
message(STATUS "consumer project (${MODE}) built and ran")
