// The persistent prompt cache (issue 21): a cold server restores the keys and values of a prompt prefix that an
// earlier server evaluated, instead of evaluating it again (tsuku's requests repeat a long system prompt and tool
// list, and the server stops when idle).
//
// The prefix of a request is what precedes its last message: the system prompt, the tools and the earlier turns.
// When it has at least kMinPrefixTokens and no saved state has it as its key yet, a background thread saves the
// context's state after the reply (it takes the engine's lock between requests: a reply never waits for a save;
// a waiting request waits at most for the copy of the state out of the context, not for the disk). At shutdown the
// pending save finishes first.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "server/chat_request.h"
#include "server/engine.h"
#include "server/prompt_store.h"

namespace tsuku::server {

inline constexpr size_t kMinPrefixTokens = 256;

struct PromptCacheOptions {
    std::filesystem::path dir;
    uint64_t budget_bytes = 0;
    StateIdentity identity;
    size_t min_prefix_tokens = kMinPrefixTokens;
};

// The text of the prompt before its last message (that message's content located in the rendered prompt), or
// nullopt when there is no such prefix.
std::optional<std::string> prompt_prefix_text(const std::string& prompt, const ChatRequest& chat);

class PromptCache final : public StateSource {
public:
    // Indexes the folder (PromptStore) and starts the saving thread. Throws UserError when the folder cannot be made.
    PromptCache(Engine& engine, PromptCacheOptions options);
    ~PromptCache() override;  // finishes the pending save
    PromptCache(const PromptCache&) = delete;
    PromptCache& operator=(const PromptCache&) = delete;

    // Before generation: how many of the prompt's tokens to save the state under (GenerationInput::save_prefix),
    // 0 when the prefix is too short or already saved. `prefix_text` from prompt_prefix_text().
    size_t prefix_to_save(const std::string& prefix_text, const std::vector<int32_t>& prompt_tokens) const;
    // After a reply that had a save_prefix: the saving thread takes the state (Engine::save_pending_state) and
    // writes it.
    void saved_soon();
    // Takes the pending state and waits until every save is written (shutdown; tests).
    void flush();
    void count_hit() noexcept { ++hits_; }

    std::optional<Found> find(std::span<const int32_t> prompt, size_t have) override;
    void refused(const std::string& name) override;
    void keep(uint32_t prefix_tokens, std::vector<int32_t> tokens, std::vector<uint8_t> state) override;

    struct Stats {
        uint64_t bytes = 0;
        uint64_t files = 0;
        uint64_t budget_bytes = 0;
        uint64_t hits = 0;   // states restored by this server
        uint64_t saves = 0;  // states saved by this server
    };
    Stats stats() const;

private:
    struct Job {
        uint32_t prefix_tokens = 0;
        std::vector<int32_t> tokens;
        std::vector<uint8_t> state;
    };
    void run();
    void write(const Job& job);

    Engine& engine_;
    const PromptCacheOptions options_;
    PromptStore store_;
    std::atomic<uint64_t> hits_{0};
    std::atomic<uint64_t> saves_{0};

    std::mutex mu_;
    std::condition_variable cv_;
    bool take_ = false;     // the engine has a state to hand over (saved_soon)
    std::deque<Job> jobs_;  // states taken, to write (bounded: kMaxQueued)
    bool busy_ = false;
    bool stop_ = false;
    std::thread worker_;
};

}  // namespace tsuku::server
