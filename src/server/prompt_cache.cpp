#include "server/prompt_cache.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>

namespace tsuku::server {
namespace {

// States copied out of the context and not yet on disk. More means saves fall behind requests: the oldest go.
constexpr size_t kMaxQueued = 2;
// Restoring pays for reading the file: only worth it for more than this many tokens beyond what the context holds.
constexpr size_t kMinGain = 64;

}  // namespace

std::optional<std::string> prompt_prefix_text(const std::string& prompt, const ChatRequest& chat) {
    if (chat.messages.empty()) return std::nullopt;
    const std::string& last = chat.messages.back().content;
    if (last.empty()) return std::nullopt;
    const size_t at = prompt.rfind(last);
    if (at == std::string::npos || at == 0) return std::nullopt;  // the template changed it: no prefix known
    return prompt.substr(0, at);
}

PromptCache::PromptCache(Engine& engine, PromptCacheOptions options)
    : engine_(engine), options_(std::move(options)), store_(options_.dir, options_.budget_bytes, options_.identity) {
    worker_ = std::thread([this] { run(); });
}

PromptCache::~PromptCache() {
    {
        std::lock_guard lock(mu_);
        stop_ = true;
    }
    cv_.notify_all();
    worker_.join();
}

size_t PromptCache::prefix_to_save(const std::string& prefix_text, const std::vector<int32_t>& prompt_tokens) const {
    if (prefix_text.size() < options_.min_prefix_tokens) return 0;  // fewer bytes than the tokens asked for
    const auto prefix = engine_.tokenize_text(prefix_text);
    // Tokenised alone, the prefix's last token may differ from the prompt's (a word cut in two): the shared part.
    const size_t n = static_cast<size_t>(
        std::mismatch(prefix.begin(), prefix.end(), prompt_tokens.begin(), prompt_tokens.end()).first - prefix.begin());
    if (n < options_.min_prefix_tokens || n >= prompt_tokens.size()) return 0;
    const std::span<const int32_t> key(prompt_tokens.data(), n);
    return store_.has(state_file_name(options_.identity, key)) ? 0 : n;
}

void PromptCache::saved_soon() {
    {
        std::lock_guard lock(mu_);
        take_ = true;
    }
    cv_.notify_all();
}

void PromptCache::keep(uint32_t prefix_tokens, std::vector<int32_t> tokens, std::vector<uint8_t> state) {
    std::lock_guard lock(mu_);
    if (jobs_.size() >= kMaxQueued) jobs_.pop_front();
    jobs_.push_back({prefix_tokens, std::move(tokens), std::move(state)});
    cv_.notify_all();
}

void PromptCache::flush() {
    engine_.save_pending_state();
    std::unique_lock lock(mu_);
    cv_.wait(lock, [this] { return jobs_.empty() && !take_ && !busy_; });
}

void PromptCache::run() {
    std::unique_lock lock(mu_);
    for (;;) {
        cv_.wait(lock, [this] { return stop_ || take_ || !jobs_.empty(); });
        if (take_) {
            take_ = false;
            busy_ = true;
            lock.unlock();
            engine_.save_pending_state();  // queues the state through keep()
            lock.lock();
            busy_ = false;
        }
        if (!jobs_.empty()) {
            Job job = std::move(jobs_.front());
            jobs_.pop_front();
            busy_ = true;
            lock.unlock();
            write(job);
            lock.lock();
            busy_ = false;
        }
        cv_.notify_all();
        if (stop_ && jobs_.empty() && !take_) return;
    }
}

void PromptCache::write(const Job& job) {
    const std::span<const int32_t> key(job.tokens.data(), job.prefix_tokens);
    const std::string name = state_file_name(options_.identity, key);
    if (store_.has(name)) return;
    const auto t0 = std::chrono::steady_clock::now();
    try {
        if (!store_.save(name, job.prefix_tokens, job.tokens, job.state)) {
            spdlog::info("prompt cache: a state of {} MiB is over the budget of {} MiB: not saved",
                         job.state.size() >> 20, store_.budget() >> 20);
            return;
        }
    } catch (const std::exception& e) {
        spdlog::warn("prompt cache: could not save a state: {}", e.what());
        return;
    }
    ++saves_;
    spdlog::info("prompt cache: saved {} ({} prefix tokens of {}, {:.1f} MiB) in {:.0f} ms", name, job.prefix_tokens,
                 job.tokens.size(), static_cast<double>(job.state.size()) / (1 << 20),
                 std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
}

std::optional<StateSource::Found> PromptCache::find(std::span<const int32_t> prompt, size_t have) {
    auto loaded = store_.find(prompt, std::max(have + kMinGain, options_.min_prefix_tokens - 1));
    if (!loaded) return std::nullopt;
    return Found{std::move(loaded->name), std::move(loaded->tokens), std::move(loaded->state)};
}

void PromptCache::refused(const std::string& name) { store_.discard(name, "llama.cpp could not load it"); }

PromptCache::Stats PromptCache::stats() const {
    const auto u = store_.usage();
    return {u.bytes, u.files, store_.budget(), hits_.load(), saves_.load()};
}

}  // namespace tsuku::server
