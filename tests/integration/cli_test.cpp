// The real `tsuku` CLI, each test with its own TSUKU_HOME, starting the real server.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <future>
#include <regex>
#include <vector>

#include "support/paths.h"
#include "support/run_command.h"
#include "support/temp_dir.h"

namespace fs = std::filesystem;
using tsuku::test::CommandResult;
using tsuku::test::run_command;

namespace {

class CliTest : public ::testing::Test {
protected:
    ~CliTest() override { tsuku({"llm", "stop"}); }  // never leave a server behind
    CommandResult tsuku(std::vector<std::string> args, const std::string& stdin_data = "") {
        args.insert(args.begin(), tsuku::test::kCli);
        return run_command(args, {{"TSUKU_HOME", home.path().string()}}, stdin_data);
    }
    tsuku::test::TempDir home;
};

size_t count(const std::string& haystack, const std::string& needle) {
    size_t n = 0;
    for (size_t pos = 0; (pos = haystack.find(needle, pos)) != std::string::npos; pos += needle.size()) ++n;
    return n;
}

}  // namespace

TEST_F(CliTest, CompleteStartsTheServerAndStatusShowsIt) {
    auto r = tsuku({"llm", "complete", "Say hello", "--max-tokens", "8"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_FALSE(r.out.empty());

    r = tsuku({"llm", "status", "--json"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto j = nlohmann::json::parse(r.out);
    EXPECT_TRUE(j["running"].get<bool>());
    EXPECT_TRUE(j["ready"].get<bool>());
    EXPECT_EQ(j["backend"], "cpu");
    EXPECT_EQ(j["model_name"], "tsuku-synthetic-qwen2-tiny-q8_0");

    r = tsuku({"llm", "stop"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("stopped"), std::string::npos);
    r = tsuku({"llm", "status", "--json"});
    EXPECT_FALSE(nlohmann::json::parse(r.out)["running"].get<bool>());
}

TEST_F(CliTest, JsonOutputCarriesUsageAndStopReason) {
    auto r = tsuku({"llm", "complete", "Count to three", "--max-tokens", "5", "--json", "--system", "Be brief"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto j = nlohmann::json::parse(r.out);
    EXPECT_LE(j["usage"]["output_tokens"].get<int>(), 5);
    EXPECT_GT(j["usage"]["input_tokens"].get<int>(), 5);
    EXPECT_TRUE(j["stop_reason"] == "max_tokens" || j["stop_reason"] == "end_turn");
}

TEST_F(CliTest, DashReadsTheDocumentFromStdin) {
    const std::string doc(3000, 'x');  // long enough to show up in the prompt token count
    auto with_doc = tsuku({"llm", "complete", "-", "--max-tokens", "1", "--json"}, "Summarise: " + doc);
    ASSERT_EQ(with_doc.exit_code, 0) << with_doc.err;
    auto without = tsuku({"llm", "complete", "Summarise:", "--max-tokens", "1", "--json"});
    ASSERT_EQ(without.exit_code, 0) << without.err;
    EXPECT_GT(nlohmann::json::parse(with_doc.out)["usage"]["input_tokens"].get<int>(),
              nlohmann::json::parse(without.out)["usage"]["input_tokens"].get<int>() + 100);
}

TEST_F(CliTest, EmptyPromptIsAUsageError) {
    auto r = tsuku({"llm", "complete", "   "});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("the prompt is empty"), std::string::npos) << r.err;
}

TEST_F(CliTest, MissingModelFileNamesThePath) {
    auto r = tsuku({"llm", "complete", "hi", "--model", "/nonexistent/m.gguf"});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("/nonexistent/m.gguf"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("fix:"), std::string::npos) << r.err;
}

TEST_F(CliTest, CorruptModelIsReportedWithTheServersReason) {
    const auto bad = home / "bad.gguf";
    tsuku::test::write_file(bad, "GGUF garbage that is not a model");
    auto r = tsuku({"llm", "complete", "hi", "--model", bad.string()});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("65"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("invalid model"), std::string::npos) << r.err;
}

TEST_F(CliTest, RelativeTsukuHomeIsRefused) {
    auto r = run_command({tsuku::test::kCli, "llm", "status"}, {{"TSUKU_HOME", "relative/home"}});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("absolute"), std::string::npos) << r.err;
}

TEST_F(CliTest, ConcurrentClientsShareOneServer) {
    std::vector<std::future<CommandResult>> clients;
    for (int i = 0; i < 8; ++i) {
        clients.push_back(std::async(std::launch::async, [this, i] {
            return tsuku({"llm", "complete", "client " + std::to_string(i), "--max-tokens", "3"});
        }));
    }
    for (auto& c : clients) {
        const auto r = c.get();
        EXPECT_EQ(r.exit_code, 0) << r.err;
    }
    const auto log = tsuku::test::read_file(home / "logs" / "server.log");
    EXPECT_EQ(count(log, "serving on"), 1u) << "exactly one server must start:\n" << log;
    EXPECT_EQ(count(log, "another server already owns"), 0u) << log;
}
