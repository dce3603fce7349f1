// The hyperparameters llama.cpp trusts when it loads a model (layer, head and embedding counts, experts), checked
// against the tensor list before a server hands the file to llama.cpp: a header that lies about them makes
// llama.cpp assert, divide by zero or size buffers from the lie, and the crash would be blamed on the backend.
#pragma once

#include <string>

#include "model/gguf_reader.h"

namespace tsuku::model {

// llama.cpp's own limits (llama-hparams.h: LLAMA_MAX_LAYERS, LLAMA_MAX_EXPERTS).
inline constexpr uint64_t kMaxLayers = 512;
inline constexpr uint64_t kMaxExperts = 512;

// Throws GgufError (bad_header) naming the key, its value and the rule it breaks. Only checks the keys of the
// file's general.architecture that are present: files without an architecture are left to llama.cpp's own
// refusal (it throws for a missing key; it does not crash).
void check_hyperparameters(const GgufFile& g, const std::string& name);

}  // namespace tsuku::model
