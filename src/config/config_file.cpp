#include "config/config_file.h"

#include <toml++/toml.h>
#include <fstream>
#include <regex>
#include <sstream>

#include "common/error.h"

namespace fs = std::filesystem;

namespace tsuku::config {
namespace {

constexpr std::string_view kNeverRewritten = "(tsuku never rewrites a broken config file)";

std::string line_text(const std::string& text, size_t line) {
    std::istringstream in(text);
    std::string s;
    for (size_t i = 0; i < line && std::getline(in, s); ++i) {
    }
    return s;
}

// For a line that does not parse: the full key it was meant to set ("llm.backend", from the `[llm]` header above
// it) and the raw text after "=".
std::optional<std::pair<std::string, std::string>> key_at_line(const std::string& text, int line) {
    static const std::regex kHeader(R"(^\s*\[\s*([A-Za-z0-9_.\-]+)\s*\].*)");
    static const std::regex kAssign(R"(^\s*([A-Za-z0-9_.\-]+)\s*=\s*(.*?)\s*$)");
    std::istringstream in(text);
    std::string s, section;
    std::smatch m;
    for (int i = 1; std::getline(in, s); ++i) {
        if (i < line && std::regex_match(s, m, kHeader)) section = m[1];
        if (i == line) {
            if (!std::regex_match(s, m, kAssign)) return std::nullopt;
            return std::make_pair((section.empty() ? "" : section + ".") + std::string(m[1]), std::string(m[2]));
        }
    }
    return std::nullopt;
}

[[noreturn]] void broken(const fs::path& path, int line, const std::string& problem, const std::string& fix) {
    throw UserError(
        "config file " + path.string() + ", line " + std::to_string(line) + ": " + problem,
        fix + "; edit line " + std::to_string(line) + " of " + path.string() + " " + std::string(kNeverRewritten));
}

bool is_key_prefix(std::string_view name) {
    for (const auto& k : all_keys()) {
        if (k.name.size() > name.size() && k.name.starts_with(name) && k.name[name.size()] == '.') return true;
    }
    return false;
}

void visit(const toml::table& table, const std::string& prefix, ConfigFile& f) {
    for (auto&& [k, node] : table) {
        const std::string name = prefix.empty() ? std::string(k.str()) : prefix + "." + std::string(k.str());
        const int line = static_cast<int>(k.source().begin.line);
        const KeyDef* def = find_key(name);
        if (!def) {
            if (const auto* sub = node.as_table(); sub && is_key_prefix(name)) {
                visit(*sub, name, f);
                continue;
            }
            const auto s = suggest_key(name);
            broken(
                f.path, line, "unknown key '" + name + "'",
                (s ? "did you mean " + std::string(*s) + "? " : std::string()) + "The keys are: " + key_names_joined());
        }
        std::optional<std::string> text;
        if (def->type == ValueType::boolean) {
            if (const auto* b = node.as_boolean()) text = b->get() ? "true" : "false";
        } else if (const auto* s = node.as_string()) {
            text = s->get();
        }
        if (!text) {
            broken(f.path, line,
                   name + " has the wrong type: " +
                       (def->type == ValueType::boolean ? "expected true or false, without quotes"
                                                        : "expected a quoted string"),
                   "valid values: " + valid_values(*def));
        }
        const auto canonical = normalize(*def, *text);
        if (!canonical) {
            broken(f.path, line, name + " = \"" + *text + "\" is not a valid value",
                   "valid values: " + valid_values(*def));
        }
        f.values[name] = {*canonical, line};
    }
}

// Byte offset of a toml++ position (1-based line, 1-based column counted in code points).
size_t offset_of(const std::string& text, size_t line, size_t column) {
    size_t off = 0;
    for (size_t l = 1; l < line; ++l) {
        off = text.find('\n', off);
        if (off == std::string::npos) return text.size();
        ++off;
    }
    for (size_t c = 1; c < column && off < text.size() && text[off] != '\n'; ++c) {
        ++off;
        while (off < text.size() && (static_cast<unsigned char>(text[off]) & 0xC0) == 0x80) ++off;
    }
    return off;
}

std::string toml_literal(const KeyDef& def, const std::string& value) {
    if (def.type == ValueType::boolean) return value;
    std::string out = "\"";
    for (const unsigned char c : value) {
        if (c == '"' || c == '\\') {
            out += '\\', out += static_cast<char>(c);
        } else if (c < 0x20 || c == 0x7f) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\u%04x", c);
            out += buf;
        } else {
            out += static_cast<char>(c);
        }
    }
    return out + "\"";
}

std::pair<std::string, std::string> split_name(std::string_view name) {
    const size_t dot = name.rfind('.');
    return {std::string(name.substr(0, dot)), std::string(name.substr(dot + 1))};
}

// The edit made on the user's own text, or nullopt when it cannot be done there with confidence.
std::optional<std::string> edit_in_place(const ConfigFile& file, const KeyDef& key,
                                         const std::optional<std::string>& value) {
    if (!file.exists || file.text.find_first_not_of(" \t\r\n") == std::string::npos) return std::nullopt;
    const std::string& text = file.text;
    const toml::table table = toml::parse(text, file.path.string());
    if (const toml::node* node = table.at_path(key.name).node()) {
        const auto& src = node->source();
        const size_t b = offset_of(text, src.begin.line, src.begin.column);
        const size_t e = offset_of(text, src.end.line, src.end.column);
        if (value) return text.substr(0, b) + toml_literal(key, *value) + text.substr(e);
        // Unset: remove the whole `key = value  # comment` line when it holds nothing else.
        const size_t start = offset_of(text, src.begin.line, 1);
        const size_t stop = std::min(text.size(), offset_of(text, src.end.line + 1, 1));
        static const std::regex kKeyPart(R"(^\s*[A-Za-z0-9_.\-"' ]+=\s*$)");
        static const std::regex kRest(R"(^\s*(#.*)?\n?$)");
        if (!std::regex_match(text.substr(start, b - start), kKeyPart) ||
            !std::regex_match(text.substr(e, stop - e), kRest)) {
            return std::nullopt;
        }
        return text.substr(0, start) + text.substr(stop);
    }
    if (!value) return text;
    const auto [section, short_name] = split_name(key.name);
    const std::string line = short_name + " = " + toml_literal(key, *value) + "\n";
    const auto* sec = table.get_as<toml::table>(section);
    static const std::regex kHeader(R"(^\s*\[\s*([A-Za-z0-9_.\-]+)\s*\]\s*(#.*)?$)");
    std::smatch m;
    const std::string header = sec ? line_text(text, sec->source().begin.line) : std::string();
    if (sec && std::regex_match(header, m, kHeader) && m[1] == section) {
        // After the last key of the [section] table.
        size_t last = sec->source().begin.line;
        for (auto&& [k, v] : *sec) last = std::max<size_t>(last, v.source().end.line);
        const size_t at = offset_of(text, last + 1, 1);
        const bool need_newline = at == text.size() && !text.ends_with('\n');
        return text.substr(0, at) + (need_newline ? "\n" : "") + line + text.substr(at);
    }
    static const std::regex kAnyHeader(R"((^|\n)\s*\[)");
    if (std::regex_search(text, kAnyHeader)) return std::nullopt;
    // Only dotted keys at the top level: one more at the end.
    return text + (text.ends_with('\n') ? "" : "\n") + std::string(key.name) + " = " + toml_literal(key, *value) + "\n";
}

bool same_values(const std::map<std::string, FileValue, std::less<>>& a,
                 const std::map<std::string, FileValue, std::less<>>& b) {
    if (a.size() != b.size()) return false;
    for (auto ia = a.begin(), ib = b.begin(); ia != a.end(); ++ia, ++ib) {
        if (ia->first != ib->first || ia->second.value != ib->second.value) return false;
    }
    return true;
}

}  // namespace

ConfigFile parse_config_text(std::string text, const fs::path& path) {
    ConfigFile f;
    f.path = path;
    f.exists = true;
    f.text = std::move(text);
    toml::table table;
    try {
        table = toml::parse(f.text, path.string());
    } catch (const toml::parse_error& e) {
        const auto line = static_cast<int>(e.source().begin.line);
        const std::string where = line_text(f.text, line);
        std::string key_part, hint;
        if (const auto key = key_at_line(f.text, line)) {
            key_part = " (key " + key->first + ")";
            // The most likely mistake: a string without its quotes.
            static const std::regex kBare(R"(^[A-Za-z0-9][A-Za-z0-9_./~:+-]*$)");
            if (std::regex_match(key->second, kBare) && key->second != "true" && key->second != "false") {
                hint = "; strings need quotes: " + key->first.substr(key->first.rfind('.') + 1) + " = \"" +
                       key->second + "\"";
            }
        }
        throw UserError(
            "config file " + path.string() + " is broken at line " + std::to_string(line) + key_part + ": " +
                std::string(e.description()) + (where.empty() ? "" : " (in: " + where + ")"),
            "fix line " + std::to_string(line) + " of " + path.string() + hint + " " + std::string(kNeverRewritten));
    }
    visit(table, "", f);
    return f;
}

ConfigFile read_config_file(const fs::path& path) {
    std::error_code ec;
    const auto st = fs::status(path, ec);
    if (!fs::exists(st)) {
        ConfigFile f;
        f.path = path;
        return f;
    }
    if (!fs::is_regular_file(st)) {
        throw UserError("config file " + path.string() + " is not a regular file", "remove it or move it away");
    }
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    if (!in) {
        throw UserError("cannot read the config file " + path.string(), "check its permissions (it should be 0600)");
    }
    return parse_config_text(ss.str(), path);
}

std::string edit_config_text(const ConfigFile& file, const KeyDef& key, const std::optional<std::string>& value) {
    auto expected = file.values;
    if (value) {
        expected[std::string(key.name)] = {*value, 0};
    } else {
        expected.erase(std::string(key.name));
    }
    if (auto edited = edit_in_place(file, key, value)) {
        // Only a text that reads back as exactly the intended values is kept; otherwise the canonical form.
        try {
            if (same_values(parse_config_text(*edited, file.path).values, expected)) return *edited;
        } catch (const UserError&) {
        }
    }
    return render_config(expected);
}

std::string render_config(const std::map<std::string, FileValue, std::less<>>& values) {
    std::string out = "# tsuku configuration. `tsuku config list` shows every key, its value and its source.\n";
    std::string current;
    for (const auto& k : all_keys()) {
        const auto it = values.find(k.name);
        if (it == values.end()) continue;
        const auto [section, short_name] = split_name(k.name);
        if (section != current) out += "\n[" + section + "]\n", current = section;
        out += short_name + " = " + toml_literal(k, it->second.value) + "\n";
    }
    return out;
}

}  // namespace tsuku::config
