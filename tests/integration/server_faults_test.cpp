// Faults and hostile input on the real server (cpu variant, synthetic noise model, real socket): a stop during a
// long request, invalid UTF-8, a full context, prompts far over the context, a full queue. Each case asserts what
// the client receives; none asserts how long anything took.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <future>

#include "client/llm_client.h"
#include "common/error.h"
#include "support/grpc_calls.h"
#include "support/paths.h"
#include "support/server_harness.h"
#include "support/temp_dir.h"
#include "support/text.h"

namespace v1 = tsuku::llm::v1;
using tsuku::lifecycle::StartOutcome;
using tsuku::test::call_complete;
using tsuku::test::endless_request;
using tsuku::test::stub_for;
using tsuku::test::user_request;
using tsuku::test::wait_for_log;

namespace {

struct Reply {
    grpc::Status status;
    v1::CompletionResponse response;
};

// One request on its own channel, in the background.
std::future<Reply> in_background(const std::filesystem::path& socket, v1::CompletionRequest req) {
    return std::async(std::launch::async, [socket, req] {
        auto stub = stub_for(socket);
        Reply r;
        r.status = call_complete(*stub, req, &r.response);
        return r;
    });
}

class ServerFaults : public ::testing::Test {
protected:
    void start(const std::vector<std::string>& extra = {}) {
        std::vector<std::string> args = {"--idle-timeout", "0"};
        args.insert(args.end(), extra.begin(), extra.end());
        auto run = server.start(tsuku::test::kTinyModel, args);
        ASSERT_EQ(run.outcome.kind, StartOutcome::Kind::ready) << run.log;
        stub = stub_for(server.socket());
    }
    std::string log() const { return tsuku::test::read_file(server.log_file()); }
    void shutdown_gracefully() {
        grpc::ClientContext ctx;
        v1::ShutdownRequest req;
        req.set_graceful(true);
        v1::ShutdownResponse resp;
        ASSERT_TRUE(stub->Shutdown(&ctx, req, &resp).ok());
    }

    tsuku::test::ServerHarness server{tsuku::test::kServerCpu};
    std::unique_ptr<v1::InferenceService::Stub> stub;
};

TEST_F(ServerFaults, AGracefulStopCancelsTheGenerationAndEmptiesTheQueue) {
    start();
    auto running = in_background(server.socket(), endless_request());
    ASSERT_TRUE(wait_for_log(server.log_file(), "complete: started"));
    auto waiting = in_background(server.socket(), user_request("behind", 4));
    ASSERT_TRUE(wait_for_log(server.log_file(), "queued behind"));
    shutdown_gracefully();

    const Reply r = running.get();
    ASSERT_TRUE(r.status.ok()) << r.status.error_message();
    EXPECT_EQ(r.response.stop_reason(), "cancelled");
    EXPECT_EQ(r.response.content().empty(), r.response.usage().output_tokens() == 0) << "what was generated is kept";
    const Reply w = waiting.get();
    EXPECT_EQ(w.status.error_code(), grpc::StatusCode::UNAVAILABLE);
    EXPECT_NE(w.status.error_message().find("the server is shutting down"), std::string::npos)
        << w.status.error_message();
    EXPECT_EQ(server.wait_exit(), 0);
    EXPECT_NE(log().find("cancelled after"), std::string::npos);
}

TEST_F(ServerFaults, SigtermDuringALongRequestAndASecondOneToHurryBothExitZero) {
    start();
    auto running = in_background(server.socket(), endless_request());
    ASSERT_TRUE(wait_for_log(server.log_file(), "complete: started"));
    ASSERT_EQ(::kill(server.pid(), SIGTERM), 0);
    ASSERT_TRUE(wait_for_log(server.log_file(), "stopping: signal"));
    ::kill(server.pid(), SIGTERM);  // hurries the stop, if it is still running
    const Reply r = running.get();
    // Answered ("cancelled"), or cut off by the hurried stop (gRPC cancels the open calls): never left generating.
    if (r.status.ok()) {
        EXPECT_EQ(r.response.stop_reason(), "cancelled");
    } else {
        EXPECT_TRUE(r.status.error_code() == grpc::StatusCode::CANCELLED ||
                    r.status.error_code() == grpc::StatusCode::UNAVAILABLE)
            << r.status.error_code() << " " << r.status.error_message();
    }
    EXPECT_EQ(server.wait_exit(), 0);
}

TEST_F(ServerFaults, InvalidUtf8IsAnInvalidArgumentNamingTheFieldAndByte) {
    start();
    auto req = user_request("fine", 4);
    auto* m = req.add_messages();
    m->set_role(v1::ROLE_USER);
    m->set_content(std::string("ab\xff") + "cd");  // protobuf logs the error and sends it anyway
    v1::CompletionResponse resp;
    const auto s = call_complete(*stub, req, &resp);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
    EXPECT_NE(s.error_message().find("messages[1].content is not valid UTF-8 (byte 2"), std::string::npos)
        << s.error_message();

    auto sys = user_request("fine", 4);
    sys.set_system_prompt("\xc3(");
    EXPECT_NE(call_complete(*stub, sys, &resp).error_message().find("system_prompt"), std::string::npos);
    EXPECT_TRUE(call_complete(*stub, user_request("still serving?", 2), &resp).ok());
}

TEST_F(ServerFaults, AGenerationStoppedByAFullContextSaysContextFull) {
    start({"--ctx", "256"});
    v1::CompletionResponse resp;
    const auto s = call_complete(*stub, endless_request(), &resp);
    ASSERT_TRUE(s.ok()) << s.error_message();
    EXPECT_EQ(resp.stop_reason(), "context_full");
    EXPECT_LT(resp.usage().input_tokens() + resp.usage().output_tokens(), 256 + 1);
}

TEST_F(ServerFaults, PromptsOverTheContextAreRefusedNamingItAndHugeOnesBeforeParsing) {
    start({"--ctx", "256"});
    grpc::ClientContext sctx;
    v1::StatusResponse st;
    ASSERT_TRUE(stub->GetStatus(&sctx, v1::StatusRequest{}, &st).ok());
    EXPECT_EQ(st.max_request_bytes(), 1 << 20) << "the limit is told to clients";

    std::string words;
    while (words.size() < 600 * 1024) words += "lorem ipsum dolor sit amet ";
    v1::CompletionResponse resp;
    auto s = call_complete(*stub, user_request(words, 4), &resp);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
    EXPECT_NE(s.error_message().find("the context holds 256"), std::string::npos) << s.error_message();
    EXPECT_NE(s.error_message().find("counted in its first"), std::string::npos) << "only a prefix was tokenised";

    s = call_complete(*stub, user_request(std::string(3 << 20, 'x'), 4), &resp);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << s.error_message();
    EXPECT_EQ(tsuku::test::count_in(log(), "complete: started"), 0u) << "nothing over the context was queued";
    EXPECT_TRUE(call_complete(*stub, user_request("still serving?", 2), &resp).ok());
}

TEST_F(ServerFaults, AFullQueueSaysBusyOnce) {
    start({"--max-queue", "0"});
    auto running = in_background(server.socket(), endless_request(300));
    ASSERT_TRUE(wait_for_log(server.log_file(), "complete: started"));
    tsuku::client::LlmClient client(server.socket());
    try {
        client.complete(user_request("me too", 2), std::chrono::seconds(60));
        ADD_FAILURE() << "a full queue must refuse";
    } catch (const tsuku::UserError& e) {
        EXPECT_EQ(tsuku::test::count_in(e.what(), "the server is busy"), 1u) << e.what();
    }
    shutdown_gracefully();
    running.get();
}

}  // namespace
