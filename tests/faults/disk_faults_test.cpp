// Full disks and file-size limits while `tsuku llm install` downloads and extracts, through the real CLI against a
// real HTTP server on loopback. Every case: exit 1 with the OS's words and what to free where, no staging folder,
// and any previous install still verifies.
#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "faults/fault_support.h"
#include "integration/cli_fixture.h"
#include "manifest/manifest.h"
#include "support/http_server.h"

namespace fs = std::filesystem;
using namespace tsuku::test;

namespace {

constexpr uint64_t kMB = 1000 * 1000;

// A variant's package as served and what it unpacks to (the variant folder's files, plus variant.json). The faults'
// sizes are derived from these, so each stays where it is meant to strike as the packages change.
struct Package {
    uint64_t archive = 0;  // the .tar.zst
    uint64_t tree = 0;     // its files, unpacked
    uint64_t largest = 0;  // its largest file
};

Package package_of(const std::string& backend) {
    Package p;
    p.archive =
        fs::file_size(fs::path(kReleaseDir) / ("tsuku-llm-" TSUKU_TEST_VERSION "-" +
                                               tsuku::manifest::current_platform() + "-" + backend + ".tar.zst"));
    // build/variants/<backend>/: the folder the package is made of
    for (const auto& e : fs::directory_iterator(fs::path(kServerCpu).parent_path().parent_path() / backend)) {
        if (!e.is_regular_file()) continue;
        p.tree += e.file_size();
        p.largest = std::max<uint64_t>(p.largest, e.file_size());
    }
    return p;
}

std::string tmpfs_size(uint64_t bytes) { return std::to_string(bytes / 1024) + "k"; }

// The file-size fault during extraction needs a package with a file bigger than the package itself: the vulkan
// variant's libggml-vulkan.so (its shaders compress well). Installing vulkan here (lavapipe only) is allowed, as asked.
const std::string kBigFileBackend = "vulkan";

// A file size limit the download fits under and one file of the package does not.
uint64_t limit_between_archive_and_largest_file() {
    const auto p = package_of(kBigFileBackend);
    const uint64_t limit = p.archive + kMB;
    EXPECT_GT(p.largest, limit) << "no file of the " << kBigFileBackend
                                << " package is bigger than the package: this fault needs one";
    return limit;
}

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
    const auto p = package_of("cpu");
    auto tmpfs = Tmpfs::mount(home / "h", tmpfs_size(p.archive + p.tree / 2), why);  // the package fits, its files not
    if (!tmpfs) GTEST_SKIP() << why;
    const auto r = tsuku({"llm", "install", "--yes", "--backend", "cpu"}, env(home / "h"));
    expect_clean_refusal(r, "No space left on device", version_dir(home / "h"));
    EXPECT_NE(r.err.find("while extracting"), std::string::npos) << r.err;
    EXPECT_FALSE(fs::exists(version_dir(home / "h") / "cpu"));
}

TEST_F(DiskFaults, FullDiskDuringAReinstallKeepsThePreviousInstall) {
    fs::create_directories(home / "h");
    std::string why;
    const auto p = package_of("cpu");
    // One install fits (the package and its tree), a second tree beside it does not.
    auto tmpfs = Tmpfs::mount(home / "h", tmpfs_size(p.archive + p.tree + p.tree / 2), why);
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
    // The package is under the limit; the largest file inside it is not.
    const auto r =
        run_with_file_size_limit(limit_between_archive_and_largest_file(),
                                 cli({"llm", "install", "--yes", "--backend", kBigFileBackend}), env(home.path()));
    expect_clean_refusal(r, "File too large", version_dir(home.path()));
    EXPECT_NE(r.err.find("while extracting"), std::string::npos) << r.err;
    EXPECT_FALSE(fs::exists(version_dir(home.path()) / kBigFileBackend));
}

TEST_F(DiskFaults, FileSizeLimitDuringAReinstallKeepsThePreviousInstall) {
    ASSERT_EQ(tsuku({"llm", "install", "--yes", "--backend", kBigFileBackend}, env(home.path())).exit_code, 0);
    const auto r = run_with_file_size_limit(
        limit_between_archive_and_largest_file(),
        cli({"llm", "install", "--yes", "--backend", kBigFileBackend, "--reinstall"}), env(home.path()));
    expect_clean_refusal(r, "File too large", version_dir(home.path()));
    const auto again = tsuku({"llm", "install", "--yes", "--backend", kBigFileBackend, "--json"}, env(home.path()));
    EXPECT_EQ(again.exit_code, 0) << again.err;
    EXPECT_FALSE(nlohmann::json::parse(again.out)["variant"]["installed_now"].get<bool>()) << again.out;
}

}  // namespace
