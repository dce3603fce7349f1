// The folder of saved prompt states ($TSUKU_HOME/cache/kv/) as one server sees it: the states of its own identity
// (indexed by their tokens at start), a size budget over the whole folder with least-recently-used eviction (a
// file's modification time is its last use), and the removal of any of its files that fails a check. Thread-safe.
#pragma once

#include <cstdint>
#include <filesystem>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "server/prompt_state_file.h"

namespace tsuku::server {

class PromptStore {
public:
    // Creates the folder (0700) when missing; indexes this identity's states, removing bad ones; evicts down to
    // the budget. Throws UserError when the folder cannot be made.
    PromptStore(std::filesystem::path dir, uint64_t budget_bytes, StateIdentity identity);

    struct Loaded {
        std::string name;
        std::vector<int32_t> tokens;  // what the state holds
        std::vector<uint8_t> state;   // llama.cpp's bytes, checked against the header's sha256
    };
    // The saved state that holds the most of `prompt`, when the prompt starts with its whole key (prefix) and it
    // holds more than `have` of the prompt's tokens. A file that fails to read or check is removed and the next
    // best tried. Marks the one returned as just used.
    std::optional<Loaded> find(std::span<const int32_t> prompt, size_t have);

    bool has(const std::string& name) const;
    // Saves atomically under `name` (state_file_name of the prefix), then evicts the least recently used until the
    // folder fits the budget. False when the state alone is over the budget (nothing written). Throws
    // std::runtime_error when the file cannot be written.
    bool save(const std::string& name, uint32_t prefix_tokens, std::span<const int32_t> tokens,
              std::span<const uint8_t> state);
    // Removes a state that its reader refused, saying why in the log.
    void discard(const std::string& name, const std::string& why);

    struct Usage {
        uint64_t bytes = 0;  // every state in the folder, whatever its identity
        uint64_t files = 0;
    };
    Usage usage() const;
    uint64_t budget() const noexcept { return budget_; }
    const std::filesystem::path& dir() const noexcept { return dir_; }

private:
    struct Entry {
        std::string name;
        std::vector<int32_t> tokens;
        uint32_t prefix_tokens = 0;
    };
    void index();
    void evict(const std::string& keep);
    void touch(const std::filesystem::path& file);
    void remove_entry(const std::string& name);

    const std::filesystem::path dir_;
    const uint64_t budget_;
    const StateIdentity identity_;
    const std::string identity_hash_;
    mutable std::mutex mu_;
    std::vector<Entry> entries_;
};

}  // namespace tsuku::server
