// tsuku config get|set|unset|list: in process (the command callbacks with an injected environment and streams),
// and through the real binary for exit codes and messages.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "cli/commands.h"
#include "common/error.h"
#include "support/paths.h"
#include "support/run_command.h"
#include "support/temp_dir.h"

namespace fs = std::filesystem;
using tsuku::Environment;
using tsuku::UserError;
using tsuku::test::read_file;
using tsuku::test::run_command;
using tsuku::test::TempDir;
using tsuku::test::write_file;

namespace {

class ConfigCliTest : public ::testing::Test {
protected:
    // Runs `tsuku <args>` in process; throws what the command throws.
    std::string run(std::vector<std::string> args, std::map<std::string, std::string> env = {}) {
        env["TSUKU_HOME"] = home.path().string();
        out.str(""), err.str("");
        tsuku::cli::Context ctx{Environment::fixed(env), out, err};
        CLI::App app;
        tsuku::cli::add_config_commands(app, ctx);
        args.insert(args.begin(), "tsuku");
        std::vector<char*> argv;
        for (auto& a : args) argv.push_back(a.data());
        app.parse(static_cast<int>(argv.size()), argv.data());
        return out.str();
    }
    TempDir home;
    std::ostringstream out, err;
};

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

}  // namespace

TEST_F(ConfigCliTest, ListShowsEveryKeyWithValueAndSource) {
    run({"config", "set", "llm.backend", "cuda"});
    const auto j = nlohmann::json::parse(run({"config", "list", "--json"}, {{"TSUKU_LLM_FALLBACK", "off"}}));
    EXPECT_EQ(j["file"], (home / "config.toml").string());
    std::map<std::string, nlohmann::json> by_key;
    for (const auto& k : j["keys"]) by_key[k["key"]] = k;
    EXPECT_EQ(by_key.size(), tsuku::config::all_keys().size());
    EXPECT_EQ(by_key["llm.backend"]["value"], "cuda");
    EXPECT_EQ(by_key["llm.backend"]["source"], "file");
    EXPECT_EQ(by_key["llm.fallback"]["value"], "off");
    EXPECT_EQ(by_key["llm.fallback"]["source"], "environment");
    EXPECT_EQ(by_key["llm.idle_timeout"]["source"], "default");
    EXPECT_EQ(by_key["llm.idle_timeout"]["env"], "TSUKU_LLM_IDLE_TIMEOUT");

    const std::string table = run({"config", "list"});
    EXPECT_TRUE(contains(table, "llm.backend")) << table;
    EXPECT_TRUE(contains(table, "file, line")) << table;
    EXPECT_TRUE(contains(table, "default")) << table;
}

TEST_F(ConfigCliTest, GetPrintsTheValueOrJson) {
    EXPECT_EQ(run({"config", "get", "llm.idle_timeout"}), "5m\n");
    const auto j = nlohmann::json::parse(run({"config", "get", "llm.backend", "--json"}));
    EXPECT_EQ(j["value"], "auto");
    EXPECT_EQ(j["source"], "default");
    EXPECT_EQ(j["valid"], "auto, cpu, vulkan, cuda, metal");
    EXPECT_THROW(run({"config", "get", "llm.nope"}), UserError);
}

TEST_F(ConfigCliTest, SetStoresARelativeModelPathAbsolute) {
    fs::create_directories("models");
    write_file("models/x.gguf", "GGUF");  // set refuses a path that is not a readable GGUF file
    run({"config", "set", "llm.model", "models/x.gguf"});
    EXPECT_EQ(run({"config", "get", "llm.model"}), (fs::current_path() / "models/x.gguf").string() + "\n");
}

TEST_F(ConfigCliTest, SetAndUnsetSayWhatHappened) {
    EXPECT_TRUE(contains(run({"config", "set", "llm.idle_timeout", "90s"}), "llm.idle_timeout = 1m30s"));
    run({"config", "set", "llm.backend", "cpu"}, {{"TSUKU_LLM_BACKEND", "cuda"}});
    EXPECT_TRUE(contains(err.str(), "TSUKU_LLM_BACKEND=cuda overrides llm.backend")) << err.str();
    EXPECT_TRUE(contains(run({"config", "unset", "llm.backend"}), "removed from"));
    EXPECT_TRUE(contains(run({"config", "unset", "llm.backend"}), "not set in"));
    EXPECT_EQ(run({"config", "get", "llm.backend"}), "auto\n");
}

TEST_F(ConfigCliTest, TheRealBinaryExitsWithUsageForABadValue) {
    const std::map<std::string, std::string> env = {{"TSUKU_HOME", home.path().string()}};
    auto r = run_command({tsuku::test::kCli, "config", "set", "llm.backend", "gpu"}, env);
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_TRUE(contains(r.err, "has no gpu backend")) << r.err;
    EXPECT_TRUE(contains(r.err, "choose one of: auto, cpu, vulkan, cuda")) << r.err;

    write_file(home / "config.toml", "[llm]\nbackend = cuda\n");
    r = run_command({tsuku::test::kCli, "config", "set", "llm.backend", "cpu"}, env);
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_TRUE(contains(r.err, "line 2 (key llm.backend)")) << r.err;
    EXPECT_EQ(read_file(home / "config.toml"), "[llm]\nbackend = cuda\n");

    fs::remove(home / "config.toml");
    r = run_command({tsuku::test::kCli, "config", "set", "llm.backend", "cpu"}, env);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    r = run_command({tsuku::test::kCli, "config", "get", "llm.backend", "--json"},
                    {{"TSUKU_HOME", home.path().string()}, {"TSUKU_LLM_BACKEND", "vulkan"}});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(nlohmann::json::parse(r.out)["source"], "environment");
}
