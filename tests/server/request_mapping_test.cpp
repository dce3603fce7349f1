#include "server/request_mapping.h"

#include <gtest/gtest.h>

using namespace tsuku::server;
namespace v1 = tsuku::llm::v1;

namespace {
v1::CompletionRequest request_with(v1::Role role, const std::string& text, int max_tokens = 16) {
    v1::CompletionRequest r;
    r.set_max_tokens(max_tokens);
    auto* m = r.add_messages();
    m->set_role(role);
    m->set_content(text);
    return r;
}
std::string error_of(const v1::CompletionRequest& r) {
    try {
        to_chat_request(r);
    } catch (const RequestError& e) {
        return e.what();
    }
    return "";
}
v1::CompletionRequest with_tool(const std::string& name, const std::string& schema) {
    auto r = request_with(v1::ROLE_USER, "weather?");
    auto* t = r.add_tools();
    t->set_name(name);
    t->set_description("d");
    t->set_parameters_schema(schema);
    return r;
}
}  // namespace

TEST(RequestMapping, MapsSystemPromptAndRoles) {
    auto r = request_with(v1::ROLE_USER, "hi");
    r.set_system_prompt("be brief");
    auto* a = r.add_messages();
    a->set_role(v1::ROLE_ASSISTANT);
    a->set_content("hello");
    auto* t = r.add_messages();
    t->set_role(v1::ROLE_TOOL);
    t->mutable_tool_result()->set_content("42");
    const auto in = to_chat_request(r);
    ASSERT_EQ(in.messages.size(), 4u);
    EXPECT_EQ(in.messages[0].role, "system");
    EXPECT_EQ(in.messages[0].content, "be brief");
    EXPECT_EQ(in.messages[1].role, "user");
    EXPECT_EQ(in.messages[2].role, "assistant");
    EXPECT_EQ(in.messages[3].role, "tool");
    EXPECT_EQ(in.messages[3].content, "42");
    EXPECT_EQ(in.max_tokens, 16);
    EXPECT_EQ(in.tool_choice, ToolChoice::automatic);
}

TEST(RequestMapping, RefusesBadRequestsWithTheReason) {
    v1::CompletionRequest empty;
    empty.set_max_tokens(5);
    EXPECT_NE(error_of(empty).find("no messages"), std::string::npos);
    EXPECT_NE(error_of(request_with(v1::ROLE_USER, "x", 0)).find("max_tokens"), std::string::npos);
    EXPECT_NE(error_of(request_with(v1::ROLE_USER, "x", -3)).find("max_tokens"), std::string::npos);
    EXPECT_NE(error_of(request_with(v1::ROLE_UNSPECIFIED, "x")).find("no role"), std::string::npos);
}

TEST(RequestMapping, AssistantToolCallsAndToolResultsKeepTheirLinks) {
    auto r = request_with(v1::ROLE_USER, "weather in Paris?");
    auto* a = r.add_messages();
    a->set_role(v1::ROLE_ASSISTANT);
    auto* call = a->add_tool_calls();
    call->set_id("call_1");
    call->set_name("get_weather");
    call->set_arguments_json(R"({"city":"Paris"})");
    auto* empty_args = a->add_tool_calls();
    empty_args->set_id("call_2");
    empty_args->set_name("now");
    auto* t = r.add_messages();
    t->set_role(v1::ROLE_TOOL);
    t->mutable_tool_result()->set_tool_call_id("call_1");
    t->mutable_tool_result()->set_content("sunny");
    auto* failed = r.add_messages();
    failed->set_role(v1::ROLE_TOOL);
    failed->mutable_tool_result()->set_tool_call_id("call_2");
    failed->mutable_tool_result()->set_content("clock unavailable");
    failed->mutable_tool_result()->set_is_error(true);

    const auto in = to_chat_request(r);
    ASSERT_EQ(in.messages.size(), 4u);
    ASSERT_EQ(in.messages[1].tool_calls.size(), 2u);
    EXPECT_EQ(in.messages[1].tool_calls[0].id, "call_1");
    EXPECT_EQ(in.messages[1].tool_calls[0].name, "get_weather");
    EXPECT_EQ(in.messages[1].tool_calls[0].arguments_json, R"({"city":"Paris"})");
    EXPECT_EQ(in.messages[1].tool_calls[1].arguments_json, "{}") << "no arguments is an empty object";
    EXPECT_EQ(in.messages[2].tool_call_id, "call_1");
    EXPECT_EQ(in.messages[2].tool_name, "get_weather") << "the result is linked to the call's tool";
    EXPECT_EQ(in.messages[2].content, "sunny");
    EXPECT_EQ(in.messages[3].tool_name, "now");
    EXPECT_EQ(in.messages[3].content, "Error: clock unavailable") << "the model must see that the call failed";
}

TEST(RequestMapping, ToolsSchemasAndToolChoiceAreValidated) {
    const std::string schema = R"({"type":"object","properties":{"city":{"type":"string"}}})";
    auto ok = with_tool("get_weather", schema);
    ok.set_tool_choice("required");
    const auto in = to_chat_request(ok);
    ASSERT_EQ(in.tools.size(), 1u);
    EXPECT_EQ(in.tools[0].name, "get_weather");
    EXPECT_EQ(in.tools[0].parameters_schema, schema);
    EXPECT_EQ(in.tool_choice, ToolChoice::required);

    EXPECT_NE(to_chat_request(with_tool("now", "")).tools[0].parameters_schema.find("object"), std::string::npos)
        << "a tool without a schema takes an empty object";

    EXPECT_NE(error_of(with_tool("bad name!", schema)).find("tool name"), std::string::npos);
    EXPECT_NE(error_of(with_tool("", schema)).find("tool name"), std::string::npos);
    EXPECT_NE(error_of(with_tool("t", "{not json")).find("not valid JSON"), std::string::npos);
    EXPECT_NE(error_of(with_tool("t", "[1,2]")).find("must be a JSON object"), std::string::npos);

    auto twice = with_tool("t", schema);
    *twice.add_tools() = twice.tools(0);
    EXPECT_NE(error_of(twice).find("defined twice"), std::string::npos);

    auto unknown_choice = with_tool("t", schema);
    unknown_choice.set_tool_choice("always");
    EXPECT_NE(error_of(unknown_choice).find("tool_choice"), std::string::npos);
    auto required_without_tools = request_with(v1::ROLE_USER, "x");
    required_without_tools.set_tool_choice("required");
    EXPECT_NE(error_of(required_without_tools).find("needs at least one tool"), std::string::npos);

    auto bad_call = request_with(v1::ROLE_ASSISTANT, "");
    auto* c = bad_call.mutable_messages(0)->add_tool_calls();
    c->set_name("t");
    c->set_arguments_json("{\"unterminated\": ");
    EXPECT_NE(error_of(bad_call).find("arguments_json"), std::string::npos);
}

TEST(RequestMapping, JsonSchemaMustBeAJsonObject) {
    auto r = request_with(v1::ROLE_USER, "x");
    r.set_json_schema(R"({"type":"object"})");
    EXPECT_EQ(to_chat_request(r).json_schema, R"({"type":"object"})");
    r.set_json_schema("{\"type\": ");
    EXPECT_NE(error_of(r).find("json_schema is not valid JSON"), std::string::npos);
    r.set_json_schema("\"string\"");
    EXPECT_NE(error_of(r).find("json_schema must be a JSON object"), std::string::npos);
}

TEST(RequestMapping, SchemaKeywordsTheGrammarCannotHonourAreRefusedWithTheirPath) {
    auto r = request_with(v1::ROLE_USER, "x");
    r.set_json_schema(R"({"type":"object","properties":{"age":{"type":"integer","multipleOf":5}}})");
    const std::string e = error_of(r);
    EXPECT_NE(e.find("json_schema: multipleOf at /properties/age/multipleOf"), std::string::npos) << e;
    const std::string t = error_of(with_tool("pick", R"({"type":"object","properties":{"c":{"enum":[]}}})"));
    EXPECT_NE(t.find("tool 'pick'"), std::string::npos) << t;
    EXPECT_NE(t.find("/properties/c/enum"), std::string::npos) << t;
}

TEST(RequestMapping, SamplingFieldsAreOptionalAndChecked) {
    auto r = request_with(v1::ROLE_USER, "hi");
    auto c = to_chat_request(r);
    EXPECT_FALSE(c.sampling.temperature || c.sampling.top_p || c.sampling.seed);  // unset: the server's defaults

    r.set_temperature(0.0f);  // set to 0 is not unset: greedy
    r.set_top_p(0.5f);
    r.set_seed(7);
    r.add_stop("\n\n");
    c = to_chat_request(r);
    ASSERT_TRUE(c.sampling.temperature && c.sampling.top_p && c.sampling.seed);
    EXPECT_EQ(*c.sampling.temperature, 0.0f);
    EXPECT_EQ(*c.sampling.top_p, 0.5f);
    EXPECT_EQ(*c.sampling.seed, 7u);
    EXPECT_EQ(c.sampling.stops, std::vector<std::string>{"\n\n"});

    auto bad = request_with(v1::ROLE_USER, "hi");
    bad.set_temperature(2.5f);
    EXPECT_NE(error_of(bad).find("temperature"), std::string::npos);
    bad = request_with(v1::ROLE_USER, "hi");
    bad.set_top_p(0.0f);
    EXPECT_NE(error_of(bad).find("top_p"), std::string::npos);
    bad = request_with(v1::ROLE_USER, "hi");
    for (int i = 0; i < 9; ++i) bad.add_stop("s" + std::to_string(i));
    EXPECT_NE(error_of(bad).find("at most 8"), std::string::npos);
    bad = request_with(v1::ROLE_USER, "hi");
    bad.add_stop("");
    EXPECT_NE(error_of(bad).find("stop string"), std::string::npos);
}
