// The gRPC InferenceService (docs/design.md §4.3) over one Engine. One request generates at a time; a bounded number
// wait behind it in arrival order (RequestQueue); a client that goes away cancels its request, waiting or running.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "server/backend_check.h"
#include "server/chat_template.h"
#include "server/engine.h"
#include "server/prompt_cache.h"
#include "server/request_queue.h"
#include "server/shutdown_controller.h"
#include "tsuku/llm/v1/inference.grpc.pb.h"

namespace tsuku::server {

struct ServerIdentity {
    std::string model_name;
    std::string gguf_name;
    int64_t model_size_bytes = 0;
    std::string backend;
    std::function<int64_t()> available_vram_bytes;  // free memory of the device the model runs on (0 for cpu)
    std::string addon_version;
    std::vector<DeviceInfo> devices;
    int threads = 0;
    std::string threads_why;       // platform/cpu_budget.h
    size_t max_request_bytes = 0;  // the largest request message the server reads
};

// A grpc::Service of its own rather than the generated one: Complete reads its request through CheckedRequest (see
// checked_request.h), which the generated handler cannot.
class InferenceService final : public grpc::Service {
public:
    InferenceService(Engine& engine, const ChatTemplates& templates, ShutdownController& shutdown,
                     ServerIdentity identity, size_t max_waiting, PromptCache* cache = nullptr);

    grpc::Status Complete(grpc::ServerContext* context, const tsuku::llm::v1::CompletionRequest* request,
                          tsuku::llm::v1::CompletionResponse* response);
    grpc::Status CompleteStream(grpc::ServerContext* context, const tsuku::llm::v1::CompletionRequest* request,
                                grpc::ServerWriter<tsuku::llm::v1::CompletionChunk>* writer);
    grpc::Status Shutdown(grpc::ServerContext* context, const tsuku::llm::v1::ShutdownRequest* request,
                          tsuku::llm::v1::ShutdownResponse* response);
    grpc::Status GetStatus(grpc::ServerContext* context, const tsuku::llm::v1::StatusRequest* request,
                           tsuku::llm::v1::StatusResponse* response);

private:
    struct Reply {
        grpc::Status status;  // not OK: nothing else is set
        GenerationOutput out;
        ParsedReply parsed;
        std::string stop_reason;
    };
    // Validates, queues and generates for both Complete and CompleteStream. `on_delta` (may be empty) gets the
    // content as it becomes showable (server/stream_cut.h) and returns false when the client can take no more.
    Reply generate_reply(grpc::ServerContext* context, const tsuku::llm::v1::CompletionRequest& request,
                         const std::function<bool(std::string_view delta)>& on_delta);

    std::vector<std::string> method_names_;  // gRPC keeps pointers to the methods' names
    Engine& engine_;
    const ChatTemplates& templates_;
    ShutdownController& shutdown_;
    ServerIdentity identity_;
    std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
    RequestQueue queue_;
    PromptCache* cache_;  // null: no persistent prompt cache
};

}  // namespace tsuku::server
