#include "server/inference_service.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include "server/request_mapping.h"

namespace tsuku::server {

namespace v1 = tsuku::llm::v1;

InferenceService::InferenceService(Engine& engine, ShutdownController& shutdown, ServerIdentity identity)
    : engine_(engine), shutdown_(shutdown), identity_(std::move(identity)) {}

grpc::Status InferenceService::Complete(grpc::ServerContext* context, const v1::CompletionRequest* request,
                                        v1::CompletionResponse* response) {
    ShutdownController::Activity activity(shutdown_);
    CompletionInput input;
    try {
        input = to_completion_input(*request);
    } catch (const RequestError& e) {
        return {grpc::StatusCode::INVALID_ARGUMENT, e.what()};
    }
    std::lock_guard lk(engine_mu_);
    if (context->IsCancelled()) return {grpc::StatusCode::CANCELLED, "the client went away before generation"};
    spdlog::info("complete: started ({} messages, max_tokens {})", request->messages_size(), input.max_tokens);
    try {
        const auto out = engine_.complete(input, [context] { return context->IsCancelled(); });
        if (out.stop == StopReason::cancelled) {
            return {grpc::StatusCode::CANCELLED,
                    "generation cancelled after " + std::to_string(out.output_tokens) + " tokens"};
        }
        response->set_content(out.text);
        response->set_stop_reason(stop_reason_name(out.stop));
        response->mutable_usage()->set_input_tokens(out.input_tokens);
        response->mutable_usage()->set_output_tokens(out.output_tokens);
        response->mutable_timing()->set_prompt_ms(out.prompt_ms);
        response->mutable_timing()->set_generation_ms(out.generation_ms);
        spdlog::info("complete: {} prompt tokens, {} generated, stop {}", out.input_tokens, out.output_tokens,
                     stop_reason_name(out.stop));
        return grpc::Status::OK;
    } catch (const RequestError& e) {
        return {grpc::StatusCode::INVALID_ARGUMENT, e.what()};
    } catch (const std::exception& e) {
        spdlog::error("complete failed: {}", e.what());
        return {grpc::StatusCode::INTERNAL, std::string("inference failed: ") + e.what()};
    }
}

grpc::Status InferenceService::Shutdown(grpc::ServerContext*, const v1::ShutdownRequest* request,
                                        v1::ShutdownResponse* response) {
    spdlog::info("shutdown requested (graceful={})", request->graceful());
    shutdown_.request(request->graceful() ? ShutdownController::Reason::requested
                                          : ShutdownController::Reason::requested_now);
    response->set_accepted(true);
    return grpc::Status::OK;
}

grpc::Status InferenceService::GetStatus(grpc::ServerContext*, const v1::StatusRequest*, v1::StatusResponse* response) {
    response->set_ready(!shutdown_.stopping());
    response->set_model_name(identity_.model_name);
    response->set_model_size_bytes(identity_.model_size_bytes);
    response->set_backend(identity_.backend);
    response->set_available_vram_bytes(identity_.available_vram_bytes ? identity_.available_vram_bytes() : 0);
    response->set_addon_version(identity_.addon_version);
    for (const auto& d : identity_.devices) {
        auto* dev = response->add_devices();
        dev->set_name(d.name);
        dev->set_description(d.description);
        dev->set_type(d.type);
        dev->set_memory_free_bytes(static_cast<int64_t>(d.memory_free));
        dev->set_memory_total_bytes(static_cast<int64_t>(d.memory_total));
    }
    response->set_pid(::getpid());
    return grpc::Status::OK;
}

}  // namespace tsuku::server
