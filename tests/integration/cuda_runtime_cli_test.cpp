// The CUDA runtime ships as the release's cuda-runtime-13 package (issue 14). On a machine with the NVIDIA driver but
// no CUDA toolkit — here: NVIDIA's stub libcuda.so.1 on LD_LIBRARY_PATH, and the toolkit's folders hidden by a
// private mount namespace — `tsuku llm install --backend cuda` installs and verifies the variant and the component,
// and the installed server loads the component's cudart/cuBLAS (the dynamic loader's own trace says so), then exits
// 78 with the stub's words.
#include <sys/wait.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "integration/cli_fixture.h"

namespace fs = std::filesystem;
using nlohmann::json;
using tsuku::test::TsukuCli;

namespace {

constexpr const char* kToolkit = "/usr/local/cuda-13.0";

// argv run with the CUDA toolkit hidden (an empty tmpfs over its folder, in a private mount namespace), or as is
// when this machine cannot make one (then `hidden` is false).
std::vector<std::string> without_toolkit(std::vector<std::string> argv, bool& hidden) {
    hidden = fs::exists(kToolkit) && tsuku::test::run_command({"/usr/bin/unshare", "--mount", "sh", "-c",
                                                               std::string("mount -t tmpfs none ") + kToolkit})
                                             .exit_code == 0;
    if (!hidden) return argv;
    std::vector<std::string> wrapped{"/usr/bin/unshare",
                                     "--mount",
                                     "sh",
                                     "-c",
                                     std::string("mount -t tmpfs none ") + kToolkit + " && exec \"$@\"",
                                     "sh"};
    wrapped.insert(wrapped.end(), argv.begin(), argv.end());
    return wrapped;
}

class CudaRuntimeCli : public TsukuCli {
protected:
    void SetUp() override {
        const auto manifest = json::parse(tsuku({"llm", "manifest", "--json"}).out);
        if (!manifest["components"]["cuda-runtime-13"].contains("platforms")) {
            GTEST_SKIP() << "this build found no CUDA toolkit to pack (TSUKU_PACK_CUDA_RUNTIME)";
        }
        if (std::string(tsuku::test::kCudaStub).empty()) GTEST_SKIP() << "no stubs/libcuda.so in the toolkit";
        // A copy, not a link: the toolkit's folder (where the stub lives) is hidden below.
        fs::create_directories(stub_dir);
        fs::copy_file(tsuku::test::kCudaStub, stub_dir / "libcuda.so.1");
    }
    fs::path stub_dir = home / "nvidia-driver";
};

TEST_F(CudaRuntimeCli, DriverWithoutToolkitInstallsTheComponentAndLoadsIt) {
    bool hidden = false;
    std::vector<std::string> install{tsuku::test::kCli, "llm", "install", "--backend", "cuda", "--json"};
    const std::map<std::string, std::string> env{{"TSUKU_HOME", home.path().string()},
                                                 {"LD_LIBRARY_PATH", stub_dir.string()}};
    const auto r = tsuku::test::run_command(without_toolkit(install, hidden), env);
    ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
    // Detection proved cuda cannot run with a stub; it is installed anyway because it was asked for, with a warning.
    EXPECT_NE(r.err.find("warning: the cuda backend cannot run here"), std::string::npos) << r.err;
    const auto j = json::parse(r.out);
    const fs::path component = home / "components" / "cuda-runtime-13" / "13.0";
    EXPECT_EQ(j["variant"]["installed_now"], true);
    ASSERT_EQ(j["variant"]["runtime"].size(), 1u) << r.out;
    if (hidden) {
        EXPECT_EQ(j["variant"]["runtime"][0], "cuda-runtime-13 13.0: the package in " + component.string());
    }
    for (const char* so : {"libcudart.so.13", "libcublas.so.13", "libcublasLt.so.13", "component.json"}) {
        EXPECT_TRUE(fs::is_regular_file(component / so)) << so;
    }
    if (!hidden) GTEST_SKIP() << "cannot hide the toolkit here (no mount namespace): the system's runtime is used";

    // The server, launched as tsuku launches it (the component first on LD_LIBRARY_PATH), with the loader's trace.
    // The stub would stop it at the CUDA pre-check, before any runtime loads: a stand-in driver that shows one
    // device (tests/support/fake_libcuda.cpp) lets it go on to load ggml-cuda and the runtime, which then fails.
    const fs::path server = variant_dir("cuda") / "tsuku-llm";
    const auto run = tsuku::test::run_command(
        without_toolkit(
            {server.string(), "serve", "--socket", (home / "s.sock").string(), "--model", tsuku::test::kTinyModel},
            hidden),
        {{"LD_LIBRARY_PATH", component.string() + ":" + tsuku::test::kFakeCudaDir},
         {"TSUKU_FAKE_CUDA_DEVICES", "1"},
         {"LD_DEBUG", "libs"}});
    EXPECT_EQ(run.exit_code, 78) << run.err.substr(run.err.size() > 4000 ? run.err.size() - 4000 : 0);
    for (const char* so : {"libcudart.so.13", "libcublas.so.13", "libcublasLt.so.13"}) {
        EXPECT_NE(run.err.find("calling init: " + (component / so).string()), std::string::npos) << so;
    }
    EXPECT_EQ(run.err.find("calling init: " + std::string(kToolkit)), std::string::npos);
    EXPECT_EQ(run.err.find("calling init: /usr/local/cuda/"), std::string::npos);
    EXPECT_NE(run.err.find("the CUDA runtime loaded but reports no devices"), std::string::npos)
        << "past the pre-check, the runtime's own refusal";

    // Verified once, remembered: the second install hashes nothing and says so.
    const auto again = tsuku::test::run_command(without_toolkit(install, hidden), env);
    ASSERT_EQ(again.exit_code, 0) << again.err;
    EXPECT_EQ(json::parse(again.out)["variant"]["installed_now"], false);
    const auto stamps = json::parse(std::ifstream(home / "state" / "verified-files.json"));
    EXPECT_TRUE(stamps.contains((component / "libcublasLt.so.13").string())) << stamps.dump();
}

// A changed library of the component is caught even though it was remembered as verified: its identity changed.
TEST_F(CudaRuntimeCli, AModifiedComponentLibraryIsRefusedDespiteTheRememberedVerification) {
    bool hidden = false;
    std::vector<std::string> install{tsuku::test::kCli, "llm", "install", "--backend", "cuda"};
    const std::map<std::string, std::string> env{{"TSUKU_HOME", home.path().string()},
                                                 {"LD_LIBRARY_PATH", stub_dir.string()}};
    ASSERT_EQ(tsuku::test::run_command(without_toolkit(install, hidden), env).exit_code, 0);
    if (!hidden) GTEST_SKIP() << "cannot hide the toolkit here: the component is not installed";
    const fs::path lib = home / "components" / "cuda-runtime-13" / "13.0" / "libcudart.so.13";
    {
        std::fstream f(lib, std::ios::in | std::ios::out | std::ios::binary);
        f.seekg(4096);
        const char c = static_cast<char>(f.get());
        f.seekp(4096);
        f.put(static_cast<char>(~c));  // one byte, really changed
    }
    const auto r = tsuku::test::run_command(without_toolkit(install, hidden), env);
    EXPECT_NE(r.exit_code, 0);
    EXPECT_NE(r.err.find(lib.string() + " was modified after installation"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("--reinstall"), std::string::npos) << r.err;
}

}  // namespace

namespace {

// From a network mirror, one question covers the variant and the component, with their total; without consent
// (no terminal, no --yes) nothing is downloaded and the refusal names both and the fix.
TEST_F(CudaRuntimeCli, OneConsentCoversTheVariantAndTheComponent) {
    bool hidden = false;
    const auto r =
        tsuku::test::run_command(without_toolkit({tsuku::test::kCli, "llm", "install", "--backend", "cuda"}, hidden),
                                 {{"TSUKU_HOME", home.path().string()},
                                  {"LD_LIBRARY_PATH", stub_dir.string()},
                                  {"TSUKU_LLM_MIRROR", "http://127.0.0.1:9/release"}});
    if (!hidden) GTEST_SKIP() << "cannot hide the toolkit here: the system's runtime makes the component moot";
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_NE(r.err.find("the cuda backend needs the cuda variant and the cuda-runtime-13 component ("),
              std::string::npos)
        << r.err;
    EXPECT_NE(r.err.find("MiB download from http://127.0.0.1:9/release/"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("tsuku llm install --backend cuda --yes"), std::string::npos) << r.err;
    EXPECT_FALSE(fs::exists(home / "components" / "cuda-runtime-13"));
    EXPECT_FALSE(fs::exists(variant_dir("cuda")));
}

}  // namespace
