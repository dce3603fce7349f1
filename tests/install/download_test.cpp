// The downloader against a real HTTP server on loopback (tests/support/http_server.py) and file:// URLs.
#include <gtest/gtest.h>

#include <random>
#include <sstream>
#include <thread>

#include "common/error.h"
#include "install/download.h"
#include "install/sha256.h"
#include "support/http_server.h"
#include "support/temp_dir.h"

namespace fs = std::filesystem;
using namespace tsuku::test;
using tsuku::UserError;
using tsuku::install::download;
using tsuku::install::DownloadOptions;
using tsuku::install::LineProgress;
using tsuku::install::NullProgress;

namespace {

constexpr size_t kSize = 1'000'000;

std::string random_bytes(size_t n, unsigned seed) {
    std::mt19937 gen(seed);
    std::string s(n, '\0');
    for (auto& c : s) c = static_cast<char>(gen());
    return s;
}

class DownloadTest : public ::testing::Test {
protected:
    DownloadTest() : content(random_bytes(kSize, 7)), sha(tsuku::install::sha256_hex(content)) {
        fs::create_directories(release());
        write_file(release() / "pkg.tar.zst", content);
        server.emplace(release());
        options.retry.first_delay = std::chrono::milliseconds(100);
        options.retry.max_attempts = 3;
        options.retry.sleep = [this](std::chrono::milliseconds d) { sleeps.push_back(d); };
        options.stall_time = std::chrono::seconds(1);
    }
    fs::path release() const { return dir / "release"; }
    fs::path downloads() const { return dir / "cache" / "downloads"; }
    fs::path partial() const { return downloads() / (sha + ".partial"); }
    std::string url(const std::string& mode) const { return server->url(mode + "/pkg.tar.zst"); }

    fs::path get(const std::string& u) { return download(u, kSize, sha, downloads(), progress, options); }
    // The error of a download that must fail.
    UserError failure(const std::string& u) {
        try {
            get(u);
        } catch (const UserError& e) {
            return e;
        }
        ADD_FAILURE() << "download of " << u << " succeeded";
        return UserError("", "");
    }

    TempDir dir;
    std::string content, sha;
    std::optional<HttpServer> server;
    DownloadOptions options;
    std::vector<std::chrono::milliseconds> sleeps;
    NullProgress progress;
};

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

}  // namespace

TEST_F(DownloadTest, GoodDownloadIsVerifiedAndNamedByItsChecksum) {
    const fs::path path = get(url("ok"));
    EXPECT_EQ(path, downloads() / sha);
    EXPECT_EQ(read_file(path), content);
    EXPECT_FALSE(fs::exists(partial()));
    const auto log = server->requests();
    ASSERT_EQ(log.size(), 1u);
    EXPECT_EQ(log[0]["status"], 200);
    EXPECT_TRUE(sleeps.empty());
}

TEST_F(DownloadTest, AVerifiedDownloadIsReusedWithoutTheNetwork) {
    get(url("ok"));
    EXPECT_EQ(read_file(get(url("status/404"))), content);
    EXPECT_EQ(server->requests().size(), 1u);
}

TEST_F(DownloadTest, ATamperedCachedFileIsFetchedAgain) {
    const fs::path path = get(url("ok"));
    std::string bad = content;
    bad[10] ^= 1;
    write_file(path, bad);
    EXPECT_EQ(read_file(get(url("ok"))), content);
    EXPECT_EQ(server->requests().size(), 2u);
}

TEST_F(DownloadTest, CorruptedByteIsRefusedAndDeleted) {
    const auto e = failure(url("corrupt/500000"));
    EXPECT_TRUE(contains(e.what(), "checksum mismatch")) << e.what();
    EXPECT_TRUE(contains(e.what(), "expected sha256 " + sha)) << e.what();
    EXPECT_TRUE(contains(e.what(), url("corrupt/500000"))) << e.what();
    EXPECT_FALSE(fs::exists(partial()));
    EXPECT_FALSE(fs::exists(downloads() / sha));
}

TEST_F(DownloadTest, TruncatedFileIsAWrongSize) {
    const auto e = failure(url("truncate/1000"));
    EXPECT_TRUE(contains(e.what(), "wrong size")) << e.what();
    EXPECT_TRUE(contains(e.what(), "offers 1000 bytes, expected 1000000")) << e.what();
    EXPECT_FALSE(fs::exists(partial()));
}

TEST_F(DownloadTest, TruncatedFileWithoutALengthIsCaughtAtTheEnd) {
    const auto e = failure(url("nolength/1000"));
    EXPECT_TRUE(contains(e.what(), "ended after 1000 of the 1000000 expected bytes")) << e.what();
    EXPECT_FALSE(fs::exists(partial()));
}

TEST_F(DownloadTest, LargerFileIsAWrongSize) {
    const auto e = failure(url("extra/10"));
    EXPECT_TRUE(contains(e.what(), "offers 1000010 bytes, expected 1000000")) << e.what();
    EXPECT_FALSE(fs::exists(partial()));
}

TEST_F(DownloadTest, NotFoundIsNotRetried) {
    const auto e = failure(url("status/404"));
    EXPECT_TRUE(contains(e.what(), "not found (HTTP 404)")) << e.what();
    EXPECT_TRUE(contains(e.what(), url("status/404"))) << e.what();
    EXPECT_FALSE(std::string(e.fix()).empty());
    EXPECT_EQ(server->requests().size(), 1u);
    EXPECT_TRUE(sleeps.empty());
}

TEST_F(DownloadTest, ForbiddenIsNotRetried) {
    const auto e = failure(url("status/403"));
    EXPECT_TRUE(contains(e.what(), "access denied (HTTP 403)")) << e.what();
    EXPECT_EQ(server->requests().size(), 1u);
}

TEST_F(DownloadTest, ServerErrorsAreRetriedWithGrowingDelays) {
    EXPECT_EQ(read_file(get(url("flaky/2/503"))), content);
    EXPECT_EQ(server->requests().size(), 3u);
    ASSERT_EQ(sleeps.size(), 2u);
    EXPECT_EQ(sleeps[0], std::chrono::milliseconds(100));
    EXPECT_EQ(sleeps[1], std::chrono::milliseconds(200));
}

TEST_F(DownloadTest, PersistentServerErrorGivesUpAfterMaxAttempts) {
    const auto e = failure(url("status/503"));
    EXPECT_TRUE(contains(e.what(), "failed after 3 attempts")) << e.what();
    EXPECT_TRUE(contains(e.what(), "HTTP 503")) << e.what();
    EXPECT_EQ(server->requests().size(), 3u);
    EXPECT_EQ(sleeps.size(), 2u);
}

TEST_F(DownloadTest, HtmlPageIsReportedAsSuch) {
    const auto e = failure(url("html"));
    EXPECT_TRUE(contains(e.what(), "HTML page instead of the file")) << e.what();
    EXPECT_FALSE(fs::exists(partial()));
}

TEST_F(DownloadTest, StalledServerIsAbandonedAndThePartialKept) {
    options.retry.max_total_attempts = 2;
    const auto e = failure(url("stall/1000"));
    EXPECT_TRUE(contains(e.what(), "stalled")) << e.what();
    EXPECT_TRUE(contains(e.what(), "2000 of 1000000 bytes kept")) << e.what();
    EXPECT_EQ(fs::file_size(partial()), 2000u);
    const auto log = server->requests();
    ASSERT_EQ(log.size(), 2u);
    EXPECT_EQ(log[1]["range"], "bytes=1000-");
}

TEST_F(DownloadTest, InterruptedDownloadResumesWithOnlyTheRemainder) {
    options.retry.max_attempts = 1;
    const auto e = failure(url("drop/300000"));
    EXPECT_TRUE(contains(e.what(), "300000 of 1000000 bytes kept")) << e.what();
    ASSERT_EQ(fs::file_size(partial()), 300000u);

    // The next run (another URL: the partial belongs to the checksum, not the URL) fetches only the rest.
    EXPECT_EQ(read_file(get(url("ok"))), content);
    const auto log = server->requests();
    ASSERT_EQ(log.size(), 2u);
    EXPECT_EQ(log[1]["range"], "bytes=300000-");
    EXPECT_EQ(log[1]["status"], 206);
    EXPECT_EQ(log[1]["length"], kSize - 300000);
    EXPECT_FALSE(fs::exists(partial()));
}

TEST_F(DownloadTest, ADroppedConnectionResumesWithinOneRun) {
    EXPECT_EQ(read_file(get(url("dropfirst/400000"))), content);
    const auto log = server->requests();
    ASSERT_EQ(log.size(), 2u);
    EXPECT_EQ(log[0]["length"], 400000);
    EXPECT_EQ(log[1]["range"], "bytes=400000-");
    EXPECT_EQ(log[1]["length"], kSize - 400000);
    EXPECT_EQ(sleeps.size(), 1u);
}

TEST_F(DownloadTest, AServerWithoutRangesStartsOver) {
    fs::create_directories(downloads());
    write_file(partial(), content.substr(0, 1000));
    EXPECT_EQ(read_file(get(url("norange"))), content);
    const auto log = server->requests();
    ASSERT_EQ(log.size(), 2u);
    EXPECT_EQ(log[0]["range"], "bytes=1000-");
    EXPECT_EQ(log[1]["range"], nullptr);
}

TEST_F(DownloadTest, AStalePartialIsReplacedAfterTheChecksumFails) {
    fs::create_directories(downloads());
    write_file(partial(), std::string(1000, 'x'));  // bytes from some older, different file
    EXPECT_EQ(read_file(get(url("ok"))), content);
    const auto log = server->requests();
    ASSERT_EQ(log.size(), 2u);
    EXPECT_EQ(log[0]["status"], 206);
    EXPECT_EQ(log[1]["status"], 200);
}

TEST_F(DownloadTest, APartialLongerThanTheFileIsDiscarded) {
    fs::create_directories(downloads());
    write_file(partial(), content + "more");
    EXPECT_EQ(read_file(get(url("ok"))), content);
    EXPECT_EQ(server->requests().at(0)["range"], nullptr);
}

TEST_F(DownloadTest, FileUrlsWorkAndResume) {
    const std::string file_url = "file://" + (release() / "pkg.tar.zst").string();
    fs::create_directories(downloads());
    write_file(partial(), content.substr(0, 12345));
    EXPECT_EQ(read_file(get(file_url)), content);
    EXPECT_TRUE(server->requests().empty());

    try {
        download("file://" + (release() / "missing.tar.zst").string(), 10, std::string(64, 'a'), downloads(), progress,
                 options);
        ADD_FAILURE() << "a missing file downloaded";
    } catch (const UserError& e) {
        EXPECT_TRUE(contains(e.what(), "no such file")) << e.what();
    }
}

TEST_F(DownloadTest, ConnectionRefusedIsRetriedThenReported) {
    const auto e = failure("http://127.0.0.1:1/pkg.tar.zst");
    EXPECT_TRUE(contains(e.what(), "failed after 3 attempts")) << e.what();
    EXPECT_TRUE(contains(e.what(), "http://127.0.0.1:1/pkg.tar.zst")) << e.what();
    EXPECT_TRUE(contains(e.fix(), "resumes")) << e.fix();
    EXPECT_EQ(sleeps.size(), 2u);
}

TEST_F(DownloadTest, ConcurrentDownloadsOfOneFileFetchItOnce) {
    std::vector<std::thread> threads;
    std::vector<std::string> results(3);
    for (int i = 0; i < 3; ++i) {
        threads.emplace_back([&, i] {
            NullProgress quiet;
            results[i] = read_file(download(url("ok"), kSize, sha, downloads(), quiet, options));
        });
    }
    for (auto& t : threads) t.join();
    for (const auto& r : results) EXPECT_EQ(r, content);
    EXPECT_EQ(server->requests().size(), 1u);
}

TEST_F(DownloadTest, LineProgressPrintsOneLinePerStep) {
    std::ostringstream out;
    LineProgress lines(out);
    download(url("ok"), kSize, sha, downloads(), lines, options);
    const std::string text = out.str();
    EXPECT_TRUE(contains(text, "downloading " + url("ok") + " (1.0 MB)")) << text;
    EXPECT_TRUE(contains(text, "downloaded 1.0 MB")) << text;
    EXPECT_EQ(text.find('\r'), std::string::npos);
}

TEST_F(DownloadTest, CredentialsInUrlsAreNotShown) {
    const auto e =
        failure("http://user:secret@127.0.0.1:" + std::to_string(server->port()) + "/status/404/pkg.tar.zst");
    EXPECT_FALSE(contains(e.what(), "secret")) << e.what();
    EXPECT_TRUE(contains(e.what(), "http://***@127.0.0.1")) << e.what();
}

TEST(DownloadArguments, AChecksumMustBeHex) {
    NullProgress p;
    EXPECT_THROW(download("file:///x", 1, "../../etc/passwd", "/tmp", p), std::invalid_argument);
}
