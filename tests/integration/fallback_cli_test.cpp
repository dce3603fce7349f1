// Automatic fallback through the real CLI: the real cuda variant (no NVIDIA driver here) and the real vulkan variant
// (lavapipe only, software devices not allowed) fail with exit 78 and tsuku serves on cpu, saying so once.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "integration/cli_fixture.h"

using nlohmann::json;

namespace {
class FallbackCli : public tsuku::test::TsukuCli {};
}  // namespace

TEST_F(FallbackCli, CudaRuledOutByDetectionFallsBackToCpuNamingLibcuda) {
    // Detection already knows libcuda.so.1 is missing: the variant is neither downloaded nor launched.
    ASSERT_EQ(tsuku({"config", "set", "llm.backend", "cuda"}).exit_code, 0);
    auto r = tsuku({"llm", "complete", "hello", "--max-tokens", "3"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.err.find("the cuda backend cannot run here (library_missing)"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("libcuda.so.1"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("running on cpu instead"), std::string::npos) << r.err;

    const auto status = json::parse(tsuku({"llm", "status", "--json"}).out);
    EXPECT_EQ(status["backend"], "cpu");
    ASSERT_EQ(status["last_start"].size(), 2u);
    EXPECT_EQ(status["last_start"][0]["backend"], "cuda");
    EXPECT_EQ(status["last_start"][0]["result"], "not_viable");
    EXPECT_EQ(status["last_start"][0]["reason"], "library_missing");
}

TEST_F(FallbackCli, VulkanWithoutSoftwareDevicePermissionFallsBackToCpu) {
    ASSERT_EQ(tsuku({"config", "set", "llm.backend", "vulkan"}).exit_code, 0);
    const auto r = tsuku({"llm", "complete", "hello", "--max-tokens", "3"}, {{"TSUKU_LLM_ALLOW_SOFTWARE_DEVICES", ""}});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.err.find("software_device_only"), std::string::npos) << r.err;
    EXPECT_EQ(json::parse(tsuku({"llm", "status", "--json"}).out)["backend"], "cpu");
}

TEST_F(FallbackCli, FallbackOffIsAClearErrorAndNothingServes) {
    ASSERT_EQ(tsuku({"config", "set", "llm.backend", "cuda"}).exit_code, 0);
    ASSERT_EQ(tsuku({"config", "set", "llm.fallback", "off"}).exit_code, 0);
    const auto r = tsuku({"llm", "complete", "hello", "--max-tokens", "3"});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("libcuda.so.1"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("llm.fallback"), std::string::npos) << r.err;
    EXPECT_FALSE(json::parse(tsuku({"llm", "status", "--json"}).out)["running"].get<bool>());
}

TEST_F(FallbackCli, DetectShowsTheChainAndTheModelChoice) {
    const auto r = tsuku({"llm", "detect", "--json"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto j = json::parse(r.out);
    ASSERT_EQ(j["chain"].size(), 1u);
    EXPECT_EQ(j["chain"][0], "cpu");
    EXPECT_NE(j["model"]["name"].get<std::string>().find("tsuku-synthetic"), std::string::npos) << j["model"];
    EXPECT_NE(j["model"]["why"].get<std::string>().find("MemAvailable"), std::string::npos) << j["model"];
}
