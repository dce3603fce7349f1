#include "config/keys.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <stdexcept>
#include <vector>

#include "common/backend.h"
#include "common/byte_size.h"
#include "common/duration.h"
#include "common/edit_distance.h"
#include "common/error.h"
#include "common/text.h"

namespace tsuku::config {
namespace {

// "auto" and then every backend of common/backend.h, so a new backend is configurable without touching this file.
constexpr auto kBackendChoices = [] {
    std::array<std::string_view, kBackends.size() + 1> a{"auto"};
    for (size_t i = 0; i < kBackends.size(); ++i) a[i + 1] = kBackends[i].name;
    return a;
}();
constexpr std::array<std::string_view, 2> kFallbackChoices{"auto", "off"};

constexpr std::array<KeyDef, 9> kKeys{{
    {kBackend, ValueType::choice, "auto", kBackendChoices, "TSUKU_LLM_BACKEND",
     "backend to try first; auto follows detection. The platform's default backend stays last in the chain unless "
     "llm.fallback is off"},
    {kModel,
     ValueType::model,
     "auto",
     {},
     "TSUKU_LLM_MODEL",
     "model to load: auto chooses by free memory; or a model name from the release, or an absolute path to a GGUF "
     "file"},
    {kIdleTimeout,
     ValueType::duration,
     "5m",
     {},
     "TSUKU_LLM_IDLE_TIMEOUT",
     "the server stops after this long without requests (0: never)"},
    {kFallback, ValueType::choice, "auto", kFallbackChoices, "TSUKU_LLM_FALLBACK",
     "auto: when a backend cannot run, fall back to the next one of the chain; off: fail instead"},
    {kAllowDownloads,
     ValueType::boolean,
     "false",
     {},
     "TSUKU_LLM_ALLOW_DOWNLOADS",
     "let installs without a terminal download without --yes"},
    {kStartTimeout,
     ValueType::positive_duration,
     "2m",
     {},
     "TSUKU_LLM_START_TIMEOUT",
     "how long to wait for a starting server to be ready (model load included)"},
    {kThreads,
     ValueType::threads,
     "auto",
     {},
     "TSUKU_LLM_THREADS",
     "CPU threads for inference; auto: the physical cores among the CPUs this process may use (affinity mask), "
     "capped by the cgroup CPU quota"},
    {kPromptCacheSize,
     ValueType::byte_size,
     "1GiB",
     {},
     "TSUKU_LLM_PROMPT_CACHE_SIZE",
     "disk for saved prompt states ($TSUKU_HOME/cache/kv): a new server restores a long prompt prefix an earlier "
     "one evaluated instead of evaluating it again; least recently used states go first (0: off)"},
    {kHttpListen,
     ValueType::listen_address,
     "127.0.0.1:11435",
     {},
     "TSUKU_LLM_HTTP_LISTEN",
     "where tsuku llm serve listens for OpenAI-compatible HTTP requests (HOST:PORT); an address other than loopback "
     "needs --token-file and --tls-cert/--tls-key"},
}};

bool is_model_name(std::string_view s) {
    if (s.empty() || s.size() > 128 || !std::isalnum(static_cast<unsigned char>(s.front()))) return false;
    if (s.ends_with(".gguf")) return false;  // a file name: only as an absolute path
    return std::all_of(s.begin(), s.end(),
                       [](unsigned char c) { return std::isalnum(c) || c == '.' || c == '_' || c == '-'; });
}

// "HOST:PORT" or "[V6]:PORT": the shape only; whether the host resolves is found out when serve binds.
bool is_listen_address(std::string_view s) {
    const auto colon = s.rfind(':');
    if (colon == std::string_view::npos || colon == 0 || s.size() > 300) return false;
    const auto host = s.substr(0, colon);
    if (host.front() == '[' ? host.back() != ']' || host.size() < 3 : host.find(':') != std::string_view::npos) {
        return false;
    }
    int port = 0;
    const auto p = s.substr(colon + 1);
    const auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), port);
    return ec == std::errc() && end == p.data() + p.size() && port >= 0 && port <= 65535;
}

}  // namespace

std::span<const KeyDef> all_keys() { return kKeys; }

const KeyDef* find_key(std::string_view name) {
    for (const auto& k : kKeys) {
        if (k.name == name) return &k;
    }
    return nullptr;
}

const KeyDef& key(std::string_view name) {
    if (const KeyDef* k = find_key(name)) return *k;
    throw std::logic_error("config key not in the table: " + std::string(name));
}

std::optional<int> thread_count(std::string_view s) {
    int n = 0;
    const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
    if (ec != std::errc() || p != s.data() + s.size() || n < 1 || n > kMaxThreads) return std::nullopt;
    return n;
}

std::optional<std::string> normalize(const KeyDef& def, std::string_view text) {
    switch (def.type) {
        case ValueType::choice:
            for (const auto c : def.choices) {
                if (c == text) return std::string(c);
            }
            return std::nullopt;
        case ValueType::duration:
        case ValueType::positive_duration: {
            const auto d = parse_duration(text);
            if (!d || (def.type == ValueType::positive_duration && d->count() == 0)) return std::nullopt;
            return format_duration(*d);
        }
        case ValueType::boolean:
            if (text == "true" || text == "yes" || text == "on" || text == "1") return "true";
            if (text == "false" || text == "no" || text == "off" || text == "0") return "false";
            return std::nullopt;
        case ValueType::model:
            if (text == "auto" || is_model_name(text)) return std::string(text);
            // A path must not depend on the folder tsuku happens to run in.
            if (text.starts_with('/') && text.size() <= 4096 && text.find('\0') == std::string_view::npos) {
                return std::string(text);
            }
            return std::nullopt;
        case ValueType::threads:
            if (text == "auto") return "auto";
            if (const auto n = thread_count(text)) return std::to_string(*n);
            return std::nullopt;
        case ValueType::byte_size:
            if (const auto n = parse_byte_size(text)) return format_byte_size(*n);
            return std::nullopt;
        case ValueType::listen_address:
            if (is_listen_address(text)) return std::string(text);
            return std::nullopt;
    }
    return std::nullopt;
}

std::string valid_values(const KeyDef& def) {
    switch (def.type) {
        case ValueType::choice: {
            std::string out;
            for (const auto c : def.choices) append_listed(out, ", ", std::string(c));
            return out;
        }
        case ValueType::duration: return "a duration such as 30s, 5m, 1h30m, or 0 for never";
        case ValueType::positive_duration: return "a duration such as 30s, 2m, 1h (not 0)";
        case ValueType::boolean: return "true or false";
        case ValueType::model:
            return "auto, a model name such as qwen2.5-0.5b-instruct-q4_k_m, or an absolute path to a .gguf file";
        case ValueType::threads: return "auto, or a number of threads from 1 to " + std::to_string(kMaxThreads);
        case ValueType::byte_size: return "a size such as 512MiB, 1GiB, 2GB or a number of bytes; 0 for off";
        case ValueType::listen_address: return "HOST:PORT such as 127.0.0.1:11435 or [::1]:11435";
    }
    return {};
}

std::string key_names_joined() {
    std::string out;
    for (const auto& k : kKeys) append_listed(out, ", ", std::string(k.name));
    return out;
}

std::optional<std::string_view> suggest_key(std::string_view name) {
    std::optional<std::string_view> best;
    size_t best_distance = 4;  // farther than 3 edits is not a typo
    for (const auto& k : kKeys) {
        const size_t d = std::min(edit_distance(name, k.name), edit_distance("llm." + std::string(name), k.name));
        if (d < best_distance) best = k.name, best_distance = d;
    }
    return best;
}

void throw_unknown_key(std::string_view name) {
    std::string fix = "the keys are: " + key_names_joined();
    if (const auto s = suggest_key(name)) fix = "did you mean " + std::string(*s) + "? " + fix;
    throw UserError("unknown config key '" + std::string(name) + "'", fix, ExitCode::usage);
}

}  // namespace tsuku::config
