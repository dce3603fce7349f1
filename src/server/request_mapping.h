// Validates a CompletionRequest and maps it to the engine's input. Kept apart from gRPC plumbing so every rule
// is unit-tested.
#pragma once

#include "server/engine.h"
#include "tsuku/llm/v1/inference.pb.h"

namespace tsuku::server {

// Throws RequestError with a message that names the problem and the fix.
CompletionInput to_completion_input(const tsuku::llm::v1::CompletionRequest& request);

}  // namespace tsuku::server
