// The real `tsuku` CLI, each test with its own TSUKU_HOME, starting the real server.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <future>
#include <regex>
#include <vector>

#include "support/paths.h"
#include "support/run_command.h"
#include "support/temp_dir.h"
#include "support/text.h"

namespace fs = std::filesystem;
using tsuku::test::CommandResult;
using tsuku::test::count_in;
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
    EXPECT_EQ(j["model_name"], "tsuku-synthetic-tiny-q8_0");

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
    // The server's timing, its sampling share apart (part of generation_ms).
    const auto& t = j["timing"];
    EXPECT_GT(t["prompt_ms"].get<double>(), 0) << t.dump();
    EXPECT_GT(t["generation_ms"].get<double>(), 0) << t.dump();
    EXPECT_GT(t["sampling_ms"].get<double>(), 0) << t.dump();
    EXPECT_LE(t["sampling_ms"].get<double>(), t["generation_ms"].get<double>()) << t.dump();
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

TEST_F(CliTest, SchemaConstrainsTheReplyToValidJson) {
    const std::string schema =
        R"({"type":"object","properties":{"ok":{"type":"boolean"},"n":{"type":"integer","minimum":1,"maximum":9}},
            "required":["ok","n"],"additionalProperties":false})";
    const auto file = home / "schema.json";
    tsuku::test::write_file(file, schema);
    for (const std::string& arg : {schema, file.string()}) {  // inline, then from a file
        auto r = tsuku({"llm", "complete", "Answer", "--schema", arg, "--max-tokens", "400", "--json"});
        ASSERT_EQ(r.exit_code, 0) << r.err;
        const auto reply = nlohmann::json::parse(r.out);
        EXPECT_EQ(reply["stop_reason"], "end_turn");
        const auto doc = nlohmann::json::parse(reply["content"].get<std::string>(), nullptr, false);
        ASSERT_FALSE(doc.is_discarded()) << reply["content"];
        ASSERT_TRUE(doc["ok"].is_boolean()) << doc;
        ASSERT_TRUE(doc["n"].is_number_integer()) << doc;
        EXPECT_GE(doc["n"].get<int>(), 1);
        EXPECT_LE(doc["n"].get<int>(), 9);
        EXPECT_EQ(doc.size(), 2u) << doc;
    }
}

TEST_F(CliTest, ToolsGiveToolCallsWithTheirArguments) {
    const std::string tools = R"([{"name": "get_time", "description": "the time in a zone",
        "parameters": {"type": "object", "properties": {"zone": {"enum": ["UTC", "CET"]}}, "required": ["zone"]}}])";
    auto r = tsuku({"llm", "complete", "What time is it?", "--tools", tools, "--tool-choice", "required",
                    "--max-tokens", "200", "--json"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto reply = nlohmann::json::parse(r.out);
    EXPECT_EQ(reply["stop_reason"], "tool_use") << reply;
    ASSERT_EQ(reply["tool_calls"].size(), 1u) << reply;
    EXPECT_EQ(reply["tool_calls"][0]["name"], "get_time");
    const auto args = nlohmann::json::parse(reply["tool_calls"][0]["arguments_json"].get<std::string>());
    EXPECT_TRUE(args["zone"] == "UTC" || args["zone"] == "CET") << args;
}

TEST_F(CliTest, BadSchemaOrToolsAreUsageErrorsBeforeAnyServerStarts) {
    auto r = tsuku({"llm", "complete", "hi", "--schema", "{\"type\": "});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("--schema is not valid JSON"), std::string::npos) << r.err;
    r = tsuku({"llm", "complete", "hi", "--schema", (home / "missing.json").string()});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("neither JSON nor a readable file"), std::string::npos) << r.err;
    r = tsuku({"llm", "complete", "hi", "--tools", R"({"name": "x"})"});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("--tools is not a JSON array"), std::string::npos) << r.err;
    r = tsuku({"llm", "status", "--json"});
    EXPECT_FALSE(nlohmann::json::parse(r.out)["running"].get<bool>());
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
    EXPECT_EQ(count_in(log, "serving on"), 1u) << "exactly one server must start:\n" << log;
    EXPECT_EQ(count_in(log, "another server already owns"), 0u) << log;
}
