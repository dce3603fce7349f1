// The backend start-up contract with real libraries and this machine's real drivers: lavapipe is the only Vulkan
// device (a CPU-type software renderer) and there is no NVIDIA driver, only the CUDA toolkit.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <algorithm>
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

namespace {

// What the cuda variant's own report says it mapped after its backend check, with `env`.
using Env = std::vector<std::pair<std::string, std::string>>;

nlohmann::json cuda_version_report(const Env& env) {
    const auto r = tsuku::test::run_command({tsuku::test::kServerCuda, "version", "--json"}, {env.begin(), env.end()});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return nlohmann::json::parse(r.out);
}

// The pre-check decided before ggml-cuda loaded: neither it nor the CUDA runtime libraries it needs were mapped.
void expect_no_cuda_runtime_mapped(const nlohmann::json& report) {
    const auto& mapped = report["mapped_libraries"];
    ASSERT_TRUE(mapped.is_array()) << report.dump();
    EXPECT_FALSE(mapped.empty()) << "the report lists the mapped libraries";
    for (const auto& lib : mapped) {
        const std::string name = lib;
        for (const char* runtime : {"libggml-cuda", "libcublas", "libcudart"}) {
            EXPECT_EQ(name.rfind(runtime, 0), std::string::npos) << name << " was mapped: " << report.dump();
        }
    }
}

}  // namespace

TEST(CudaVariant, StubDriverExits78BeforeGgmlCudaLoads) {
    if (std::string(tsuku::test::kCudaStub).empty()) {
        GTEST_SKIP() << "the CUDA toolkit's stubs/libcuda.so is not installed on this machine";
    }
    ServerHarness server(tsuku::test::kServerCuda);
    // NVIDIA's stub exposed as libcuda.so.1: it loads, and cuInit says it is a stub (CUDA_ERROR_STUB_LIBRARY). Like
    // detection, the variant calls that a missing driver library.
    fs::create_symlink(tsuku::test::kCudaStub, server.dir() / "libcuda.so.1");
    const Env env{{"LD_LIBRARY_PATH", server.dir().path().string()}};
    auto run = server.start(tsuku::test::kTinyModel, {}, env);
    expect_backend_unavailable(run, server, "cuda", "library_missing");
    EXPECT_NE(run.outcome.failed->detail.find("CUDA_ERROR_STUB_LIBRARY"), std::string::npos)
        << run.outcome.failed->detail;
    EXPECT_NE(run.outcome.failed->detail.find("stub"), std::string::npos) << run.outcome.failed->detail;

    const auto report = cuda_version_report(env);
    EXPECT_EQ(report["reason"], "library_missing") << report.dump();
    expect_no_cuda_runtime_mapped(report);
    // The stub itself was loaded (mapped under its own file's name: the link points at stubs/libcuda.so).
    const auto& mapped = report["mapped_libraries"];
    EXPECT_TRUE(std::any_of(mapped.begin(), mapped.end(), [](const auto& m) {
        return m.template get<std::string>().rfind("libcuda.so", 0) == 0;
    })) << report.dump();
}

// A driver that initialises but shows no device: what CUDA_VISIBLE_DEVICES=-1 does on a real NVIDIA machine (the
// fallback the GPU benchmark times). The stand-in driver is tests/support/fake_libcuda.cpp.
TEST(CudaVariant, DriverWithoutAVisibleDeviceExits78NoDeviceBeforeGgmlCudaLoads) {
    ServerHarness server(tsuku::test::kServerCuda);
    const Env env{{"LD_LIBRARY_PATH", tsuku::test::kFakeCudaDir}, {"CUDA_VISIBLE_DEVICES", "-1"}};
    auto run = server.start(tsuku::test::kTinyModel, {}, env);
    expect_backend_unavailable(run, server, "cuda", "no_device");
    EXPECT_NE(run.outcome.failed->detail.find("reports no device"), std::string::npos) << run.outcome.failed->detail;
    EXPECT_NE(run.outcome.failed->detail.find("CUDA_VISIBLE_DEVICES=-1"), std::string::npos)
        << "the setting that hides the devices is named: " << run.outcome.failed->detail;

    const auto report = cuda_version_report(env);
    EXPECT_EQ(report["reason"], "no_device") << report.dump();
    expect_no_cuda_runtime_mapped(report);

    // The same driver showing a device: past the pre-check, ggml-cuda loads the runtime and cuBLAS (which then fail
    // on this stand-in), and the report shows them, so the check above can tell the two apart.
    const auto past =
        cuda_version_report({{"LD_LIBRARY_PATH", tsuku::test::kFakeCudaDir}, {"TSUKU_FAKE_CUDA_DEVICES", "1"}});
    if (past["reason"] == "library_missing") GTEST_SKIP() << "no CUDA runtime on this machine: " << past["detail"];
    EXPECT_EQ(past["reason"], "no_device") << past.dump();
    EXPECT_NE(past["detail"].get<std::string>().find("CUDA runtime loaded"), std::string::npos) << past.dump();
    const auto& mapped = past["mapped_libraries"];
    for (const char* runtime : {"libggml-cuda.so", "libcublas.so.13"}) {
        EXPECT_NE(std::find(mapped.begin(), mapped.end(), runtime), mapped.end()) << runtime << ": " << past.dump();
    }
}

TEST(CudaVariant, DriverRefusingCuInitExits78WithTheCodesName) {
    struct Case {
        const char* code;
        const char* reason;
        const char* name;
    };
    for (const Case c : {Case{"100", "no_device", "CUDA_ERROR_NO_DEVICE"},
                         Case{"36", "driver_too_old", "CUDA_ERROR_CALL_REQUIRES_NEWER_DRIVER"},
                         Case{"803", "init_failed", "CUDA_ERROR_SYSTEM_DRIVER_MISMATCH"}}) {
        SCOPED_TRACE(c.code);
        ServerHarness server(tsuku::test::kServerCuda);
        const Env env{{"LD_LIBRARY_PATH", tsuku::test::kFakeCudaDir}, {"TSUKU_FAKE_CUDA_INIT", c.code}};
        auto run = server.start(tsuku::test::kTinyModel, {}, env);
        expect_backend_unavailable(run, server, "cuda", c.reason);
        EXPECT_NE(run.outcome.failed->detail.find(std::string("cuInit: ") + c.name), std::string::npos)
            << run.outcome.failed->detail;
        expect_no_cuda_runtime_mapped(cuda_version_report(env));
    }
}

// The real models' quantisation (Q4_K_M: Q4_K and Q6_K kernels) serves on every backend this machine can run: the
// CPU and lavapipe. (The cuda variant's kernels need a GPU: bench/gpu/run.sh runs the same type there.)
TEST(Variants, ServeTheRealModelsQuantisationOnEveryBackendHere) {
    for (const char* variant : {tsuku::test::kServerCpu, tsuku::test::kServerVulkan}) {
        SCOPED_TRACE(variant);
        ServerHarness server(variant);
        auto run = server.start(tsuku::test::kKQuantModel, {}, {{"TSUKU_LLM_ALLOW_SOFTWARE_DEVICES", "1"}});
        ASSERT_EQ(run.outcome.kind, StartOutcome::Kind::ready) << run.log;
        auto stub = tsuku::test::stub_for(server.socket());
        v1::CompletionResponse resp;
        auto s = tsuku::test::call_complete(*stub, tsuku::test::user_request("Say something", 8), &resp);
        ASSERT_TRUE(s.ok()) << s.error_message();
        EXPECT_GT(resp.usage().output_tokens(), 0);
        EXPECT_GT(resp.timing().generation_ms(), 0);
        EXPECT_GE(resp.timing().sampling_ms(), 0);
        EXPECT_LE(resp.timing().sampling_ms(), resp.timing().generation_ms()) << "sampling is part of generation";
    }
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
