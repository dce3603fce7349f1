// The real tsuku-llm (cpu variant) on a real Unix socket with the synthetic tiny model.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>

#include <filesystem>
#include <future>
#include <thread>

#include "common/exit_codes.h"
#include "common/version.h"
#include "support/grpc_calls.h"
#include "support/paths.h"
#include "support/server_harness.h"
#include "support/temp_dir.h"
#include "tsuku/llm/v1/inference.grpc.pb.h"

namespace fs = std::filesystem;
namespace v1 = tsuku::llm::v1;
using namespace std::chrono_literals;
using tsuku::ExitCode;
using tsuku::to_int;
using tsuku::lifecycle::StartOutcome;
using tsuku::test::call_complete;
using tsuku::test::ServerHarness;
using tsuku::test::stub_for;
using tsuku::test::user_request;
using tsuku::test::wait_for_log;

namespace {

class ServerTest : public ::testing::Test {
protected:
    void SetUp() override {
        auto run = server.start(tsuku::test::kTinyModel, {"--idle-timeout", "0"});
        ASSERT_EQ(run.outcome.kind, StartOutcome::Kind::ready) << run.log;
        stub = stub_for(server.socket());
    }
    ServerHarness server{tsuku::test::kServerCpu};
    std::unique_ptr<v1::InferenceService::Stub> stub;
};

}  // namespace

TEST_F(ServerTest, ReadyEventDescribesTheServer) {
    // (re-read through a second start would be 73; the first ready event is checked by the harness)
    struct stat st {};
    ASSERT_EQ(::stat(server.socket().c_str(), &st), 0);
    EXPECT_TRUE(S_ISSOCK(st.st_mode));
    EXPECT_EQ(st.st_mode & 0777, 0600u) << "the socket must be private to the user";
}

TEST_F(ServerTest, CompleteReturnsRealTokensAndUsage) {
    v1::CompletionResponse resp;
    auto s = call_complete(*stub, user_request("Tell me a story", 12), &resp);
    ASSERT_TRUE(s.ok()) << s.error_message();
    EXPECT_GT(resp.usage().input_tokens(), 3);  // chat template + prompt, counted in real tokens
    EXPECT_GT(resp.usage().output_tokens(), 0);
    EXPECT_LE(resp.usage().output_tokens(), 12);
    EXPECT_TRUE(resp.stop_reason() == "end_turn" || resp.stop_reason() == "max_tokens") << resp.stop_reason();
    if (resp.stop_reason() == "max_tokens") {
        EXPECT_EQ(resp.usage().output_tokens(), 12);
        EXPECT_FALSE(resp.content().empty());
    }
}

TEST_F(ServerTest, SystemPromptCostsPromptTokens) {
    // Without a system prompt the Qwen2.5 template inserts its own default one, so compare two given prompts.
    v1::CompletionResponse a, b;
    auto short_system = user_request("hi", 1);
    short_system.set_system_prompt("Be brief.");
    ASSERT_TRUE(call_complete(*stub, short_system, &a).ok());
    auto long_system = user_request("hi", 1);
    long_system.set_system_prompt("Be brief. You are a very helpful assistant that answers every question briefly.");
    ASSERT_TRUE(call_complete(*stub, long_system, &b).ok());
    EXPECT_GT(b.usage().input_tokens(), a.usage().input_tokens() + 5);
}

TEST_F(ServerTest, GetStatusReportsTrueFacts) {
    grpc::ClientContext ctx;
    v1::StatusResponse st;
    ASSERT_TRUE(stub->GetStatus(&ctx, v1::StatusRequest{}, &st).ok());
    EXPECT_TRUE(st.ready());
    EXPECT_EQ(st.backend(), "cpu");
    EXPECT_EQ(st.model_name(), "tsuku-synthetic-tiny-q8_0");  // the file's (manifest) name
    EXPECT_EQ(st.gguf_name(), "tsuku-synthetic-qwen2-tiny-q8_0");
    EXPECT_EQ(st.model_size_bytes(), static_cast<int64_t>(fs::file_size(tsuku::test::kTinyModel)));
    EXPECT_EQ(st.addon_version(), tsuku::kVersion);
    EXPECT_EQ(st.available_vram_bytes(), 0);  // the cpu variant has no VRAM
}

TEST_F(ServerTest, BadRequestsGetClearErrorsAndTheServerLivesOn) {
    v1::CompletionResponse resp;
    v1::CompletionRequest no_messages;
    no_messages.set_max_tokens(4);
    auto s = call_complete(*stub, no_messages, &resp);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_NE(s.error_message().find("no messages"), std::string::npos);

    for (int bad : {0, -1}) {
        s = call_complete(*stub, user_request("x", bad), &resp);
        EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
        EXPECT_NE(s.error_message().find("max_tokens"), std::string::npos);
    }
    auto no_role = user_request("x", 3);
    no_role.mutable_messages(0)->set_role(v1::ROLE_UNSPECIFIED);
    EXPECT_EQ(call_complete(*stub, no_role, &resp).error_code(), grpc::StatusCode::INVALID_ARGUMENT);

    EXPECT_TRUE(call_complete(*stub, user_request("still alive?", 2), &resp).ok());
}

TEST(ServerContext, PromptLongerThanTheContextIsRefused) {
    ServerHarness server(tsuku::test::kServerCpu);
    auto run = server.start(tsuku::test::kTinyModel, {"--ctx", "256"});
    ASSERT_EQ(run.outcome.kind, StartOutcome::Kind::ready) << run.log;
    auto stub = stub_for(server.socket());
    std::string long_prompt;
    for (int i = 0; i < 400; ++i) long_prompt += "word ";
    v1::CompletionResponse resp;
    auto s = call_complete(*stub, user_request(long_prompt, 8), &resp);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_NE(s.error_message().find("context holds 256"), std::string::npos) << s.error_message();
    EXPECT_TRUE(call_complete(*stub, user_request("short", 2), &resp).ok());
}

TEST_F(ServerTest, SecondServerOnTheSameSocketExits73AndLeavesTheFirstAlone) {
    ServerHarness second(tsuku::test::kServerCpu);
    auto run = [&] {
        // Same socket as the first server.
        tsuku::lifecycle::LaunchSpec s;
        s.executable = tsuku::test::kServerCpu;
        s.log_file = second.log_file();
        s.args = {"serve",       "--socket", server.socket().string(), "--model", tsuku::test::kTinyModel,
                  "--notify-fd", "3"};
        auto p = tsuku::lifecycle::ServerProcess::spawn(s);
        return p.wait_for_start(120s);
    }();
    EXPECT_EQ(run.kind, StartOutcome::Kind::exited);
    EXPECT_EQ(run.exit_code, to_int(ExitCode::socket_unavailable));
    EXPECT_NE(tsuku::test::read_file(second.log_file()).find("another server already owns"), std::string::npos);

    grpc::ClientContext ctx;
    v1::StatusResponse st;
    EXPECT_TRUE(stub->GetStatus(&ctx, v1::StatusRequest{}, &st).ok()) << "the first server must still serve";
    EXPECT_TRUE(fs::exists(server.socket()));
}

TEST_F(ServerTest, GracefulShutdownAnswersTheRequestInFlightWithWhatItHas) {
    auto in_flight = std::async(std::launch::async, [&] {
        auto own = stub_for(server.socket());
        v1::CompletionResponse resp;
        auto s = call_complete(*own, user_request("Write a long essay", 300), &resp);
        return std::make_pair(s, resp);
    });
    ASSERT_TRUE(wait_for_log(server.log_file(), "complete: started"));
    grpc::ClientContext ctx;
    v1::ShutdownRequest req;
    req.set_graceful(true);
    v1::ShutdownResponse sr;
    ASSERT_TRUE(stub->Shutdown(&ctx, req, &sr).ok());
    EXPECT_TRUE(sr.accepted());
    auto [status, resp] = in_flight.get();
    EXPECT_TRUE(status.ok()) << "the in-flight request was cut off: " << status.error_message();
    // Stopped at the next token ("cancelled"), unless the noise model ended on its own first.
    EXPECT_TRUE(resp.stop_reason() == "cancelled" || resp.stop_reason() == "end_turn" ||
                resp.stop_reason() == "max_tokens")
        << resp.stop_reason();
    EXPECT_EQ(server.wait_exit(), 0);
    EXPECT_FALSE(fs::exists(server.socket())) << "the socket must be removed on shutdown";
}

TEST_F(ServerTest, SigtermShutsDownCleanly) {
    ASSERT_EQ(::kill(server.pid(), SIGTERM), 0);
    EXPECT_EQ(server.wait_exit(), 0);
    EXPECT_FALSE(fs::exists(server.socket()));
}

TEST(ServerLifecycle, IdleTimeoutStopsTheServerAndRemovesTheSocket) {
    ServerHarness server(tsuku::test::kServerCpu);
    auto run = server.start(tsuku::test::kTinyModel, {"--idle-timeout", "300ms"});
    ASSERT_EQ(run.outcome.kind, StartOutcome::Kind::ready) << run.log;
    EXPECT_EQ(server.wait_exit(), 0);
    EXPECT_FALSE(fs::exists(server.socket()));
    EXPECT_NE(tsuku::test::read_file(server.log_file()).find("idle timeout"), std::string::npos);
}

TEST(ServerStartup, MissingModelExits66BeforeAnySocketExists) {
    ServerHarness server(tsuku::test::kServerCpu);
    auto run = server.start(server.dir() / "nope.gguf");
    EXPECT_EQ(run.outcome.kind, StartOutcome::Kind::exited);
    EXPECT_EQ(run.outcome.exit_code, to_int(ExitCode::model_missing)) << run.log;
    EXPECT_FALSE(fs::exists(server.socket()));
}

TEST(ServerStartup, InvalidModelsExit65WithTheReason) {
    ServerHarness server(tsuku::test::kServerCpu);
    const auto html = server.dir() / "page.gguf";
    tsuku::test::write_file(html, "<!DOCTYPE html><html>Not Found</html>");
    auto run = server.start(html);
    EXPECT_EQ(run.outcome.exit_code, to_int(ExitCode::model_invalid)) << run.log;
    EXPECT_NE(run.log.find("not a GGUF file"), std::string::npos) << run.log;

    // A truncated copy of the real model: the header is fine, the tensor data is not all there.
    const auto cut = server.dir() / "cut.gguf";
    const auto full = tsuku::test::read_file(tsuku::test::kTinyModel);
    tsuku::test::write_file(cut, full.substr(0, full.size() / 2));
    ServerHarness again(tsuku::test::kServerCpu);
    run = again.start(cut);
    EXPECT_EQ(run.outcome.exit_code, to_int(ExitCode::model_invalid)) << run.log;
    EXPECT_NE(run.log.find("truncated"), std::string::npos) << run.log;
    EXPECT_FALSE(fs::exists(again.socket()));
}

TEST(ServerStartup, VersionJsonNamesBackendAndVersions) {
    auto r = [&] {
        std::string cmd = std::string(tsuku::test::kServerCpu) + " version --json";
        std::string out;
        FILE* p = ::popen(cmd.c_str(), "r");
        char buf[512];
        while (size_t n = std::fread(buf, 1, sizeof buf, p)) out.append(buf, n);
        ::pclose(p);
        return out;
    }();
    EXPECT_NE(r.find("\"backend\": \"cpu\""), std::string::npos) << r;
    EXPECT_NE(r.find("\"llama_cpp\": \"v0.4.0\""), std::string::npos) << r;
    EXPECT_NE(r.find(std::string("\"addon_version\": \"") + tsuku::kVersion + "\""), std::string::npos) << r;
}
