// Client of the server's InferenceService over its Unix socket. RPC failures become UserErrors that say what
// happened in the user's terms (the server died mid-request, the request was invalid, …).
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <stdexcept>

#include "tsuku/llm/v1/inference.grpc.pb.h"

namespace tsuku::client {

// Cancels a call in progress from another thread (a Ctrl-C watcher); a call started after cancel() ends at once.
class Cancellation {
public:
    void cancel();
    bool cancelled() const;

private:
    friend class LlmClient;
    void attach(grpc::ClientContext* ctx);
    void detach();
    mutable std::mutex mutex_;
    grpc::ClientContext* ctx_ = nullptr;
    bool cancelled_ = false;
};

// The call ended because its Cancellation was used (the server stops generating at its next token).
class CallCancelled : public std::runtime_error {
public:
    CallCancelled() : std::runtime_error("the call was cancelled") {}
};

class LlmClient {
public:
    explicit LlmClient(const std::filesystem::path& socket);

    tsuku::llm::v1::CompletionResponse complete(const tsuku::llm::v1::CompletionRequest& request,
                                                std::chrono::milliseconds timeout, Cancellation* cancel = nullptr);
    // CompleteStream: `on_chunk` gets every chunk as it arrives, the last (stop_reason set) included, which is also
    // returned. Throws CallCancelled when `cancel` was used, UserError for the failures complete() names.
    tsuku::llm::v1::CompletionChunk complete_stream(
        const tsuku::llm::v1::CompletionRequest& request, std::chrono::milliseconds timeout,
        const std::function<void(const tsuku::llm::v1::CompletionChunk&)>& on_chunk, Cancellation* cancel = nullptr);
    tsuku::llm::v1::StatusResponse status(std::chrono::milliseconds timeout);
    bool shutdown(bool graceful, std::chrono::milliseconds timeout);

private:
    std::filesystem::path socket_;
    std::unique_ptr<tsuku::llm::v1::InferenceService::Stub> stub_;
};

// True when something accepts connections on the Unix socket right now (one connect(2), no retries).
bool socket_accepts_connections(const std::filesystem::path& socket);

}  // namespace tsuku::client
