// The composed installation against the loopback server: download, verify, extract, swap in; two installers at
// once; failures that must leave the previous install as it was.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include "archive_builder.h"
#include "common/error.h"
#include "common/unique_fd.h"
#include "install/package.h"
#include "install/sha256.h"
#include "support/http_server.h"
#include "support/temp_dir.h"

namespace fs = std::filesystem;
using namespace tsuku::test;
using namespace tsuku::install;
using tsuku::Home;
using tsuku::UniqueFd;
using tsuku::UserError;

namespace {

class PackageTest : public ::testing::Test {
protected:
    PackageTest() : home(dir / "home") {
        fs::create_directories(dir / "release");
        server.emplace(dir / "release");
    }
    // Publishes an archive in the release folder and returns what the manifest would say about it.
    PackageSource publish(const std::string& name, const std::vector<TarEntry>& entries) {
        write_tar(dir / "release" / name, entries);
        const std::string bytes = read_file(dir / "release" / name);
        return {server->url("ok/" + name), bytes.size(), sha256_hex(bytes)};
    }
    fs::path final_dir() const { return home.tools_dir() / "0.1.0" / "cpu"; }
    size_t gets() const { return server->requests().size(); }

    TempDir dir;
    Home home;
    std::optional<HttpServer> server;
    NullProgress progress;
};

std::vector<TarEntry> variant(const std::string& version) {
    return {tar_file("tsuku-llm", "server " + version, 0755), tar_file("libllama.so", "lib " + version),
            tar_file("variant.json", version)};
}

}  // namespace

TEST_F(PackageTest, InstallsAVerifiedPackage) {
    const auto src = publish("cpu.tar.zst", variant("v1"));
    auto lock = InstallLock::acquire(home);
    const auto stats = install_package(lock, home, src, final_dir(), progress);
    EXPECT_EQ(stats.files, 3u);
    EXPECT_EQ(read_file(final_dir() / "tsuku-llm"), "server v1");
    EXPECT_FALSE(fs::exists(download_path(home.downloads_dir(), src.sha256))) << "the archive is not kept";
    EXPECT_EQ(gets(), 1u);
}

TEST_F(PackageTest, ReinstallReplacesTheTreeAndCanKeepTheDownload) {
    auto lock = InstallLock::acquire(home);
    install_package(lock, home, publish("v1.tar.zst", variant("v1")), final_dir(), progress);
    InstallOptions keep;
    keep.keep_download = true;
    const auto v2 = publish("v2.tar.gz", variant("v2"));
    install_package(lock, home, v2, final_dir(), progress, keep);
    EXPECT_EQ(read_file(final_dir() / "variant.json"), "v2");
    EXPECT_TRUE(fs::exists(download_path(home.downloads_dir(), v2.sha256)));
}

TEST_F(PackageTest, AFailedDownloadLeavesThePreviousInstall) {
    auto lock = InstallLock::acquire(home);
    install_package(lock, home, publish("v1.tar.zst", variant("v1")), final_dir(), progress);
    auto v2 = publish("v2.tar.zst", variant("v2"));
    v2.url = server->url("corrupt/100/v2.tar.zst");
    EXPECT_THROW(install_package(lock, home, v2, final_dir(), progress), UserError);
    EXPECT_EQ(read_file(final_dir() / "variant.json"), "v1");
    EXPECT_EQ(std::distance(fs::directory_iterator(final_dir().parent_path()), fs::directory_iterator{}), 1);
}

TEST_F(PackageTest, AMaliciousPackageLeavesThePreviousInstall) {
    auto lock = InstallLock::acquire(home);
    install_package(lock, home, publish("v1.tar.zst", variant("v1")), final_dir(), progress);
    // Checksums match (the release itself is bad): extraction must still refuse it.
    const auto evil = publish("evil.tar.zst", {tar_file("variant.json", "evil"), tar_file("../../../evil", "x")});
    EXPECT_THROW(install_package(lock, home, evil, final_dir(), progress), UserError);
    EXPECT_EQ(read_file(final_dir() / "variant.json"), "v1");
    EXPECT_FALSE(fs::exists(home.tools_dir() / "evil"));
    EXPECT_EQ(std::distance(fs::directory_iterator(final_dir().parent_path()), fs::directory_iterator{}), 1);
}

TEST_F(PackageTest, TheCallersCheckRunsBeforeTheTreeIsVisible) {
    auto lock = InstallLock::acquire(home);
    install_package(lock, home, publish("v1.tar.zst", variant("v1")), final_dir(), progress);
    InstallOptions opts;
    fs::path seen;
    opts.check = [&](const fs::path& staging) {
        seen = staging;
        EXPECT_EQ(read_file(staging / "variant.json"), "v2");
        throw UserError("variant.json does not match", "reinstall");
    };
    EXPECT_THROW(install_package(lock, home, publish("v2.tar.zst", variant("v2")), final_dir(), progress, opts),
                 UserError);
    EXPECT_FALSE(seen.empty());
    EXPECT_FALSE(fs::exists(seen)) << "the staging folder is removed";
    EXPECT_EQ(read_file(final_dir() / "variant.json"), "v1");
}

// Two real processes install at once: the second waits for the first, then finds the package installed.
TEST_F(PackageTest, TwoInstallersAtOnce) {
    const auto src = publish("cpu.tar.zst", variant("v1"));
    int a_holds[2], b_waits[2];
    ASSERT_EQ(::pipe(a_holds), 0);
    ASSERT_EQ(::pipe(b_waits), 0);
    UniqueFd a_holds_r(a_holds[0]), a_holds_w(a_holds[1]), b_waits_r(b_waits[0]), b_waits_w(b_waits[1]);

    // Each installer: lock, install unless already there. Exit 0: installed it; 10: found it installed.
    auto installer = [&](const std::function<void()>& after_lock, const std::function<void()>& on_wait) -> int {
        try {
            auto lock = InstallLock::acquire(home, [&](auto) { on_wait(); });
            after_lock();
            if (fs::exists(final_dir() / "variant.json")) return 10;
            install_package(lock, home, src, final_dir(), progress);
            return 0;
        } catch (...) {
            return 1;
        }
    };
    const pid_t a = ::fork();
    ASSERT_GE(a, 0);
    if (a == 0) {
        ::_exit(installer(
            [&] {
                [[maybe_unused]] auto n = ::write(a_holds_w.get(), "a", 1);
                char c;
                n = ::read(b_waits_r.get(), &c, 1);  // keep the lock until B is really waiting
            },
            [] {}));
    }
    char c = 0;
    ASSERT_EQ(::read(a_holds_r.get(), &c, 1), 1);
    const pid_t b = ::fork();
    ASSERT_GE(b, 0);
    if (b == 0) {
        ::_exit(installer([] {}, [&] { [[maybe_unused]] auto n = ::write(b_waits_w.get(), "b", 1); }));
    }
    int sa = 0, sb = 0;
    ::waitpid(a, &sa, 0);
    ::waitpid(b, &sb, 0);
    EXPECT_EQ(WEXITSTATUS(sa), 0) << "A installed";
    EXPECT_EQ(WEXITSTATUS(sb), 10) << "B waited, then found it installed";
    EXPECT_EQ(read_file(final_dir() / "tsuku-llm"), "server v1");
    EXPECT_EQ(gets(), 1u) << "downloaded once";
}
