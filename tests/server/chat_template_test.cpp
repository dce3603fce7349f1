// Rendering conversations with tools through the model's own template, and parsing tool calls out of replies
// (llama.cpp's common library, on the real Qwen2.5 template of the synthetic model).
#include "server/chat_template.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "llama_vocab_fixture.h"

using namespace tsuku::server;

namespace {

const std::string kWeatherSchema = R"({"type":"object","properties":{"city":{"type":"string"}},"required":["city"]})";

const ChatTemplates& templates() {
    static const ChatTemplates t(tsuku::test::tiny_model_vocab());
    return t;
}

ChatRequest weather_request(ToolChoice choice = ToolChoice::automatic) {
    ChatRequest r;
    r.messages = {{"system", "You are terse.", {}, {}, {}}, {"user", "Weather in Paris and Rome?", {}, {}, {}}};
    r.tools = {{"get_weather", "Current weather for a city", kWeatherSchema},
               {"get_time", "Local time", R"({"type":"object","properties":{"tz":{"type":"string"}}})"}};
    r.tool_choice = choice;
    return r;
}

ParsedReply parse(const std::string& text, bool partial = false) {
    static const RenderedChat rendered = templates().render(weather_request());
    return templates().parse(rendered, text, partial);
}

}  // namespace

TEST(ChatTemplate, UsesTheModelsOwnTemplate) {
    EXPECT_EQ(templates().template_used(), "model");
    ChatRequest r;
    r.messages = {{"user", "hello", {}, {}, {}}};
    const auto out = templates().render(r);
    EXPECT_NE(out.prompt.find("<|im_start|>user\nhello<|im_end|>"), std::string::npos) << out.prompt;
    EXPECT_TRUE(out.prompt.ends_with("<|im_start|>assistant\n")) << "the generation prompt closes the prompt";
    EXPECT_TRUE(out.grammar.gbnf.empty()) << "free text is unconstrained";
    EXPECT_FALSE(out.parse_tool_calls);
}

TEST(ChatTemplate, RendersToolDefinitionsIntoTheSystemTurn) {
    const auto out = templates().render(weather_request());
    const auto& p = out.prompt;
    const auto tools = p.find("<tools>");
    ASSERT_NE(tools, std::string::npos) << p;
    EXPECT_LT(p.find("You are terse."), tools) << "the system prompt comes first";
    EXPECT_NE(p.find(R"("name": "get_weather")"), std::string::npos) << p;
    EXPECT_NE(p.find(R"("description": "Current weather for a city")"), std::string::npos) << p;
    EXPECT_NE(p.find(R"("required": ["city"])"), std::string::npos) << "the parameters schema reaches the model";
    EXPECT_NE(p.find(R"("name": "get_time")"), std::string::npos) << p;
    EXPECT_NE(p.find("<tool_call>"), std::string::npos) << "the template explains the call format";
}

TEST(ChatTemplate, RendersAssistantToolCallsAndToolResults) {
    auto r = weather_request();
    ChatMessage call{"assistant", "", {{"call_1", "get_weather", R"({"city":"Paris"})"}}, {}, {}};
    r.messages.push_back(call);
    r.messages.push_back({"tool", "sunny, 21C", {}, "call_1", "get_weather"});
    const auto p = templates().render(r).prompt;
    EXPECT_NE(p.find("<|im_start|>assistant\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": "
                     "\"Paris\"}}\n</tool_call><|im_end|>"),
              std::string::npos)
        << p;
    EXPECT_NE(p.find("<|im_start|>user\n<tool_response>\nsunny, 21C\n</tool_response><|im_end|>"), std::string::npos)
        << "Qwen2.5 hands tool results back in a user turn: " << p;
    EXPECT_TRUE(p.ends_with("<|im_start|>assistant\n"));
}

TEST(ChatTemplate, ChoosesTheGrammarForTheRequest) {
    const auto automatic = templates().render(weather_request());
    EXPECT_TRUE(automatic.parse_tool_calls);
    EXPECT_FALSE(automatic.grammar.gbnf.empty());
    EXPECT_TRUE(automatic.grammar.lazy) << "the model decides; the grammar wakes at a call";
    EXPECT_FALSE(automatic.grammar.trigger_patterns.empty() && automatic.grammar.trigger_tokens.empty());

    const auto required = templates().render(weather_request(ToolChoice::required));
    EXPECT_FALSE(required.grammar.lazy);
    EXPECT_NE(required.grammar.gbnf.find("tool_call"), std::string::npos);

    const auto none = templates().render(weather_request(ToolChoice::none));
    EXPECT_FALSE(none.parse_tool_calls);
    EXPECT_TRUE(none.grammar.gbnf.empty());

    auto schema_only = weather_request();
    schema_only.tools.clear();
    schema_only.json_schema = kWeatherSchema;
    const auto json = templates().render(schema_only);
    EXPECT_FALSE(json.grammar.lazy);
    EXPECT_FALSE(json.grammar.gbnf.empty());
    EXPECT_FALSE(json.parse_tool_calls);
}

TEST(ChatTemplate, ParsesOneToolCall) {
    const auto r =
        parse("<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n</tool_call>");
    ASSERT_EQ(r.tool_calls.size(), 1u);
    EXPECT_EQ(r.tool_calls[0].name, "get_weather");
    EXPECT_EQ(nlohmann::json::parse(r.tool_calls[0].arguments_json), nlohmann::json({{"city", "Paris"}}));
    EXPECT_TRUE(r.tool_calls[0].id.starts_with("call_")) << "Qwen2.5 gives no ids: the server makes one";
    EXPECT_EQ(r.content.find_first_not_of(" \n"), std::string::npos) << "nothing else was said: " << r.content;
}

TEST(ChatTemplate, ParsesSeveralCallsWithTextAround) {
    const auto r = parse(
        "Let me check both.\n"
        "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n</tool_call>\n"
        "<tool_call>\n{\"name\": \"get_time\", \"arguments\": {\"tz\": \"Europe/Rome\"}}\n</tool_call>");
    ASSERT_EQ(r.tool_calls.size(), 2u);
    EXPECT_EQ(r.tool_calls[0].name, "get_weather");
    EXPECT_EQ(r.tool_calls[1].name, "get_time");
    EXPECT_EQ(nlohmann::json::parse(r.tool_calls[1].arguments_json)["tz"], "Europe/Rome");
    EXPECT_NE(r.tool_calls[0].id, r.tool_calls[1].id);
    EXPECT_NE(r.content.find("Let me check both."), std::string::npos) << r.content;
    EXPECT_EQ(r.content.find("<tool_call>"), std::string::npos) << "calls are not repeated as text: " << r.content;
}

TEST(ChatTemplate, PlainTextHasNoToolCalls) {
    const auto r = parse("It is sunny in Paris.");
    EXPECT_TRUE(r.tool_calls.empty());
    EXPECT_EQ(r.content, "It is sunny in Paris.");
}

TEST(ChatTemplate, MalformedCallsStayText) {
    for (const std::string bad : {
             "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": }\n</tool_call>",  // broken JSON
             "<tool_call>\n[1, 2, 3]\n</tool_call>",                                                // not a call
             "<tool_call>\n{\"name\": \"rm_rf\", \"arguments\": {}}\n</tool_call>",                 // unknown tool
         }) {
        SCOPED_TRACE(bad);
        const auto r = parse(bad);
        EXPECT_TRUE(r.tool_calls.empty());
        EXPECT_FALSE(r.content.empty()) << "the model's output is never lost";
    }
}

TEST(ChatTemplate, ACallCutOffByMaxTokensIsDropped) {
    const std::string done =
        "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n</tool_call>\n";
    const auto r =
        parse(done + "<tool_call>\n{\"name\": \"get_time\", \"arguments\": {\"tz\": \"Eur", /*partial=*/true);
    ASSERT_EQ(r.tool_calls.size(), 1u);
    EXPECT_EQ(r.tool_calls[0].name, "get_weather");
}

TEST(ChatTemplate, ToolChoiceNoneNeverParsesCalls) {
    const auto rendered = templates().render(weather_request(ToolChoice::none));
    const std::string text = "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"X\"}}\n</tool_call>";
    const auto r = templates().parse(rendered, text, false);
    EXPECT_TRUE(r.tool_calls.empty());
    EXPECT_EQ(r.content, text);
}
