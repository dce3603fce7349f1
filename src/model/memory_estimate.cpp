#include "model/memory_estimate.h"

namespace tsuku::model {

MemoryNeed estimate_memory(const ModelShapeFacts& s, uint32_t context_tokens, uint32_t ubatch_tokens) {
    MemoryNeed m;
    m.weights = s.weight_bytes;
    const uint64_t head_dim = s.n_head ? s.n_embd / s.n_head : 0;
    const uint64_t kv_width = head_dim * s.n_head_kv;
    m.kv_cache = 2 /*K and V*/ * s.n_layer * context_tokens * kv_width * 2 /*f16*/;
    // Logits of a micro-batch, plus activations (a few rows of n_embd floats per token), plus a fixed slack for
    // the graph and allocator.
    m.compute = uint64_t{ubatch_tokens} * 4 * (s.n_vocab + 4 * s.n_embd) + (32ull << 20);
    return m;
}

std::optional<ModelShapeFacts> shape_of(const GgufFile& g) {
    const auto arch = g.get_string("general.architecture");
    if (!arch) return std::nullopt;
    ModelShapeFacts s;
    s.weight_bytes = g.tensor_bytes();
    const auto layers = g.get_uint(*arch + ".block_count");
    const auto embd = g.get_uint(*arch + ".embedding_length");
    const auto heads = g.get_uint(*arch + ".attention.head_count");
    const auto kv_heads = g.get_uint(*arch + ".attention.head_count_kv");
    const auto vocab = g.array_length("tokenizer.ggml.tokens");
    if (!layers || !embd || !heads || !vocab) return std::nullopt;
    s.n_layer = *layers;
    s.n_embd = *embd;
    s.n_head = *heads;
    s.n_head_kv = kv_heads.value_or(*heads);
    s.n_vocab = *vocab;
    return s;
}

}  // namespace tsuku::model
