// The gRPC InferenceService (DESIGN.md 3.2) over one Engine. Requests are served one at a time, in arrival order.
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <string>

#include "server/backend_check.h"
#include "server/engine.h"
#include "server/shutdown_controller.h"
#include "tsuku/llm/v1/inference.grpc.pb.h"

namespace tsuku::server {

struct ServerIdentity {
    std::string model_name;
    int64_t model_size_bytes = 0;
    std::string backend;
    std::function<int64_t()> available_vram_bytes;  // free memory of the device the model runs on (0 for cpu)
    std::string addon_version;
    std::vector<DeviceInfo> devices;
};

class InferenceService final : public tsuku::llm::v1::InferenceService::Service {
public:
    InferenceService(Engine& engine, ShutdownController& shutdown, ServerIdentity identity);

    grpc::Status Complete(grpc::ServerContext* context, const tsuku::llm::v1::CompletionRequest* request,
                          tsuku::llm::v1::CompletionResponse* response) override;
    grpc::Status Shutdown(grpc::ServerContext* context, const tsuku::llm::v1::ShutdownRequest* request,
                          tsuku::llm::v1::ShutdownResponse* response) override;
    grpc::Status GetStatus(grpc::ServerContext* context, const tsuku::llm::v1::StatusRequest* request,
                           tsuku::llm::v1::StatusResponse* response) override;

private:
    Engine& engine_;
    ShutdownController& shutdown_;
    ServerIdentity identity_;
    std::mutex engine_mu_;
};

}  // namespace tsuku::server
