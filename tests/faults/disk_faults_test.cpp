// Full disks and file-size limits while `tsuku llm install` downloads and extracts, through the real CLI against a
// real HTTP server on loopback. Every case: exit 1 with the OS's words and what to free where, no staging folder,
// and any previous install still verifies.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "faults/fault_support.h"
#include "integration/cli_fixture.h"
#include "support/http_server.h"

namespace fs = std::filesystem;
using namespace tsuku::test;

namespace {

constexpr uint64_t kMB = 1000 * 1000;

class DiskFaults : public TsukuCli {
protected:
    DiskFaults() : server(kReleaseDir) {}
    std::map<std::string, std::string> env(const fs::path& tsuku_home) const {
        return {{"TSUKU_HOME", tsuku_home.string()}, {"TSUKU_LLM_MIRROR", server.url("ok")}};
    }
    std::vector<std::string> cli(std::vector<std::string> args) const {
        args.insert(args.begin(), kCli);
        return args;
    }
    static fs::path version_dir(const fs::path& tsuku_home) {
        return tsuku_home / "tools" / "tsuku-llm" / TSUKU_TEST_VERSION;
    }
    // The refusal every disk fault must give, and nothing half-installed beside it.
    static void expect_clean_refusal(const CommandResult& r, const std::string& os_words, const fs::path& folder) {
        EXPECT_EQ(r.exit_code, 1) << r.err;
        EXPECT_NE(r.err.find(os_words), std::string::npos) << r.err;
        EXPECT_NE(r.err.find(" MB in " + folder.string()), std::string::npos) << r.err;
        EXPECT_EQ(r.err.find("tampered"), std::string::npos) << "a disk fault is not blamed on the package: " << r.err;
        EXPECT_FALSE(has_entry_containing(folder, ".staging-")) << "staging left in " << folder;
    }
    HttpServer server;
};

TEST_F(DiskFaults, FullDiskDuringDownloadKeepsThePartialAndSaysWhatToFree) {
    fs::create_directories(home / "h");
    std::string why;
    auto tmpfs = Tmpfs::mount(home / "h", "8m", why);
    if (!tmpfs) GTEST_SKIP() << why;
    const auto r = tsuku({"llm", "install", "--yes", "--backend", "cpu"}, env(home / "h"));
    const fs::path downloads = home / "h" / "cache" / "downloads";
    expect_clean_refusal(r, "No space left on device", downloads);
    EXPECT_NE(r.err.find("resumes"), std::string::npos) << r.err;
    EXPECT_FALSE(fs::exists(version_dir(home / "h") / "cpu"));
}

TEST_F(DiskFaults, FullDiskDuringExtractionInstallsNothing) {
    fs::create_directories(home / "h");
    std::string why;
    auto tmpfs = Tmpfs::mount(home / "h", "40m", why);  // the 16 MB package fits, its 49 MB of files do not
    if (!tmpfs) GTEST_SKIP() << why;
    const auto r = tsuku({"llm", "install", "--yes", "--backend", "cpu"}, env(home / "h"));
    expect_clean_refusal(r, "No space left on device", version_dir(home / "h"));
    EXPECT_NE(r.err.find("while extracting"), std::string::npos) << r.err;
    EXPECT_FALSE(fs::exists(version_dir(home / "h") / "cpu"));
}

TEST_F(DiskFaults, FullDiskDuringAReinstallKeepsThePreviousInstall) {
    fs::create_directories(home / "h");
    std::string why;
    auto tmpfs = Tmpfs::mount(home / "h", "90m", why);  // one install fits (16 + 49 MB), a second tree does not
    if (!tmpfs) GTEST_SKIP() << why;
    ASSERT_EQ(tsuku({"llm", "install", "--yes", "--backend", "cpu"}, env(home / "h")).exit_code, 0);
    const auto r = tsuku({"llm", "install", "--yes", "--backend", "cpu", "--reinstall"}, env(home / "h"));
    expect_clean_refusal(r, "No space left on device", version_dir(home / "h"));
    // The old tree is whole: the next install verifies it and has nothing to do.
    const auto again = tsuku({"llm", "install", "--yes", "--backend", "cpu", "--json"}, env(home / "h"));
    EXPECT_EQ(again.exit_code, 0) << again.err;
    EXPECT_FALSE(nlohmann::json::parse(again.out)["variant"]["installed_now"].get<bool>()) << again.out;
}

TEST_F(DiskFaults, FileSizeLimitDuringDownload) {
    const auto r =
        run_with_file_size_limit(4 * kMB, cli({"llm", "install", "--yes", "--backend", "cpu"}), env(home.path()));
    expect_clean_refusal(r, "File too large", home / "cache" / "downloads");
    EXPECT_NE(r.err.find("ulimit -f"), std::string::npos) << r.err;
    EXPECT_FALSE(fs::exists(version_dir(home.path()) / "cpu"));
}

TEST_F(DiskFaults, FileSizeLimitDuringExtraction) {
    // The package (16 MB) is under the limit; the server binary inside it (27 MB) is not.
    const auto r =
        run_with_file_size_limit(20 * kMB, cli({"llm", "install", "--yes", "--backend", "cpu"}), env(home.path()));
    expect_clean_refusal(r, "File too large", version_dir(home.path()));
    EXPECT_NE(r.err.find("while extracting"), std::string::npos) << r.err;
    EXPECT_FALSE(fs::exists(version_dir(home.path()) / "cpu"));
}

TEST_F(DiskFaults, FileSizeLimitDuringAReinstallKeepsThePreviousInstall) {
    ASSERT_EQ(tsuku({"llm", "install", "--yes", "--backend", "cpu"}, env(home.path())).exit_code, 0);
    const auto r = run_with_file_size_limit(
        20 * kMB, cli({"llm", "install", "--yes", "--backend", "cpu", "--reinstall"}), env(home.path()));
    expect_clean_refusal(r, "File too large", version_dir(home.path()));
    const auto again = tsuku({"llm", "install", "--yes", "--backend", "cpu", "--json"}, env(home.path()));
    EXPECT_EQ(again.exit_code, 0) << again.err;
    EXPECT_FALSE(nlohmann::json::parse(again.out)["variant"]["installed_now"].get<bool>()) << again.out;
}

}  // namespace
