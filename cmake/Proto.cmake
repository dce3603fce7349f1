# C++ code for proto/tsuku/llm/v1/inference.proto (messages + gRPC stubs).
set(_proto_dir "${CMAKE_SOURCE_DIR}/proto")
set(_proto "${_proto_dir}/tsuku/llm/v1/inference.proto")
set(_gen "${CMAKE_BINARY_DIR}/generated")
set(_outs "${_gen}/tsuku/llm/v1/inference.pb.cc" "${_gen}/tsuku/llm/v1/inference.pb.h"
          "${_gen}/tsuku/llm/v1/inference.grpc.pb.cc" "${_gen}/tsuku/llm/v1/inference.grpc.pb.h")
add_custom_command(
  OUTPUT ${_outs}
  COMMAND ${CMAKE_COMMAND} -E make_directory "${_gen}"
  COMMAND protobuf::protoc --cpp_out "${_gen}" --grpc_out "${_gen}"
          "--plugin=protoc-gen-grpc=$<TARGET_FILE:gRPC::grpc_cpp_plugin>" -I "${_proto_dir}" "${_proto}"
  DEPENDS "${_proto}"
  COMMENT "protoc: inference.proto")
add_library(tsuku_proto STATIC ${_outs})
target_include_directories(tsuku_proto SYSTEM PUBLIC "${_gen}")
target_link_libraries(tsuku_proto PUBLIC protobuf::libprotobuf gRPC::grpc++)
target_compile_options(tsuku_proto PRIVATE -w)  # generated code
