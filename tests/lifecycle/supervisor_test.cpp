// Supervision with real processes: the real cuda variant (no driver here), the real cpu variant, and test-helper
// variants that crash, hang, exit 78 late or die mid-request.
#include "lifecycle/supervisor.h"

#include <gtest/gtest.h>

#include "client/llm_client.h"
#include "support/paths.h"
#include "support/temp_dir.h"

namespace fs = std::filesystem;
using namespace tsuku;
using namespace tsuku::lifecycle;
using namespace std::chrono_literals;

namespace {

constexpr Backend kFake = Backend::vulkan;
constexpr Backend kCpu = Backend::cpu;
constexpr Backend kCuda = Backend::cuda;

class SupervisorTest : public ::testing::Test {
protected:
    ~SupervisorTest() override { manager.stop(5s, 5s); }

    // cpu and cuda are the real variants; kFake (vulkan) is the fake variant in the mode `fake` (crash, hang,
    // exit78, die_mid_request, model_crash).
    ServerStartSpec spec_for(Backend backend) {
        ServerStartSpec s;
        s.backend = backend;
        s.model = test::kTinyModel;
        s.start_timeout = 60s;
        s.idle_timeout = 0ms;
        if (backend == Backend::cpu) {
            s.executable = test::kServerCpu;
        } else if (backend == Backend::cuda) {
            s.executable = test::kServerCuda;
        } else {
            s.executable = test::kFakeVariant;
            s.env = {{"TSUKU_FAKE_MODE", fake},
                     {"TSUKU_FAKE_BACKEND", std::string(backend_name(backend))},
                     {"TSUKU_FAKE_DELAY_MS", "300"}};
            if (fake == "hang") s.start_timeout = 2s;  // a deadline, not an assertion on time
        }
        ++launches[backend];
        return s;
    }

    SupervisedStart start(std::vector<Backend> chain, bool fallback = true, std::string fingerprint = "fp1") {
        ChainStart c;
        c.chain = std::move(chain);
        c.fallback = fallback;
        c.fingerprint = std::move(fingerprint);
        return start(c);
    }
    SupervisedStart start(const ChainStart& c, const ReuseCheck& reuse = {}) {
        reported.clear();
        return supervisor.ensure_running(
            c, [this](Backend b) { return spec_for(b); }, [this](const StartAttempt& a) { reported.push_back(a); },
            reuse);
    }

    test::TempDir dir;
    Home home{dir / "home"};
    ServerManager manager{home};
    FailureMemory memory{home.failures_path()};
    Supervisor supervisor{manager, memory};
    std::string fake = "exit78";
    std::map<Backend, int> launches;
    std::vector<StartAttempt> reported;
};

}  // namespace

TEST_F(SupervisorTest, RealCudaVariantFallsBackToCpuAndNamesLibcuda) {
    const auto s = start({kCuda, kCpu});
    ASSERT_EQ(s.attempts.size(), 2u);
    EXPECT_EQ(s.attempts[0].backend, kCuda);
    EXPECT_EQ(s.attempts[0].result, AttemptResult::backend_unavailable);
    EXPECT_EQ(s.attempts[0].reason, Reason::library_missing);
    EXPECT_NE(s.attempts[0].detail.find("libcuda.so.1"), std::string::npos) << s.attempts[0].detail;
    EXPECT_EQ(s.attempts[1].result, AttemptResult::ready);
    EXPECT_EQ(reported.size(), 2u) << "each attempt is reported once";
    client::LlmClient client(s.server.socket);
    EXPECT_EQ(client.status(10s).backend(), "cpu");
    const auto history = load_start_history(home);
    ASSERT_EQ(history.size(), 2u);
    EXPECT_EQ(history[0].reason, Reason::library_missing);
}

TEST_F(SupervisorTest, CrashHangAndLate78AllFallBack) {
    for (const char* mode : {"crash", "hang", "exit78"}) {
        SCOPED_TRACE(mode);
        fake = mode;
        memory.forget_all();  // each mode is a fresh failure of the same backend, not one the memory skips
        const auto s = start({kFake, kCpu});
        ASSERT_EQ(s.attempts.size(), 2u);
        EXPECT_EQ(s.attempts[1].result, AttemptResult::ready);
        const auto expected = std::string(mode) == "crash"  ? AttemptResult::crashed
                              : std::string(mode) == "hang" ? AttemptResult::start_timeout
                                                            : AttemptResult::backend_unavailable;
        EXPECT_EQ(s.attempts[0].result, expected) << attempt_result_name(s.attempts[0].result);
        manager.stop(5s, 5s);
    }
}

TEST_F(SupervisorTest, FailureMemorySkipsTheVariantOnTheSameHardwareAndRetriesOnNew) {
    start({kFake, kCpu});
    manager.stop(5s, 5s);
    EXPECT_EQ(launches[kFake], 1);

    const auto again = start({kFake, kCpu});
    EXPECT_EQ(launches[kFake], 1) << "skipped without launching it";
    EXPECT_EQ(again.attempts[0].result, AttemptResult::skipped_known_failure);
    EXPECT_EQ(again.attempts[0].reason, Reason::init_failed);
    manager.stop(5s, 5s);

    start({kFake, kCpu}, true, "fp2-after-driver-update");
    EXPECT_EQ(launches[kFake], 2) << "a new fingerprint tries it again";
    EXPECT_TRUE(memory.for_fingerprint("fp1").empty()) << "records of old hardware are dropped";
}

TEST_F(SupervisorTest, FallbackOffIsAClearErrorWithTheFix) {
    try {
        start({kFake, kCpu}, /*fallback=*/false);
        FAIL() << "expected an error";
    } catch (const UserError& e) {
        EXPECT_NE(std::string(e.what()).find("cannot run here"), std::string::npos) << e.what();
        EXPECT_NE(e.fix().find("llm.fallback"), std::string::npos) << e.fix();
    }
    EXPECT_EQ(launches[kCpu], 0);
}

TEST_F(SupervisorTest, NonBackendFailuresDoNotFallBack) {
    // A bad model is not the backend's fault: falling back would only fail again, so it is an error at once.
    auto bad = dir / "bad.gguf";
    test::write_file(bad, "not a model");
    try {
        ChainStart c;
        c.chain = {kCpu};
        c.fingerprint = "fp";
        supervisor.ensure_running(c,
                                  [&](Backend b) {
                                      auto s = spec_for(b);
                                      s.model = bad;
                                      return s;
                                  },
                                  {});
        FAIL();
    } catch (const StartFailure& e) {
        EXPECT_EQ(e.outcome().exit_code, 65);
    }
}

TEST_F(SupervisorTest, DeathMidRequestIsNamedAndTheNextCallStartsANewServer) {
    fake = "die_mid_request";
    const auto first = start({kFake});
    ASSERT_EQ(first.attempts.back().result, AttemptResult::ready);
    client::LlmClient client(first.server.socket);
    tsuku::llm::v1::CompletionRequest req;
    req.set_max_tokens(4);
    auto* m = req.add_messages();
    m->set_role(tsuku::llm::v1::ROLE_USER);
    m->set_content("hi");
    try {
        client.complete(req, 30s);
        FAIL();
    } catch (const UserError& e) {
        EXPECT_NE(std::string(e.what()).find("went away"), std::string::npos) << e.what();
    }
    const auto second = start({kCpu});
    EXPECT_TRUE(second.server.started_now);
    EXPECT_EQ(client::LlmClient(second.server.socket).status(10s).backend(), "cpu");
}

TEST_F(SupervisorTest, TheFailureMemoryKeysOnConditionsAndAOneCallBackendIsAlwaysTried) {
    ChainStart c;
    c.chain = {kFake, kCpu};
    c.fingerprint = "fp1";
    c.conditions = "software_devices=refused";
    start(c);
    manager.stop(5s, 5s);
    start(c);
    EXPECT_EQ(launches[kFake], 1) << "same conditions: skipped";
    manager.stop(5s, 5s);

    c.conditions = "software_devices=allowed";
    start(c);
    EXPECT_EQ(launches[kFake], 2) << "new conditions: tried again";
    manager.stop(5s, 5s);

    c.always_try = kFake;
    const auto s = start(c);
    EXPECT_EQ(launches[kFake], 3) << "named for this call: tried despite the memory";
    EXPECT_EQ(s.attempts[0].result, AttemptResult::backend_unavailable);
}

TEST_F(SupervisorTest, ABackendRuledOutByDetectionIsNeitherPreparedNorLaunched) {
    ChainStart c;
    c.chain = {kCuda, kCpu};
    c.fingerprint = "fp1";
    c.not_viable = [](Backend b) -> std::optional<StartAttempt> {
        if (b != kCuda) return std::nullopt;
        return StartAttempt{b, AttemptResult::not_viable, Reason::library_missing, "libcuda.so.1 not found", {}};
    };
    const auto s = start(c);
    EXPECT_EQ(launches[kCuda], 0) << "prepare (install) was never called for it";
    ASSERT_EQ(s.attempts.size(), 2u);
    EXPECT_EQ(s.attempts[0].result, AttemptResult::not_viable);
    EXPECT_TRUE(memory.for_fingerprint("fp1").empty()) << "nothing to remember: detection knows it";
}

TEST_F(SupervisorTest, AModelThatCrashesEveryBackendIsNamedAndNothingIsRemembered) {
    auto bad = dir / "crashing.gguf";
    test::write_file(bad, "whatever");
    ChainStart c;
    fake = "model_crash";
    c.chain = {kFake};
    c.fingerprint = "fp1";
    try {
        supervisor.ensure_running(c,
                                  [&](Backend b) {
                                      auto s = spec_for(b);
                                      s.model = bad;
                                      return s;
                                  },
                                  {});
        FAIL() << "expected an error";
    } catch (const UserError& e) {
        EXPECT_NE(std::string(e.what()).find("the model crashing.gguf"), std::string::npos) << e.what();
    }
    EXPECT_TRUE(memory.for_fingerprint("fp1").empty()) << "not the backend's fault";
}

TEST_F(SupervisorTest, ACrashAfterTheBackendWorkedIsTheBackendsWhenTheSameModelStartsElsewhere) {
    fake = "model_crash";
    const auto s = start({kFake, kCpu});
    ASSERT_EQ(s.attempts.size(), 2u);
    EXPECT_EQ(s.attempts[0].result, AttemptResult::model_failed);
    EXPECT_EQ(s.attempts[1].result, AttemptResult::ready);
    EXPECT_TRUE(memory.find(kFake, "fp1", "").has_value()) << "cpu loaded the same model: the backend's fault";
}

TEST_F(SupervisorTest, AShortenedStartTimeoutIsNeverRemembered) {
    ChainStart c;
    fake = "hang";
    c.chain = {kFake, kCpu};
    c.fingerprint = "fp1";
    c.remember_timeouts = false;
    const auto s = start(c);
    EXPECT_EQ(s.attempts[0].result, AttemptResult::start_timeout);
    EXPECT_TRUE(memory.for_fingerprint("fp1").empty());
}

TEST_F(SupervisorTest, ARunningServerIsReusedOnlyWhenTheCheckAccepts) {
    auto first = start({kCpu});
    ASSERT_TRUE(first.server.started_now);
    first.in_use.reset();  // a client done with its request
    const auto record = load_server_record(home, first.server.pid);
    ASSERT_TRUE(record);
    EXPECT_EQ(record->backend, kCpu);
    EXPECT_EQ(record->model_name, "tsuku-synthetic-tiny-q8_0");

    ChainStart c;
    c.chain = {kCpu};
    c.fingerprint = "fp1";
    auto reused = start(c, [](const ServerRecord*, const std::string&) { return std::nullopt; });
    EXPECT_FALSE(reused.server.started_now);
    EXPECT_EQ(reused.server.pid, first.server.pid);
    reused.in_use.reset();

    const auto restarted =
        start(c, [](const ServerRecord*, const std::string&) { return std::optional<std::string>("asked"); });
    EXPECT_TRUE(restarted.server.started_now);
    EXPECT_NE(restarted.server.pid, first.server.pid);
    EXPECT_EQ(restarted.restarted_because, "asked");
    EXPECT_EQ(launches[kCpu], 2);
}
