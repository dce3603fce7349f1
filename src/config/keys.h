// The one table of config keys (docs/design.md §4.7). get, set, unset, list and the typed accessors all read it, so a
// key can never be settable but not gettable, and every valid-values message comes from the same validator.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace tsuku::config {

enum class ValueType {
    choice,             // one of KeyDef::choices
    duration,           // "30s", "5m", "1h30m"; "0" = never
    positive_duration,  // a duration other than 0
    boolean,            // true | false (a TOML boolean in the file)
    model,              // "auto", a model name, or an absolute path to a GGUF file
    threads,            // "auto" or a thread count (1..kMaxThreads)
    byte_size,          // "1GiB", "512MiB", "2GB", a number of bytes; "0"
    listen_address,     // "HOST:PORT" ("[::1]:PORT" for IPv6), a port from 0 (any free one) to 65535
};

struct KeyDef {
    std::string_view name;  // "llm.backend"
    ValueType type;
    std::string_view default_value;             // canonical text
    std::span<const std::string_view> choices;  // ValueType::choice only
    std::string_view env;                       // the environment variable that overrides the file
    std::string_view description;
};

inline constexpr std::string_view kBackend = "llm.backend";
inline constexpr std::string_view kModel = "llm.model";
inline constexpr std::string_view kIdleTimeout = "llm.idle_timeout";
inline constexpr std::string_view kFallback = "llm.fallback";
inline constexpr std::string_view kAllowDownloads = "llm.allow_downloads";
inline constexpr std::string_view kStartTimeout = "llm.start_timeout";
inline constexpr std::string_view kThreads = "llm.threads";
inline constexpr std::string_view kPromptCacheSize = "llm.prompt_cache_size";
inline constexpr std::string_view kHttpListen = "llm.http_listen";
inline constexpr int kMaxThreads = 1024;  // the server's own --threads limit

std::span<const KeyDef> all_keys();
const KeyDef* find_key(std::string_view name);
// The KeyDef of a key known to be in the table (the typed accessors' constants); throws std::logic_error otherwise.
const KeyDef& key(std::string_view name);

// The canonical form of `text` for `def` ("5m" for "300s", "true" for "yes"), or nullopt when it is not valid.
std::optional<std::string> normalize(const KeyDef& def, std::string_view text);
// llm.threads as a count: nullopt for "auto" (or anything that is not a valid count).
std::optional<int> thread_count(std::string_view canonical);

// What `def` accepts, for messages and help: "auto, cpu, vulkan, cuda, metal".
std::string valid_values(const KeyDef& def);
// "llm.backend, llm.model, …"
std::string key_names_joined();
// The closest key name to a misspelt one, when it is close enough to be a likely typo.
std::optional<std::string_view> suggest_key(std::string_view name);

// Throws the UserError for an unknown key (with the list of keys and a suggestion).
[[noreturn]] void throw_unknown_key(std::string_view name);

}  // namespace tsuku::config
