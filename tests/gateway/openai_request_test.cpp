// OpenAI's request body into the server's CompletionRequest, and the refusals that name the field.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "gateway/openai_request.h"
#include "gateway/openai_response.h"

namespace {

using tsuku::gateway::BadRequest;
using tsuku::gateway::parse_chat_request;
namespace v1 = tsuku::llm::v1;
using nlohmann::json;

std::string param_of(const json& body) {
    try {
        parse_chat_request(body.dump());
    } catch (const BadRequest& e) {
        return e.param();
    }
    return "(accepted)";
}

json base() { return {{"model", "m"}, {"messages", json::array({{{"role", "user"}, {"content", "hi"}}})}}; }

TEST(OpenAiRequest, MapsAConversationWithToolCallsAndResults) {
    const json body = {
        {"model", "gpt-4o"},
        {"messages",
         json::array({{{"role", "system"}, {"content", "be brief"}},
                      {{"role", "developer"}, {"content", json::array({{{"type", "text"}, {"text", "and kind"}}})}},
                      {{"role", "user"}, {"content", "time?"}},
                      {{"role", "assistant"},
                       {"content", nullptr},
                       {"tool_calls", json::array({{{"id", "c1"},
                                                    {"type", "function"},
                                                    {"function", {{"name", "now"}, {"arguments", "{}"}}}}})}},
                      {{"role", "tool"}, {"tool_call_id", "c1"}, {"content", "noon"}}})},
        {"max_completion_tokens", 40},
        {"max_tokens", 10},
        {"temperature", 0},
        {"top_p", 0.5},
        {"seed", 7},
        {"stop", "END"},
        {"stream", true},
        {"stream_options", {{"include_usage", true}}},
        {"some_future_field", {1, 2}}};
    const auto r = parse_chat_request(body.dump());
    EXPECT_EQ(r.model, "gpt-4o");
    EXPECT_TRUE(r.stream);
    EXPECT_TRUE(r.include_usage);
    const auto& q = r.request;
    EXPECT_EQ(q.system_prompt(), "be brief\n\nand kind");
    ASSERT_EQ(q.messages_size(), 3);
    EXPECT_EQ(q.messages(0).role(), v1::ROLE_USER);
    EXPECT_EQ(q.messages(1).role(), v1::ROLE_ASSISTANT);
    ASSERT_EQ(q.messages(1).tool_calls_size(), 1);
    EXPECT_EQ(q.messages(1).tool_calls(0).id(), "c1");
    EXPECT_EQ(q.messages(1).tool_calls(0).name(), "now");
    EXPECT_EQ(q.messages(2).role(), v1::ROLE_TOOL);
    EXPECT_EQ(q.messages(2).tool_result().tool_call_id(), "c1");
    EXPECT_EQ(q.messages(2).tool_result().content(), "noon");
    EXPECT_EQ(q.max_tokens(), 40) << "max_completion_tokens wins over max_tokens";
    EXPECT_TRUE(q.has_temperature());
    EXPECT_EQ(q.temperature(), 0.0f) << "an explicit 0 is kept, not taken for unset";
    EXPECT_FLOAT_EQ(q.top_p(), 0.5f);
    EXPECT_EQ(q.seed(), 7u);
    ASSERT_EQ(q.stop_size(), 1);
    EXPECT_EQ(q.stop(0), "END");
}

TEST(OpenAiRequest, DefaultsLeaveSamplingToTheServer) {
    const auto r = parse_chat_request(base().dump());
    EXPECT_FALSE(r.stream);
    EXPECT_FALSE(r.request.has_temperature());
    EXPECT_FALSE(r.request.has_seed());
    EXPECT_EQ(r.request.max_tokens(), tsuku::gateway::kUnboundedMaxTokens);
}

TEST(OpenAiRequest, ToolsChoiceAndResponseFormat) {
    json body = base();
    body["tools"] = json::array(
        {{{"type", "function"},
          {"function", {{"name", "a"}, {"parameters", {{"type", "object"}, {"properties", json::object()}}}}}},
         {{"type", "function"}, {"function", {{"name", "b"}, {"description", "the b tool"}}}}});
    body["tool_choice"] = {{"type", "function"}, {"function", {{"name", "b"}}}};
    auto r = parse_chat_request(body.dump());
    ASSERT_EQ(r.request.tools_size(), 1) << "a named function is the only tool offered";
    EXPECT_EQ(r.request.tools(0).name(), "b");
    EXPECT_EQ(r.request.tool_choice(), "required");

    body = base();
    body["response_format"] = {{"type", "json_object"}};
    EXPECT_EQ(json::parse(parse_chat_request(body.dump()).request.json_schema()), json({{"type", "object"}}));
    body["response_format"] = {{"type", "json_schema"},
                               {"json_schema", {{"name", "x"}, {"schema", {{"type", "integer"}, {"maximum", 3}}}}}};
    EXPECT_EQ(json::parse(parse_chat_request(body.dump()).request.json_schema())["maximum"], 3);
    body["response_format"] = {{"type", "text"}};
    EXPECT_TRUE(parse_chat_request(body.dump()).request.json_schema().empty());
}

TEST(OpenAiRequest, RefusalsNameTheField) {
    EXPECT_EQ(param_of(json::array()), "body");
    EXPECT_EQ(param_of({{"model", "m"}}), "messages");
    EXPECT_EQ(param_of({{"messages", json::array({{{"role", "system"}, {"content", "x"}}})}}), "messages");
    auto b = base();
    b["messages"][0]["role"] = "wizard";
    EXPECT_EQ(param_of(b), "messages[0].role");
    b = base();
    b["messages"][0]["content"] = json::array({{{"type", "image_url"}, {"image_url", "x"}}});
    EXPECT_EQ(param_of(b), "messages[0].content[0].type");
    b = base();
    b["messages"].push_back({{"role", "tool"}, {"content", "r"}});
    EXPECT_EQ(param_of(b), "messages[1].tool_call_id");
    for (const auto& [key, value] : std::vector<std::pair<std::string, json>>{{"temperature", 2.5},
                                                                              {"temperature", "hot"},
                                                                              {"top_p", 0},
                                                                              {"max_tokens", 0},
                                                                              {"max_completion_tokens", 1.5},
                                                                              {"seed", "x"},
                                                                              {"n", 2},
                                                                              {"stream", "yes"},
                                                                              {"tool_choice", "always"}}) {
        b = base();
        b[key] = value;
        EXPECT_EQ(param_of(b), key) << key << "=" << value;
    }
    b = base();
    b["stop"] = json::array({"a", "b", "c", "d", "e", "f", "g", "h", "i"});
    EXPECT_EQ(param_of(b), "stop");
    b = base();
    b["tool_choice"] = "required";
    EXPECT_EQ(param_of(b), "tool_choice") << "required without tools";
    b = base();
    b["tools"] =
        json::array({{{"type", "function"},
                      {"function", {{"name", "t"}, {"parameters", {{"type", "integer"}, {"multipleOf", 2}}}}}}});
    EXPECT_EQ(param_of(b), "tools[0].function.parameters");
    b = base();
    b["response_format"] = {{"type", "xml"}};
    EXPECT_EQ(param_of(b), "response_format.type");
    try {
        parse_chat_request("{\"messages\": [");
        FAIL() << "malformed JSON was accepted";
    } catch (const BadRequest& e) {
        EXPECT_EQ(e.param(), "");
        EXPECT_NE(std::string(e.what()).find("not valid JSON"), std::string::npos);
    }
}

TEST(OpenAiResponse, FinishReasonsAndToolCallShapes) {
    EXPECT_EQ(tsuku::gateway::finish_reason("end_turn"), "stop");
    EXPECT_EQ(tsuku::gateway::finish_reason("tool_use"), "tool_calls");
    EXPECT_EQ(tsuku::gateway::finish_reason("max_tokens"), "length");
    EXPECT_EQ(tsuku::gateway::finish_reason("context_full"), "length");
    EXPECT_EQ(tsuku::gateway::finish_reason("cancelled"), "stop");

    v1::CompletionResponse r;
    r.set_stop_reason("tool_use");
    auto* call = r.add_tool_calls();
    call->set_name("now");
    r.mutable_usage()->set_input_tokens(5);
    r.mutable_usage()->set_output_tokens(3);
    const tsuku::gateway::ReplyIds ids{"chatcmpl-abc", "tiny", 100};
    const json j = tsuku::gateway::completion_object(r, ids);
    EXPECT_EQ(j["choices"][0]["finish_reason"], "tool_calls");
    EXPECT_TRUE(j["choices"][0]["message"]["content"].is_null()) << "a reply of only tool calls has null content";
    EXPECT_EQ(j["choices"][0]["message"]["tool_calls"][0]["function"]["arguments"], "{}");
    EXPECT_FALSE(j["choices"][0]["message"]["tool_calls"][0]["id"].get<std::string>().empty());
    EXPECT_EQ(j["usage"]["total_tokens"], 8);
    EXPECT_EQ(tsuku::gateway::sse_event({{"a", 1}}), "data: {\"a\":1}\n\n");
    // The per-token fast path writes exactly what the general one would.
    const tsuku::gateway::ContentEvents events(ids);
    for (const std::string text : {"hi", "", "quote \" and \\ and \n", "\x01", "caf\xc3\xa9"}) {
        EXPECT_EQ(events.event(text), tsuku::gateway::sse_event(tsuku::gateway::chunk_object(ids, {{"content", text}})))
            << text;
    }
}

}  // namespace
