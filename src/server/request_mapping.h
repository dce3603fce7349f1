// Validates a CompletionRequest and maps it to a ChatRequest. Kept apart from gRPC plumbing and llama.cpp so every
// rule is unit-tested.
#pragma once

#include "server/chat_request.h"
#include "tsuku/llm/v1/inference.pb.h"

namespace tsuku::server {

// Throws RequestError with a message that names the problem and the fix.
ChatRequest to_chat_request(const tsuku::llm::v1::CompletionRequest& request);

}  // namespace tsuku::server
