// How much memory a model needs to serve: weights + KV cache at the context size + llama.cpp's compute buffers.
// Computed from the model's shape, not guessed. The compute buffer is dominated by the logits of one micro-batch
// (n_vocab × n_ubatch × 4 bytes): measured with llama.cpp v0.4.0 at 297 MiB for the qwen2 vocabulary at 512.
#pragma once

#include <cstdint>
#include <optional>

#include "model/gguf_reader.h"

namespace tsuku::model {

struct ModelShapeFacts {
    uint64_t weight_bytes = 0;
    uint64_t n_layer = 0;
    uint64_t n_embd = 0;
    uint64_t n_head = 0;
    uint64_t n_head_kv = 0;
    uint64_t n_vocab = 0;
};

struct MemoryNeed {
    uint64_t weights = 0;
    uint64_t kv_cache = 0;
    uint64_t compute = 0;
    uint64_t total() const { return weights + kv_cache + compute; }
};

inline constexpr uint32_t kDefaultContextTokens = 4096;
inline constexpr uint32_t kMicroBatchTokens = 512;

MemoryNeed estimate_memory(const ModelShapeFacts& shape, uint32_t context_tokens = kDefaultContextTokens,
                           uint32_t ubatch_tokens = kMicroBatchTokens);

// The shape from a GGUF's metadata (<arch>.block_count, .embedding_length, .attention.head_count[_kv], the
// token list); std::nullopt when a field is missing.
std::optional<ModelShapeFacts> shape_of(const GgufFile& gguf);

}  // namespace tsuku::model
