// `tsuku-llm serve`: the start-up contract of docs/design.md §4.2, in this order:
//   backend check (78) -> model check (66/65; with --model-sha256 the checksum too) -> socket lock (73)
//   -> load model (65) -> bind 0600 (73)
//   -> `ready` event -> serve until Shutdown / idle timeout / SIGTERM -> remove the socket -> exit 0.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

namespace tsuku::server {

struct ServeOptions {
    std::filesystem::path socket;
    std::filesystem::path model;
    std::string model_sha256;  // 64 lowercase hex digits; empty: not checked
    int notify_fd = -1;
    std::chrono::milliseconds idle_timeout = std::chrono::minutes(5);
    uint32_t context_tokens = 4096;
    int threads = 0;         // 0: the physical cores this process may use
    int gpu_layers = -1;     // -1: everything on the backend's device (0 for cpu)
    size_t max_waiting = 8;  // requests that may wait behind the one generating
    bool allow_software_devices = false;
    std::filesystem::path library_dir;       // the variant's folder (where libggml-*.so live)
    std::filesystem::path prompt_cache_dir;  // saved prompt states ($TSUKU_HOME/cache/kv); empty: none
    uint64_t prompt_cache_bytes = 0;         // their budget; 0: none
    std::optional<uint32_t> seed;            // a fixed sampling seed for every request (tests, benchmarks)
};

// Serves until shutdown and returns the exit code (0); a start that cannot serve throws UserError with its code
// (78 backend unavailable, 65/66 model, 69 socket), after the `failed` event when it is the backend.
int serve(const ServeOptions& options);

}  // namespace tsuku::server
