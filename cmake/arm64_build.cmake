# cmake -DARGS=<configure arguments> -DDIR=<cross tree> -DTARGETS=<a;b> -P arm64_build.cmake
# Configures the cross tree once (afterwards its own ninja reconfigures when a CMakeLists changes), then builds the
# targets asked for.
if(NOT EXISTS "${DIR}/build.ninja")
  execute_process(COMMAND "${CMAKE_COMMAND}" ${ARGS} RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "linux-arm64: configuring ${DIR} failed (see above)")
  endif()
endif()
set(target_args "")
foreach(t IN LISTS TARGETS)
  list(APPEND target_args --target "${t}")
endforeach()
execute_process(COMMAND "${CMAKE_COMMAND}" --build "${DIR}" ${target_args} RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "linux-arm64: building ${TARGETS} in ${DIR} failed (see above)")
endif()
