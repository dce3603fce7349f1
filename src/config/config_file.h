// Reading and editing config.toml (internal to tsuku_config). The reader is strict: every leaf must be a key of
// the table with a valid value. Edits keep the user's text (comments, order) and are checked by re-reading.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "config/keys.h"

namespace tsuku::config {

struct FileValue {
    std::string value;  // canonical
    int line = 0;
};

struct ConfigFile {
    std::filesystem::path path;
    bool exists = false;
    std::string text;
    std::map<std::string, FileValue, std::less<>> values;  // by key name
};

// Throws UserError naming the file, the line and the key for a broken file.
ConfigFile read_config_file(const std::filesystem::path& path);
ConfigFile parse_config_text(std::string text, const std::filesystem::path& path);

// The new text of `file` with `key` set to `value` (canonical), or removed when `value` is nullopt.
std::string edit_config_text(const ConfigFile& file, const KeyDef& key, const std::optional<std::string>& value);

// A whole file in canonical form (new files, and edits the text cannot take safely).
std::string render_config(const std::map<std::string, FileValue, std::less<>>& values);

}  // namespace tsuku::config
