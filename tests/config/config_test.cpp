// The key table, config.toml reading (strict), editing (atomic, 0600, the user's text kept) and the environment.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <set>

#include "common/error.h"
#include "config/config.h"
#include "support/temp_dir.h"

namespace fs = std::filesystem;
using namespace tsuku::config;
using tsuku::Environment;
using tsuku::UserError;
using tsuku::test::read_file;
using tsuku::test::TempDir;
using tsuku::test::write_file;

namespace {

class ConfigTest : public ::testing::Test {
protected:
    fs::path file() const { return dir / "config.toml"; }
    Config load(std::map<std::string, std::string> env = {}) { return Config::load(file(), Environment::fixed(env)); }
    // The message (what + fix) of a UserError thrown by `f`.
    template <typename F>
    std::string error_of(F f) {
        try {
            f();
        } catch (const UserError& e) {
            return std::string(e.what()) + "\nfix: " + e.fix();
        }
        ADD_FAILURE() << "no error";
        return "";
    }
    TempDir dir;
};

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

mode_t mode_of(const fs::path& p) {
    struct stat st {};
    ::stat(p.c_str(), &st);
    return st.st_mode & 0777;
}

// A valid value other than the default, for every type in the table.
std::string other_value(const KeyDef& k) {
    switch (k.type) {
        case ValueType::choice: return std::string(k.choices.back());
        case ValueType::duration:
        case ValueType::positive_duration: return "1h30m";
        case ValueType::boolean: return k.default_value == "true" ? "false" : "true";
        case ValueType::model: return "/models/x.gguf";
        case ValueType::threads: return "3";
        case ValueType::byte_size: return "512MiB";
        case ValueType::listen_address: return "[::1]:8080";
    }
    return {};
}

}  // namespace

TEST(KeyTable, ThreadsIsAutoOrACount) {
    const KeyDef& k = key(kThreads);
    EXPECT_EQ(normalize(k, "auto"), "auto");
    EXPECT_EQ(normalize(k, "4"), "4");
    EXPECT_EQ(thread_count("4"), 4);
    EXPECT_EQ(thread_count("auto"), std::nullopt);
    for (const char* bad : {"0", "-1", "1025", "4x", "", "all"}) EXPECT_EQ(normalize(k, bad), std::nullopt) << bad;
    EXPECT_NE(valid_values(k).find("1 to 1024"), std::string::npos);
}

TEST(KeyTable, HttpListenIsHostAndPort) {
    const KeyDef& k = key(kHttpListen);
    EXPECT_EQ(k.default_value, "127.0.0.1:11435");
    for (const char* good : {"0.0.0.0:80", "[::1]:11435", "gpu-box:0", "localhost:65535"}) {
        EXPECT_EQ(normalize(k, good), good);
    }
    for (const char* bad : {"11435", ":80", "host:", "host:65536", "::1:80", "[::1:80", "h:8x", ""}) {
        EXPECT_EQ(normalize(k, bad), std::nullopt) << bad;
    }
}

TEST(KeyTable, PromptCacheSizeIsABudgetInBytes) {
    const KeyDef& k = key(kPromptCacheSize);
    EXPECT_EQ(k.default_value, "1GiB");
    EXPECT_EQ(normalize(k, "0"), "0");
    EXPECT_EQ(normalize(k, "1024MiB"), "1GiB");
    EXPECT_EQ(normalize(k, "2GB"), "2GB");
    EXPECT_EQ(normalize(k, "1048576"), "1MiB");
    EXPECT_EQ(normalize(k, "1000001"), "1000001");
    for (const char* bad : {"", "-1", "1.5GiB", "1gib", "GiB", "1 GiB", "99999999999TiB"}) {
        EXPECT_EQ(normalize(k, bad), std::nullopt) << bad;
    }
    EXPECT_NE(valid_values(k).find("0 for off"), std::string::npos);
}

TEST(KeyTable, EveryKeyIsWellFormed) {
    std::set<std::string_view> envs;
    for (const auto& k : all_keys()) {
        EXPECT_EQ(normalize(k, k.default_value), std::string(k.default_value)) << k.name << ": a valid default";
        EXPECT_TRUE(k.env.starts_with("TSUKU_")) << k.name;
        EXPECT_TRUE(envs.insert(k.env).second) << k.name << ": its own variable";
        EXPECT_FALSE(k.description.empty()) << k.name;
        EXPECT_FALSE(valid_values(k).empty()) << k.name;
        EXPECT_EQ(find_key(k.name), &k);
    }
    for (const auto name : {kBackend, kModel, kIdleTimeout, kFallback, kAllowDownloads, kStartTimeout}) {
        EXPECT_NE(find_key(name), nullptr) << name;
    }
}

TEST(KeyTable, EveryBackendIsAValidLlmBackend) {
    for (const auto& b : tsuku::kBackends) EXPECT_TRUE(normalize(key(kBackend), b.name)) << b.name;
    EXPECT_FALSE(normalize(key(kBackend), "gpu"));
    EXPECT_EQ(valid_values(key(kBackend)), "auto, cpu, vulkan, cuda, metal");
}

TEST(KeyTable, ValuesAreNormalised) {
    EXPECT_EQ(normalize(key(kIdleTimeout), "90s"), "1m30s");
    EXPECT_EQ(normalize(key(kIdleTimeout), "0"), "0");
    EXPECT_FALSE(normalize(key(kStartTimeout), "0")) << "a start timeout of 0 makes no sense";
    EXPECT_FALSE(normalize(key(kIdleTimeout), "5"));
    EXPECT_EQ(normalize(key(kAllowDownloads), "yes"), "true");
    EXPECT_EQ(normalize(key(kAllowDownloads), "off"), "false");
    EXPECT_FALSE(normalize(key(kAllowDownloads), "maybe"));
    EXPECT_EQ(normalize(key(kModel), "qwen2.5-0.5b-instruct-q4_k_m"), "qwen2.5-0.5b-instruct-q4_k_m");
    EXPECT_EQ(normalize(key(kModel), "/m/x.gguf"), "/m/x.gguf");
    EXPECT_FALSE(normalize(key(kModel), "models/x.gguf")) << "a relative path depends on the current folder";
    EXPECT_FALSE(normalize(key(kModel), "x.gguf"));
    EXPECT_EQ(suggest_key("llm.bakend"), "llm.backend");
    EXPECT_EQ(suggest_key("backend"), "llm.backend");
    EXPECT_FALSE(suggest_key("completely.different"));
}

TEST_F(ConfigTest, MissingFileMeansDefaults) {
    const Config c = load();
    for (const auto& s : c.list()) {
        EXPECT_EQ(s.source, Source::default_value);
        EXPECT_EQ(s.value, s.key->default_value);
    }
    EXPECT_FALSE(c.backend());
    EXPECT_EQ(c.model().kind, ModelChoice::Kind::automatic);
    EXPECT_EQ(c.idle_timeout(), std::chrono::minutes(5));
    EXPECT_TRUE(c.fallback_enabled());
    EXPECT_FALSE(c.allow_downloads());
    EXPECT_EQ(c.start_timeout(), std::chrono::minutes(2));
    EXPECT_EQ(c.prompt_cache_size(), uint64_t{1} << 30);
    EXPECT_FALSE(fs::exists(file()));
}

TEST_F(ConfigTest, EveryKeyIsSettableGettableAndUnsettable) {
    for (const auto& k : all_keys()) {
        const std::string v = other_value(k);
        EXPECT_EQ(set_value(file(), k.name, v), *normalize(k, v));
        const auto s = load().get(k.name);
        EXPECT_EQ(s.value, *normalize(k, v)) << k.name;
        EXPECT_EQ(s.source, Source::file) << k.name;
        EXPECT_GT(s.line, 0) << k.name;
    }
    for (const auto& k : all_keys()) {
        EXPECT_TRUE(unset_value(file(), k.name)) << k.name;
        EXPECT_FALSE(unset_value(file(), k.name)) << k.name << ": already gone";
        EXPECT_EQ(load().get(k.name).source, Source::default_value) << k.name;
    }
}

TEST_F(ConfigTest, TypedAccessorsReadTheTable) {
    set_value(file(), kBackend, "cuda");
    set_value(file(), kModel, "qwen2.5-1.5b-instruct-q4_k_m");
    set_value(file(), kIdleTimeout, "0");
    set_value(file(), kFallback, "off");
    set_value(file(), kAllowDownloads, "true");
    set_value(file(), kStartTimeout, "30s");
    const Config c = load();
    EXPECT_EQ(c.backend(), tsuku::Backend::cuda);
    EXPECT_EQ(c.model().kind, ModelChoice::Kind::name);
    EXPECT_EQ(c.model().value, "qwen2.5-1.5b-instruct-q4_k_m");
    EXPECT_EQ(c.idle_timeout(), std::chrono::milliseconds(0));
    EXPECT_FALSE(c.fallback_enabled());
    EXPECT_TRUE(c.allow_downloads());
    EXPECT_EQ(c.start_timeout(), std::chrono::seconds(30));
    set_value(file(), kModel, "/srv/models/my model \"v2\".gguf");  // quotes and spaces survive the round trip
    EXPECT_EQ(load().model().kind, ModelChoice::Kind::path);
    EXPECT_EQ(load().model().value, "/srv/models/my model \"v2\".gguf");
}

TEST_F(ConfigTest, ABadValueIsRefusedWithTheValidOnes) {
    const auto msg = error_of([&] { set_value(file(), kBackend, "gpu"); });
    EXPECT_TRUE(contains(msg, "'gpu' is not a valid value for llm.backend")) << msg;
    EXPECT_TRUE(contains(msg, "auto, cpu, vulkan, cuda, metal")) << msg;
    EXPECT_FALSE(fs::exists(file()));
    EXPECT_TRUE(contains(error_of([&] { set_value(file(), kIdleTimeout, "five minutes"); }), "30s, 5m"));
}

TEST_F(ConfigTest, AnUnknownKeyIsRefusedWithASuggestion) {
    const auto msg = error_of([&] { set_value(file(), "llm.bakend", "cpu"); });
    EXPECT_TRUE(contains(msg, "unknown config key 'llm.bakend'")) << msg;
    EXPECT_TRUE(contains(msg, "did you mean llm.backend?")) << msg;
    EXPECT_TRUE(contains(error_of([&] { load().get("nope"); }), "unknown config key 'nope'"));
}

TEST_F(ConfigTest, BrokenTomlIsReportedWithLineAndKeyAndNeverOverwritten) {
    const std::string broken = "# mine\n[llm]\nidle_timeout = \"5m\"\nbackend = cuda\n";
    write_file(file(), broken);
    struct stat before {};
    ::stat(file().c_str(), &before);
    auto msg = error_of([&] { load(); });
    EXPECT_TRUE(contains(msg, file().string())) << msg;
    EXPECT_TRUE(contains(msg, "line 4")) << msg;
    EXPECT_TRUE(contains(msg, "key llm.backend")) << msg;
    EXPECT_TRUE(contains(msg, "strings need quotes: backend = \"cuda\"")) << msg;
    msg = error_of([&] { set_value(file(), kFallback, "off"); });
    EXPECT_TRUE(contains(msg, "line 4")) << msg;
    error_of([&] { unset_value(file(), kIdleTimeout); });
    EXPECT_EQ(read_file(file()), broken);
    struct stat after {};
    ::stat(file().c_str(), &after);
    EXPECT_EQ(after.st_ino, before.st_ino) << "not even replaced by an identical copy";
}

TEST_F(ConfigTest, UnknownKeyInTheFileIsReportedWithItsLine) {
    write_file(file(), "[llm]\nbackend = \"cpu\"\n\nidle_timout = \"1m\"\n");
    const auto msg = error_of([&] { load(); });
    EXPECT_TRUE(contains(msg, "line 4: unknown key 'llm.idle_timout'")) << msg;
    EXPECT_TRUE(contains(msg, "did you mean llm.idle_timeout?")) << msg;
    error_of([&] { set_value(file(), kBackend, "cuda"); });
    EXPECT_EQ(read_file(file()), "[llm]\nbackend = \"cpu\"\n\nidle_timout = \"1m\"\n");
    write_file(file(), "[other]\nx = 1\n");
    EXPECT_TRUE(contains(error_of([&] { load(); }), "line 1: unknown key 'other'"));
}

TEST_F(ConfigTest, BadValueInTheFileIsReportedWithItsLineAndTheValidOnes) {
    write_file(file(), "[llm]\nbackend = \"gpu\"\n");
    auto msg = error_of([&] { load(); });
    EXPECT_TRUE(contains(msg, "line 2: llm.backend = \"gpu\" is not a valid value")) << msg;
    EXPECT_TRUE(contains(msg, "auto, cpu, vulkan, cuda, metal")) << msg;
    write_file(file(), "[llm]\nidle_timeout = 5\n");
    msg = error_of([&] { load(); });
    EXPECT_TRUE(contains(msg, "line 2: llm.idle_timeout has the wrong type: expected a quoted string")) << msg;
    write_file(file(), "llm.allow_downloads = \"yes\"\n");
    msg = error_of([&] { load(); });
    EXPECT_TRUE(contains(msg, "expected true or false, without quotes")) << msg;
}

TEST_F(ConfigTest, EnvironmentOverridesTheFile) {
    set_value(file(), kBackend, "cuda");
    const Config c = load({{"TSUKU_LLM_BACKEND", "vulkan"}, {"TSUKU_LLM_IDLE_TIMEOUT", "90s"}});
    EXPECT_EQ(c.backend(), tsuku::Backend::vulkan);
    EXPECT_EQ(c.get(kBackend).source, Source::environment);
    EXPECT_EQ(c.get(kIdleTimeout).value, "1m30s");
    EXPECT_EQ(c.get(kFallback).source, Source::default_value);
    EXPECT_EQ(load({{"TSUKU_LLM_BACKEND", ""}}).get(kBackend).source, Source::file) << "empty means unset";
    const auto msg = error_of([&] { load({{"TSUKU_LLM_BACKEND", "gpu"}}); });
    EXPECT_TRUE(contains(msg, "TSUKU_LLM_BACKEND='gpu' is not a valid llm.backend")) << msg;
    EXPECT_TRUE(contains(msg, "unset TSUKU_LLM_BACKEND")) << msg;
}

TEST_F(ConfigTest, WritesAreAtomicAndPrivate) {
    const auto old_mask = ::umask(0);
    write_file(file(), "[llm]\nbackend = \"cpu\"\n");
    ::chmod(file().c_str(), 0644);
    set_value(file(), kFallback, "off");
    ::umask(old_mask);
    EXPECT_EQ(mode_of(file()), 0600u);
    EXPECT_EQ(std::distance(fs::directory_iterator(dir.path()), fs::directory_iterator{}), 1) << "no temporary left";
    // A fresh home is created private.
    const fs::path fresh = dir / "new-home" / "config.toml";
    set_value(fresh, kBackend, "cpu");
    EXPECT_EQ(mode_of(fresh), 0600u);
    EXPECT_EQ(mode_of(fresh.parent_path()), 0700u);
}

TEST_F(ConfigTest, EditsKeepTheUsersCommentsAndOrder) {
    const std::string text =
        "# my settings\n"
        "[llm]\n"
        "backend = \"cpu\"   # the laptop has no GPU\n"
        "# keep it alive longer\n"
        "idle_timeout = \"30m\"\n"
        "\n"
        "# end\n";
    write_file(file(), text);
    set_value(file(), kBackend, "vulkan");
    EXPECT_EQ(read_file(file()),
              "# my settings\n[llm]\nbackend = \"vulkan\"   # the laptop has no GPU\n# keep it alive longer\n"
              "idle_timeout = \"30m\"\n\n# end\n");
    set_value(file(), kFallback, "off");
    EXPECT_EQ(read_file(file()),
              "# my settings\n[llm]\nbackend = \"vulkan\"   # the laptop has no GPU\n# keep it alive longer\n"
              "idle_timeout = \"30m\"\nfallback = \"off\"\n\n# end\n");
    unset_value(file(), kIdleTimeout);
    EXPECT_EQ(read_file(file()),
              "# my settings\n[llm]\nbackend = \"vulkan\"   # the laptop has no GPU\n# keep it alive longer\n"
              "fallback = \"off\"\n\n# end\n");
}

TEST_F(ConfigTest, DottedAndInlineStylesAreEditedToo) {
    write_file(file(), "llm.backend = \"cpu\"");
    set_value(file(), kModel, "qwen");
    EXPECT_EQ(read_file(file()), "llm.backend = \"cpu\"\nllm.model = \"qwen\"\n");
    // An inline table cannot take a new key in place: the file is rewritten in canonical form, values kept.
    write_file(file(), "llm = { backend = \"cuda\", idle_timeout = \"1m\" }\n");
    set_value(file(), kFallback, "off");
    const Config c = load();
    EXPECT_EQ(c.get(kBackend).value, "cuda");
    EXPECT_EQ(c.get(kIdleTimeout).value, "1m");
    EXPECT_EQ(c.get(kFallback).value, "off");
}
