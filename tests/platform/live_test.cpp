// This machine, for real: the probes run in child processes of the real `tsuku __probe`. The expected machine has
// lavapipe as its only Vulkan device and a CUDA toolkit without a driver (see the issue); elsewhere these skip.
// Also: hanging and crashing probes (injected) leave detection fast and truthful, and the toolkit's stub libcuda
// answers with its own error.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "platform/detect.h"
#include "support/paths.h"
#include "support/run_command.h"
#include "support/temp_dir.h"

namespace fs = std::filesystem;
using namespace tsuku;
using namespace tsuku::platform;
using namespace std::chrono_literals;

namespace {

bool has_gpu() {
    for (const auto& g : scan_pci_gpus(SystemRoot{})) {
        if (g.vendor != GpuVendor::other) return true;
    }
    return fs::exists("/dev/dxg");
}

DetectOptions live(std::vector<std::string> command, std::map<std::string, std::string> env = {}) {
    DetectOptions o;
    o.system = SystemRoot{"/", env.empty() ? Environment::process() : Environment::fixed(env), {}};
    o.probe.command = std::move(command);
    return o;
}

// A folder whose libcuda.so.1 is the CUDA toolkit's stub (it loads; every call answers CUDA_ERROR_STUB_LIBRARY).
struct StubDir {
    test::TempDir dir;
    StubDir() { fs::create_symlink(TSUKU_PLATFORM_CUDA_STUB, dir / "libcuda.so.1"); }
};

bool have_stub() { return std::string_view(TSUKU_PLATFORM_CUDA_STUB).size() > 0; }

}  // namespace

TEST(Live, LavapipeIsNotAnAcceleratorAndAToolkitIsNotADriver) {
    if (has_gpu()) GTEST_SKIP() << "this machine has a GPU";
    const auto r = detect(builtin_linux_policy(), live({test::kCli, "__probe"}));
    if (!r.evidence.library("libvulkan.so.1")->path) GTEST_SKIP() << "no Vulkan loader here";

    ASSERT_TRUE(r.vulkan.ok()) << r.vulkan.cause;
    const auto& devices = r.vulkan.vulkan->devices;
    ASSERT_FALSE(devices.empty());
    const auto llvmpipe = std::find_if(devices.begin(), devices.end(), [](const VulkanDevice& d) {
        return d.name.find("llvmpipe") != std::string::npos;
    });
    ASSERT_NE(llvmpipe, devices.end());
    EXPECT_EQ(llvmpipe->type, "cpu");
    EXPECT_GT(llvmpipe->device_local_bytes, 0u);
    ASSERT_FALSE(llvmpipe->heaps.empty());
    EXPECT_GT(llvmpipe->heaps[0].size, 0u);
    EXPECT_FALSE(llvmpipe->api_version.empty());

    const auto* vulkan = r.verdict(Backend::vulkan);
    EXPECT_FALSE(vulkan->viable);
    EXPECT_TRUE(vulkan->has(Reason::software_device_only));

    const auto* cuda = r.verdict(Backend::cuda);
    EXPECT_FALSE(cuda->viable);
    ASSERT_TRUE(cuda->has(Reason::library_missing));
    EXPECT_NE(cuda->reasons.front().detail.find("libcuda.so.1"), std::string::npos) << cuda->reasons.front().detail;
    EXPECT_EQ(r.cuda.status, ProbeOutcome::Status::not_run);

    EXPECT_EQ(r.chain, std::vector<Backend>{Backend::cpu});
}

TEST(Live, HangingProbesAreKilledAndReported) {
    std::map<std::string, std::string> env{{"PATH", "/usr/bin:/bin"}};
    StubDir stub;  // so that both probes are asked for
    if (have_stub()) env["LD_LIBRARY_PATH"] = stub.dir.path().string();
    auto o = live({"/bin/sh", "-c", "echo 'tsuku-probe: stage vkCreateInstance' >&2; sleep 60", "sh"}, env);
    o.probe.timeout = 300ms;
    const auto r = detect(builtin_linux_policy(), o);
    if (!r.evidence.library("libvulkan.so.1")->path) GTEST_SKIP() << "no Vulkan loader here";
    EXPECT_EQ(r.vulkan.status, ProbeOutcome::Status::timed_out);
    EXPECT_EQ(r.vulkan.last_stage, "vkCreateInstance");
    EXPECT_NE(r.vulkan.cause.find("hung in vkCreateInstance"), std::string::npos) << r.vulkan.cause;
    EXPECT_TRUE(r.verdict(Backend::vulkan)->has(Reason::probe_failed));
    if (have_stub()) {
        EXPECT_EQ(r.cuda.status, ProbeOutcome::Status::timed_out);
        EXPECT_TRUE(r.verdict(Backend::cuda)->has(Reason::probe_failed));
    }
    EXPECT_EQ(r.chain, std::vector<Backend>{Backend::cpu});
}

TEST(Live, CrashingProbesAreReportedWithTheSignal) {
    auto o = live({"/bin/sh", "-c", "kill -SEGV $$", "sh"});
    const auto r = detect(builtin_linux_policy(), o);
    if (!r.evidence.library("libvulkan.so.1")->path) GTEST_SKIP() << "no Vulkan loader here";
    EXPECT_EQ(r.vulkan.status, ProbeOutcome::Status::crashed);
    EXPECT_NE(r.vulkan.cause.find("SIGSEGV"), std::string::npos) << r.vulkan.cause;
    EXPECT_FALSE(r.verdict(Backend::vulkan)->viable);
    EXPECT_TRUE(r.verdict(Backend::cpu)->viable);
}

TEST(Live, TheRealProbeProgramMisbehavingIsContainedToo) {
    for (const auto& [fault, status] : std::vector<std::pair<std::string, ProbeOutcome::Status>>{
             {"vulkan:hang", ProbeOutcome::Status::timed_out},
             {"vulkan:crash", ProbeOutcome::Status::crashed},
             {"vulkan:garbage", ProbeOutcome::Status::bad_output}}) {
        auto o = live({test::kCli, "__probe"});
        o.probe.env = {{"TSUKU_PROBE_FAULT", fault}};
        o.probe.timeout = 500ms;
        const auto r = detect(builtin_linux_policy(), o);
        if (!r.evidence.library("libvulkan.so.1")->path) GTEST_SKIP() << "no Vulkan loader here";
        EXPECT_EQ(r.vulkan.status, status) << fault << ": " << r.vulkan.cause;
        EXPECT_TRUE(r.verdict(Backend::vulkan)->has(Reason::probe_failed)) << fault;
        if (status != ProbeOutcome::Status::bad_output) {
            EXPECT_EQ(r.vulkan.last_stage, "injected " + fault.substr(7));
        }
    }
}

TEST(Live, TheToolkitStubAnswersWithItsOwnError) {
    if (!have_stub()) GTEST_SKIP() << "no CUDA toolkit stub here";
    StubDir stub;
    const auto r = test::run_command({test::kCli, "__probe", "cuda"}, {{"LD_LIBRARY_PATH", stub.dir.path().string()}});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto j = nlohmann::json::parse(r.out);
    EXPECT_EQ(j["library"], (stub.dir / "libcuda.so.1").string());
    EXPECT_EQ(j["error"]["stage"], "cuInit");
    EXPECT_EQ(j["error"]["code"], 34);
    EXPECT_EQ(j["error"]["code_name"], "CUDA_ERROR_STUB_LIBRARY");
    EXPECT_NE(j["error"]["message"].get<std::string>().find("stub"), std::string::npos);
    // The stub cannot describe its own error either (cuGetErrorString answers 34): the text says it is ours.
    EXPECT_FALSE(j["error"]["text_from_runtime"].get<bool>());

    // Detection turns it into a verdict: a stub is not the driver.
    auto o = live({test::kCli, "__probe"}, {{"LD_LIBRARY_PATH", stub.dir.path().string()}});
    const auto d = detect(builtin_linux_policy(), o);
    EXPECT_EQ(d.evidence.library("libcuda.so.1")->source, "LD_LIBRARY_PATH");
    EXPECT_TRUE(d.cuda.completed());
    ASSERT_TRUE(d.verdict(Backend::cuda)->has(Reason::library_missing));
    EXPECT_NE(d.verdict(Backend::cuda)->reasons.front().detail.find("stub"), std::string::npos);
    EXPECT_FALSE(d.verdict(Backend::cuda)->viable);
}

TEST(Live, WithoutTheDriverLibraryTheCudaProbeSaysWhyDlopenFailed) {
    const auto r = test::run_command({test::kCli, "__probe", "cuda", "--library", "/nonexistent/libcuda.so.1"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto j = nlohmann::json::parse(r.out);
    EXPECT_EQ(j["error"]["stage"], "dlopen");
    EXPECT_NE(j["error"]["message"].get<std::string>().find("/nonexistent/libcuda.so.1"), std::string::npos);
}
