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
        to_completion_input(r);
    } catch (const RequestError& e) {
        return e.what();
    }
    return "";
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
    const auto in = to_completion_input(r);
    ASSERT_EQ(in.turns.size(), 4u);
    EXPECT_EQ(in.turns[0].role, "system");
    EXPECT_EQ(in.turns[1].role, "user");
    EXPECT_EQ(in.turns[2].role, "assistant");
    EXPECT_EQ(in.turns[3].role, "tool");
    EXPECT_EQ(in.turns[3].content, "42");
    EXPECT_EQ(in.max_tokens, 16);
}

TEST(RequestMapping, RefusesBadRequestsWithTheReason) {
    v1::CompletionRequest empty;
    empty.set_max_tokens(5);
    EXPECT_NE(error_of(empty).find("no messages"), std::string::npos);
    EXPECT_NE(error_of(request_with(v1::ROLE_USER, "x", 0)).find("max_tokens"), std::string::npos);
    EXPECT_NE(error_of(request_with(v1::ROLE_USER, "x", -3)).find("max_tokens"), std::string::npos);
    EXPECT_NE(error_of(request_with(v1::ROLE_UNSPECIFIED, "x")).find("no role"), std::string::npos);
}
