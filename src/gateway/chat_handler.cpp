#include "gateway/chat_handler.h"

#include <chrono>
#include <cstring>
#include <memory>

#include "gateway/openai_request.h"
#include "gateway/openai_response.h"

namespace tsuku::gateway {

namespace v1 = tsuku::llm::v1;
using nlohmann::json;

namespace {

const char* error_type(int status) {
    switch (status) {
        case 400: return "invalid_request_error";
        case 401: return "authentication_error";
        case 404: return "not_found_error";
        case 413: return "invalid_request_error";
        case 429: return "rate_limit_error";
        default: return "server_error";
    }
}

int64_t now_seconds() {
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// One streamed call: the gRPC context outlives the handler (the content provider runs after it returns).
struct StreamCall {
    explicit StreamCall(CallRegistry& r) : registry(r) {}
    ~StreamCall() { registry.remove(&ctx); }
    CallRegistry& registry;
    std::shared_ptr<Upstream> upstream;  // keeps the channel alive
    grpc::ClientContext ctx;
    std::unique_ptr<grpc::ClientReader<v1::CompletionChunk>> reader;
    v1::CompletionChunk first;
    ReplyIds ids;
    std::unique_ptr<ContentEvents> content;  // made once ids are set
    bool include_usage = false;
};

// Writes one chunk's events; false when the client is gone.
bool send_chunk(httplib::DataSink& sink, const StreamCall& call, const v1::CompletionChunk& c) {
    const auto send = [&](const json& j) {
        const std::string e = sse_event(j);
        return sink.write(e.data(), e.size());
    };
    if (!c.delta().empty()) {
        const std::string e = call.content->event(c.delta());
        if (!sink.write(e.data(), e.size())) return false;
    }
    if (c.stop_reason().empty()) return true;
    if (!c.tool_calls().empty() &&
        !send(chunk_object(call.ids, {{"tool_calls", tool_calls_array(c.tool_calls(), call.ids, true)}}))) {
        return false;
    }
    if (!send(chunk_object(call.ids, json::object(), finish_reason(c.stop_reason())))) return false;
    if (call.include_usage && !send(usage_chunk(call.ids, c.usage()))) return false;
    return sink.write(kSseDone, std::strlen(kSseDone));
}

void stream_reply(httplib::Response& res, std::shared_ptr<StreamCall> call, const GatewayOptions& options) {
    res.set_header("Cache-Control", "no-cache");
    res.set_header("X-Accel-Buffering", "no");  // a reverse proxy in front must not hold the events back
    const auto log = options.log;
    res.set_chunked_content_provider("text/event-stream", [call, log](size_t, httplib::DataSink& sink) {
        // The first event names the role, as OpenAI's does.
        const std::string role = sse_event(chunk_object(call->ids, {{"role", "assistant"}, {"content", ""}}));
        bool client_here = sink.write(role.data(), role.size()) && send_chunk(sink, *call, call->first);
        bool final_seen = !call->first.stop_reason().empty();
        v1::CompletionChunk c;
        while (client_here && !final_seen && call->reader->Read(&c)) {
            client_here = send_chunk(sink, *call, c);
            final_seen = !c.stop_reason().empty();
        }
        if (!client_here) {
            call->ctx.TryCancel();  // the server stops generating at its next token
            while (call->reader->Read(&c)) {
            }
            call->reader->Finish();
            if (log) log("a client went away mid-stream (" + call->ids.id + "): its generation was cancelled");
            return false;
        }
        const grpc::Status s = call->reader->Finish();
        if (!final_seen) {
            // The reply ended without its final chunk (the server failed or stopped): say so in the stream, as
            // OpenAI does, so the client raises instead of taking a cut reply for a whole one.
            const std::string message =
                s.ok() ? "the server ended the reply without its final chunk" : s.error_message();
            const std::string e = "data: " + error_body(message, "server_error") + "\n\n";
            sink.write(e.data(), e.size());
            if (log) log("a streamed reply failed (" + call->ids.id + "): " + message);
        }
        sink.done();
        return true;
    });
}

}  // namespace

void reply_error(httplib::Response& res, int status, const std::string& message, const std::string& param) {
    res.status = status;
    if (status == 429 || status == 503) res.set_header("Retry-After", "1");
    res.set_content(error_body(message, error_type(status), param), "application/json");
}

void reply_grpc_error(httplib::Response& res, const grpc::Status& s) {
    switch (s.error_code()) {
        case grpc::StatusCode::INVALID_ARGUMENT:
        case grpc::StatusCode::OUT_OF_RANGE: return reply_error(res, 400, s.error_message());
        case grpc::StatusCode::RESOURCE_EXHAUSTED:
            // gRPC's own refusal of a message over the server's limit, else the server's queue is full.
            if (s.error_message().find("larger than max") != std::string::npos) {
                return reply_error(res, 413, "the request is too large for the server: " + s.error_message());
            }
            return reply_error(res, 429, s.error_message());
        case grpc::StatusCode::UNAVAILABLE:
            return reply_error(res, 503,
                               "the inference server is not available (" + s.error_message() +
                                   "); tsuku llm serve starts a new one: try again");
        case grpc::StatusCode::DEADLINE_EXCEEDED:
            return reply_error(res, 504, "the reply did not finish in time: ask for fewer tokens");
        default:
            return reply_error(res, 502,
                               "the inference server failed: " + s.error_message() + " (gRPC code " +
                                   std::to_string(static_cast<int>(s.error_code())) + ")");
    }
}

void handle_chat(const httplib::Request& req, httplib::Response& res, UpstreamSlot& slot,
                 const GatewayOptions& options) {
    ChatRequest chat;
    try {
        chat = parse_chat_request(req.body);
    } catch (const BadRequest& e) {
        return reply_error(res, 400, e.what(), e.param());
    }
    const auto upstream = slot.ready();
    if (!upstream) return reply_error(res, 503, "the inference server is starting: try again in a moment");
    const ReplyIds ids{new_completion_id(), upstream->model, now_seconds()};
    const auto deadline = std::chrono::system_clock::now() + options.request_timeout;

    if (!chat.stream) {
        grpc::ClientContext ctx;
        ctx.set_deadline(deadline);
        if (!slot.calls().add(&ctx)) return reply_error(res, 503, "tsuku llm serve is stopping");
        struct Remove {
            CallRegistry& r;
            grpc::ClientContext* c;
            ~Remove() { r.remove(c); }
        } remove{slot.calls(), &ctx};
        v1::CompletionResponse response;
        const auto s = upstream->stub().Complete(&ctx, chat.request, &response);
        if (!s.ok()) return reply_grpc_error(res, s);
        res.set_content(completion_object(response, ids).dump(-1, ' ', false, json::error_handler_t::replace),
                        "application/json");
        return;
    }

    auto call = std::make_shared<StreamCall>(slot.calls());
    if (!slot.calls().add(&call->ctx)) return reply_error(res, 503, "tsuku llm serve is stopping");
    call->upstream = upstream;
    call->ids = ids;
    call->content = std::make_unique<ContentEvents>(ids);
    call->include_usage = chat.include_usage;
    call->ctx.set_deadline(deadline);
    call->reader = upstream->stub().CompleteStream(&call->ctx, chat.request);
    // The first chunk (or the refusal) before any header: a refused request gets its real status, not a 200 stream.
    if (!call->reader->Read(&call->first)) {
        const auto s = call->reader->Finish();
        if (!s.ok()) return reply_grpc_error(res, s);
        return reply_error(res, 502, "the server ended the reply without its final chunk");
    }
    stream_reply(res, std::move(call), options);
}

}  // namespace tsuku::gateway
