// One loaded model and its context: prompt in, completion out. Not thread-safe: the service serialises requests.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "server/chat_prompt.h"

struct llama_model;
struct llama_context;

namespace tsuku::server {

struct EngineOptions {
    std::filesystem::path model_path;
    uint32_t context_tokens = 4096;  // capped by the model's training context
    int threads = 0;                 // 0: one per available core
    int gpu_layers = 0;              // layers offloaded to the backend's device (0 for cpu)
};

struct CompletionInput {
    std::vector<ChatTurn> turns;  // system prompt first when there is one
    int max_tokens = 256;
};

enum class StopReason { end_turn, max_tokens, cancelled };
const char* stop_reason_name(StopReason r);

struct CompletionOutput {
    std::string text;  // valid UTF-8
    StopReason stop = StopReason::end_turn;
    int input_tokens = 0;
    int output_tokens = 0;
    double prompt_ms = 0;
    double generation_ms = 0;
};

// The request cannot be served as asked (e.g. the prompt is longer than the context). what() is for the client.
class RequestError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

class Engine {
public:
    // Throws std::runtime_error when llama.cpp cannot load the model or create a context.
    explicit Engine(const EngineOptions& options);
    ~Engine();
    Engine(const Engine&) = delete;
    Engine& operator=(const Engine&) = delete;

    // `cancelled` is polled between tokens; when it returns true generation stops with StopReason::cancelled.
    CompletionOutput complete(const CompletionInput& input, const std::function<bool()>& cancelled);

    const std::string& model_name() const noexcept { return model_name_; }
    uint32_t context_tokens() const noexcept { return n_ctx_; }
    int threads() const noexcept { return threads_; }

private:
    std::vector<int32_t> tokenize(const std::string& text) const;
    void decode_prompt(const std::vector<int32_t>& tokens);

    struct ModelDeleter {
        void operator()(llama_model* m) const;
    };
    struct ContextDeleter {
        void operator()(llama_context* c) const;
    };
    std::unique_ptr<llama_model, ModelDeleter> model_;
    std::unique_ptr<llama_context, ContextDeleter> ctx_;
    std::string model_name_;
    uint32_t n_ctx_ = 0;
    uint32_t n_batch_ = 0;
    int threads_ = 0;
    uint64_t seed_state_ = 0;
};

}  // namespace tsuku::server
