// POST /v1/chat/completions: one request to the inference server, its reply as a chat.completion object or, with
// `stream`, as server-sent chat.completion.chunk events. A client that goes away mid-stream cancels the call, and
// the server stops generating at its next token.
#pragma once

#include <httplib.h>

#include <grpcpp/grpcpp.h>

#include "gateway/http_server.h"
#include "gateway/upstream.h"

namespace tsuku::gateway {

void handle_chat(const httplib::Request& req, httplib::Response& res, UpstreamSlot& slot,
                 const GatewayOptions& options);

// The JSON error object and status for a refusal: 400, 401, 404, 413, 429 (with Retry-After), 503 (the same).
void reply_error(httplib::Response& res, int status, const std::string& message, const std::string& param = "");

// A gRPC failure of the server as HTTP: INVALID_ARGUMENT → 400, RESOURCE_EXHAUSTED → 429 (queue full) or 413 (over
// the server's request size), UNAVAILABLE → 503, DEADLINE_EXCEEDED → 504, anything else → 502.
void reply_grpc_error(httplib::Response& res, const grpc::Status& status);

}  // namespace tsuku::gateway
