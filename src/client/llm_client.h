// Client of the server's InferenceService over its Unix socket. RPC failures become UserErrors that say what
// happened in the user's terms (the server died mid-request, the request was invalid, …).
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>

#include "tsuku/llm/v1/inference.grpc.pb.h"

namespace tsuku::client {

class LlmClient {
public:
    explicit LlmClient(const std::filesystem::path& socket);

    tsuku::llm::v1::CompletionResponse complete(const tsuku::llm::v1::CompletionRequest& request,
                                                std::chrono::milliseconds timeout);
    tsuku::llm::v1::StatusResponse status(std::chrono::milliseconds timeout);
    bool shutdown(bool graceful, std::chrono::milliseconds timeout);

private:
    std::filesystem::path socket_;
    std::unique_ptr<tsuku::llm::v1::InferenceService::Stub> stub_;
};

// True when something accepts connections on the Unix socket right now (one connect(2), no retries).
bool socket_accepts_connections(const std::filesystem::path& socket);

}  // namespace tsuku::client
