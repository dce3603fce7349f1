#include "server/checked_request.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/wire_format_lite.h>
#include <grpcpp/impl/codegen/proto_utils.h>

#include <map>
#include <vector>

#include "server/utf8.h"

namespace tsuku::server {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::internal::WireFormatLite;

std::string find_invalid(const google::protobuf::Descriptor& type, std::string_view wire, const std::string& prefix) {
    google::protobuf::io::CodedInputStream in(reinterpret_cast<const uint8_t*>(wire.data()),
                                              static_cast<int>(wire.size()));
    std::map<int, int> count;  // occurrences of each repeated field so far: its index
    for (uint32_t tag = in.ReadTag(); tag != 0; tag = in.ReadTag()) {
        const FieldDescriptor* field = type.FindFieldByNumber(WireFormatLite::GetTagFieldNumber(tag));
        if (!field || WireFormatLite::GetTagWireType(tag) != WireFormatLite::WIRETYPE_LENGTH_DELIMITED) {
            if (!WireFormatLite::SkipField(&in, tag)) return "";
            continue;
        }
        uint32_t len = 0;
        if (!in.ReadVarint32(&len)) return "";
        const auto at = static_cast<size_t>(in.CurrentPosition());
        if (len > wire.size() - at || !in.Skip(static_cast<int>(len))) return "";
        const std::string_view bytes = wire.substr(at, len);
        std::string name = prefix + field->name();
        if (field->is_repeated()) name += "[" + std::to_string(count[field->number()]++) + "]";
        if (field->type() == FieldDescriptor::TYPE_STRING) {
            if (const size_t bad = first_invalid_utf8(bytes); bad != std::string_view::npos) {
                return name + " is not valid UTF-8 (byte " + std::to_string(bad) + " of the field)";
            }
        } else if (field->type() == FieldDescriptor::TYPE_MESSAGE) {
            if (auto r = find_invalid(*field->message_type(), bytes, name + "."); !r.empty()) return r;
        }
    }
    return "";
}

}  // namespace

std::string invalid_utf8_field(const google::protobuf::Descriptor& type, std::string_view wire) {
    return find_invalid(type, wire, "");
}

}  // namespace tsuku::server

grpc::Status grpc::SerializationTraits<tsuku::server::CheckedRequest, void>::Deserialize(
    grpc::ByteBuffer* buffer, tsuku::server::CheckedRequest* msg) {
    std::vector<grpc::Slice> slices;
    const grpc::Status dumped = buffer->Dump(&slices);
    buffer->Clear();  // the traits own the buffer (as protobuf's own traits do)
    if (!dumped.ok()) return {grpc::StatusCode::INTERNAL, "the request could not be read"};
    std::string wire;
    for (const auto& s : slices) wire.append(reinterpret_cast<const char*>(s.begin()), s.size());
    const auto* type = tsuku::llm::v1::CompletionRequest::descriptor();
    if (const auto bad = tsuku::server::invalid_utf8_field(*type, wire); !bad.empty()) {
        return {grpc::StatusCode::INVALID_ARGUMENT, "the request's " + bad + ": send text as UTF-8"};
    }
    if (!msg->request.ParseFromString(wire)) {
        return {grpc::StatusCode::INVALID_ARGUMENT, "the request is not a valid tsuku.llm.v1.CompletionRequest"};
    }
    return grpc::Status::OK;
}

grpc::Status grpc::SerializationTraits<tsuku::server::CheckedRequest, void>::Serialize(
    const tsuku::server::CheckedRequest& msg, grpc::ByteBuffer* buffer, bool* own) {
    return grpc::SerializationTraits<tsuku::llm::v1::CompletionRequest>::Serialize(msg.request, buffer, own);
}
