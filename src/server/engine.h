// One loaded model and its context: prompt text in, generated text out. Not thread-safe: the service serialises
// requests. The KV cache outlives a request: the next prompt reuses the prefix it shares with what the cache holds
// (a chat client resends the whole conversation each turn).
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "server/chat_request.h"
#include "server/grammar.h"

struct llama_model;
struct llama_context;

namespace tsuku::server {

struct EngineOptions {
    std::filesystem::path model_path;
    uint32_t context_tokens = 4096;  // capped by the model's training context
    int threads = 0;                 // 0: one per available core
    int gpu_layers = 0;              // layers offloaded to the backend's device (0 for cpu)
    std::optional<uint32_t> seed;    // every request samples with this seed (reproducible replies); else random
};

struct GenerationInput {
    std::string prompt;           // rendered by the chat template
    std::vector<int32_t> tokens;  // the prompt tokenised by tokenize_prompt(); empty: generate() tokenises `prompt`
    int max_tokens = 256;
    GrammarSpec grammar;
    std::vector<std::string> preserved_tokens;  // special tokens that stay in the text (tool-call markers)
    std::vector<std::string> stops;             // stop strings (not part of the text)
    SamplingOptions sampling;                   // its stops are already in `stops`
    // Called after each generated token that did not complete a stop string, with all the raw text so far (bytes:
    // it may end inside a UTF-8 sequence or a stop string; see server/stream_cut.h). Empty: not called.
    std::function<void(const std::string& raw)> on_text;
    size_t save_prefix = 0;  // > 0: after the reply, the state is handed to the StateSource under this prefix
};

// cancelled: the client went away or the server is shutting down; context_full: no room left in the context.
enum class StopReason { end_turn, max_tokens, cancelled, context_full };
const char* stop_reason_name(StopReason r);

struct GenerationOutput {
    std::string text;  // valid UTF-8
    StopReason stop = StopReason::end_turn;
    int input_tokens = 0;
    int cached_tokens = 0;      // of input_tokens, reused from the cache
    int restored_tokens = 0;    // of cached_tokens, restored from a saved state (a prompt cache file)
    std::string restored_from;  // that state's name
    double restore_ms = 0;      // reading, checking and loading it (part of prompt_ms)
    int output_tokens = 0;
    double prompt_ms = 0;
    double generation_ms = 0;
    double sampling_ms = 0;  // of generation_ms, in the sampler (each decode finished first: not the device's time)
};

// Saved prompt states (prompt_cache.h), consulted when the context holds less of a prompt than a saved state would.
class StateSource {
public:
    virtual ~StateSource() = default;
    struct Found {
        std::string name;
        std::vector<int32_t> tokens;  // the tokens whose keys and values `state` holds
        std::vector<uint8_t> state;   // llama_state_seq_get_data's bytes, checked
    };
    // A state whose key the prompt starts with and that holds more than `have` of the prompt's tokens.
    virtual std::optional<Found> find(std::span<const int32_t> prompt, size_t have) = 0;
    // llama.cpp refused the state: it must not be offered again.
    virtual void refused(const std::string& name) = 0;
    // The context's sequence as llama.cpp serialises it, to save under its first `prefix_tokens` tokens. Called
    // with the engine's lock held: must not block (queue it).
    virtual void keep(uint32_t prefix_tokens, std::vector<int32_t> tokens, std::vector<uint8_t> state) = 0;
};

class Engine {
public:
    // Throws std::runtime_error when llama.cpp cannot load the model or create a context.
    explicit Engine(const EngineOptions& options);
    ~Engine();
    Engine(const Engine&) = delete;
    Engine& operator=(const Engine&) = delete;

    // `cancelled` is polled between prompt batches and between tokens; when it returns true generation stops with
    // StopReason::cancelled. Throws RequestError for requests that cannot be served (prompt over the context).
    GenerationOutput generate(const GenerationInput& input, const std::function<bool()>& cancelled);

    // The prompt's tokens. Throws RequestError when it is empty or does not fit the context, having tokenised at
    // most about twice what fits (a prompt of megabytes is refused after a prefix). Thread-safe (reads the vocab).
    std::vector<int32_t> tokenize_prompt(const std::string& prompt) const;
    // Plain tokenisation (special tokens parsed), no limits. Thread-safe.
    std::vector<int32_t> tokenize_text(std::string_view text) const { return tokenize(text, true); }

    // Saved states to restore from; null: none. Set before serving.
    void set_state_source(StateSource* source) noexcept { states_ = source; }
    // Hands the state that a request marked for saving (GenerationInput::save_prefix) to the StateSource, if not
    // done yet. Thread-safe: waits for the generation in progress. The next generate() does it first otherwise, so
    // the state is always taken before the cache changes.
    void save_pending_state();

    const llama_model* model() const noexcept { return model_.get(); }
    const std::string& model_name() const noexcept { return model_name_; }  // the file name without .gguf
    const std::string& gguf_name() const noexcept { return gguf_name_; }    // general.name, when the file has one
    uint32_t context_tokens() const noexcept { return n_ctx_; }
    int threads() const noexcept { return threads_; }
    // The context parameters the KV cache's layout and values depend on (part of a saved state's identity).
    const std::string& kv_settings() const noexcept { return kv_settings_; }

private:
    std::vector<int32_t> tokenize(std::string_view text, bool parse_special) const;
    // Makes the cache hold `tokens` (reusing the shared prefix); returns how many were reused.
    size_t evaluate_prompt(const std::vector<int32_t>& tokens, const std::function<bool()>& cancelled,
                           GenerationOutput& out);
    // Replaces the cache with a saved state that holds more of `tokens` than `keep`; returns the new shared prefix.
    size_t restore_state(const std::vector<int32_t>& tokens, size_t keep, GenerationOutput& out);
    void decode(int32_t* tokens, int32_t n);
    void forget_cache();
    void take_pending_state();  // with mu_ held

    struct ModelDeleter {
        void operator()(llama_model* m) const;
    };
    struct ContextDeleter {
        void operator()(llama_context* c) const;
    };
    std::unique_ptr<llama_model, ModelDeleter> model_;
    std::unique_ptr<llama_context, ContextDeleter> ctx_;
    std::string model_name_;
    std::string gguf_name_;
    uint32_t n_ctx_ = 0;
    uint32_t n_batch_ = 0;
    int threads_ = 0;
    uint64_t seed_state_ = 0;
    bool fixed_seed_ = false;
    std::string kv_settings_;
    std::vector<int32_t> cached_;  // the tokens whose keys and values the context holds, in order
    StateSource* states_ = nullptr;
    size_t pending_prefix_ = 0;  // a save_prefix whose state was not taken yet
    std::mutex mu_;  // generate() and save_pending_state(): the prompt cache's saver reads the context between requests
};

}  // namespace tsuku::server
