// The server reads a CompletionRequest from the wire itself: protobuf refuses a proto3 string that is not UTF-8
// before any handler runs, and gRPC then answers INTERNAL with an empty message. Read through CheckedRequest's
// traits, such a request is refused with INVALID_ARGUMENT naming the field and the byte.
#pragma once

#include <google/protobuf/descriptor.h>
#include <grpcpp/impl/serialization_traits.h>
#include <grpcpp/support/byte_buffer.h>
#include <grpcpp/support/status.h>

#include <string>
#include <string_view>

#include "tsuku/llm/v1/inference.pb.h"

namespace tsuku::server {

struct CheckedRequest {
    tsuku::llm::v1::CompletionRequest request;
};

// The first string field of the serialized message `wire` (of `type`) that is not valid UTF-8, as
// "messages[1].content is not valid UTF-8 (byte 12 of the field)", or "" when there is none. Malformed input gives
// "" too: the parser then refuses it.
std::string invalid_utf8_field(const google::protobuf::Descriptor& type, std::string_view wire);

}  // namespace tsuku::server

template <>
class grpc::SerializationTraits<tsuku::server::CheckedRequest, void> {
public:
    static grpc::Status Deserialize(grpc::ByteBuffer* buffer, tsuku::server::CheckedRequest* msg);
    static grpc::Status Serialize(const tsuku::server::CheckedRequest& msg, grpc::ByteBuffer* buffer, bool* own);
};
