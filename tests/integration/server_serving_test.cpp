// Serving quality on the real server (cpu variant, synthetic tiny model, real socket): JSON-schema output, tool
// calls, the bounded queue, cancellation, the prefix cache and the model checksum. The model's text is noise, so
// everything asserted here is forced by the server (grammars, the queue), never by what the model "means".
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <future>
#include <set>
#include <thread>

#include "common/exit_codes.h"
#include "install/sha256.h"
#include "support/grpc_calls.h"
#include "support/paths.h"
#include "support/server_harness.h"
#include "support/temp_dir.h"
#include "support/text.h"
#include "tsuku/llm/v1/inference.grpc.pb.h"

namespace fs = std::filesystem;
namespace v1 = tsuku::llm::v1;
using namespace std::chrono_literals;
using json = nlohmann::json;
using tsuku::lifecycle::StartOutcome;
using tsuku::test::call_complete;
using tsuku::test::count_in;
using tsuku::test::endless_request;
using tsuku::test::ServerHarness;
using tsuku::test::stub_for;
using tsuku::test::user_request;
using tsuku::test::wait_for_log;

namespace {

// One request on its own channel and context, which the test may cancel.
class Background {
public:
    Background(const fs::path& socket, v1::CompletionRequest req)
        : stub_(stub_for(socket)), future_(std::async(std::launch::async, [this, req] {
              v1::CompletionResponse resp;
              return stub_->Complete(&ctx_, req, &resp);
          })) {}
    void cancel() { ctx_.TryCancel(); }
    grpc::Status status() { return future_.get(); }

private:
    std::unique_ptr<v1::InferenceService::Stub> stub_;
    grpc::ClientContext ctx_;
    std::future<grpc::Status> future_;
};

class Serving : public ::testing::Test {
protected:
    void start(const std::vector<std::string>& extra = {}) {
        std::vector<std::string> args = {"--idle-timeout", "0"};
        args.insert(args.end(), extra.begin(), extra.end());
        auto run = server.start(tsuku::test::kTinyModel, args);
        ASSERT_EQ(run.outcome.kind, StartOutcome::Kind::ready) << run.log;
        stub = stub_for(server.socket());
    }
    std::string log() const { return tsuku::test::read_file(server.log_file()); }

    ServerHarness server{tsuku::test::kServerCpu};
    std::unique_ptr<v1::InferenceService::Stub> stub;
};

const json kProfileSchema = json::parse(R"({
  "type": "object",
  "properties": {
    "name": {"type": "string", "maxLength": 10},
    "age": {"type": "integer", "minimum": 0, "maximum": 120},
    "mood": {"enum": ["happy", "sad", "calm"]},
    "height": {"type": "number"},
    "tags": {"type": "array", "items": {"type": "string", "maxLength": 6}, "maxItems": 3},
    "active": {"type": "boolean"}
  },
  "required": ["name", "age", "mood", "height", "tags", "active"],
  "additionalProperties": false
})");

// JSON schema's maxLength counts characters; a noise model emits multibyte UTF-8, so count code points.
std::size_t code_points(const std::string& s) {
    std::size_t n = 0;
    for (unsigned char c : s) n += (c & 0xC0) != 0x80;
    return n;
}

// Checks `doc` against kProfileSchema (the subset of JSON schema it uses).
void expect_valid_profile(const json& doc) {
    ASSERT_TRUE(doc.is_object()) << doc;
    for (const auto& key : kProfileSchema["required"]) EXPECT_TRUE(doc.contains(key.get<std::string>())) << key;
    for (const auto& [key, value] : doc.items()) {
        EXPECT_TRUE(kProfileSchema["properties"].contains(key)) << "unexpected property " << key;
    }
    ASSERT_TRUE(doc["name"].is_string());
    EXPECT_LE(code_points(doc["name"].get<std::string>()), 10u) << doc["name"];
    ASSERT_TRUE(doc["age"].is_number_integer()) << doc["age"];
    EXPECT_GE(doc["age"].get<int64_t>(), 0);
    EXPECT_LE(doc["age"].get<int64_t>(), 120);
    const std::set<std::string> moods = {"happy", "sad", "calm"};
    ASSERT_TRUE(doc["mood"].is_string());
    EXPECT_TRUE(moods.count(doc["mood"].get<std::string>())) << doc["mood"];
    EXPECT_TRUE(doc["height"].is_number()) << doc["height"];
    ASSERT_TRUE(doc["tags"].is_array());
    EXPECT_LE(doc["tags"].size(), 3u);
    for (const auto& t : doc["tags"]) {
        ASSERT_TRUE(t.is_string());
        EXPECT_LE(code_points(t.get<std::string>()), 6u) << t;
    }
    EXPECT_TRUE(doc["active"].is_boolean());
}

}  // namespace

TEST_F(Serving, JsonSchemaForcesValidJsonFromANoiseModel) {
    start();
    auto req = user_request("Describe a person", 1000);
    req.set_json_schema(kProfileSchema.dump());
    for (int i = 0; i < 3; ++i) {  // different random draws, same guarantee
        v1::CompletionResponse resp;
        const auto s = call_complete(*stub, req, &resp);
        ASSERT_TRUE(s.ok()) << s.error_message();
        EXPECT_EQ(resp.stop_reason(), "end_turn") << "the grammar ends the reply when the document is complete";
        EXPECT_TRUE(resp.tool_calls().empty());
        const json doc = json::parse(resp.content(), nullptr, false);
        ASSERT_FALSE(doc.is_discarded()) << "not JSON: " << resp.content();
        expect_valid_profile(doc);
    }
}

TEST_F(Serving, BadJsonSchemasAreInvalidArguments) {
    start();
    v1::CompletionResponse resp;
    auto req = user_request("x", 10);
    req.set_json_schema("{\"type\": ");
    auto s = call_complete(*stub, req, &resp);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_NE(s.error_message().find("json_schema"), std::string::npos) << s.error_message();
    req.set_json_schema(R"({"$ref": "#/definitions/nowhere"})");
    s = call_complete(*stub, req, &resp);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
    EXPECT_TRUE(call_complete(*stub, user_request("still serving?", 2), &resp).ok());
}

TEST_F(Serving, RequiredToolChoiceProducesAToolCall) {
    start();
    auto req = user_request("What is the weather in Paris for the next days?", 300);
    auto* weather = req.add_tools();
    weather->set_name("get_weather");
    weather->set_description("Weather forecast for a city");
    weather->set_parameters_schema(R"({"type":"object","properties":{"city":{"enum":["Paris","Rome"]},
        "days":{"type":"integer","minimum":1,"maximum":7}},"required":["city","days"]})");
    auto* time = req.add_tools();
    time->set_name("get_time");
    time->set_parameters_schema(
        R"({"type":"object","properties":{"zone":{"enum":["UTC","CET"]}},"required":["zone"]})");
    req.set_tool_choice("required");

    std::set<std::string> ids;
    for (int i = 0; i < 3; ++i) {
        v1::CompletionResponse resp;
        const auto s = call_complete(*stub, req, &resp);
        ASSERT_TRUE(s.ok()) << s.error_message();
        EXPECT_EQ(resp.stop_reason(), "tool_use");
        ASSERT_EQ(resp.tool_calls_size(), 1) << resp.content();
        const auto& c = resp.tool_calls(0);
        EXPECT_TRUE(c.id().starts_with("call_")) << c.id();
        EXPECT_TRUE(ids.insert(c.id()).second) << "ids are unique";
        const json args = json::parse(c.arguments_json(), nullptr, false);
        ASSERT_TRUE(args.is_object()) << c.arguments_json();
        if (c.name() == "get_weather") {
            EXPECT_TRUE(args["city"] == "Paris" || args["city"] == "Rome") << args;
            ASSERT_TRUE(args["days"].is_number_integer()) << args;
            EXPECT_GE(args["days"].get<int>(), 1);
            EXPECT_LE(args["days"].get<int>(), 7);
        } else {
            EXPECT_EQ(c.name(), "get_time");
            EXPECT_TRUE(args["zone"] == "UTC" || args["zone"] == "CET") << args;
        }
        EXPECT_EQ(resp.content().find("<tool_call>"), std::string::npos) << "the call is not repeated as text";
    }
}

TEST_F(Serving, AConversationWithToolCallsAndResultsIsServed) {
    start();
    auto req = user_request("Weather in Rome?", 8);
    auto* tool = req.add_tools();
    tool->set_name("get_weather");
    tool->set_parameters_schema(R"({"type":"object","properties":{"city":{"type":"string"}},"required":["city"]})");
    v1::CompletionResponse before;
    ASSERT_TRUE(call_complete(*stub, req, &before).ok());

    auto* assistant = req.add_messages();
    assistant->set_role(v1::ROLE_ASSISTANT);
    auto* c = assistant->add_tool_calls();
    c->set_id("call_7");
    c->set_name("get_weather");
    c->set_arguments_json(R"({"city":"Rome"})");
    auto* result = req.add_messages();
    result->set_role(v1::ROLE_TOOL);
    result->mutable_tool_result()->set_tool_call_id("call_7");
    result->mutable_tool_result()->set_content("sunny, 24C");
    v1::CompletionResponse after;
    const auto s = call_complete(*stub, req, &after);
    ASSERT_TRUE(s.ok()) << s.error_message();
    EXPECT_GT(after.usage().input_tokens(), before.usage().input_tokens() + 10) << "the call and its result are in";
    EXPECT_TRUE(after.stop_reason() == "end_turn" || after.stop_reason() == "max_tokens" ||
                after.stop_reason() == "tool_use")
        << after.stop_reason();
}

TEST_F(Serving, TheSharedPrefixOfConsecutiveRequestsIsReused) {
    start();
    std::string system;
    for (int i = 0; i < 40; ++i) system += "Rule " + std::to_string(i) + ": answer carefully. ";
    auto first = user_request("First question", 4);
    first.set_system_prompt(system);
    v1::CompletionResponse a;
    ASSERT_TRUE(call_complete(*stub, first, &a).ok());
    EXPECT_EQ(a.usage().cached_input_tokens(), 0) << "nothing to reuse yet";

    // The next turn of the same conversation: everything of the first prompt is already evaluated.
    auto second = first;
    auto* reply = second.add_messages();
    reply->set_role(v1::ROLE_ASSISTANT);
    reply->set_content("An answer.");
    auto* next = second.add_messages();
    next->set_role(v1::ROLE_USER);
    next->set_content("Second question");
    v1::CompletionResponse b;
    ASSERT_TRUE(call_complete(*stub, second, &b).ok());
    EXPECT_GE(b.usage().cached_input_tokens(), a.usage().input_tokens() - 1) << "the first prompt is a prefix";
    EXPECT_LT(b.usage().cached_input_tokens(), b.usage().input_tokens());

    // Another conversation with the same system prompt still shares the system turn.
    auto other = user_request("Unrelated", 4);
    other.set_system_prompt(system);
    v1::CompletionResponse c;
    ASSERT_TRUE(call_complete(*stub, other, &c).ok());
    EXPECT_GT(c.usage().cached_input_tokens(), 300) << "the long system prompt is reused";
    EXPECT_LT(c.usage().cached_input_tokens(), c.usage().input_tokens());

    // The very same request again: all but the last prompt token (whose logits start the reply) is reused.
    v1::CompletionResponse d;
    ASSERT_TRUE(call_complete(*stub, other, &d).ok());
    EXPECT_EQ(d.usage().cached_input_tokens(), d.usage().input_tokens() - 1);
}

TEST_F(Serving, CancellingARunningRequestStopsItsGenerationAndTheNextIsServed) {
    start();
    Background endless(server.socket(), endless_request());
    ASSERT_TRUE(wait_for_log(server.log_file(), "complete: started"));
    endless.cancel();
    EXPECT_EQ(endless.status().error_code(), grpc::StatusCode::CANCELLED);
    // The engine noticed between tokens: the generation stopped, long before its context or its grammar ran out.
    ASSERT_TRUE(wait_for_log(server.log_file(), "cancelled after"));
    v1::CompletionResponse resp;
    const auto s = call_complete(*stub, user_request("Are you free?", 3), &resp);
    ASSERT_TRUE(s.ok()) << s.error_message();
    EXPECT_GT(resp.usage().output_tokens(), 0);
    EXPECT_EQ(count_in(log(), "complete: started"), 2u);
}

TEST_F(Serving, TheQueueIsBoundedAndExcessRequestsAreRefused) {
    start({"--max-queue", "1"});
    Background running(server.socket(), endless_request());
    ASSERT_TRUE(wait_for_log(server.log_file(), "complete: started"));
    Background waiting(server.socket(), user_request("I will wait", 2));
    ASSERT_TRUE(wait_for_log(server.log_file(), "queued behind the request in progress"));

    v1::CompletionResponse resp;
    const auto s = call_complete(*stub, user_request("One too many", 2), &resp);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
    EXPECT_NE(s.error_message().find("busy"), std::string::npos) << s.error_message();
    EXPECT_NE(s.error_message().find("--max-queue"), std::string::npos) << s.error_message();

    running.cancel();
    EXPECT_EQ(running.status().error_code(), grpc::StatusCode::CANCELLED);
    const auto w = waiting.status();
    EXPECT_TRUE(w.ok()) << "the waiting request runs once the first is gone: " << w.error_message();
}

TEST_F(Serving, AWaitingRequestWhoseClientLeftNeverRuns) {
    start();
    Background running(server.socket(), endless_request());
    ASSERT_TRUE(wait_for_log(server.log_file(), "complete: started"));
    Background waiting(server.socket(), user_request("I will leave", 2));
    ASSERT_TRUE(wait_for_log(server.log_file(), "queued behind the request in progress"));
    waiting.cancel();
    EXPECT_EQ(waiting.status().error_code(), grpc::StatusCode::CANCELLED);
    ASSERT_TRUE(wait_for_log(server.log_file(), "left the queue"));

    running.cancel();
    EXPECT_EQ(running.status().error_code(), grpc::StatusCode::CANCELLED);
    v1::CompletionResponse resp;
    ASSERT_TRUE(call_complete(*stub, user_request("Next", 2), &resp).ok());
    EXPECT_EQ(count_in(log(), "complete: started"), 2u) << "only the endless request and the last one ran:\n" << log();
}

TEST(ServingChecksum, TheRightChecksumIsAcceptedAndAWrongOneExits65) {
    const std::string good = tsuku::install::sha256_file(tsuku::test::kTinyModel);
    {
        ServerHarness server(tsuku::test::kServerCpu);
        auto upper = good;
        std::transform(upper.begin(), upper.end(), upper.begin(), ::toupper);
        const auto run = server.start(tsuku::test::kTinyModel, {"--model-sha256", upper});
        EXPECT_EQ(run.outcome.kind, StartOutcome::Kind::ready) << run.log;
    }
    const std::string wrong(64, 'a');
    ServerHarness server(tsuku::test::kServerCpu);
    const auto run = server.start(tsuku::test::kTinyModel, {"--model-sha256", wrong});
    EXPECT_EQ(run.outcome.kind, StartOutcome::Kind::exited);
    EXPECT_EQ(run.outcome.exit_code, tsuku::to_int(tsuku::ExitCode::model_invalid)) << run.log;
    EXPECT_NE(run.log.find("wrong checksum"), std::string::npos) << run.log;
    EXPECT_NE(run.log.find("expected sha256 " + wrong), std::string::npos) << run.log;
    EXPECT_NE(run.log.find(good), std::string::npos) << "the message shows what the file really is: " << run.log;
    EXPECT_FALSE(fs::exists(server.socket())) << "refused before any socket exists";

    ServerHarness bad(tsuku::test::kServerCpu);
    const auto usage = bad.start(tsuku::test::kTinyModel, {"--model-sha256", "not-a-checksum"});
    EXPECT_EQ(usage.outcome.exit_code, tsuku::to_int(tsuku::ExitCode::usage)) << usage.log;
}
