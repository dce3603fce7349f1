// Token sampling for the engine: top-k, top-p, min-p, temperature, then a seeded draw; optionally constrained by a
// grammar. Built for a large vocabulary (Qwen2's 151936 tokens): top-k is taken straight from the logits in one
// pass, and a grammar is asked only about the drawn token — the whole vocabulary goes through the grammar only when
// it refuses that token (the approach of llama.cpp's own common sampler).
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "llama.h"
#include "server/grammar.h"

namespace tsuku::server {

struct SamplingParams {
    int top_k = 40;
    float top_p = 0.95f;
    float min_p = 0.05f;
    float temperature = 0.8f;
    uint32_t seed = 0;
};

class Sampler {
public:
    // Throws RequestError when llama.cpp refuses the grammar.
    Sampler(const llama_vocab* vocab, const SamplingParams& params, const GrammarSpec& grammar);
    ~Sampler();
    Sampler(const Sampler&) = delete;
    Sampler& operator=(const Sampler&) = delete;

    // Draws the next token from the logits of the context's last evaluated token.
    llama_token sample(llama_context* ctx);
    // Records a token the caller keeps (advances the grammar).
    void accept(llama_token token);

    bool constrained() const noexcept { return grammar_ != nullptr; }

private:
    struct Free {
        void operator()(llama_sampler* s) const noexcept;
    };
    using Ptr = std::unique_ptr<llama_sampler, Free>;

    llama_token draw_from_top_k(const float* logits);
    llama_token draw_with_grammar(const float* logits);

    int n_vocab_;
    int top_k_;
    Ptr tail_;     // top-p, min-p, temperature, draw: run on the top-k candidates
    Ptr top_k_s_;  // llama.cpp's top-k, for the grammar's full-vocabulary path
    Ptr grammar_;
    std::vector<llama_token_data> top_;
    std::vector<llama_token_data> all_;
};

// The `k` highest logits of `logits[0..n)`, highest first, into `out` (one pass; ties keep the lower id).
void top_k_candidates(const float* logits, int n, int k, std::vector<llama_token_data>& out);

}  // namespace tsuku::server
