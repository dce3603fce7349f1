#include "server/inference_service.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <functional>
#include <string_view>

#include "server/checked_request.h"
#include "server/request_mapping.h"
#include "server/stream_cut.h"
#include "server/utf8.h"

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
    if (method_names_.size() != 4 || !method_names_[0].ends_with("/Complete") ||
        !method_names_[1].ends_with("/Shutdown") || !method_names_[2].ends_with("/GetStatus") ||
        !method_names_[3].ends_with("/CompleteStream")) {
        throw std::logic_error(
            "InferenceService: the proto's methods are not Complete, Shutdown, GetStatus, CompleteStream");
    }
    using grpc::internal::RpcMethodHandler;
    const auto add = [this](size_t i, grpc::internal::MethodHandler* handler,
                            grpc::internal::RpcMethod::RpcType type = grpc::internal::RpcMethod::NORMAL_RPC) {
        AddMethod(new grpc::internal::RpcServiceMethod(method_names_[i].c_str(), type, handler));
    };
    add(0, new RpcMethodHandler<InferenceService, CheckedRequest, v1::CompletionResponse>(
               [](InferenceService* self, grpc::ServerContext* ctx, const CheckedRequest* req,
                  v1::CompletionResponse* resp) { return self->Complete(ctx, &req->request, resp); },
               this));
    add(1, new RpcMethodHandler<InferenceService, v1::ShutdownRequest, v1::ShutdownResponse>(
               std::mem_fn(&InferenceService::Shutdown), this));
    add(2, new RpcMethodHandler<InferenceService, v1::StatusRequest, v1::StatusResponse>(
               std::mem_fn(&InferenceService::GetStatus), this));
    add(3,
        new grpc::internal::ServerStreamingHandler<InferenceService, CheckedRequest, v1::CompletionChunk>(
            [](InferenceService* self, grpc::ServerContext* ctx, const CheckedRequest* req,
               grpc::ServerWriter<v1::CompletionChunk>* writer) {
                return self->CompleteStream(ctx, &req->request, writer);
            },
            this),
        grpc::internal::RpcMethod::SERVER_STREAMING);
}

InferenceService::Reply InferenceService::generate_reply(grpc::ServerContext* context,
                                                         const v1::CompletionRequest& request,
                                                         const std::function<bool(std::string_view)>& on_delta) {
    ShutdownController::Activity activity(shutdown_);
    Reply r;
    ChatRequest chat;
    RenderedChat rendered;
    try {
        chat = to_chat_request(request);
        rendered = templates_.render(chat);  // before queueing: a bad request never waits
    } catch (const RequestError& e) {
        r.status = {grpc::StatusCode::INVALID_ARGUMENT, e.what()};
        return r;
    }
    GenerationInput input{
        rendered.prompt, {}, chat.max_tokens, rendered.grammar, rendered.preserved_tokens, rendered.stops,
        chat.sampling,   {}};
    input.stops.insert(input.stops.end(), chat.sampling.stops.begin(), chat.sampling.stops.end());
    try {
        input.tokens = engine_.tokenize_prompt(rendered.prompt);  // a prompt over the context never waits either
    } catch (const RequestError& e) {
        r.status = {grpc::StatusCode::INVALID_ARGUMENT, e.what()};
        return r;
    }

    // Streaming: the raw text becomes showable a prefix at a time; `shown` is what the client has.
    bool client_gone = false;
    size_t shown_raw = 0;
    std::string shown;
    if (on_delta) {
        StreamHold hold;
        hold.stops = input.stops;
        if (rendered.parse_tool_calls) {
            hold.markers = rendered.preserved_tokens;
            hold.hold_all = !rendered.grammar.gbnf.empty() && !rendered.grammar.lazy;
            hold.hold_trailing_space = true;
        }
        input.on_text = [&, hold](const std::string& raw) {
            const size_t n = streamable_prefix(raw, hold);
            if (n <= shown_raw || client_gone) return;
            const std::string delta = sanitize_utf8(std::string_view(raw).substr(shown_raw, n - shown_raw));
            shown_raw = n;
            shown += delta;
            if (!on_delta(delta)) client_gone = true;
        };
    }
    if (cache_) {  // a long prefix not saved yet is saved after the reply
        if (const auto prefix = prompt_prefix_text(rendered.prompt, chat)) {
            input.save_prefix = cache_->prefix_to_save(*prefix, input.tokens);
        }
    }
    // Generation stops at the next token when the client goes away or the server is asked to stop.
    const auto cancelled = [&] { return client_gone || context->IsCancelled() || shutdown_.stopping(); };

    try {
        auto turn = queue_.acquire(
            [&] { return context->IsCancelled() || shutdown_.stopping(); },
            [](size_t ahead) { spdlog::info("complete: queued behind the request in progress ({} ahead)", ahead); });
        if (!turn) {
            if (context->IsCancelled()) {
                spdlog::info("complete: a waiting request left the queue: its client went away");
                r.status = {grpc::StatusCode::CANCELLED, "the client went away before generation"};
            } else {
                r.status = {grpc::StatusCode::UNAVAILABLE, "the server is shutting down: retry on a new server"};
            }
            return r;
        }
        spdlog::info("complete: started ({} messages, {} tools, max_tokens {}{}{})", chat.messages.size(),
                     chat.tools.size(), chat.max_tokens, input.grammar.gbnf.empty() ? "" : ", constrained",
                     on_delta ? ", streamed" : "");
        r.out = engine_.generate(input, cancelled);
        if (cache_ && input.save_prefix > 0) cache_->saved_soon();
    } catch (const QueueFull& e) {
        spdlog::warn("complete: refused: {}", e.what());
        r.status = {grpc::StatusCode::RESOURCE_EXHAUSTED, e.what()};
        return r;
    } catch (const RequestError& e) {
        r.status = {grpc::StatusCode::INVALID_ARGUMENT, e.what()};
        return r;
    } catch (const std::exception& e) {
        spdlog::error("complete failed: {}", e.what());
        r.status = {grpc::StatusCode::INTERNAL, std::string("inference failed: ") + e.what()};
        return r;
    }
    if (r.out.stop == StopReason::cancelled && (context->IsCancelled() || client_gone)) {
        spdlog::info("complete: cancelled after {} tokens: the client went away", r.out.output_tokens);
        r.status = {grpc::StatusCode::CANCELLED,
                    "generation cancelled after " + std::to_string(r.out.output_tokens) + " tokens"};
        return r;
    }
    if (r.out.stop == StopReason::cancelled) {  // the server is stopping: the client gets what was generated
        spdlog::info("complete: cancelled after {} tokens: the server is shutting down", r.out.output_tokens);
    }

    if (r.out.restored_tokens > 0 && cache_) {
        cache_->count_hit();
        spdlog::info("complete: restored {} prompt tokens from the saved state {} in {:.0f} ms (prompt {:.0f} ms)",
                     r.out.restored_tokens, r.out.restored_from, r.out.restore_ms, r.out.prompt_ms);
    }

    r.parsed = templates_.parse(rendered, r.out.text, r.out.stop != StopReason::end_turn);
    const bool interrupted = r.out.stop == StopReason::cancelled || r.out.stop == StopReason::context_full;
    r.stop_reason = r.parsed.tool_calls.empty() || interrupted ? stop_reason_name(r.out.stop) : "tool_use";
    if (on_delta) {
        // The rest of the content goes in the last chunk. The deltas so far are its prefix unless a tool-call parser
        // rewrote text already shown (it never has: text is held from the first marker on); then the final
        // content wins and the mismatch is logged.
        if (r.parsed.content.starts_with(shown)) {
            r.parsed.content.erase(0, shown.size());
        } else {
            spdlog::warn("complete: the parsed content does not extend the {} bytes streamed", shown.size());
            r.parsed.content.clear();
        }
    }
    spdlog::info("complete: {} prompt tokens ({} cached), {} generated, {} tool calls, stop {}", r.out.input_tokens,
                 r.out.cached_tokens, r.out.output_tokens, r.parsed.tool_calls.size(), r.stop_reason);
    return r;
}

namespace {

template <typename Message>
void fill_final(Message& m, const GenerationOutput& out, const ParsedReply& parsed, const std::string& stop) {
    for (const auto& c : parsed.tool_calls) {
        auto* tc = m.add_tool_calls();
        tc->set_id(c.id);
        tc->set_name(c.name);
        tc->set_arguments_json(c.arguments_json);
    }
    m.set_stop_reason(stop);
    m.mutable_usage()->set_input_tokens(out.input_tokens);
    m.mutable_usage()->set_output_tokens(out.output_tokens);
    m.mutable_usage()->set_cached_input_tokens(out.cached_tokens);
    m.mutable_usage()->set_restored_input_tokens(out.restored_tokens);
    m.mutable_timing()->set_prompt_ms(out.prompt_ms);
    m.mutable_timing()->set_generation_ms(out.generation_ms);
    m.mutable_timing()->set_sampling_ms(out.sampling_ms);
}

}  // namespace

grpc::Status InferenceService::Complete(grpc::ServerContext* context, const v1::CompletionRequest* request,
                                        v1::CompletionResponse* response) {
    auto r = generate_reply(context, *request, {});
    if (!r.status.ok()) return r.status;
    response->set_content(r.parsed.content);
    fill_final(*response, r.out, r.parsed, r.stop_reason);
    return grpc::Status::OK;
}

grpc::Status InferenceService::CompleteStream(grpc::ServerContext* context, const v1::CompletionRequest* request,
                                              grpc::ServerWriter<v1::CompletionChunk>* writer) {
    v1::CompletionChunk chunk;
    const auto send = [&](std::string_view delta) {
        chunk.Clear();
        chunk.set_delta(std::string(delta));
        return writer->Write(chunk);
    };
    auto r = generate_reply(context, *request, send);
    if (!r.status.ok()) return r.status;
    chunk.Clear();
    chunk.set_delta(r.parsed.content);
    fill_final(chunk, r.out, r.parsed, r.stop_reason);
    writer->Write(chunk);
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

grpc::Status InferenceService::GetStatus(grpc::ServerContext*, const v1::StatusRequest* request,
                                         v1::StatusResponse* response) {
    if (request->keep_alive()) shutdown_.touch();
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
