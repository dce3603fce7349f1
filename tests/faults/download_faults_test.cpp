// Download misreports (issue 12, item 9) against the real HTTP server on loopback: redirects that go nowhere are
// named as such (not "check the network"), the right bytes labelled text/html are accepted, an HTML page is named
// only when the bytes are wrong, and a refusal leaves no empty `.partial`.
#include <gtest/gtest.h>

#include <random>

#include "common/error.h"
#include "faults/fault_support.h"
#include "install/download.h"
#include "install/sha256.h"
#include "support/http_server.h"
#include "support/temp_dir.h"

namespace fs = std::filesystem;
using namespace tsuku::test;
using tsuku::UserError;

namespace {

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

class DownloadFaults : public ::testing::Test {
protected:
    DownloadFaults() {
        std::mt19937 gen(3);
        content.resize(200'000);
        for (auto& c : content) c = static_cast<char>(gen());
        sha = tsuku::install::sha256_hex(content);
        fs::create_directories(dir / "release");
        write_file(dir / "release" / "pkg.tar.zst", content);
        server.emplace(dir / "release");
        options.retry.max_attempts = 2;
        options.retry.sleep = [](std::chrono::milliseconds) {};
    }
    fs::path downloads() const { return dir / "downloads"; }
    fs::path get(const std::string& mode) {
        return tsuku::install::download(server->url(mode + "/pkg.tar.zst"), content.size(), sha, downloads(), progress,
                                        options);
    }
    UserError failure(const std::string& mode) {
        try {
            get(mode);
        } catch (const UserError& e) {
            return e;
        }
        ADD_FAILURE() << mode << " downloaded";
        return UserError("", "");
    }

    TempDir dir;
    std::string content, sha;
    std::optional<HttpServer> server;
    tsuku::install::DownloadOptions options;
    tsuku::install::NullProgress progress;
};

TEST_F(DownloadFaults, ARedirectLoopIsNamedAndNotBlamedOnTheNetwork) {
    const auto e = failure("redirectloop");
    EXPECT_TRUE(contains(e.what(), "redirects in a loop")) << e.what();
    EXPECT_FALSE(contains(e.fix(), "network")) << e.fix();
    EXPECT_TRUE(contains(e.fix(), "redirects")) << e.fix();
    EXPECT_TRUE(entries(downloads()).size() <= 1) << "only the lock file may remain";
    EXPECT_FALSE(fs::exists(downloads() / (sha + ".partial")));
}

TEST_F(DownloadFaults, ARedirectToALocalFileIsRefusedAndNamed) {
    const auto e = failure("redirectfile");
    EXPECT_TRUE(contains(e.what(), "redirected to file://")) << e.what();
    EXPECT_TRUE(contains(e.what(), "does not follow")) << e.what();
    EXPECT_FALSE(contains(e.fix(), "network")) << e.fix();
    EXPECT_FALSE(fs::exists(downloads() / (sha + ".partial")));
}

TEST_F(DownloadFaults, AnOrdinaryRedirectIsFollowed) { EXPECT_EQ(read_file(get("redirect")), content); }

TEST_F(DownloadFaults, TheRightBytesLabelledTextHtmlAreAccepted) { EXPECT_EQ(read_file(get("htmltype")), content); }

TEST_F(DownloadFaults, AnHtmlPageIsNamedWhenTheBytesAreWrong) {
    const auto e = failure("html");
    EXPECT_TRUE(contains(e.what(), "HTML page")) << e.what();
    EXPECT_FALSE(fs::exists(downloads() / (sha + ".partial")));
}

TEST_F(DownloadFaults, NotFoundLeavesNoEmptyPartial) {
    const auto e = failure("status/404");
    EXPECT_TRUE(contains(e.what(), "HTTP 404")) << e.what();
    EXPECT_FALSE(fs::exists(downloads() / (sha + ".partial")));
}

}  // namespace
