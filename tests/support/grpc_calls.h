// The gRPC calls the server tests make, over the real Unix socket.
#pragma once

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>

#include "tsuku/llm/v1/inference.grpc.pb.h"

namespace tsuku::test {

std::unique_ptr<tsuku::llm::v1::InferenceService::Stub> stub_for(const std::filesystem::path& socket);

// One user message.
tsuku::llm::v1::CompletionRequest user_request(const std::string& text, int max_tokens);
// A request that cannot end by itself before it is cancelled: its grammar needs a million characters, more than any
// context holds, so the model can neither stop nor complete it (a synthetic model could otherwise end any time).
tsuku::llm::v1::CompletionRequest endless_request(int max_tokens = 100000);

// Complete with a deadline generous enough for a loaded 2-core machine (it bounds a hang, it times nothing).
grpc::Status call_complete(tsuku::llm::v1::InferenceService::Stub& stub, const tsuku::llm::v1::CompletionRequest& r,
                           tsuku::llm::v1::CompletionResponse* out,
                           std::chrono::seconds deadline = std::chrono::seconds(300));

// Condition-based wait (bounded at two minutes) until `log` contains `needle` at least `times` times.
bool wait_for_log(const std::filesystem::path& log, const std::string& needle, size_t times = 1);

}  // namespace tsuku::test
