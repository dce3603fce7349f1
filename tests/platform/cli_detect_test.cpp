// `tsuku llm detect` end to end: the real binary, its own TSUKU_HOME, the detection cache, --sysroot fixtures,
// --backend, and faults injected into the real probe program.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "platform/fixture.h"
#include "support/paths.h"
#include "support/run_command.h"
#include "support/temp_dir.h"

namespace fs = std::filesystem;
using nlohmann::json;
using tsuku::test::CommandResult;

namespace {

class DetectCli : public ::testing::Test {
protected:
    CommandResult tsuku(std::vector<std::string> args, std::map<std::string, std::string> env = {}) {
        args.insert(args.begin(), tsuku::test::kCli);
        env["TSUKU_HOME"] = home.path().string();
        return tsuku::test::run_command(args, env);
    }
    json detect_json(std::vector<std::string> extra = {}, std::map<std::string, std::string> env = {}) {
        std::vector<std::string> args{"llm", "detect", "--json"};
        args.insert(args.end(), extra.begin(), extra.end());
        const auto r = tsuku(args, env);
        EXPECT_EQ(r.exit_code, 0) << r.err;
        return json::parse(r.out);
    }
    fs::path cache_file() const { return home.path() / "state" / "detection.json"; }
    tsuku::test::TempDir home;
};

std::vector<std::string> reason_codes(const json& report, const std::string& backend) {
    for (const auto& b : report["backends"]) {
        if (b["name"] == backend) {
            std::vector<std::string> out;
            for (const auto& r : b["reasons"]) out.push_back(r["code"]);
            return out;
        }
    }
    return {"(no such backend)"};
}

bool contains(const std::vector<std::string>& v, const std::string& s) {
    return std::find(v.begin(), v.end(), s) != v.end();
}

}  // namespace

TEST_F(DetectCli, JsonCarriesEveryPartOfTheReport) {
    const auto j = detect_json();
    for (const char* key :
         {"platform", "gpus", "drivers", "libraries", "vulkan", "cuda", "backends", "chain", "fingerprint", "cache"}) {
        EXPECT_TRUE(j.contains(key)) << key;
    }
    EXPECT_EQ(j["platform"], "linux-amd64");
    EXPECT_TRUE(j["libraries"].contains("libcuda.so.1"));
    EXPECT_TRUE(j["libraries"].contains("libvulkan.so.1"));
    EXPECT_EQ(j["chain"].back(), "cpu");
    EXPECT_EQ(j["fingerprint"].get<std::string>().size(), 16u);
    for (const auto& b : j["backends"]) {
        EXPECT_TRUE(b.contains("name") && b.contains("viable") && b.contains("reasons")) << b;
        EXPECT_EQ(b["viable"].get<bool>(), b["reasons"].empty()) << b;
        for (const auto& r : b["reasons"]) EXPECT_FALSE(r["message"].get<std::string>().empty());
    }
    for (const auto& g : j["gpus"]) {
        for (const char* key : {"vendor", "vendor_id", "device_id", "pci_address", "driver", "integrated"}) {
            EXPECT_TRUE(g.contains(key)) << key;
        }
    }
}

TEST_F(DetectCli, TheCacheIsHitUntilTheEvidenceChanges) {
    const auto first = detect_json();
    EXPECT_EQ(first["cache"], "miss");
    if (first["probes"] != "ran") GTEST_SKIP() << "nothing to probe here: " << first["probes"];
    ASSERT_TRUE(fs::exists(cache_file()));

    const auto second = detect_json();
    EXPECT_EQ(second["cache"], "hit");
    EXPECT_EQ(second["probes"], "cached");
    EXPECT_EQ(second["fingerprint"], first["fingerprint"]);
    EXPECT_EQ(second["vulkan"], first["vulkan"]);
    EXPECT_EQ(second["chain"], first["chain"]);

    EXPECT_EQ(detect_json({"--refresh"})["cache"], "refresh");

    // A corrupt cache is a miss, and is replaced.
    tsuku::test::write_file(cache_file(), "{ not json");
    EXPECT_EQ(detect_json()["cache"], "miss");
    EXPECT_EQ(detect_json()["cache"], "hit");

    // New evidence (a libcuda.so.1 appears): another fingerprint, so the probes run again.
    if (std::string_view(TSUKU_PLATFORM_CUDA_STUB).empty()) return;
    tsuku::test::TempDir stub;
    fs::create_symlink(TSUKU_PLATFORM_CUDA_STUB, stub / "libcuda.so.1");
    const auto changed = detect_json({}, {{"LD_LIBRARY_PATH", stub.path().string()}});
    EXPECT_EQ(changed["cache"], "miss");
    EXPECT_NE(changed["fingerprint"], first["fingerprint"]);
    EXPECT_EQ(changed["cuda"]["result"]["error"]["code_name"], "CUDA_ERROR_STUB_LIBRARY");
    EXPECT_TRUE(contains(reason_codes(changed, "cuda"), "library_missing"));
}

TEST_F(DetectCli, SysrootReadsAFixtureAndSaysTheProbesDidNotRun) {
    tsuku::test::Fixture f;
    f.os_release("fedora", "42", "Fedora Linux 42")
        .pci("0000:01:00.0", 0x10de, 0x2684, 0x030000, "nvidia", true)
        .nvidia_driver("580.65.06")
        .ld_cache("fedora.new")
        .library("/usr/lib64", "libcuda.so.1", "libcuda.so.580.65.06")
        .library("/usr/lib64", "libvulkan.so.1", "libvulkan.so.1.4.313");
    const auto j = detect_json({"--sysroot", f.root().string()});
    EXPECT_EQ(j["sysroot"], fs::canonical(f.root()).string());
    EXPECT_NE(j["probes"].get<std::string>().find("--sysroot"), std::string::npos) << j["probes"];
    EXPECT_EQ(j["vulkan"]["status"], "not_run");
    EXPECT_EQ(j["cuda"]["status"], "not_run");
    EXPECT_EQ(j["libraries"]["libcuda.so.1"], "/usr/lib64/libcuda.so.1");
    EXPECT_EQ(j["gpus"][0]["vendor"], "nvidia");
    EXPECT_EQ(j["gpus"][0]["vendor_id"], "0x10de");
    EXPECT_EQ(j["gpus"][0]["pci_address"], "0000:01:00.0");
    EXPECT_EQ(j["drivers"][0]["version"], "580.65.06");
    EXPECT_EQ(j["drivers"][0]["max_cuda"], "13.0");
    EXPECT_EQ(reason_codes(j, "cuda"), std::vector<std::string>{"unprobed"});
    EXPECT_EQ(j["chain"], json::array({"cpu"}));
    EXPECT_FALSE(fs::exists(cache_file()));  // a fixture never touches this machine's cache

    const auto text = tsuku({"llm", "detect", "--sysroot", f.root().string()});
    ASSERT_EQ(text.exit_code, 0) << text.err;
    for (const char* s :
         {"GPUs", "0000:01:00.0", "580.65.06", "/usr/lib64/libcuda.so.1", "Backends", "unprobed", "chain     cpu"}) {
        EXPECT_NE(text.out.find(s), std::string::npos) << s << "\n" << text.out;
    }
}

TEST_F(DetectCli, NoProbeKeepsToStaticEvidence) {
    const auto j = detect_json({"--no-probe"});
    EXPECT_EQ(j["vulkan"]["status"], "not_run");
    EXPECT_NE(j["vulkan"]["cause"].get<std::string>().find("--no-probe"), std::string::npos);
    EXPECT_FALSE(fs::exists(cache_file()));
}

TEST_F(DetectCli, BackendFlagPutsItFirst) {
    const auto j = detect_json({"--backend", "vulkan", "--no-probe"});
    EXPECT_EQ(j["chain"], json::array({"vulkan", "cpu"}));
    EXPECT_EQ(j["forced"], "vulkan");
    auto r = tsuku({"llm", "detect", "--backend", "metal"});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("--backend metal: this platform (linux-amd64) has no metal backend"), std::string::npos)
        << r.err;
    r = tsuku({"llm", "detect", "--backend", "tpu"});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("has no tpu backend"), std::string::npos) << r.err;
}

TEST_F(DetectCli, TheConfigChoosesTheBackendAndTheFlagOverridesIt) {
    ASSERT_EQ(tsuku({"config", "set", "llm.backend", "vulkan"}).exit_code, 0);
    auto j = detect_json({"--no-probe"});
    EXPECT_EQ(j["chain"], json::array({"vulkan", "cpu"}));
    EXPECT_EQ(j["forced_by"], "llm.backend");
    EXPECT_EQ(detect_json({"--no-probe", "--backend", "cuda"})["chain"], json::array({"cuda", "cpu"}));

    ASSERT_EQ(tsuku({"config", "set", "llm.fallback", "off"}).exit_code, 0);
    j = detect_json({"--no-probe"});
    EXPECT_EQ(j["chain"], json::array({"vulkan"}));  // no automatic fallback: cpu is not behind it
    EXPECT_FALSE(j["fallback"].get<bool>());
}

TEST_F(DetectCli, ABrokenDriverProbeLeavesDetectTruthful) {
    auto j = detect_json({"--refresh"}, {{"TSUKU_PROBE_FAULT", "vulkan:crash"}});
    if (j["libraries"]["libvulkan.so.1"].is_null()) GTEST_SKIP() << "no Vulkan loader here";
    EXPECT_EQ(j["vulkan"]["status"], "crashed");
    EXPECT_EQ(j["vulkan"]["last_stage"], "injected crash");
    EXPECT_TRUE(contains(reason_codes(j, "vulkan"), "probe_failed"));
    EXPECT_EQ(j["chain"].back(), "cpu");

    j = detect_json({"--refresh", "--probe-timeout", "300ms"}, {{"TSUKU_PROBE_FAULT", "vulkan:hang"}});
    EXPECT_EQ(j["vulkan"]["status"], "timed_out");
    EXPECT_NE(j["vulkan"]["cause"].get<std::string>().find("hung"), std::string::npos);
}

TEST_F(DetectCli, TheProbeCommandIsHidden) {
    const auto r = tsuku({"--help"});
    EXPECT_EQ(r.out.find("__probe"), std::string::npos) << r.out;
    const auto d = tsuku({"llm", "--help"});
    EXPECT_NE(d.out.find("detect"), std::string::npos) << d.out;
}
