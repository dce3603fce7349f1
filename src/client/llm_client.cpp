#include "client/llm_client.h"

#include <sys/socket.h>
#include <sys/un.h>

#include <grpcpp/grpcpp.h>
#include <cstring>

#include "common/error.h"
#include "common/unique_fd.h"

namespace fs = std::filesystem;
namespace v1 = tsuku::llm::v1;

namespace tsuku::client {
namespace {

std::unique_ptr<grpc::ClientContext> context_with(std::chrono::milliseconds timeout) {
    auto ctx = std::make_unique<grpc::ClientContext>();
    ctx->set_deadline(std::chrono::system_clock::now() + timeout);
    return ctx;
}

[[noreturn]] void throw_rpc_error(const char* rpc, const grpc::Status& s, const fs::path& socket) {
    switch (s.error_code()) {
        case grpc::StatusCode::INVALID_ARGUMENT:
        case grpc::StatusCode::OUT_OF_RANGE:
            throw UserError("the server refused the request: " + s.error_message(),
                            "change the request as the message says");
        case grpc::StatusCode::UNAVAILABLE:
            throw UserError(std::string("the server at ") + socket.string() + " went away during " + rpc + " (" +
                                s.error_message() + ")",
                            "run the command again: tsuku starts a new server; see the server log if it keeps failing");
        case grpc::StatusCode::DEADLINE_EXCEEDED:
            throw UserError(std::string(rpc) + " did not finish in time",
                            "ask for fewer tokens (--max-tokens) or try again");
        case grpc::StatusCode::RESOURCE_EXHAUSTED:
            // gRPC's own refusal of a message over the server's limit (StatusResponse.max_request_bytes).
            if (s.error_message().find("larger than max") != std::string::npos) {
                throw UserError("the request is too large for the server: " + s.error_message(),
                                "shorten the prompt: it must fit the model's context anyway");
            }
            throw UserError(s.error_message(), "try again in a moment");  // the server says it is busy and why
        default:
            throw UserError(std::string(rpc) + " failed: " + s.error_message() + " (gRPC code " +
                                std::to_string(static_cast<int>(s.error_code())) + ")",
                            "see the server log; run the command again");
    }
}

}  // namespace

LlmClient::LlmClient(const fs::path& socket) : socket_(socket) {
    grpc::ChannelArguments args;
    args.SetMaxReceiveMessageSize(64 << 20);
    args.SetMaxSendMessageSize(64 << 20);
    auto channel = grpc::CreateCustomChannel("unix:" + socket.string(), grpc::InsecureChannelCredentials(), args);
    stub_ = v1::InferenceService::NewStub(channel);
}

v1::CompletionResponse LlmClient::complete(const v1::CompletionRequest& request, std::chrono::milliseconds timeout,
                                           Cancellation* cancel) {
    auto ctx = context_with(timeout);
    if (cancel) cancel->attach(ctx.get());
    v1::CompletionResponse response;
    const auto s = stub_->Complete(ctx.get(), request, &response);
    if (cancel) cancel->detach();
    if (cancel && cancel->cancelled()) throw CallCancelled();
    if (!s.ok()) throw_rpc_error("Complete", s, socket_);
    return response;
}

void Cancellation::cancel() {
    std::lock_guard lock(mutex_);
    cancelled_ = true;
    if (ctx_) ctx_->TryCancel();
}

bool Cancellation::cancelled() const {
    std::lock_guard lock(mutex_);
    return cancelled_;
}

void Cancellation::attach(grpc::ClientContext* ctx) {
    std::lock_guard lock(mutex_);
    ctx_ = ctx;
    if (cancelled_) ctx_->TryCancel();
}

void Cancellation::detach() {
    std::lock_guard lock(mutex_);
    ctx_ = nullptr;
}

v1::CompletionChunk LlmClient::complete_stream(const v1::CompletionRequest& request, std::chrono::milliseconds timeout,
                                               const std::function<void(const v1::CompletionChunk&)>& on_chunk,
                                               Cancellation* cancel) {
    auto ctx = context_with(timeout);
    if (cancel) cancel->attach(ctx.get());
    struct Detach {
        Cancellation* c;
        ~Detach() {
            if (c) c->detach();
        }
    } detach{cancel};
    auto reader = stub_->CompleteStream(ctx.get(), request);
    v1::CompletionChunk chunk, last;
    bool final_seen = false;
    while (reader->Read(&chunk)) {
        on_chunk(chunk);
        if (!chunk.stop_reason().empty()) {
            last = chunk;
            final_seen = true;
        }
    }
    const auto s = reader->Finish();
    if (cancel && cancel->cancelled()) throw CallCancelled();
    if (!s.ok()) throw_rpc_error("CompleteStream", s, socket_);
    if (!final_seen) {
        throw UserError("the server ended the reply without its final chunk",
                        "see the server log; run the command again");
    }
    return last;
}

v1::StatusResponse LlmClient::status(std::chrono::milliseconds timeout) {
    auto ctx = context_with(timeout);
    v1::StatusResponse response;
    const auto s = stub_->GetStatus(ctx.get(), v1::StatusRequest{}, &response);
    if (!s.ok()) throw_rpc_error("GetStatus", s, socket_);
    return response;
}

bool LlmClient::shutdown(bool graceful, std::chrono::milliseconds timeout) {
    auto ctx = context_with(timeout);
    v1::ShutdownRequest request;
    request.set_graceful(graceful);
    v1::ShutdownResponse response;
    const auto s = stub_->Shutdown(ctx.get(), request, &response);
    return s.ok() && response.accepted();
}

bool socket_accepts_connections(const fs::path& socket) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    const std::string p = socket.string();
    if (p.size() >= sizeof addr.sun_path) return false;
    std::memcpy(addr.sun_path, p.c_str(), p.size() + 1);
    UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!fd) return false;
    return ::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
}

}  // namespace tsuku::client
