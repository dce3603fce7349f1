#include "server/inference_service.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <functional>

#include "server/checked_request.h"
#include "server/request_mapping.h"

namespace tsuku::server {

namespace v1 = tsuku::llm::v1;

InferenceService::InferenceService(Engine& engine, const ChatTemplates& templates, ShutdownController& shutdown,
                                   ServerIdentity identity, size_t max_waiting, PromptCache* cache)
    : engine_(engine),
      templates_(templates),
      shutdown_(shutdown),
      identity_(std::move(identity)),
      queue_(max_waiting),
      cache_(cache) {
    // The methods in the proto's order, by their full names ("/tsuku.llm.v1.InferenceService/Complete").
    const auto* service = google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(
        tsuku::llm::v1::CompletionRequest::descriptor()->file()->package() + ".InferenceService");
    for (int i = 0; i < service->method_count(); ++i) {
        method_names_.push_back("/" + service->full_name() + "/" + service->method(i)->name());
    }
    if (method_names_.size() != 3 || !method_names_[0].ends_with("/Complete") ||
        !method_names_[1].ends_with("/Shutdown") || !method_names_[2].ends_with("/GetStatus")) {
        throw std::logic_error("InferenceService: the proto's methods are not Complete, Shutdown, GetStatus");
    }
    using grpc::internal::RpcMethodHandler;
    const auto add = [this](size_t i, grpc::internal::MethodHandler* handler) {
        AddMethod(new grpc::internal::RpcServiceMethod(method_names_[i].c_str(), grpc::internal::RpcMethod::NORMAL_RPC,
                                                       handler));
    };
    add(0, new RpcMethodHandler<InferenceService, CheckedRequest, v1::CompletionResponse>(
               [](InferenceService* self, grpc::ServerContext* ctx, const CheckedRequest* req,
                  v1::CompletionResponse* resp) { return self->Complete(ctx, &req->request, resp); },
               this));
    add(1, new RpcMethodHandler<InferenceService, v1::ShutdownRequest, v1::ShutdownResponse>(
               std::mem_fn(&InferenceService::Shutdown), this));
    add(2, new RpcMethodHandler<InferenceService, v1::StatusRequest, v1::StatusResponse>(
               std::mem_fn(&InferenceService::GetStatus), this));
}

grpc::Status InferenceService::Complete(grpc::ServerContext* context, const v1::CompletionRequest* request,
                                        v1::CompletionResponse* response) {
    ShutdownController::Activity activity(shutdown_);
    ChatRequest chat;
    RenderedChat rendered;
    try {
        chat = to_chat_request(*request);
        rendered = templates_.render(chat);  // before queueing: a bad request never waits
    } catch (const RequestError& e) {
        return {grpc::StatusCode::INVALID_ARGUMENT, e.what()};
    }
    GenerationInput input{rendered.prompt, {}, chat.max_tokens, rendered.grammar, rendered.preserved_tokens,
                          rendered.stops};
    try {
        input.tokens = engine_.tokenize_prompt(rendered.prompt);  // a prompt over the context never waits either
    } catch (const RequestError& e) {
        return {grpc::StatusCode::INVALID_ARGUMENT, e.what()};
    }
    if (cache_) {  // a long prefix not saved yet is saved after the reply
        if (const auto prefix = prompt_prefix_text(rendered.prompt, chat)) {
            input.save_prefix = cache_->prefix_to_save(*prefix, input.tokens);
        }
    }
    // Generation stops at the next token when the client goes away or the server is asked to stop.
    const auto cancelled = [this, context] { return context->IsCancelled() || shutdown_.stopping(); };

    GenerationOutput out;
    try {
        auto turn = queue_.acquire(
            [&] { return context->IsCancelled() || shutdown_.stopping(); },
            [](size_t ahead) { spdlog::info("complete: queued behind the request in progress ({} ahead)", ahead); });
        if (!turn) {
            if (context->IsCancelled()) {
                spdlog::info("complete: a waiting request left the queue: its client went away");
                return {grpc::StatusCode::CANCELLED, "the client went away before generation"};
            }
            return {grpc::StatusCode::UNAVAILABLE, "the server is shutting down: retry on a new server"};
        }
        spdlog::info("complete: started ({} messages, {} tools, max_tokens {}{})", chat.messages.size(),
                     chat.tools.size(), chat.max_tokens, input.grammar.gbnf.empty() ? "" : ", constrained");
        out = engine_.generate(input, cancelled);
        if (cache_ && input.save_prefix > 0) cache_->saved_soon();
    } catch (const QueueFull& e) {
        spdlog::warn("complete: refused: {}", e.what());
        return {grpc::StatusCode::RESOURCE_EXHAUSTED, e.what()};
    } catch (const RequestError& e) {
        return {grpc::StatusCode::INVALID_ARGUMENT, e.what()};
    } catch (const std::exception& e) {
        spdlog::error("complete failed: {}", e.what());
        return {grpc::StatusCode::INTERNAL, std::string("inference failed: ") + e.what()};
    }
    if (out.stop == StopReason::cancelled && context->IsCancelled()) {
        spdlog::info("complete: cancelled after {} tokens: the client went away", out.output_tokens);
        return {grpc::StatusCode::CANCELLED,
                "generation cancelled after " + std::to_string(out.output_tokens) + " tokens"};
    }
    if (out.stop == StopReason::cancelled) {  // the server is stopping: the client gets what was generated
        spdlog::info("complete: cancelled after {} tokens: the server is shutting down", out.output_tokens);
    }

    if (out.restored_tokens > 0 && cache_) {
        cache_->count_hit();
        spdlog::info("complete: restored {} prompt tokens from the saved state {} in {:.0f} ms (prompt {:.0f} ms)",
                     out.restored_tokens, out.restored_from, out.restore_ms, out.prompt_ms);
    }

    const ParsedReply reply = templates_.parse(rendered, out.text, out.stop != StopReason::end_turn);
    response->set_content(reply.content);
    for (const auto& c : reply.tool_calls) {
        auto* tc = response->add_tool_calls();
        tc->set_id(c.id);
        tc->set_name(c.name);
        tc->set_arguments_json(c.arguments_json);
    }
    const bool interrupted = out.stop == StopReason::cancelled || out.stop == StopReason::context_full;
    const char* stop = reply.tool_calls.empty() || interrupted ? stop_reason_name(out.stop) : "tool_use";
    response->set_stop_reason(stop);
    response->mutable_usage()->set_input_tokens(out.input_tokens);
    response->mutable_usage()->set_output_tokens(out.output_tokens);
    response->mutable_usage()->set_cached_input_tokens(out.cached_tokens);
    response->mutable_timing()->set_prompt_ms(out.prompt_ms);
    response->mutable_timing()->set_generation_ms(out.generation_ms);
    spdlog::info("complete: {} prompt tokens ({} cached), {} generated, {} tool calls, stop {}", out.input_tokens,
                 out.cached_tokens, out.output_tokens, reply.tool_calls.size(), stop);
    return grpc::Status::OK;
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
    response->set_gguf_name(identity_.gguf_name);
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
    response->set_uptime_ms(
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started_).count());
    const auto idle = shutdown_.idle_remaining();
    response->set_idle_remaining_ms(idle ? idle->count() : -1);
    response->set_threads(identity_.threads);
    response->set_threads_why(identity_.threads_why);
    response->set_max_request_bytes(static_cast<int64_t>(identity_.max_request_bytes));
    if (cache_) {
        const auto c = cache_->stats();
        response->set_prompt_cache_bytes(static_cast<int64_t>(c.bytes));
        response->set_prompt_cache_budget_bytes(static_cast<int64_t>(c.budget_bytes));
        response->set_prompt_cache_states(static_cast<int32_t>(c.files));
        response->set_prompt_cache_hits(static_cast<int64_t>(c.hits));
        response->set_prompt_cache_saves(static_cast<int64_t>(c.saves));
    }
    return grpc::Status::OK;
}

}  // namespace tsuku::server
