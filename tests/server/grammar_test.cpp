// The grammars the server builds, run through llama.cpp's own grammar sampler on the real Qwen2 vocabulary: what
// they accept is what a constrained reply can be.
#include "server/grammar.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <vector>

#include "llama_vocab_fixture.h"

using namespace tsuku::server;

namespace {

// True when `text`, tokenised as the model would emit it, is a complete sentence of the grammar.
bool accepts(const std::string& gbnf, const std::string& text) {
    const llama_vocab* vocab = llama_model_get_vocab(tsuku::test::tiny_model_vocab());
    std::unique_ptr<llama_sampler, void (*)(llama_sampler*)> g(llama_sampler_init_grammar(vocab, gbnf.c_str(), "root"),
                                                               &llama_sampler_free);
    if (!g) throw std::runtime_error("grammar rejected by llama.cpp");
    std::vector<llama_token> tokens(text.size() + 4);
    const int n = llama_tokenize(vocab, text.data(), static_cast<int32_t>(text.size()), tokens.data(),
                                 static_cast<int32_t>(tokens.size()), false, false);
    tokens.resize(static_cast<size_t>(n));
    const auto allowed = [&](llama_token t) {
        llama_token_data d{t, 1.0f, 0.0f};
        llama_token_data_array arr{&d, 1, -1, false};
        llama_sampler_apply(g.get(), &arr);
        return std::isfinite(d.logit);
    };
    for (const llama_token t : tokens) {
        if (!allowed(t)) return false;
        llama_sampler_accept(g.get(), t);
    }
    return allowed(llama_vocab_eos(vocab));  // the end is allowed only once the sentence is complete
}

const std::string kProfile = R"({
  "type": "object",
  "properties": {
    "name": {"type": "string", "maxLength": 12},
    "age": {"type": "integer", "minimum": 0, "maximum": 150},
    "mood": {"enum": ["happy", "sad"]},
    "scores": {"type": "array", "items": {"type": "number"}, "maxItems": 3},
    "nickname": {"type": "string"}
  },
  "required": ["name", "age", "mood", "scores"],
  "additionalProperties": false
})";

}  // namespace

TEST(JsonSchemaGrammar, AcceptsDocumentsValidForTheSchema) {
    const auto g = json_schema_grammar(kProfile);
    EXPECT_TRUE(accepts(g, R"({"name": "Ada", "age": 36, "mood": "happy", "scores": [1.5, 2]})"));
    EXPECT_TRUE(accepts(g, R"({"name": "", "age": 0, "mood": "sad", "scores": [], "nickname": "x"})"));
}

TEST(JsonSchemaGrammar, RefusesDocumentsInvalidForTheSchema) {
    const auto g = json_schema_grammar(kProfile);
    EXPECT_FALSE(accepts(g, R"({"age": 36, "mood": "happy", "scores": []})")) << "a required property is missing";
    EXPECT_FALSE(accepts(g, R"({"name": "Ada", "age": 36, "mood": "angry", "scores": []})")) << "not in the enum";
    EXPECT_FALSE(accepts(g, R"({"name": "Ada", "age": "36", "mood": "sad", "scores": []})")) << "a string for a number";
    EXPECT_FALSE(accepts(g, R"({"name": "Ada", "age": 36, "mood": "sad", "scores": [1, 2, 3, 4]})")) << "maxItems";
    EXPECT_FALSE(accepts(g, R"({"name": "Ada Lovelace Byron", "age": 1, "mood": "sad", "scores": []})")) << "maxLength";
    EXPECT_FALSE(accepts(g, R"({"name": "Ada", "age": 36, "mood": "sad", "scores": [], "x": 1})"))
        << "additionalProperties false";
    EXPECT_FALSE(accepts(g, "Sure! Here it is: {}")) << "nothing but the JSON";
}

TEST(JsonSchemaGrammar, AllowsOneSpaceBetweenTokensNotARunOfWhitespace) {
    // A model could otherwise spend its whole budget on whitespace and leave the document unfinished.
    const auto g = json_schema_grammar(kProfile);
    EXPECT_TRUE(accepts(g, R"({"name":"Ada","age":36,"mood":"happy","scores":[]})"));
    EXPECT_FALSE(accepts(g, "{\n  \"name\": \"Ada\", \"age\": 36, \"mood\": \"happy\", \"scores\": []}"));
    EXPECT_FALSE(accepts(g, R"({"name":  "Ada", "age": 36, "mood": "happy", "scores": []})"));
    const auto t = forced_tool_call_grammar({{"f", "", R"({"type":"object","properties":{"a":{"type":"integer"}}})"}});
    EXPECT_FALSE(accepts(t, "<tool_call>\n{\"name\": \"f\", \"arguments\": {\"a\":\n\t1}}\n</tool_call>"));
}

TEST(JsonSchemaGrammar, NumbersStayWithinWhatADoubleHolds) {
    const auto g = json_schema_grammar(R"({"type":"object","properties":{"x":{"type":"number"}},"required":["x"]})");
    EXPECT_TRUE(accepts(g, R"({"x": -1.25e-12})"));
    EXPECT_TRUE(accepts(g, R"({"x": 6E23})"));
    EXPECT_FALSE(accepts(g, R"({"x": 18e91642})")) << "valid JSON, but no double holds it";
}

TEST(JsonSchemaGrammar, StringsHoldNoLoneSurrogateEscapes) {
    const auto g = json_schema_grammar(R"({"type":"object","properties":{"s":{"type":"string"}},"required":["s"]})");
    EXPECT_TRUE(accepts(g, R"({"s": "caf\u00e9 \uFFFD \n"})"));
    EXPECT_FALSE(accepts(g, R"({"s": "\udc00"})")) << "valid for the JSON grammar, refused by parsers";
    EXPECT_FALSE(accepts(g, R"({"s": "\uD800"})"));
}

TEST(JsonSchemaGrammar, ABadSchemaIsARequestError) {
    EXPECT_THROW(json_schema_grammar("{not json"), RequestError);
    EXPECT_THROW(json_schema_grammar(R"({"$ref": "#/definitions/missing"})"), RequestError);
}

TEST(ForcedToolCallGrammar, AcceptsExactlyOneWellFormedCall) {
    const std::vector<ToolSpec> tools = {
        {"get_weather", "", R"({"type":"object","properties":{"city":{"type":"string"}},"required":["city"]})"},
        {"get_time", "", R"({"type":"object","properties":{}})"}};
    const auto g = forced_tool_call_grammar(tools);
    EXPECT_TRUE(
        accepts(g, "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n</tool_call>"));
    EXPECT_TRUE(accepts(g, "<tool_call>\n{\"name\": \"get_time\", \"arguments\": {}}\n</tool_call>"));
    EXPECT_FALSE(accepts(g, "<tool_call>\n{\"name\": \"rm_rf\", \"arguments\": {}}\n</tool_call>")) << "unknown tool";
    EXPECT_FALSE(accepts(g, "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {}}\n</tool_call>"))
        << "a required argument is missing";
    EXPECT_FALSE(accepts(g, "The weather is nice.")) << "a call is required";
}

TEST(ForcedToolCallGrammar, WithAContentSchemaAllowsEitherTheJsonOrACall) {
    const std::vector<ToolSpec> tools = {{"get_time", "", R"({"type":"object","properties":{}})"}};
    const auto g = forced_tool_call_grammar(tools, R"({"type":"object","properties":{"answer":{"type":"integer"}},
                                                       "required":["answer"]})");
    EXPECT_TRUE(accepts(g, R"({"answer": 42})"));
    EXPECT_TRUE(accepts(g, "<tool_call>\n{\"name\": \"get_time\", \"arguments\": {}}\n</tool_call>"));
    EXPECT_FALSE(accepts(g, R"({"answer": "42"})"));
}
