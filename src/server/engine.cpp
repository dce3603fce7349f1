#include "server/engine.h"

#include <algorithm>
#include <chrono>
#include <random>
#include <set>
#include <thread>
#include <utility>

#include "llama.h"
#include "server/sampler.h"
#include "server/utf8.h"

namespace tsuku::server {
namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point t0) { return std::chrono::duration<double, std::milli>(Clock::now() - t0).count(); }

// Where `stop` occurs in `text` at or after `from`, or npos.
size_t find_stop(const std::string& text, const std::vector<std::string>& stops, size_t from) {
    size_t best = std::string::npos;
    for (const auto& s : stops) {
        if (s.empty()) continue;
        const size_t start = from > s.size() ? from - s.size() : 0;
        best = std::min(best, text.find(s, start));
    }
    return best;
}

}  // namespace

const char* stop_reason_name(StopReason r) {
    switch (r) {
        case StopReason::end_turn: return "end_turn";
        case StopReason::max_tokens: return "max_tokens";
        case StopReason::cancelled: return "cancelled";
        case StopReason::context_full: return "context_full";
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

    // One name per model everywhere: the file's (models/<manifest name>.gguf); general.name is shown beside it.
    model_name_ = o.model_path.stem().string();
    char name[256] = {0};
    if (llama_model_meta_val_str(model_.get(), "general.name", name, sizeof name) > 0) gguf_name_ = name;

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
    seed_state_ = o.seed ? *o.seed : std::random_device{}();
    fixed_seed_ = o.seed.has_value();
    kv_settings_ = std::string("type_k ") + ggml_type_name(cp.type_k) + " type_v " + ggml_type_name(cp.type_v) +
                   " flash_attn " + std::to_string(static_cast<int>(cp.flash_attn_type)) + " offload_kqv " +
                   std::to_string(cp.offload_kqv) + " swa_full " + std::to_string(cp.swa_full) + " gpu_layers " +
                   std::to_string(o.gpu_layers) + " n_batch " + std::to_string(cp.n_batch);
}

Engine::~Engine() = default;

std::vector<int32_t> Engine::tokenize(std::string_view text, bool parse_special) const {
    const llama_vocab* vocab = llama_model_get_vocab(model_.get());
    std::vector<llama_token> tokens(text.size() + 8);
    const auto len = static_cast<int32_t>(text.size());
    int32_t n = llama_tokenize(vocab, text.data(), len, tokens.data(), static_cast<int32_t>(tokens.size()),
                               /*add_special=*/true, parse_special);
    if (n < 0) {
        tokens.resize(static_cast<size_t>(-n));
        n = llama_tokenize(vocab, text.data(), len, tokens.data(), static_cast<int32_t>(tokens.size()), true,
                           parse_special);
    }
    if (n < 0) throw std::runtime_error("tokenisation failed");
    tokens.resize(static_cast<size_t>(n));
    return tokens;
}

void Engine::forget_cache() {
    llama_memory_clear(llama_get_memory(ctx_.get()), true);
    cached_.clear();
}

void Engine::decode(int32_t* tokens, int32_t n) {
    if (llama_decode(ctx_.get(), llama_batch_get_one(tokens, n)) != 0) {
        forget_cache();  // the cache may hold part of the batch: start clean next time
        throw std::runtime_error("llama_decode failed");
    }
    cached_.insert(cached_.end(), tokens, tokens + n);
}

size_t Engine::restore_state(const std::vector<int32_t>& tokens, size_t keep, GenerationOutput& out) {
    const auto t0 = Clock::now();
    auto found = states_->find(tokens, keep);
    if (!found) return keep;
    forget_cache();
    const bool fits = found->tokens.size() < n_ctx_;
    if (!fits ||
        llama_state_seq_set_data(ctx_.get(), found->state.data(), found->state.size(), 0) != found->state.size()) {
        forget_cache();  // a partial load leaves part of the state behind
        states_->refused(found->name);
        return 0;
    }
    cached_ = std::move(found->tokens);
    keep = std::mismatch(cached_.begin(), cached_.end(), tokens.begin(), tokens.end()).first - cached_.begin();
    keep = std::min(keep, tokens.size() - 1);
    out.restored_tokens = static_cast<int>(keep);
    out.restored_from = found->name;
    out.restore_ms = ms_since(t0);
    return keep;
}

void Engine::take_pending_state() {
    const size_t prefix = std::exchange(pending_prefix_, 0);
    if (prefix == 0 || !states_ || cached_.size() < prefix) return;
    std::vector<uint8_t> state(llama_state_seq_get_size(ctx_.get(), 0));
    const size_t n = llama_state_seq_get_data(ctx_.get(), state.data(), state.size(), 0);
    if (n == 0) return;
    state.resize(n);
    states_->keep(static_cast<uint32_t>(prefix), cached_, std::move(state));
}

void Engine::save_pending_state() {
    std::lock_guard lock(mu_);
    take_pending_state();
}

size_t Engine::evaluate_prompt(const std::vector<int32_t>& tokens, const std::function<bool()>& cancelled,
                               GenerationOutput& out) {
    // The longest shared prefix, minus at least the last prompt token: its logits start the reply.
    size_t keep = std::mismatch(cached_.begin(), cached_.end(), tokens.begin(), tokens.end()).first - cached_.begin();
    keep = std::min(keep, tokens.size() - 1);
    if (states_ && keep + 1 < tokens.size()) keep = restore_state(tokens, keep, out);
    if (keep < cached_.size()) {
        if (llama_memory_seq_rm(llama_get_memory(ctx_.get()), 0, static_cast<llama_pos>(keep), -1)) {
            cached_.resize(keep);
        } else {
            forget_cache();  // a memory that cannot drop a suffix: evaluate everything
            keep = 0;
        }
    }
    std::vector<int32_t> rest(tokens.begin() + static_cast<std::ptrdiff_t>(keep), tokens.end());
    for (size_t i = 0; i < rest.size(); i += n_batch_) {
        if (i > 0 && cancelled && cancelled()) break;
        decode(rest.data() + i, static_cast<int32_t>(std::min<size_t>(n_batch_, rest.size() - i)));
    }
    return keep;
}

std::vector<int32_t> Engine::tokenize_prompt(const std::string& prompt) const {
    const auto too_long = [this](const std::string& count) {
        return RequestError("the prompt is " + count + " tokens but the context holds " + std::to_string(n_ctx_) +
                            ": shorten the conversation or the system prompt (or start the server with a larger "
                            "--ctx)");
    };
    // A prompt much larger than the context (a 60 MB paste) is refused after tokenising growing prefixes, cut at
    // whitespace, until one alone holds more than the context: a prefix has no more tokens than the whole, give or
    // take a word cut in two (the margin).
    constexpr size_t kMargin = 16;
    for (size_t bytes = static_cast<size_t>(n_ctx_) * 8; bytes < prompt.size(); bytes *= 2) {
        const std::string_view prefix(prompt.data(), cut_at_word(prompt, bytes));
        if (const size_t n = tokenize(prefix, /*parse_special=*/true).size(); n >= n_ctx_ + kMargin) {
            throw too_long("more than " + std::to_string(n - kMargin) + " (counted in its first " +
                           std::to_string(prefix.size()) + " of " + std::to_string(prompt.size()) + " bytes)");
        }
    }
    auto tokens = tokenize(prompt, /*parse_special=*/true);
    if (tokens.empty()) throw RequestError("the prompt is empty after tokenisation");
    if (tokens.size() >= n_ctx_) throw too_long(std::to_string(tokens.size()));
    return tokens;
}

GenerationOutput Engine::generate(const GenerationInput& in, const std::function<bool()>& cancelled) {
    std::lock_guard lock(mu_);
    take_pending_state();  // the previous request's state, before this one changes the cache
    const auto tokens = in.tokens.empty() ? tokenize_prompt(in.prompt) : in.tokens;
    GenerationOutput out;
    out.input_tokens = static_cast<int>(tokens.size());
    const llama_vocab* vocab = llama_model_get_vocab(model_.get());
    SamplingParams params;
    // The request's seed first; else the server's --seed (fixed), else a new one per request.
    params.seed = static_cast<uint32_t>(fixed_seed_ ? seed_state_ : seed_state_++);
    if (in.sampling.temperature) params.temperature = *in.sampling.temperature;
    if (in.sampling.top_p) params.top_p = *in.sampling.top_p;
    if (in.sampling.seed) params.seed = *in.sampling.seed;
    Sampler sampler(vocab, params, in.grammar);

    // Tokens whose text must reach the output although llama.cpp counts them as special (tool-call markers).
    std::set<llama_token> keep_special;
    for (const auto& s : in.preserved_tokens) {
        if (const auto ids = tokenize(s, true); ids.size() == 1) keep_special.insert(ids[0]);
    }

    const auto t0 = Clock::now();
    out.cached_tokens = static_cast<int>(evaluate_prompt(tokens, cancelled, out));
    // llama_decode may return before a GPU has finished the batch: the timer stops when the device has.
    llama_synchronize(ctx_.get());
    out.prompt_ms = ms_since(t0);
    if (cached_.size() != tokens.size()) {  // cancelled between prompt batches
        out.stop = StopReason::cancelled;
        return out;
    }

    const auto t1 = Clock::now();
    std::string raw;
    char piece[256];
    out.stop = StopReason::max_tokens;
    while (out.output_tokens < in.max_tokens) {
        if (cancelled && cancelled()) {
            out.stop = StopReason::cancelled;
            break;
        }
        // The sampler's own cost, apart from the device's: wait for the last decode before its timer starts.
        llama_synchronize(ctx_.get());
        const auto ts = Clock::now();
        llama_token tok = sampler.sample(ctx_.get());
        const bool end = llama_vocab_is_eog(vocab, tok);
        if (!end) sampler.accept(tok);
        out.sampling_ms += ms_since(ts);
        if (end) {
            out.stop = StopReason::end_turn;
            break;
        }
        const int32_t n = llama_token_to_piece(vocab, tok, piece, sizeof piece, 0, keep_special.count(tok) > 0);
        const size_t before = raw.size();
        if (n > 0) raw.append(piece, static_cast<size_t>(n));
        ++out.output_tokens;
        if (const size_t at = find_stop(raw, in.stops, before); at != std::string::npos) {
            raw.resize(at);
            out.stop = StopReason::end_turn;
            break;
        }
        if (in.on_text) in.on_text(raw);
        if (out.output_tokens >= in.max_tokens) break;
        if (cached_.size() + 1 >= n_ctx_) {  // no room for this token's keys and values
            out.stop = StopReason::context_full;
            break;
        }
        decode(&tok, 1);
    }
    llama_synchronize(ctx_.get());
    out.generation_ms = ms_since(t1);
    out.text = sanitize_utf8(raw);
    // The cache holds the whole prompt (and the reply): the prefix's state can be saved from it.
    if (in.save_prefix > 0 && in.save_prefix <= tokens.size()) pending_prefix_ = in.save_prefix;
    return out;
}

}  // namespace tsuku::server
