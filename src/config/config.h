// The user's configuration: the defaults of the key table, $TSUKU_HOME/config.toml over them, and environment
// variables over both. A broken file is an error that names the file, the line and the key; it is never replaced.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/backend.h"
#include "common/environment.h"
#include "config/keys.h"

namespace tsuku::config {

enum class Source { default_value, file, environment };
std::string_view source_name(Source s);  // "default", "file", "environment"

struct Setting {
    const KeyDef* key = nullptr;
    std::string value;  // canonical text (normalize())
    Source source = Source::default_value;
    int line = 0;  // the line of config.toml that sets it (0: the file does not)
};

struct ModelChoice {
    enum class Kind { automatic, name, path };
    Kind kind = Kind::automatic;
    std::string value;  // the model name or the absolute path
};

class Config {
public:
    // Every key at its default.
    Config();
    // Reads `file` (missing: defaults) and the overrides in `env`. Throws UserError for a broken file (TOML syntax,
    // unknown key, bad value: with file, line and key) or a bad environment value (naming the variable).
    static Config load(const std::filesystem::path& file, const Environment& env);

    // Throws UserError for a key that is not in the table. (Copies: safe on a temporary Config.)
    Setting get(std::string_view key) const;
    // Every key, in the table's order.
    std::vector<Setting> list() const { return settings_; }

    // Typed accessors, all read from the same table.
    std::optional<Backend> backend() const;  // nullopt: auto
    ModelChoice model() const;
    std::chrono::milliseconds idle_timeout() const;  // 0: never
    bool fallback_enabled() const;                   // llm.fallback != off
    bool allow_downloads() const;
    std::chrono::milliseconds start_timeout() const;
    uint64_t prompt_cache_size() const;  // bytes; 0: off

private:
    const Setting& find(std::string_view key) const;
    const Setting& typed(std::string_view key, ValueType type) const;
    std::vector<Setting> settings_;
};

// tsuku config set: validates `value` against the table, then writes the file atomically (mode 0600), keeping its
// other keys and comments. Refuses (UserError) an unknown key, a bad value (listing the valid ones) and a broken
// file, which stays untouched. Returns the canonical value written.
std::string set_value(const std::filesystem::path& file, std::string_view key, std::string_view value);
// tsuku config unset: removes the key from the file (same rules). Returns false when the file did not set it.
bool unset_value(const std::filesystem::path& file, std::string_view key);

}  // namespace tsuku::config
