// The backend start-up contract with real libraries and this machine's real drivers: lavapipe is the only Vulkan
// device (a CPU-type software renderer) and there is no NVIDIA driver, only the CUDA toolkit.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "common/exit_codes.h"
#include "support/grpc_calls.h"
#include "support/paths.h"
#include "support/run_command.h"
#include "support/server_harness.h"
#include "tsuku/llm/v1/inference.grpc.pb.h"

namespace fs = std::filesystem;
namespace v1 = tsuku::llm::v1;
using namespace std::chrono_literals;
using tsuku::lifecycle::StartOutcome;
using tsuku::test::ServerHarness;

namespace {

void expect_backend_unavailable(const tsuku::test::ServerRun& run, const ServerHarness& h, const std::string& backend,
                                const std::string& reason) {
    EXPECT_EQ(run.outcome.kind, StartOutcome::Kind::exited) << run.log;
    EXPECT_EQ(run.outcome.exit_code, tsuku::to_int(tsuku::ExitCode::backend_unavailable)) << run.log;
    ASSERT_TRUE(run.outcome.failed) << "no `failed` event on the notify fd:\n" << run.log;
    EXPECT_EQ(run.outcome.failed->code, "backend_unavailable");
    EXPECT_EQ(run.outcome.failed->backend, backend);
    EXPECT_EQ(run.outcome.failed->reason, reason) << run.outcome.failed->detail;
    EXPECT_FALSE(fs::exists(h.socket())) << "exit 78 must come before any socket exists";
    EXPECT_NE(run.log.find("tsuku config set llm.backend cpu"), std::string::npos) << "the fix is named:\n" << run.log;
}

}  // namespace

TEST(VulkanVariant, ServesOnLavapipeWhenSoftwareDevicesAreAllowed) {
    ServerHarness server(tsuku::test::kServerVulkan);
    auto run = server.start(tsuku::test::kTinyModel, {}, {{"TSUKU_LLM_ALLOW_SOFTWARE_DEVICES", "1"}});
    ASSERT_EQ(run.outcome.kind, StartOutcome::Kind::ready) << run.log;
    EXPECT_EQ(run.outcome.ready->backend, "vulkan");
    auto stub = tsuku::test::stub_for(server.socket());
    v1::CompletionResponse resp;
    auto s = tsuku::test::call_complete(*stub, tsuku::test::user_request("Hello from lavapipe", 6), &resp);
    ASSERT_TRUE(s.ok()) << s.error_message();
    EXPECT_GT(resp.usage().output_tokens(), 0);

    grpc::ClientContext c2;
    v1::StatusResponse st;
    ASSERT_TRUE(stub->GetStatus(&c2, v1::StatusRequest{}, &st).ok());
    EXPECT_EQ(st.backend(), "vulkan");
    // The VRAM figure is the lavapipe device's heap, as the variant itself reports its device.
    const auto version = tsuku::test::run_command({tsuku::test::kServerVulkan, "version", "--json"},
                                                  {{"TSUKU_LLM_ALLOW_SOFTWARE_DEVICES", "1"}});
    const auto j = nlohmann::json::parse(version.out);
    ASSERT_EQ(j["devices"].size(), 1u) << version.out;
    EXPECT_NE(j["devices"][0]["description"].get<std::string>().find("llvmpipe"), std::string::npos);
    EXPECT_GT(st.available_vram_bytes(), 0);
    EXPECT_EQ(st.available_vram_bytes(), j["devices"][0]["memory_free"].get<int64_t>());
}

TEST(VulkanVariant, SoftwareDeviceOnlyExits78BeforeAnySocket) {
    ServerHarness server(tsuku::test::kServerVulkan);
    auto run = server.start(tsuku::test::kTinyModel, {}, {{"TSUKU_LLM_ALLOW_SOFTWARE_DEVICES", ""}});
    expect_backend_unavailable(run, server, "vulkan", "software_device_only");
    EXPECT_NE(run.outcome.failed->detail.find("llvmpipe"), std::string::npos) << run.outcome.failed->detail;
}

TEST(CudaVariant, NoDriverExits78NamingLibcuda) {
    ServerHarness server(tsuku::test::kServerCuda);
    auto run = server.start(tsuku::test::kTinyModel);
    expect_backend_unavailable(run, server, "cuda", "library_missing");
    EXPECT_NE(run.outcome.failed->detail.find("libcuda.so.1"), std::string::npos) << run.outcome.failed->detail;
}

TEST(CudaVariant, StubDriverExits78WithTheDriversOwnWords) {
    if (std::string(tsuku::test::kCudaStub).empty()) {
        GTEST_SKIP() << "the CUDA toolkit's stubs/libcuda.so is not installed on this machine";
    }
    ServerHarness server(tsuku::test::kServerCuda);
    // NVIDIA's stub exposed as libcuda.so.1: it loads, and cuInit says why it cannot work.
    fs::create_symlink(tsuku::test::kCudaStub, server.dir() / "libcuda.so.1");
    auto run = server.start(tsuku::test::kTinyModel, {}, {{"LD_LIBRARY_PATH", server.dir().path().string()}});
    ASSERT_TRUE(run.outcome.failed) << run.log;
    EXPECT_TRUE(run.outcome.failed->reason == "no_device" || run.outcome.failed->reason == "init_failed")
        << run.outcome.failed->reason;
    expect_backend_unavailable(run, server, "cuda", run.outcome.failed->reason);
    EXPECT_NE(run.outcome.failed->detail.find("stub"), std::string::npos)
        << "the driver's own text: " << run.outcome.failed->detail;
}

TEST(Variants, VersionJsonReportsBackendAndDevices) {
    const auto r = tsuku::test::run_command({tsuku::test::kServerCuda, "version", "--json"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto j = nlohmann::json::parse(r.out);  // stdout is JSON only: logs go to stderr
    EXPECT_EQ(j["backend"], "cuda");
    EXPECT_FALSE(j["available"].get<bool>());
    EXPECT_EQ(j["reason"], "library_missing");
    EXPECT_TRUE(j["devices"].empty());
}
