// tsuku config get|set|unset|list: the key table of config/keys.h over $TSUKU_HOME/config.toml.
#include <algorithm>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/detection.h"
#include "common/error.h"
#include "config/config.h"

namespace fs = std::filesystem;

namespace tsuku::cli {
namespace {

using config::Setting;

nlohmann::json to_json(const Setting& s) {
    nlohmann::json j = {{"key", s.key->name},
                        {"value", s.value},
                        {"source", config::source_name(s.source)},
                        {"default", s.key->default_value},
                        {"env", s.key->env},
                        {"valid", config::valid_values(*s.key)},
                        {"description", s.key->description}};
    if (s.line > 0) j["line"] = s.line;
    return j;
}

std::string source_text(const Setting& s) {
    if (s.source == config::Source::environment) return "environment (" + std::string(s.key->env) + ")";
    if (s.source == config::Source::file) return "file, line " + std::to_string(s.line);
    return "default";
}

void list(Context& ctx, bool json) {
    const auto cfg = ctx.config();
    if (json) {
        nlohmann::json keys = nlohmann::json::array();
        for (const auto& s : cfg.list()) keys.push_back(to_json(s));
        ctx.out << nlohmann::json{{"file", ctx.home().config_file().string()}, {"keys", keys}}.dump(2) << "\n";
        return;
    }
    size_t key_w = 3, value_w = 5;
    for (const auto& s : cfg.list())
        key_w = std::max(key_w, s.key->name.size()), value_w = std::max(value_w, s.value.size());
    auto row = [&](std::string_view k, std::string_view v, std::string_view src) {
        ctx.out << k << std::string(key_w - k.size() + 2, ' ') << v << std::string(value_w - v.size() + 2, ' ') << src
                << "\n";
    };
    row("KEY", "VALUE", "SOURCE");
    for (const auto& s : cfg.list()) row(s.key->name, s.value, source_text(s));
    ctx.out << "(" << ctx.home().config_file().string() << ")\n";
}

void get(Context& ctx, const std::string& key, bool json) {
    const auto cfg = ctx.config();
    const Setting s = cfg.get(key);
    if (json) {
        ctx.out << to_json(s).dump(2) << "\n";
    } else {
        ctx.out << s.value << "\n";
    }
}

void warn_if_overridden(Context& ctx, const config::KeyDef& def) {
    if (const auto v = ctx.env.get_nonempty(def.env)) {
        ctx.err << "note: " << def.env << "=" << *v << " overrides " << def.name << " in this environment\n";
    }
}

void set(Context& ctx, const std::string& key, std::string value) {
    const config::KeyDef* def = config::find_key(key);
    if (!def) config::throw_unknown_key(key);
    // A model path typed relative to the current folder is stored absolute: the server runs elsewhere.
    if (def->type == config::ValueType::model && !value.starts_with('/') &&
        (value.find('/') != std::string::npos || value.ends_with(".gguf"))) {
        value = fs::absolute(value).lexically_normal().string();
    }
    // Values that depend on this platform and release are checked here, before the file changes.
    if (def->name == config::kBackend) checked_backend(value, std::string(def->name) + " " + value);
    if (def->name == config::kModel) value = checked_model(value, std::string(def->name), /*for_setting=*/true);
    const fs::path file = ctx.home().config_file();
    const std::string written = config::set_value(file, key, value);
    ctx.out << key << " = " << written << "  (" << file.string() << ")\n";
    warn_if_overridden(ctx, *def);
}

void unset(Context& ctx, const std::string& key) {
    const config::KeyDef* def = config::find_key(key);
    if (!def) config::throw_unknown_key(key);
    const fs::path file = ctx.home().config_file();
    const bool removed = config::unset_value(file, key);
    ctx.out << key << (removed ? ": removed from " : ": not set in ") << file.string() << "; now " << def->default_value
            << " (default)\n";
    warn_if_overridden(ctx, *def);
}

std::string keys_help() {
    std::string out = "Keys (environment variable; valid values):\n";
    for (const auto& k : config::all_keys()) {
        out += "  " + std::string(k.name) + " (" + std::string(k.env) + "; " + config::valid_values(k) + ", default " +
               std::string(k.default_value) + ")\n      " + std::string(k.description) + "\n";
    }
    return out;
}

}  // namespace

void add_config_commands(CLI::App& app, Context& ctx) {
    struct Options {
        std::string key, value;
        bool json = false;
    };
    auto o = std::make_shared<Options>();
    auto* cfg = app.add_subcommand("config", "show and change settings ($TSUKU_HOME/config.toml)");
    cfg->require_subcommand(1);
    cfg->footer(keys_help());

    auto* get_cmd = cfg->add_subcommand("get", "print a key's value");
    get_cmd->add_option("key", o->key, "the key, e.g. llm.backend")->required();
    get_cmd->add_flag("--json", o->json, "value, source, default and valid values as JSON");
    get_cmd->callback([&ctx, o] { get(ctx, o->key, o->json); });

    auto* set_cmd = cfg->add_subcommand("set", "set a key in the config file");
    set_cmd->add_option("key", o->key, "the key, e.g. llm.backend")->required();
    set_cmd->add_option("value", o->value, "the new value")->required();
    set_cmd->footer(keys_help());
    set_cmd->callback([&ctx, o] { set(ctx, o->key, o->value); });

    auto* unset_cmd = cfg->add_subcommand("unset", "remove a key from the config file (back to its default)");
    unset_cmd->add_option("key", o->key, "the key, e.g. llm.backend")->required();
    unset_cmd->callback([&ctx, o] { unset(ctx, o->key); });

    auto* list_cmd = cfg->add_subcommand("list", "every key with its value and source (default, file, environment)");
    list_cmd->add_flag("--json", o->json, "machine-readable output");
    list_cmd->callback([&ctx, o] { list(ctx, o->json); });
}

}  // namespace tsuku::cli
