#include "server/engine.h"

#include <algorithm>
#include <chrono>
#include <random>
#include <thread>

#include "llama.h"
#include "server/utf8.h"

namespace tsuku::server {
namespace {

struct SamplerDeleter {
    void operator()(llama_sampler* s) const { llama_sampler_free(s); }
};
using SamplerPtr = std::unique_ptr<llama_sampler, SamplerDeleter>;

// A conventional chat sampling chain (the defaults llama.cpp's own tools use).
SamplerPtr make_sampler(uint32_t seed) {
    SamplerPtr chain(llama_sampler_chain_init(llama_sampler_chain_default_params()));
    llama_sampler_chain_add(chain.get(), llama_sampler_init_top_k(40));
    llama_sampler_chain_add(chain.get(), llama_sampler_init_top_p(0.95f, 1));
    llama_sampler_chain_add(chain.get(), llama_sampler_init_min_p(0.05f, 1));
    llama_sampler_chain_add(chain.get(), llama_sampler_init_temp(0.8f));
    llama_sampler_chain_add(chain.get(), llama_sampler_init_dist(seed));
    return chain;
}

}  // namespace

const char* stop_reason_name(StopReason r) {
    switch (r) {
        case StopReason::end_turn: return "end_turn";
        case StopReason::max_tokens: return "max_tokens";
        case StopReason::cancelled: return "cancelled";
    }
    return "end_turn";
}

void Engine::ModelDeleter::operator()(llama_model* m) const { llama_model_free(m); }
void Engine::ContextDeleter::operator()(llama_context* c) const { llama_free(c); }

Engine::Engine(const EngineOptions& o) {
    auto mp = llama_model_default_params();
    mp.n_gpu_layers = o.gpu_layers;
    model_.reset(llama_model_load_from_file(o.model_path.c_str(), mp));
    if (!model_) throw std::runtime_error("llama.cpp could not load the model " + o.model_path.string());

    char name[256] = {0};
    if (llama_model_meta_val_str(model_.get(), "general.name", name, sizeof name) > 0) {
        model_name_ = name;
    } else {
        model_name_ = o.model_path.stem().string();
    }

    threads_ = o.threads > 0 ? o.threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    const auto train_ctx = static_cast<uint32_t>(std::max(0, llama_model_n_ctx_train(model_.get())));
    auto cp = llama_context_default_params();
    cp.n_ctx = train_ctx > 0 ? std::min(o.context_tokens, train_ctx) : o.context_tokens;
    cp.n_batch = std::min<uint32_t>(cp.n_ctx, 512);
    cp.n_ubatch = cp.n_batch;
    cp.n_threads = threads_;
    cp.n_threads_batch = threads_;
    ctx_.reset(llama_init_from_model(model_.get(), cp));
    if (!ctx_) throw std::runtime_error("llama.cpp could not create a context for " + o.model_path.string());
    n_ctx_ = llama_n_ctx(ctx_.get());
    n_batch_ = cp.n_batch;
    seed_state_ = std::random_device{}();
}

Engine::~Engine() = default;

std::vector<int32_t> Engine::tokenize(const std::string& text) const {
    const llama_vocab* vocab = llama_model_get_vocab(model_.get());
    std::vector<llama_token> tokens(text.size() + 8);
    int32_t n = llama_tokenize(vocab, text.data(), static_cast<int32_t>(text.size()), tokens.data(),
                               static_cast<int32_t>(tokens.size()), /*add_special=*/true, /*parse_special=*/true);
    if (n < 0) {
        tokens.resize(static_cast<size_t>(-n));
        n = llama_tokenize(vocab, text.data(), static_cast<int32_t>(text.size()), tokens.data(),
                           static_cast<int32_t>(tokens.size()), true, true);
    }
    if (n < 0) throw std::runtime_error("tokenisation failed");
    tokens.resize(static_cast<size_t>(n));
    return tokens;
}

void Engine::decode_prompt(const std::vector<int32_t>& tokens) {
    llama_memory_clear(llama_get_memory(ctx_.get()), true);
    for (size_t i = 0; i < tokens.size(); i += n_batch_) {
        const auto n = static_cast<int32_t>(std::min<size_t>(n_batch_, tokens.size() - i));
        auto* data = const_cast<llama_token*>(tokens.data() + i);
        if (llama_decode(ctx_.get(), llama_batch_get_one(data, n)) != 0) {
            throw std::runtime_error("llama_decode failed on the prompt");
        }
    }
}

CompletionOutput Engine::complete(const CompletionInput& in, const std::function<bool()>& cancelled) {
    const ChatPrompt prompt = render_chat_prompt(model_.get(), in.turns);
    const auto tokens = tokenize(prompt.text);
    CompletionOutput out;
    out.input_tokens = static_cast<int>(tokens.size());
    if (tokens.empty()) throw RequestError("the prompt is empty after tokenisation");
    if (tokens.size() >= n_ctx_) {
        throw RequestError("the prompt is " + std::to_string(tokens.size()) + " tokens but the context holds " +
                           std::to_string(n_ctx_) + ": shorten the conversation or the system prompt");
    }
    const auto t0 = std::chrono::steady_clock::now();
    decode_prompt(tokens);
    const auto t1 = std::chrono::steady_clock::now();
    out.prompt_ms = std::chrono::duration<double, std::milli>(t1 - t0).count();

    const llama_vocab* vocab = llama_model_get_vocab(model_.get());
    auto sampler = make_sampler(static_cast<uint32_t>(seed_state_++));
    std::string raw;
    char piece[256];
    size_t position = tokens.size();
    out.stop = StopReason::max_tokens;
    while (out.output_tokens < in.max_tokens) {
        if (cancelled && cancelled()) {
            out.stop = StopReason::cancelled;
            break;
        }
        llama_token tok = llama_sampler_sample(sampler.get(), ctx_.get(), -1);
        if (llama_vocab_is_eog(vocab, tok)) {
            out.stop = StopReason::end_turn;
            break;
        }
        const int32_t n = llama_token_to_piece(vocab, tok, piece, sizeof piece, 0, /*special=*/false);
        if (n > 0) raw.append(piece, static_cast<size_t>(n));
        ++out.output_tokens;
        if (out.output_tokens >= in.max_tokens || position + 1 >= n_ctx_) break;  // budget or context exhausted
        if (llama_decode(ctx_.get(), llama_batch_get_one(&tok, 1)) != 0) {
            throw std::runtime_error("llama_decode failed while generating");
        }
        ++position;
    }
    out.generation_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t1).count();
    out.text = sanitize_utf8(raw);
    return out;
}

}  // namespace tsuku::server
