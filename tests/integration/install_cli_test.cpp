// `tsuku llm install` and the verification before launch, through the real CLI, against a real HTTP server on
// loopback serving the release folder (the mirror) and the default file:// release folder.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "integration/cli_fixture.h"
#include "support/http_server.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

class InstallCli : public tsuku::test::TsukuCli {};

size_t count_fetches(const tsuku::test::HttpServer& server, const std::string& needle) {
    size_t n = 0;
    for (const auto& r : server.requests()) n += r.value("path", "").find(needle) != std::string::npos;
    return n;
}

}  // namespace

TEST_F(InstallCli, InstallsTheHeadOfTheChainFromAMirrorOverLoopback) {
    tsuku::test::HttpServer server(tsuku::test::kReleaseDir);
    const std::map<std::string, std::string> mirror{{"TSUKU_LLM_MIRROR", server.url("ok")}};
    auto r = tsuku({"llm", "install", "--yes", "--json"}, mirror);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto j = json::parse(r.out);
    EXPECT_EQ(j["variant"]["backend"], "cpu") << "this machine's chain is [cpu]";
    EXPECT_TRUE(j["variant"]["installed_now"].get<bool>());
    EXPECT_TRUE(fs::exists(variant_dir("cpu") / "tsuku-llm"));
    EXPECT_EQ(count_fetches(server, "linux-amd64-cpu.tar.zst"), 1u);

    r = tsuku({"llm", "install", "--yes", "--json"}, mirror);  // already there: verified, nothing fetched
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_FALSE(json::parse(r.out)["variant"]["installed_now"].get<bool>());
    EXPECT_EQ(count_fetches(server, "linux-amd64-cpu.tar.zst"), 1u);
}

TEST_F(InstallCli, NetworkDownloadsNeedConsentWithoutATerminal) {
    tsuku::test::HttpServer server(tsuku::test::kReleaseDir);
    const std::map<std::string, std::string> mirror{{"TSUKU_LLM_MIRROR", server.url("ok")}};
    auto r = tsuku({"llm", "install", "--backend", "vulkan"}, mirror);
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("--yes"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("llm.allow_downloads"), std::string::npos) << r.err;
    EXPECT_FALSE(fs::exists(variant_dir("vulkan")));
    EXPECT_EQ(count_fetches(server, "tar.zst"), 0u) << "nothing is fetched before consent";

    ASSERT_EQ(tsuku({"config", "set", "llm.allow_downloads", "true"}).exit_code, 0);
    r = tsuku({"llm", "install", "--backend", "vulkan"}, mirror);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_TRUE(fs::exists(variant_dir("vulkan") / "libggml-vulkan.so"));
}

TEST_F(InstallCli, CorruptedMirrorIsRefusedAndNothingIsInstalled) {
    tsuku::test::HttpServer server(tsuku::test::kReleaseDir);
    auto r = tsuku({"llm", "install", "--backend", "cpu", "--yes"}, {{"TSUKU_LLM_MIRROR", server.url("corrupt/5000")}});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("sha256"), std::string::npos) << r.err;
    EXPECT_FALSE(fs::exists(variant_dir("cpu")));
}

TEST_F(InstallCli, EveryVariantInstallsAndVerifies) {
    for (const char* b : {"cpu", "vulkan", "cuda"}) {
        const auto r = tsuku({"llm", "install", "--backend", b, "--json"});  // file:// release folder: no consent
        ASSERT_EQ(r.exit_code, 0) << b << ": " << r.err;
        EXPECT_TRUE(json::parse(r.out)["variant"]["verified"].get<bool>());
    }
    EXPECT_TRUE(fs::exists(variant_dir("cuda") / "libggml-cuda.so"));
    auto r = tsuku({"llm", "uninstall", "--backend", "vulkan"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_FALSE(fs::exists(variant_dir("vulkan")));
    EXPECT_TRUE(fs::exists(variant_dir("cuda")));
}

TEST_F(InstallCli, ATamperedBinaryIsCaughtBeforeLaunchAndAReinstallMends) {
    ASSERT_EQ(tsuku({"llm", "install", "--backend", "cpu"}).exit_code, 0);
    {
        std::ofstream append(variant_dir("cpu") / "tsuku-llm", std::ios::app | std::ios::binary);
        append << "#";  // one extra byte
    }
    auto r = tsuku({"llm", "complete", "hello", "--max-tokens", "2"});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("modified after installation"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("--reinstall"), std::string::npos) << r.err;
    EXPECT_FALSE(json::parse(tsuku({"llm", "status", "--json"}).out)["running"].get<bool>()) << "never launched";

    ASSERT_EQ(tsuku({"llm", "install", "--backend", "cpu", "--reinstall"}).exit_code, 0);
    r = tsuku({"llm", "complete", "hello", "--max-tokens", "2"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
}

TEST_F(InstallCli, AnUnlistedLibraryInAVariantIsRefused) {
    ASSERT_EQ(tsuku({"llm", "install", "--backend", "cpu"}).exit_code, 0);
    tsuku::test::write_file(variant_dir("cpu") / "libggml-evil.so", "not a library");
    const auto r = tsuku({"llm", "complete", "hello", "--max-tokens", "2"});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("libggml-evil.so"), std::string::npos) << r.err;
}

TEST_F(InstallCli, ManifestListsTheThreeVariantsWithRealSizes) {
    auto r = tsuku({"llm", "manifest", "--json"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto j = json::parse(r.out);
    for (const char* b : {"cpu", "vulkan", "cuda"}) {
        const auto& v = j["platforms"]["linux-amd64"]["variants"][b];
        const fs::path file = fs::path(tsuku::test::kReleaseDir) /
                              v["url"].get<std::string>().substr(v["url"].get<std::string>().rfind('/') + 1);
        EXPECT_EQ(v["size"].get<uint64_t>(), fs::file_size(file)) << b;
    }
    r = tsuku({"llm", "manifest"});
    EXPECT_NE(r.out.find("cuda: tsuku-llm-"), std::string::npos) << r.out;
}
