// One saved prompt state (issue 21): the KV cache of an evaluated prompt, so that a new server skips evaluating a
// prefix it has seen before. No llama.cpp here: the CLI's prune reads these files too.
//
// A file is  "TSUKUKV1" | u32 header length | header (JSON) | the state's tokens (int32 each) | llama.cpp's state.
// The header names everything that makes the state valid (StateIdentity), how many tokens it holds, and the
// sha256 of the state bytes: a file that does not match its name, is truncated or corrupt is refused (and deleted
// by its reader), never loaded into a context.
// Its name is  <identity hash>-<prefix hash>.kv : the identity of the server that may load it and the exact tokens
// of the prefix it was saved for (the state may hold more: the last turn and the reply that followed).
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace tsuku::server {

// What a state is valid for. Two servers with equal identities compute the same keys and values.
struct StateIdentity {
    std::string model_path;  // absolute
    uint64_t model_size = 0;
    int64_t model_mtime_ns = 0;
    uint64_t model_inode = 0;
    uint64_t model_device = 0;
    std::string model_sha256;  // when the server verified it (--model-sha256)
    std::string backend;
    std::string addon_version;
    std::string llama_cpp;
    uint32_t context_tokens = 0;
    std::string kv_settings;  // the context parameters the KV layout depends on ("type_k f16 type_v f16 ...")

    bool operator==(const StateIdentity&) const = default;
};

nlohmann::json identity_json(const StateIdentity& id);
std::optional<StateIdentity> identity_from_json(const nlohmann::json& j);
// 16 hex digits of the sha256 of the identity: the first half of a state's file name.
std::string identity_hash(const StateIdentity& id);
// The model fields of `id` from the file at `model` (stat); false when it cannot be read.
bool stat_model(const std::filesystem::path& model, StateIdentity& id);

struct StateHeader {
    StateIdentity identity;
    uint32_t prefix_tokens = 0;  // the key: the first prefix_tokens of `tokens`
    uint64_t state_bytes = 0;
    std::string state_sha256;
};

// 16 hex digits of the sha256 of the tokens.
std::string tokens_hash(std::span<const int32_t> tokens);
// "<identity hash>-<prefix hash>.kv"
std::string state_file_name(const StateIdentity& id, std::span<const int32_t> prefix);
inline constexpr std::string_view kStateSuffix = ".kv";

// Everything but the state bytes, read and checked (magic, header, size of the file, the name against the content).
struct StateHead {
    StateHeader header;
    std::vector<int32_t> tokens;
    uint64_t file_bytes = 0;
};
// Returns nullopt with `why` set when the file is not a whole, well-formed state whose name matches its content.
// `missing` is set when the file does not exist (a reader racing a prune: not a bad file).
std::optional<StateHead> read_state_head(const std::filesystem::path& file, std::string& why, bool* missing = nullptr);
// The same, and the state bytes, checked against the header's sha256 — all from one open file, so a writer that
// replaces it meanwhile cannot mix two versions.
std::optional<StateHead> read_state(const std::filesystem::path& file, std::vector<uint8_t>& state, std::string& why,
                                    bool* missing = nullptr);

// Writes the file atomically (a temporary file in the same folder, fsync, rename, fsync of the folder), mode 0600:
// a reader sees no file or the whole file. Fills header.state_bytes and state_sha256. Throws std::runtime_error.
void write_state_file(const std::filesystem::path& file, StateHeader header, std::span<const int32_t> tokens,
                      std::span<const uint8_t> state);

// A temporary file of write_state_file (".<name>.tmp-<pid>-<n>"), left behind by a writer that died.
bool is_state_temp_name(const std::string& name);

}  // namespace tsuku::server
