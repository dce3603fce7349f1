#include "config/config_file.h"

#include <toml++/toml.h>
#include <fstream>
#include <sstream>

#include "common/error.h"

namespace fs = std::filesystem;

namespace tsuku::config {
namespace {

constexpr uint64_t kMaxConfigBytes = 1 << 20;
constexpr std::string_view kNeverRewritten = "(tsuku never rewrites a broken config file)";

std::string line_text(const std::string& text, size_t line) {
    std::istringstream in(text);
    std::string s;
    for (size_t i = 0; i < line && std::getline(in, s); ++i) {
    }
    return s;
}

// Small scanners for single lines, each linear in its input (std::regex recursed per character and overflowed the
// stack on long lines).
bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r'; }
bool is_key_char(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
           c == '-';
}
std::string_view skip_space(std::string_view s) {
    while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
    return s;
}
std::string_view trim(std::string_view s) {
    s = skip_space(s);
    while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
    return s;
}
// Leading key characters of `s` (removed from it).
std::string_view take_key(std::string_view& s) {
    size_t n = 0;
    while (n < s.size() && is_key_char(s[n])) ++n;
    const auto key = s.substr(0, n);
    s.remove_prefix(n);
    return key;
}
// True for nothing but blanks and an optional comment (up to the end of the line).
bool is_blank_or_comment(std::string_view s) {
    s = skip_space(s);
    return s.empty() || s.front() == '#';
}

// "[section]" followed by anything (`strict`: only blanks and a comment): the section name.
std::optional<std::string> header_name(std::string_view line, bool strict) {
    std::string_view s = skip_space(line);
    if (s.empty() || s.front() != '[') return std::nullopt;
    s = skip_space(s.substr(1));
    const auto name = take_key(s);
    s = skip_space(s);
    if (name.empty() || s.empty() || s.front() != ']') return std::nullopt;
    if (strict && !is_blank_or_comment(s.substr(1))) return std::nullopt;
    return std::string(name);
}

// "key = value": the key and the trimmed value.
std::optional<std::pair<std::string, std::string>> assignment(std::string_view line) {
    std::string_view s = skip_space(line);
    const auto key = take_key(s);
    s = skip_space(s);
    if (key.empty() || s.empty() || s.front() != '=') return std::nullopt;
    return std::make_pair(std::string(key), std::string(trim(s.substr(1))));
}

// A value written without its quotes: [A-Za-z0-9][A-Za-z0-9_./~:+-]*
bool is_bare_word(std::string_view v) {
    if (v.empty() || !std::isalnum(static_cast<unsigned char>(v.front()))) return false;
    for (const char c : v) {
        if (!std::isalnum(static_cast<unsigned char>(c)) &&
            std::string_view("_./~:+-").find(c) == std::string_view::npos)
            return false;
    }
    return true;
}

// For a line that does not parse: the full key it was meant to set ("llm.backend", from the `[llm]` header above
// it) and the raw text after "=".
std::optional<std::pair<std::string, std::string>> key_at_line(const std::string& text, int line) {
    std::istringstream in(text);
    std::string s, section;
    for (int i = 1; std::getline(in, s); ++i) {
        if (i < line) {
            if (auto h = header_name(s, false)) section = *h;
        }
        if (i == line) {
            auto a = assignment(s);
            if (!a) return std::nullopt;
            a->first = (section.empty() ? "" : section + ".") + a->first;
            return a;
        }
    }
    return std::nullopt;
}

// A line quoted in a message: long ones are cut.
std::string quoted_line(const std::string& s) {
    constexpr size_t kMax = 120;
    return s.size() <= kMax ? s : s.substr(0, kMax) + "… (" + std::to_string(s.size()) + " characters)";
}

[[noreturn]] void broken(const fs::path& path, int line, const std::string& problem, const std::string& fix) {
    throw UserError(
        "config file " + path.string() + ", line " + std::to_string(line) + ": " + problem,
        fix + "; edit line " + std::to_string(line) + " of " + path.string() + " " + std::string(kNeverRewritten));
}

// toml++ recurses once per nested array or inline table and builds one table per part of a dotted key: shapes no
// tsuku config has are refused before it sees them, so no file can exhaust the stack. One linear pass that skips
// strings and comments.
void check_nesting(const std::string& text, const fs::path& path) {
    constexpr size_t kMaxDepth = 32, kMaxDots = 32;
    enum class In { code, comment, basic, literal, ml_basic, ml_literal } in = In::code;
    const auto at = [&](size_t i, std::string_view s) { return text.compare(i, s.size(), s) == 0; };
    size_t depth = 0, dots = 0;
    int line = 1;
    for (size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (c == '\n') {
            ++line, dots = 0;
            if (in == In::comment || in == In::basic || in == In::literal) in = In::code;
            continue;
        }
        switch (in) {
            case In::comment: break;
            case In::basic:
            case In::ml_basic:
                if (c == '\\' && i + 1 < text.size() && text[i + 1] != '\n') {
                    ++i;
                } else if (in == In::basic ? c == '"' : at(i, "\"\"\"")) {
                    i += in == In::basic ? 0 : 2;
                    in = In::code;
                }
                break;
            case In::literal:
            case In::ml_literal:
                if (in == In::literal ? c == '\'' : at(i, "'''")) {
                    i += in == In::literal ? 0 : 2;
                    in = In::code;
                }
                break;
            case In::code:
                if (c == '#') {
                    in = In::comment;
                } else if (c == '"' || c == '\'') {
                    const bool multi = at(i, c == '"' ? "\"\"\"" : "'''");
                    in = c == '"' ? (multi ? In::ml_basic : In::basic) : (multi ? In::ml_literal : In::literal);
                    i += multi ? 2 : 0;
                } else if ((c == '[' || c == '{') && ++depth > kMaxDepth) {
                    broken(path, line, "arrays or tables nested more than " + std::to_string(kMaxDepth) + " deep",
                           "tsuku's keys are plain values");
                } else if ((c == ']' || c == '}') && depth > 0) {
                    --depth;
                } else if (c == '.' && ++dots > kMaxDots) {
                    broken(path, line, "a key with more than " + std::to_string(kMaxDots) + " dotted parts",
                           "tsuku's keys look like llm.backend");
                }
                break;
        }
    }
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
            broken(f.path, line, name + " = \"" + quoted_line(*text) + "\" is not a valid value",
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

// "  key = " before a value: key characters, quotes and spaces, then "=" and blanks.
bool is_key_part(std::string_view s) {
    s = skip_space(s);
    size_t n = 0;
    while (n < s.size() && (is_key_char(s[n]) || s[n] == '"' || s[n] == '\'' || s[n] == ' ')) ++n;
    if (n == 0 || n == s.size() || s[n] != '=') return false;
    return skip_space(s.substr(n + 1)).empty();
}

// What follows a value up to the next line: blanks, an optional comment, an optional newline.
bool is_rest_of_line(std::string_view s) {
    if (s.ends_with('\n')) s.remove_suffix(1);
    return s.find('\n') == std::string_view::npos && is_blank_or_comment(s);
}

// Any line whose first non-blank character is '['.
bool has_any_header(std::string_view text) {
    for (size_t at = 0; at <= text.size();) {
        const size_t end = std::min(text.find('\n', at), text.size());
        const auto line = skip_space(text.substr(at, end - at));
        if (!line.empty() && line.front() == '[') return true;
        at = end + 1;
    }
    return false;
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
        if (!is_key_part(std::string_view(text).substr(start, b - start)) ||
            !is_rest_of_line(std::string_view(text).substr(e, stop - e))) {
            return std::nullopt;
        }
        return text.substr(0, start) + text.substr(stop);
    }
    if (!value) return text;
    const auto [section, short_name] = split_name(key.name);
    const std::string line = short_name + " = " + toml_literal(key, *value) + "\n";
    const auto* sec = table.get_as<toml::table>(section);
    const std::string header = sec ? line_text(text, sec->source().begin.line) : std::string();
    if (sec && header_name(header, true) == section) {
        // After the last key of the [section] table.
        size_t last = sec->source().begin.line;
        for (auto&& [k, v] : *sec) last = std::max<size_t>(last, v.source().end.line);
        const size_t at = offset_of(text, last + 1, 1);
        const bool need_newline = at == text.size() && !text.ends_with('\n');
        return text.substr(0, at) + (need_newline ? "\n" : "") + line + text.substr(at);
    }
    if (has_any_header(text)) return std::nullopt;
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
    check_nesting(f.text, path);
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
            if (key->second.size() <= 120 && is_bare_word(key->second) && key->second != "true" &&
                key->second != "false") {
                hint = "; strings need quotes: " + key->first.substr(key->first.rfind('.') + 1) + " = \"" +
                       key->second + "\"";
            }
        }
        throw UserError(
            "config file " + path.string() + " is broken at line " + std::to_string(line) + key_part + ": " +
                std::string(e.description()) + (where.empty() ? "" : " (in: " + quoted_line(where) + ")"),
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
    const auto too_big = [&](uint64_t size) {
        return UserError("config file " + path.string() + " is " + std::to_string(size) +
                             " bytes; tsuku reads config files of at most " + std::to_string(kMaxConfigBytes) +
                             " bytes (1 MiB)",
                         "this is not a tsuku config: move it away, or keep only the keys `tsuku config list` shows " +
                             std::string(kNeverRewritten));
    };
    if (const uint64_t size = fs::file_size(path, ec); !ec && size > kMaxConfigBytes) throw too_big(size);
    std::ifstream in(path, std::ios::binary);
    std::string text(kMaxConfigBytes + 1, '\0');  // one more byte: a file that grew since the stat is still caught
    in.read(text.data(), static_cast<std::streamsize>(text.size()));
    if (in.bad() || (!in && !in.eof())) {
        throw UserError("cannot read the config file " + path.string(), "check its permissions (it should be 0600)");
    }
    text.resize(static_cast<size_t>(in.gcount()));
    if (text.size() > kMaxConfigBytes) throw too_big(text.size());
    return parse_config_text(std::move(text), path);
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
