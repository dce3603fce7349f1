# The linux-arm64 packages, cross-built by a second tree that this native tree drives, only when asked:
#   TSUKU_ARM64=OFF (default)  nothing: the native build and the README's first command do not pay for it
#   TSUKU_ARM64=AUTO           when the cross toolchain is installed (scripts/test.sh asks this way)
#   TSUKU_ARM64=ON             required: a missing piece fails the configure with the fix
# Order (one manifest for both platforms, embedded by both tsuku):
#   1. arm64_variant   configures build-arm64/ with cmake/toolchains/aarch64-linux-gnu.cmake, builds tsuku-llm-cpu
#   2. release         make-release packs both platforms' variants and writes manifest.json + its C++ embed
#   3. arm64_programs  builds the arm64 tsuku (embedding that file) and the arm64 test executables, then packs
#                      tsuku-<version>-linux-arm64.tar.zst into the release folder
set(TSUKU_ARM64 OFF CACHE STRING "Cross-build the linux-arm64 packages and run the arm64 tests under QEMU: OFF|AUTO|ON")
set_property(CACHE TSUKU_ARM64 PROPERTY STRINGS OFF AUTO ON)
# The cross tree: the linux-arm64 preset's folder, so `cmake --preset linux-arm64` and this drive share one tree.
set(TSUKU_ARM64_BUILD_DIR "${CMAKE_SOURCE_DIR}/build-arm64" CACHE PATH "The linux-arm64 cross tree this build drives")
set(TSUKU_ARM64_ENABLED OFF)
set(TSUKU_ARM64_MISSING "")

string(TOUPPER "${TSUKU_ARM64}" _arm64_mode)
if(NOT _arm64_mode MATCHES "^(OFF|AUTO|ON)$")
  message(FATAL_ERROR "TSUKU_ARM64=${TSUKU_ARM64}: choose OFF, AUTO or ON")
endif()
if(NOT _arm64_mode STREQUAL "OFF")
  # What the cross build and the emulated tests need, each with the Debian package that brings it.
  find_program(TSUKU_AARCH64_CXX aarch64-linux-gnu-g++)
  find_program(TSUKU_QEMU_AARCH64 qemu-aarch64-static)
  find_program(TSUKU_AARCH64_STRIP aarch64-linux-gnu-strip)
  if(NOT TSUKU_AARCH64_CXX OR NOT TSUKU_AARCH64_STRIP)
    list(APPEND TSUKU_ARM64_MISSING "aarch64-linux-gnu-g++ and -strip (g++-aarch64-linux-gnu)")
  endif()
  if(NOT TSUKU_QEMU_AARCH64)
    list(APPEND TSUKU_ARM64_MISSING "qemu-aarch64-static (qemu-user-static)")
  endif()
  foreach(_pair "/lib/ld-linux-aarch64.so.1|libc6:arm64" "/usr/lib/aarch64-linux-gnu/libgrpc++.so|libgrpc++-dev:arm64"
                "/usr/lib/aarch64-linux-gnu/libcurl.so|libcurl4-openssl-dev:arm64"
                "/usr/lib/aarch64-linux-gnu/libgtest.a|libgtest-dev:arm64")
    string(REPLACE "|" ";" _pair "${_pair}")
    list(GET _pair 0 _file)
    list(GET _pair 1 _pkg)
    if(NOT EXISTS "${_file}")
      list(APPEND TSUKU_ARM64_MISSING "${_file} (${_pkg})")
    endif()
  endforeach()
  if(TSUKU_ARM64_MISSING)
    list(JOIN TSUKU_ARM64_MISSING ", " _missing)
    set(_msg "the linux-arm64 cross build needs: ${_missing}. Fix: scripts/install-deps.sh --arm64")
    if(_arm64_mode STREQUAL "ON")
      message(FATAL_ERROR "TSUKU_ARM64=ON: ${_msg}")
    endif()
    message(WARNING "TSUKU_ARM64=AUTO: no linux-arm64 packages and no arm64 tests: ${_msg}")
  else()
    set(TSUKU_ARM64_ENABLED ON)
  endif()
endif()
message(STATUS "linux-arm64 cross build: ${TSUKU_ARM64_ENABLED} (TSUKU_ARM64=${TSUKU_ARM64})")
if(NOT TSUKU_ARM64_ENABLED)
  return()
endif()

# The cross tree inherits the build type and the compiler launcher (ccache) of this one.
set(_arm64_configure
    -S "${CMAKE_SOURCE_DIR}" -B "${TSUKU_ARM64_BUILD_DIR}" -G Ninja
    "-DCMAKE_TOOLCHAIN_FILE=${CMAKE_SOURCE_DIR}/cmake/toolchains/aarch64-linux-gnu.cmake"
    "-DCMAKE_BUILD_TYPE=${CMAKE_BUILD_TYPE}"
    "-DTSUKU_MANIFEST_EMBED=${CMAKE_BINARY_DIR}/generated/manifest/embedded_manifest_data.cpp")
if(CMAKE_CXX_COMPILER_LAUNCHER)
  list(APPEND _arm64_configure "-DCMAKE_CXX_COMPILER_LAUNCHER=${CMAKE_CXX_COMPILER_LAUNCHER}"
                               "-DCMAKE_C_COMPILER_LAUNCHER=${CMAKE_C_COMPILER_LAUNCHER}")
endif()
# Lists travel as one -D argument each: $<SEMICOLON> keeps a custom command from splitting them.
string(REPLACE ";" "$<SEMICOLON>" _arm64_configure_arg "${_arm64_configure}")

# Step 1. Always runs (the inner ninja decides what is out of date; a no-op costs well under a second); the
# variant's server is a byproduct, so the release step reruns only when it changed.
add_custom_target(arm64_variant
  COMMAND ${CMAKE_COMMAND} "-DARGS=${_arm64_configure_arg}" "-DDIR=${TSUKU_ARM64_BUILD_DIR}" "-DTARGETS=tsuku-llm-cpu"
          -P "${CMAKE_SOURCE_DIR}/cmake/arm64_build.cmake"
  BYPRODUCTS "${TSUKU_ARM64_BUILD_DIR}/variants/cpu/tsuku-llm"
  COMMENT "linux-arm64: cross-building tsuku-llm (cpu)" USES_TERMINAL VERBATIM)

# Step 3. After the release step wrote the manifest: the arm64 tsuku embedding it, the arm64 test executables, and
# both platforms' tsuku packages in the release folder.
set(_arm64_targets tsuku tsuku-cli)
if(TSUKU_BUILD_TESTS)
  list(APPEND _arm64_targets arm64_tests)
endif()
string(REPLACE ";" "$<SEMICOLON>" _arm64_targets_arg "${_arm64_targets}")
set(_release_dir "${CMAKE_BINARY_DIR}/release")
# The tsuku packages ship stripped programs (with debug info they weigh 50 MB instead of 2 MB): staged copies,
# keeping their times (-p); make-release repacks only when their checksums change.
set(_stage "${CMAKE_BINARY_DIR}/tsuku-stage")
set(_strip_commands "")
foreach(_platform_strip "linux-arm64|${TSUKU_AARCH64_STRIP}|${TSUKU_ARM64_BUILD_DIR}/bin"
                        "linux-amd64|${CMAKE_STRIP}|${CMAKE_BINARY_DIR}/bin")
  string(REPLACE "|" ";" _platform_strip "${_platform_strip}")
  list(GET _platform_strip 0 _platform)
  list(GET _platform_strip 1 _strip)
  list(GET _platform_strip 2 _bin)
  list(APPEND _strip_commands COMMAND ${CMAKE_COMMAND} -E make_directory "${_stage}/${_platform}")
  foreach(_file tsuku libtsuku-cli.so)
    list(APPEND _strip_commands COMMAND "${_strip}" -p -o "${_stage}/${_platform}/${_file}" "${_bin}/${_file}")
  endforeach()
  list(APPEND _strip_commands COMMAND make-release --version "${PROJECT_VERSION}" --platform ${_platform}
                                      --out "${_release_dir}" --pack-tsuku "${_stage}/${_platform}")
endforeach()
add_custom_target(arm64_programs ALL
  COMMAND ${CMAKE_COMMAND} "-DARGS=${_arm64_configure_arg}" "-DDIR=${TSUKU_ARM64_BUILD_DIR}"
          "-DTARGETS=${_arm64_targets_arg}" -P "${CMAKE_SOURCE_DIR}/cmake/arm64_build.cmake"
  ${_strip_commands}
  BYPRODUCTS "${TSUKU_ARM64_BUILD_DIR}/bin/tsuku" "${_release_dir}/tsuku-${PROJECT_VERSION}-linux-arm64.tar.zst"
             "${_release_dir}/tsuku-${PROJECT_VERSION}-linux-amd64.tar.zst"
  COMMENT "linux-arm64: cross-building tsuku and the arm64 tests; packing both platforms' tsuku" USES_TERMINAL
  VERBATIM)
add_dependencies(arm64_programs release tsuku make-release)
