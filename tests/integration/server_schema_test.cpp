// The schema keyword table on the real server (cpu variant, synthetic noise model): every honoured keyword yields
// replies that a real JSON-schema validator (Debian's python3-jsonschema, tests/wire/validate_replies.py) accepts;
// every refused one is INVALID_ARGUMENT naming the keyword's path, before generation.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>

#include "support/grpc_calls.h"
#include "support/paths.h"
#include "support/run_command.h"
#include "support/server_harness.h"
#include "support/text.h"

namespace v1 = tsuku::llm::v1;
using json = nlohmann::json;
using tsuku::lifecycle::StartOutcome;
using tsuku::test::call_complete;
using tsuku::test::user_request;

namespace {

// One schema per honoured keyword (or combination), as the README's table lists them.
const char* const kHonoured[] = {
    R"({"type":"object","properties":{"a":{"type":"string","maxLength":5},"b":{"type":"boolean"}},
        "required":["a","b"],"additionalProperties":false})",
    R"({"type":"integer","minimum":-3,"maximum":7})",
    R"({"type":"integer","exclusiveMinimum":10,"exclusiveMaximum":14})",
    R"({"type":"string","minLength":2,"maxLength":4})",
    R"({"type":"string","pattern":"^[a-c]{2,5}-[0-9]$"})",
    R"({"type":"string","format":"uuid"})",
    R"({"enum":["red",1,null,{"x":true}]})",
    R"({"const":{"k":[1,2]}})",
    R"({"type":["string","null"],"maxLength":3})",
    R"({"anyOf":[{"type":"string","maxLength":2},{"type":"integer","minimum":0,"maximum":9}]})",
    R"({"oneOf":[{"type":"boolean"},{"type":"array","items":{"type":"integer","minimum":0,"maximum":3},"maxItems":2}]})",
    R"({"type":"array","items":{"enum":["x","y"]},"minItems":2,"maxItems":3})",
    R"({"type":"array","prefixItems":[{"type":"string","maxLength":3},{"type":"number"}]})",
    R"({"$defs":{"p":{"type":"object","properties":{"n":{"type":"integer","minimum":1,"maximum":2}},"required":["n"]}},
        "type":"object","properties":{"first":{"$ref":"#/$defs/p"},"rest":{"type":"array","items":{"$ref":"#/$defs/p"},
        "maxItems":2}},"required":["first","rest"]})",
    R"({"allOf":[{"type":"object","properties":{"a":{"type":"integer","minimum":0,"maximum":5}}},
        {"properties":{"b":{"const":"z"}}}]})",
    R"({"allOf":[{"enum":[1,2,3]},{"enum":[2,3,4]}]})",
};

// The issue's examples of keywords a reply used to break: each refused with its path.
const std::pair<const char*, const char*> kRefused[] = {
    {R"({"type":"object","properties":{"age":{"type":"integer","multipleOf":5}}})", "/properties/age/multipleOf"},
    {R"({"not":{"type":"string"}})", "/not"},
    {R"({"type":"array","items":{},"uniqueItems":true})", "/uniqueItems"},
    {R"({"allOf":[{"type":"string"},{"type":"integer"}]})", "/allOf/1/type"},
    {R"({"type":"object","properties":{"a":{}},"if":{"required":["a"]},"then":{"required":["b"]}})", "/if"},
    {R"({"enum":[]})", "/enum"},
    {R"({"type":"integer","minimum":9,"maximum":1})", "/minimum"},
};

// tests/wire/validate_replies.py, found from another script of the source tree.
std::string validator() {
    return (std::filesystem::path(TSUKU_TEST_HTTP_SERVER).parent_path().parent_path() / "wire" / "validate_replies.py")
        .string();
}

class ServerSchema : public ::testing::Test {
protected:
    void SetUp() override {
        auto run = server.start(tsuku::test::kTinyModel, {"--idle-timeout", "0"});
        ASSERT_EQ(run.outcome.kind, StartOutcome::Kind::ready) << run.log;
        stub = tsuku::test::stub_for(server.socket());
    }
    tsuku::test::ServerHarness server{tsuku::test::kServerCpu};
    std::unique_ptr<v1::InferenceService::Stub> stub;
};

TEST_F(ServerSchema, RepliesForEveryHonouredKeywordPassAJsonSchemaValidator) {
    const auto file = server.dir().path() / "replies.jsonl";
    std::ofstream out(file);
    for (const char* schema : kHonoured) {
        for (int draw = 0; draw < 3; ++draw) {  // different random draws of the noise model
            auto req = user_request("Answer in JSON", 400);
            req.set_json_schema(schema);
            v1::CompletionResponse resp;
            const auto s = call_complete(*stub, req, &resp);
            ASSERT_TRUE(s.ok()) << schema << ": " << s.error_message();
            ASSERT_EQ(resp.stop_reason(), "end_turn") << schema << ": the document must be complete";
            out << json{{"schema", json::parse(schema)}, {"reply", resp.content()}}.dump() << "\n";
        }
    }
    out.close();
    const auto r = tsuku::test::run_command({"/usr/bin/python3", validator(), file.string()});
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
}

TEST_F(ServerSchema, RefusedKeywordsAreInvalidArgumentsNamingTheirPath) {
    for (const auto& [schema, pointer] : kRefused) {
        auto req = user_request("x", 10);
        req.set_json_schema(schema);
        v1::CompletionResponse resp;
        const auto s = call_complete(*stub, req, &resp);
        EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << schema;
        EXPECT_NE(s.error_message().find(std::string(" at ") + pointer + ":"), std::string::npos)
            << schema << ": " << s.error_message();
    }
    const std::string log = tsuku::test::read_file(server.log_file());
    EXPECT_EQ(tsuku::test::count_in(log, "complete: started"), 0u) << "refused before generation";
}

}  // namespace
