#include "server/sampler.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace tsuku::server {

void Sampler::Free::operator()(llama_sampler* s) const noexcept { llama_sampler_free(s); }

void top_k_candidates(const float* logits, int n, int k, std::vector<llama_token_data>& out) {
    out.clear();
    k = std::min(k, n);
    if (k <= 0) return;
    // A min-heap of the best k so far: most logits fail the single comparison with its root.
    const auto worse = [](const llama_token_data& a, const llama_token_data& b) {
        return a.logit > b.logit || (a.logit == b.logit && a.id < b.id);
    };
    for (int i = 0; i < k; ++i) out.push_back({i, logits[i], 0.0f});
    std::make_heap(out.begin(), out.end(), worse);
    float floor = out.front().logit;
    for (int i = k; i < n; ++i) {
        if (logits[i] <= floor) continue;
        std::pop_heap(out.begin(), out.end(), worse);
        out.back() = {i, logits[i], 0.0f};
        std::push_heap(out.begin(), out.end(), worse);
        floor = out.front().logit;
    }
    std::sort_heap(out.begin(), out.end(), worse);
}

Sampler::Sampler(const llama_vocab* vocab, const SamplingParams& p, const GrammarSpec& g)
    : n_vocab_(llama_vocab_n_tokens(vocab)), top_k_(p.top_k > 0 ? p.top_k : llama_vocab_n_tokens(vocab)) {
    tail_.reset(llama_sampler_chain_init(llama_sampler_chain_default_params()));
    llama_sampler_chain_add(tail_.get(), llama_sampler_init_top_p(p.top_p, 1));
    llama_sampler_chain_add(tail_.get(), llama_sampler_init_min_p(p.min_p, 1));
    llama_sampler_chain_add(tail_.get(), llama_sampler_init_temp(p.temperature));
    llama_sampler_chain_add(tail_.get(), llama_sampler_init_dist(p.seed));
    top_k_s_.reset(llama_sampler_init_top_k(top_k_));
    if (!g.gbnf.empty()) {
        if (g.lazy) {
            std::vector<const char*> patterns;
            for (const auto& s : g.trigger_patterns) patterns.push_back(s.c_str());
            grammar_.reset(llama_sampler_init_grammar_lazy_patterns(vocab, g.gbnf.c_str(), "root", patterns.data(),
                                                                    patterns.size(), g.trigger_tokens.data(),
                                                                    g.trigger_tokens.size()));
        } else {
            grammar_.reset(llama_sampler_init_grammar(vocab, g.gbnf.c_str(), "root"));
        }
        if (!grammar_) throw RequestError("llama.cpp rejected the grammar built for this request");
    }
}

Sampler::~Sampler() = default;

llama_token Sampler::draw_from_top_k(const float* logits) {
    top_k_candidates(logits, n_vocab_, top_k_, top_);
    llama_token_data_array arr{top_.data(), top_.size(), -1, /*sorted=*/true};
    llama_sampler_apply(tail_.get(), &arr);
    return arr.data[arr.selected].id;
}

llama_token Sampler::draw_with_grammar(const float* logits) {
    all_.resize(static_cast<size_t>(n_vocab_));
    for (int i = 0; i < n_vocab_; ++i) all_[static_cast<size_t>(i)] = {i, logits[i], 0.0f};
    llama_token_data_array arr{all_.data(), all_.size(), -1, false};
    llama_sampler_apply(grammar_.get(), &arr);
    if (std::none_of(arr.data, arr.data + arr.size, [](const llama_token_data& t) { return std::isfinite(t.logit); })) {
        throw std::runtime_error("the grammar allows no token here");
    }
    llama_sampler_apply(top_k_s_.get(), &arr);
    llama_sampler_apply(tail_.get(), &arr);
    return arr.data[arr.selected].id;
}

llama_token Sampler::sample(llama_context* ctx) {
    const float* logits = llama_get_logits_ith(ctx, -1);
    if (!logits) throw std::runtime_error("llama.cpp returned no logits");
    const llama_token tok = draw_from_top_k(logits);
    if (!grammar_) return tok;
    llama_token_data one{tok, 1.0f, 0.0f};
    llama_token_data_array arr{&one, 1, -1, false};
    llama_sampler_apply(grammar_.get(), &arr);
    return std::isfinite(one.logit) ? tok : draw_with_grammar(logits);
}

void Sampler::accept(llama_token token) {
    if (grammar_) llama_sampler_accept(grammar_.get(), token);
    llama_sampler_accept(tail_.get(), token);
}

}  // namespace tsuku::server
