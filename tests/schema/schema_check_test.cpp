// The keyword table of schema/schema_check.h: each refused keyword is named with its path; each honoured one passes
// (and llama.cpp's converter builds a grammar for it: grammar_test.cpp; real replies validate: server_schema_test).
#include "schema/schema_check.h"

#include <gtest/gtest.h>

using nlohmann::json;
using tsuku::schema::find_unenforceable;

namespace {

struct Refused {
    const char* schema;
    const char* pointer;
    const char* keyword;
};

class RefusedSchemas : public ::testing::TestWithParam<Refused> {};

TEST_P(RefusedSchemas, NameTheKeywordAndItsPath) {
    const auto& c = GetParam();
    const auto p = find_unenforceable(json::parse(c.schema));
    ASSERT_TRUE(p.has_value()) << c.schema;
    EXPECT_EQ(p->pointer, c.pointer) << p->message();
    EXPECT_EQ(p->keyword, c.keyword) << p->message();
    EXPECT_FALSE(p->fix.empty());
    EXPECT_NE(p->message().find(c.pointer[0] ? c.pointer : "/"), std::string::npos) << p->message();
}

INSTANTIATE_TEST_SUITE_P(
    Keywords, RefusedSchemas,
    ::testing::Values(
        Refused{R"({"type":"object","properties":{"age":{"type":"integer","multipleOf":5}}})",
                "/properties/age/multipleOf", "multipleOf"},
        Refused{R"({"not":{"type":"string"}})", "/not", "not"},
        Refused{R"({"type":"array","items":{"type":"integer"},"uniqueItems":true})", "/uniqueItems", "uniqueItems"},
        Refused{R"({"allOf":[{"type":"string"},{"type":"integer"}]})", "/allOf/1/type", "allOf"},
        Refused{R"({"type":"object","properties":{"a":{"type":"string"}},"if":{"required":["a"]},"then":{}})", "/if",
                "if"},
        Refused{R"({"type":"object","properties":{"c":{"enum":[]}}})", "/properties/c/enum", "enum"},
        Refused{R"({"type":"integer","minimum":10,"maximum":5})", "/minimum", "minimum"},
        Refused{R"({"type":"integer","exclusiveMinimum":4,"exclusiveMaximum":5})", "/exclusiveMinimum",
                "exclusiveMinimum"},
        Refused{R"({"type":"integer","minimum":1.5})", "/minimum", "minimum"},
        Refused{R"({"type":"number","maximum":3})", "/maximum", "maximum"},
        Refused{R"({"type":"string","minLength":5,"maxLength":2})", "/minLength", "minLength"},
        Refused{R"({"type":"array","items":{},"minItems":4,"maxItems":1})", "/minItems", "minItems"},
        Refused{R"({"type":"array","minItems":2})", "/minItems", "minItems"},
        Refused{R"({"type":"array","prefixItems":[{"type":"string"}],"minItems":2})", "/minItems", "minItems"},
        Refused{R"({"type":"object","properties":{"a":{}},"required":["a","b"]})", "/required/1", "required"},
        Refused{R"({"type":"object","minProperties":1})", "/minProperties", "minProperties"},
        Refused{R"({"type":"object","patternProperties":{"^x":{}}})", "/patternProperties", "patternProperties"},
        Refused{R"({"type":"array","contains":{"const":1}})", "/contains", "contains"},
        Refused{R"({"type":"string","pattern":"abc"})", "/pattern", "pattern"},
        Refused{R"({"type":"string","pattern":"^a+$","maxLength":3})", "/maxLength", "maxLength"},
        Refused{R"({"type":"string","format":"email"})", "/format", "format"},
        Refused{R"({"type":"string","format":"date"})", "/format", "format"},
        Refused{R"({"oneOf":[{"type":"string"},{"type":"string","maxLength":3}]})", "/oneOf", "oneOf"},
        Refused{R"({"anyOf":[]})", "/anyOf", "anyOf"},
        Refused{R"({"type":"object","anyOf":[{"type":"string"}]})", "/type", "type"},
        Refused{R"({"$ref":"#/$defs/a","maxLength":2,"$defs":{"a":{"type":"string"}}})", "/maxLength", "maxLength"},
        Refused{R"({"$ref":"#/$defs/missing"})", "/$ref", "$ref"},
        Refused{R"({"$ref":"https://example.com/s.json"})", "/$ref", "$ref"},
        Refused{R"({"type":"string","const":3})", "/const", "const"},
        Refused{R"({"type":"string","enum":["a",1]})", "/enum/1", "enum"}, Refused{R"({"type":[]})", "/type", "type"},
        Refused{R"({"type":"text"})", "/type", "type"},
        Refused{R"({"type":"object","properties":{"a":false}})", "/properties/a", ""},
        Refused{R"({"minLength":2})", "/minLength", "minLength"},
        Refused{R"({"allOf":[{"properties":{"a":{}}},{"properties":{"a":{}}}]})", "/allOf/1/properties/a", "allOf"},
        Refused{R"({"allOf":[{"enum":[1,2]},{"enum":[3]}]})", "/allOf", "allOf"},
        Refused{R"({"allOf":[{"properties":{"a":{}},"additionalProperties":false}]})", "/allOf/0/additionalProperties",
                "additionalProperties"},
        Refused{R"({"$defs":{"x":{"not":{}}},"type":"string"})", "/$defs/x/not", "not"},
        Refused{R"({"type":"object","properties":{"a~b/c":{"type":"integer","multipleOf":2}}})",
                "/properties/a~0b~1c/multipleOf", "multipleOf"}));

class HonouredSchemas : public ::testing::TestWithParam<const char*> {};

TEST_P(HonouredSchemas, Pass) {
    const auto p = find_unenforceable(json::parse(GetParam()));
    EXPECT_FALSE(p.has_value()) << p->message();
}

INSTANTIATE_TEST_SUITE_P(
    Keywords, HonouredSchemas,
    ::testing::Values(
        R"({})", R"({"description":"anything","title":"x","examples":[1]})", R"({"type":["string","null"]})",
        R"({"type":"object","properties":{"a":{"type":"string"}},"required":["a"],"additionalProperties":false})",
        R"({"type":"object","additionalProperties":{"type":"integer"}})",
        R"({"type":"integer","minimum":-3,"maximum":7})", R"({"type":"integer","exclusiveMinimum":0})",
        R"({"type":"integer","minimum":5,"maximum":5})", R"({"type":"string","minLength":1,"maxLength":4})",
        R"({"type":"string","pattern":"^[a-z]{2,5}$"})", R"({"type":"string","format":"uuid"})",
        R"({"enum":["a",1,null]})", R"({"const":{"k":[1,2]}})", R"({"type":"string","enum":["x","y"]})",
        R"({"anyOf":[{"type":"string"},{"type":"integer"}]})", R"({"oneOf":[{"type":"string"},{"type":"integer"}]})",
        R"({"oneOf":[{"const":"a"},{"const":"b"}]})",
        R"({"type":"array","items":{"type":"boolean"},"minItems":1,"maxItems":3})",
        R"({"type":"array","prefixItems":[{"type":"string"},{"type":"integer"}]})",
        R"({"type":"array","items":{},"uniqueItems":false})",
        R"({"$defs":{"p":{"type":"object","properties":{"n":{"type":"string"}}}},"$ref":"#/$defs/p"})",
        R"({"type":"object","properties":{"x":{"$ref":"#/definitions/d"}},"definitions":{"d":{"type":"null"}}})",
        R"({"allOf":[{"type":"object","properties":{"a":{"type":"string"}}},{"properties":{"b":{}}}]})",
        R"({"allOf":[{"enum":[1,2,3]},{"enum":[2,3]}]})",
        R"({"type":"object","properties":{"a":{"type":"string"}},"x-vendor":1})"));

TEST(SchemaCheck, MessageNamesKeywordPathAndProblem) {
    const auto p = find_unenforceable(json::parse(R"({"properties":{"age":{"type":"integer","multipleOf":5}}})"));
    ASSERT_TRUE(p);
    EXPECT_EQ(p->message(),
              "multipleOf at /properties/age/multipleOf: multipleOf is not supported: the grammar cannot enforce it");
}

}  // namespace
