#include "config/config.h"

#include <stdexcept>

#include "common/byte_size.h"
#include "common/durable_file.h"
#include "common/duration.h"
#include "common/error.h"
#include "common/home.h"
#include "config/config_file.h"

namespace fs = std::filesystem;

namespace tsuku::config {

std::string_view source_name(Source s) {
    switch (s) {
        case Source::default_value: return "default";
        case Source::file: return "file";
        case Source::environment: return "environment";
    }
    return "?";
}

Config::Config() {
    for (const auto& k : all_keys()) settings_.push_back({&k, std::string(k.default_value), Source::default_value, 0});
}

Config Config::load(const fs::path& file, const Environment& env) {
    Config c;
    const ConfigFile f = read_config_file(file);
    for (const auto& [name, v] : f.values) {
        auto& s = const_cast<Setting&>(c.find(name));
        s.value = v.value, s.source = Source::file, s.line = v.line;
    }
    for (auto& s : c.settings_) {
        const auto raw = env.get_nonempty(s.key->env);
        if (!raw) continue;
        const auto canonical = normalize(*s.key, *raw);
        if (!canonical) {
            throw UserError(std::string(s.key->env) + "='" + *raw + "' is not a valid " + std::string(s.key->name),
                            "valid values: " + valid_values(*s.key) + "; or unset " + std::string(s.key->env));
        }
        s.value = *canonical, s.source = Source::environment;
    }
    return c;
}

const Setting& Config::find(std::string_view key) const {
    for (const auto& s : settings_) {
        if (s.key->name == key) return s;
    }
    throw_unknown_key(key);
}

Setting Config::get(std::string_view key) const { return find(key); }

const Setting& Config::typed(std::string_view key, ValueType type) const {
    const Setting& s = find(key);
    const bool ok = s.key->type == type || (type == ValueType::duration && s.key->type == ValueType::positive_duration);
    if (!ok) throw std::logic_error("config key " + std::string(key) + " read with the wrong type");
    return s;
}

std::optional<Backend> Config::backend() const {
    const std::string& v = typed(kBackend, ValueType::choice).value;
    if (v == "auto") return std::nullopt;
    return parse_backend(v);
}

ModelChoice Config::model() const {
    const std::string& v = typed(kModel, ValueType::model).value;
    if (v == "auto") return {ModelChoice::Kind::automatic, v};
    if (v.starts_with('/')) return {ModelChoice::Kind::path, v};
    return {ModelChoice::Kind::name, v};
}

std::chrono::milliseconds Config::idle_timeout() const {
    return *parse_duration(typed(kIdleTimeout, ValueType::duration).value);
}

bool Config::fallback_enabled() const { return typed(kFallback, ValueType::choice).value != "off"; }

bool Config::allow_downloads() const { return typed(kAllowDownloads, ValueType::boolean).value == "true"; }

uint64_t Config::prompt_cache_size() const {
    return *parse_byte_size(typed(kPromptCacheSize, ValueType::byte_size).value);
}

std::chrono::milliseconds Config::start_timeout() const {
    return *parse_duration(typed(kStartTimeout, ValueType::duration).value);
}

namespace {

const KeyDef& checked_key(std::string_view key) {
    const KeyDef* def = find_key(key);
    if (!def) throw_unknown_key(key);
    return *def;
}

void write(const fs::path& file, const std::string& text) {
    ensure_private_dir(file.parent_path());
    write_file_atomically(file, text, 0600, /*through_symlink=*/true);  // dotfiles keep their link
}

}  // namespace

std::string set_value(const fs::path& file, std::string_view key, std::string_view value) {
    const KeyDef& def = checked_key(key);
    const auto canonical = normalize(def, value);
    if (!canonical) {
        throw UserError("'" + std::string(value) + "' is not a valid value for " + std::string(key),
                        "valid values: " + valid_values(def), ExitCode::usage);
    }
    const ConfigFile f = read_config_file(file);  // a broken file is refused here and stays as it is
    write(file, edit_config_text(f, def, *canonical));
    return *canonical;
}

bool unset_value(const fs::path& file, std::string_view key) {
    const KeyDef& def = checked_key(key);
    const ConfigFile f = read_config_file(file);
    if (!f.values.count(def.name)) return false;
    write(file, edit_config_text(f, def, std::nullopt));
    return true;
}

}  // namespace tsuku::config
