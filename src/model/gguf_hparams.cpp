#include "model/gguf_hparams.h"

#include <charconv>
#include <optional>

namespace tsuku::model {
namespace {

class Checker {
public:
    Checker(const GgufFile& g, const std::string& name, std::string arch)
        : g_(g), name_(name), arch_(std::move(arch)) {}

    std::string key(const std::string& suffix) const { return arch_ + "." + suffix; }

    [[noreturn]] void refuse(const std::string& key, const std::string& value, const std::string& rule) const {
        throw GgufError(GgufProblem::bad_header, name_ + ": key '" + key + "' is " + value + ": " + rule);
    }

    // A count: absent, or a non-negative integer (an array of per-layer values is checked by length only).
    std::optional<uint64_t> count(const std::string& suffix) const {
        const std::string k = key(suffix);
        const auto it = g_.metadata.find(k);
        if (it == g_.metadata.end()) return std::nullopt;
        if (const auto v = g_.get_uint(k)) return v;
        if (std::holds_alternative<GgufArrayInfo>(it->second)) return std::nullopt;
        refuse(k, "not a non-negative integer", "llama.cpp reads it as a count");
    }
    std::optional<uint64_t> array_length(const std::string& suffix) const { return g_.array_length(key(suffix)); }

private:
    const GgufFile& g_;
    const std::string& name_;
    std::string arch_;
};

// "blk.<N>." -> N
std::optional<uint64_t> layer_of(const std::string& tensor) {
    if (!tensor.starts_with("blk.")) return std::nullopt;
    const size_t dot = tensor.find('.', 4);
    if (dot == std::string::npos) return std::nullopt;
    uint64_t n = 0;
    const auto [end, ec] = std::from_chars(tensor.data() + 4, tensor.data() + dot, n);
    if (ec != std::errc() || end != tensor.data() + dot) return std::nullopt;
    return n;
}

const GgufTensor* find_tensor(const GgufFile& g, const std::string& name) {
    for (const auto& t : g.tensors) {
        if (t.name == name) return &t;
    }
    return nullptr;
}

}  // namespace

void check_hyperparameters(const GgufFile& g, const std::string& name) {
    const auto arch = g.get_string("general.architecture");
    if (!arch || arch->empty()) return;
    const Checker c(g, name, *arch);
    const auto s = [](uint64_t v) { return std::to_string(v); };

    // Layers: llama.cpp keeps per-layer arrays of LLAMA_MAX_LAYERS and looks up blk.<i> tensors for each layer.
    std::optional<uint64_t> highest_layer;
    for (const auto& t : g.tensors) {
        if (const auto l = layer_of(t.name); l && (!highest_layer || *l > *highest_layer)) highest_layer = l;
    }
    const auto layers = c.count("block_count");
    if (layers) {
        if (*layers == 0) c.refuse(c.key("block_count"), "0", "a model has at least one layer");
        if (*layers > kMaxLayers) {
            c.refuse(c.key("block_count"), s(*layers), "llama.cpp loads at most " + s(kMaxLayers) + " layers");
        }
        if (!highest_layer || *layers > *highest_layer + 1) {
            c.refuse(
                c.key("block_count"), s(*layers),
                "the tensor list has " + (highest_layer ? "layers blk.0 to blk." + s(*highest_layer) : "no layers"));
        }
    }

    // Embedding length: the width of token_embd.weight, and no wider than the file could hold one row of.
    const auto embd = c.count("embedding_length");
    if (embd) {
        if (*embd == 0) c.refuse(c.key("embedding_length"), "0", "an embedding has at least one dimension");
        if (*embd > g.file_size) {
            c.refuse(c.key("embedding_length"), s(*embd), "more than the file's " + s(g.file_size) + " bytes hold");
        }
        if (const auto* t = find_tensor(g, "token_embd.weight"); t && t->dims[0] != *embd) {
            c.refuse(c.key("embedding_length"), s(*embd), "the tensor token_embd.weight is " + s(t->dims[0]) + " wide");
        }
    }

    // Heads: per-layer arrays must have one value per layer; a scalar divides the embedding (llama.cpp computes
    // n_embd / n_head and n_head / n_head_kv).
    for (const char* k : {"attention.head_count", "attention.head_count_kv"}) {
        if (const auto len = c.array_length(k); len && layers && *len != *layers) {
            c.refuse(c.key(k), "an array of " + s(*len) + " values", "the model has " + s(*layers) + " layers");
        }
    }
    const auto heads = c.count("attention.head_count");
    const auto kv_heads = c.count("attention.head_count_kv");
    if (heads && embd && *heads > *embd) {
        c.refuse(c.key("attention.head_count"), s(*heads), "more heads than the " + s(*embd) + " embedding dimensions");
    }
    if (heads && embd && *heads > 0 && *embd % *heads != 0 && !c.count("attention.key_length")) {
        c.refuse(c.key("attention.head_count"), s(*heads), "it does not divide the embedding length " + s(*embd));
    }
    if (kv_heads && heads) {
        if (*heads > 0 && *kv_heads == 0) c.refuse(c.key("attention.head_count_kv"), "0", "attention needs a KV head");
        if (*kv_heads > *heads) {
            c.refuse(c.key("attention.head_count_kv"), s(*kv_heads), "more than the " + s(*heads) + " attention heads");
        }
        if (*kv_heads > 0 && *heads % *kv_heads != 0) {
            c.refuse(c.key("attention.head_count_kv"), s(*kv_heads),
                     "it does not divide the " + s(*heads) + " attention heads");
        }
    }

    // Experts: llama.cpp asserts n_expert <= LLAMA_MAX_EXPERTS, n_expert_used <= n_expert, and that both are set
    // together.
    const uint64_t experts = c.count("expert_count").value_or(0);
    const uint64_t used = c.count("expert_used_count").value_or(0);
    if (experts > kMaxExperts) {
        c.refuse(c.key("expert_count"), s(experts), "llama.cpp supports at most " + s(kMaxExperts) + " experts");
    }
    if (used > experts) c.refuse(c.key("expert_used_count"), s(used), "more than the " + s(experts) + " experts");
    if (experts > 0 && used == 0) c.refuse(c.key("expert_used_count"), "0", "a model with experts uses at least one");

    // The vocabulary: one row of token_embd.weight per token.
    if (const auto* t = find_tensor(g, "token_embd.weight"); t && t->dims.size() >= 2) {
        if (const auto tokens = g.array_length("tokenizer.ggml.tokens"); tokens && *tokens != t->dims[1]) {
            throw GgufError(GgufProblem::bad_header, name + ": key 'tokenizer.ggml.tokens' lists " + s(*tokens) +
                                                         " tokens but token_embd.weight has " + s(t->dims[1]) +
                                                         " rows");
        }
    }
}

}  // namespace tsuku::model
