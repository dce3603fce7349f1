// Where the CUDA runtime comes from (issue 14): a machine with the NVIDIA driver but no CUDA toolkit runs cuda with
// the release's cuda-runtime-13 package; one with the toolkit uses the system's copy; a release without the package
// rules cuda out before any download, naming the library. Fixture sysroots, canned probe results.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "platform/detect.h"
#include "platform/fixture.h"
#include "support/run_command.h"

using namespace tsuku;
using namespace tsuku::platform;
using tsuku::test::Fixture;
using tsuku::test::GiB;

namespace {

constexpr const char* kLibDir = "/usr/lib/x86_64-linux-gnu";

// Debian 12 with NVIDIA's driver packages and nothing of the CUDA toolkit.
Fixture driver_only() {
    Fixture f;
    f.os_release("debian", "12", "Debian GNU/Linux 12 (bookworm)")
        .pci("0000:01:00.0", 0x10de, 0x2684, 0x030000, "nvidia", true)
        .nvidia_driver("580.82.07")
        .file("/dev/nvidiactl", "")
        .ld_cache("debian.new")
        .library(kLibDir, "libcuda.so.1", "libcuda.so.580.82.07");
    return f;
}

BackendVerdict cuda_verdict(const Fixture& f, const PlatformPolicy& policy) {
    DetectOptions o;
    o.system = f.system({});
    const auto report = detect(policy, o);  // static evidence only: the probes do not run on a sysroot
    const auto probe =
        test::cuda_ok(13000, {test::cuda_device("NVIDIA GeForce RTX 4090", 8, 9, 24 * GiB, "0000:01:00.0")});
    for (auto& v : evaluate_backends(policy, report.evidence, not_run_outcome(ProbeKind::vulkan), probe)) {
        if (v.backend == Backend::cuda) return v;
    }
    ADD_FAILURE() << "no cuda verdict";
    return {};
}

TEST(CudaRuntime, DriverWithoutToolkitTakesTheRuntimeFromTheComponentPackage) {
    const auto v = cuda_verdict(driver_only(), builtin_linux_policy());
    EXPECT_TRUE(v.viable) << (v.reasons.empty() ? "" : v.reasons.front().detail);
    ASSERT_EQ(v.runtime.size(), 3u);
    for (const auto& r : v.runtime) {
        EXPECT_FALSE(r.system_path) << r.soname;
        EXPECT_TRUE(r.packaged) << r.soname;
        EXPECT_EQ(r.where(), "the cuda-runtime-13 package");
    }
    EXPECT_EQ(v.runtime[0].soname, "libcudart.so.13");
}

TEST(CudaRuntime, ToolkitOnTheSystemIsUsedInsteadOfTheDownload) {
    Fixture f = driver_only();
    for (const char* so : {"libcudart.so.13", "libcublas.so.13", "libcublasLt.so.13"}) {
        f.library(kLibDir, so, std::string(so) + ".0.88");
    }
    const auto v = cuda_verdict(f, builtin_linux_policy());
    EXPECT_TRUE(v.viable);
    ASSERT_EQ(v.runtime.size(), 3u);
    EXPECT_EQ(v.runtime[0].system_path, std::string(kLibDir) + "/libcudart.so.13");
    EXPECT_EQ(v.runtime[0].where(), std::string(kLibDir) + "/libcudart.so.13 (system)");
}

TEST(CudaRuntime, NoPackageAndNoSystemCopyRulesCudaOutNamingTheLibrary) {
    PlatformPolicy policy = builtin_linux_policy();
    for (auto& lib : policy.requirements[Backend::cuda].runtime_libraries) lib.packaged = false;
    Fixture f = driver_only();
    f.library(kLibDir, "libcudart.so.13", "libcudart.so.13.0.88");  // one of three is there
    const auto v = cuda_verdict(f, policy);
    EXPECT_FALSE(v.viable);
    ASSERT_EQ(v.reasons.size(), 1u);
    EXPECT_EQ(v.reasons[0].reason, Reason::library_missing);
    EXPECT_NE(v.reasons[0].detail.find("libcublas.so.13, libcublasLt.so.13 not found"), std::string::npos)
        << v.reasons[0].detail;
    EXPECT_NE(v.reasons[0].detail.find("this release has no package of cuda-runtime-13"), std::string::npos);
    EXPECT_EQ(v.runtime[0].where(), std::string(kLibDir) + "/libcudart.so.13 (system)");
    EXPECT_EQ(v.runtime[1].where(), "missing");
}

// The real CLI with the manifest compiled into it: this build packs the runtime when the toolkit is there.
TEST(CudaRuntime, DetectShowsWhereEachRuntimeLibraryComesFrom) {
    const Fixture f = driver_only();
    const auto r = test::run_command({TSUKU_TEST_CLI, "llm", "detect", "--json", "--sysroot", f.root().string()});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto j = nlohmann::json::parse(r.out);
    const nlohmann::json* cuda = nullptr;
    for (const auto& b : j["backends"]) {
        if (b["name"] == "cuda") cuda = &b;
    }
    ASSERT_NE(cuda, nullptr);
    ASSERT_EQ((*cuda)["runtime"].size(), 3u) << cuda->dump();
    const auto text = test::run_command({TSUKU_TEST_CLI, "llm", "detect", "--sysroot", f.root().string()});
    const auto manifest = nlohmann::json::parse(test::run_command({TSUKU_TEST_CLI, "llm", "manifest", "--json"}).out);
    const bool packaged = manifest["components"]["cuda-runtime-13"].contains("platforms");
    for (const auto& rt : (*cuda)["runtime"]) {
        EXPECT_EQ(rt["component"], "cuda-runtime-13");
        EXPECT_EQ(rt["source"], packaged ? "package" : "missing") << rt.dump();
    }
    EXPECT_NE(text.out.find(packaged ? "runtime libcudart.so.13: the cuda-runtime-13 package"
                                     : "runtime libcudart.so.13: missing"),
              std::string::npos)
        << text.out;
}

}  // namespace
