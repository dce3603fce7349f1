#include "common/home.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "common/error.h"
#include "common/file_lock.h"
#include "support/temp_dir.h"

using namespace tsuku;
namespace fs = std::filesystem;

TEST(Home, FromEnvironmentPrefersTsukuHomeThenHome) {
    EXPECT_EQ(Home::from_environment(Environment::fixed({{"TSUKU_HOME", "/x/t"}, {"HOME", "/h"}})).root(), "/x/t");
    EXPECT_EQ(Home::from_environment(Environment::fixed({{"HOME", "/h"}})).root(), "/h/.tsuku");
    EXPECT_EQ(Home::from_environment(Environment::fixed({{"TSUKU_HOME", ""}, {"HOME", "/h"}})).root(), "/h/.tsuku");
}

TEST(Home, RefusesRelativeOrTooLongRoots) {
    EXPECT_THROW(Home::from_environment(Environment::fixed({{"TSUKU_HOME", "relative/dir"}})), UserError);
    EXPECT_THROW(Home(fs::path("/" + std::string(120, 'a'))), UserError);
    EXPECT_THROW(Home::from_environment(Environment::fixed({})), UserError);
}

TEST(Home, LayoutFollowsTheDesign) {
    Home h("/t");
    EXPECT_EQ(h.socket_path(), "/t/run/llm.sock");
    EXPECT_EQ(h.server_lock_path(), "/t/run/llm.lock");
    EXPECT_EQ(h.config_file(), "/t/config.toml");
    EXPECT_EQ(h.tools_dir(), "/t/tools/tsuku-llm");
    EXPECT_EQ(h.downloads_dir(), "/t/cache/downloads");
}

TEST(Home, RuntimeDirsArePrivate) {
    test::TempDir tmp;
    Home h(tmp / "home");
    fs::create_directories(h.run_dir());
    fs::permissions(h.run_dir(), fs::perms::all);  // someone loosened it
    h.ensure_runtime_dirs();
    struct stat st {};
    ASSERT_EQ(::stat(h.run_dir().c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0700u);
    ASSERT_EQ(::stat(h.root().c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0700u);
}

TEST(Home, PrivateDirRefusesASymlink) {
    test::TempDir tmp;
    fs::create_directory(tmp / "real");
    fs::create_directory_symlink(tmp / "real", tmp / "link");
    EXPECT_THROW(ensure_private_dir(tmp / "link"), UserError);
}

TEST(FileLock, SecondHolderIsRefusedUntilTheFirstReleases) {
    test::TempDir tmp;
    const auto path = tmp / "x.lock";
    EXPECT_FALSE(is_locked(path));
    {
        auto first = FileLock::try_acquire(path);
        ASSERT_TRUE(first);
        EXPECT_TRUE(is_locked(path));
        EXPECT_FALSE(FileLock::try_acquire(path));  // flock is per open file description: a second open conflicts
        struct stat st {};
        ASSERT_EQ(::stat(path.c_str(), &st), 0);
        EXPECT_EQ(st.st_mode & 0777, 0600u);
    }
    EXPECT_FALSE(is_locked(path));
    EXPECT_TRUE(FileLock::try_acquire(path));
}
