// The inference server as the gateway sees it: its socket (gRPC) and what it serves, in a slot that `tsuku llm
// serve` fills once the server is ready and empties while it starts one (again).
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <mutex>
#include <set>
#include <string>

#include <grpcpp/grpcpp.h>

#include "tsuku/llm/v1/inference.grpc.pb.h"

namespace tsuku::gateway {

class Upstream {
public:
    Upstream(const std::filesystem::path& socket, std::string backend, std::string model);

    tsuku::llm::v1::InferenceService::Stub& stub() { return *stub_; }
    // GetStatus; with `keep_alive` the server's idle timeout starts again (StatusRequest.keep_alive).
    grpc::Status status(bool keep_alive, std::chrono::milliseconds timeout, tsuku::llm::v1::StatusResponse* out);

    const std::filesystem::path socket;
    const std::string backend;
    const std::string model;

private:
    std::unique_ptr<tsuku::llm::v1::InferenceService::Stub> stub_;
};

// The calls in flight, so a stopping serve cancels them (the server stops at the next token) instead of waiting for
// their replies.
class CallRegistry {
public:
    bool add(grpc::ClientContext* ctx);  // false once stopping: the call must not start
    void remove(grpc::ClientContext* ctx);
    void cancel_all();  // and refuse new ones

private:
    std::mutex mu_;
    std::set<grpc::ClientContext*> calls_;
    bool stopping_ = false;
};

// Thread-safe: request handlers read it, serve's supervision loop writes it.
class UpstreamSlot {
public:
    struct State {
        std::shared_ptr<Upstream> ready;  // null while starting
        std::string starting_backend;     // what is being launched, when known
        std::string starting_model;
    };
    void starting(const std::string& backend, const std::string& model);
    void set_ready(std::shared_ptr<Upstream> upstream);
    State state() const;
    std::shared_ptr<Upstream> ready() const;
    CallRegistry& calls() { return calls_; }

private:
    CallRegistry calls_;
    mutable std::mutex mu_;
    State state_;
};

}  // namespace tsuku::gateway
