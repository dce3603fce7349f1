# llama.cpp arrives as pinned npm packages (third_party/llama-pins.txt): fetch-llama.sh verifies and extracts them.
# It runs at configure time and again whenever the pins change, for this tree's platform only.
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${CMAKE_SOURCE_DIR}/third_party/llama-pins.txt"
                                                               "${CMAKE_SOURCE_DIR}/scripts/fetch-llama.sh")
execute_process(COMMAND "${CMAKE_SOURCE_DIR}/scripts/fetch-llama.sh" "${TSUKU_DEPS_DIR}" "${TSUKU_TARGET_PLATFORM}"
                RESULT_VARIABLE _fetch_rc)
if(NOT _fetch_rc EQUAL 0)
  message(FATAL_ERROR "scripts/fetch-llama.sh failed (see the error above): llama.cpp is not available")
endif()

set(TSUKU_LLAMA_SRC "${TSUKU_DEPS_DIR}/llama-src")
set(TSUKU_LLAMA_VOCAB "${TSUKU_LLAMA_SRC}/models/ggml-vocab-qwen2.gguf")
set(TSUKU_LLAMA_CHAT_TEMPLATE "${TSUKU_LLAMA_SRC}/models/templates/Qwen-Qwen2.5-7B-Instruct.jinja")

add_library(llama_headers INTERFACE)
target_include_directories(llama_headers SYSTEM INTERFACE "${TSUKU_LLAMA_SRC}/include" "${TSUKU_LLAMA_SRC}/ggml/include")
# The common headers are included by name ("chat.h"): only the server code that wraps them links this.
add_library(llama_common_headers INTERFACE)
target_include_directories(llama_common_headers SYSTEM INTERFACE "${TSUKU_LLAMA_SRC}/common")
target_link_libraries(llama_common_headers INTERFACE llama_headers)

# The llama.cpp release, read from the prebuilt package's own build metadata.
file(READ "${TSUKU_DEPS_DIR}/prebuilt/cpu/_nlcBuildMetadata.json" _meta)
string(JSON TSUKU_LLAMA_CPP_RELEASE GET "${_meta}" buildOptions llamaCpp release)

# Every backend fetch-llama.sh extracted: prebuilt/<backend>/.
file(GLOB _backend_dirs LIST_DIRECTORIES true "${TSUKU_DEPS_DIR}/prebuilt/*")
set(TSUKU_BACKENDS "")
foreach(_dir IN LISTS _backend_dirs)
  get_filename_component(_backend "${_dir}" NAME)
  file(GLOB _libllama "${_dir}/libllama.*so")
  file(GLOB _libggml "${_dir}/libggml.*so")
  if(NOT _libllama OR NOT _libggml OR NOT EXISTS "${_dir}/libggml-base.so")
    message(FATAL_ERROR "prebuilt ${_backend}: libllama/libggml/libggml-base missing in ${_dir}")
  endif()
  # One imported target per library; libllama-<backend> links all three.
  foreach(_pair "llama;${_libllama}" "ggml;${_libggml}" "ggml_base;${_dir}/libggml-base.so")
    list(GET _pair 0 _lib)
    list(GET _pair 1 _path)
    add_library(prebuilt_${_backend}_${_lib} SHARED IMPORTED GLOBAL)
    set_target_properties(prebuilt_${_backend}_${_lib} PROPERTIES IMPORTED_LOCATION "${_path}")
  endforeach()
  add_library(llama_${_backend} INTERFACE)
  target_link_libraries(llama_${_backend} INTERFACE llama_headers prebuilt_${_backend}_llama
                                                    prebuilt_${_backend}_ggml prebuilt_${_backend}_ggml_base)
  # llama.cpp's common library (chat templates with tools, tool-call parsing, JSON schema -> grammar), built by the
  # package from the same commit as the headers in llama-src/common.
  if(NOT EXISTS "${_dir}/libllama-common.so")
    message(FATAL_ERROR "prebuilt ${_backend}: libllama-common.so missing in ${_dir}")
  endif()
  add_library(prebuilt_${_backend}_common SHARED IMPORTED GLOBAL)
  set_target_properties(prebuilt_${_backend}_common PROPERTIES IMPORTED_LOCATION "${_dir}/libllama-common.so")
  add_library(llama_common_${_backend} INTERFACE)
  target_link_libraries(llama_common_${_backend} INTERFACE llama_common_headers llama_${_backend}
                                                           prebuilt_${_backend}_common)
  set(TSUKU_PREBUILT_DIR_${_backend} "${_dir}")
  list(APPEND TSUKU_BACKENDS "${_backend}")
endforeach()
message(STATUS "llama.cpp ${TSUKU_LLAMA_CPP_RELEASE}; prebuilt backends: ${TSUKU_BACKENDS}")
