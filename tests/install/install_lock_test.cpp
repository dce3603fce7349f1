// The install lock between real processes: a second installer waits, and is told who it waits for.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/unique_fd.h"
#include "install/install_lock.h"
#include "support/temp_dir.h"

using namespace tsuku::install;
using tsuku::Home;
using tsuku::UniqueFd;
using tsuku::test::TempDir;

TEST(InstallLock, ASecondInstallerWaitsForTheFirst) {
    TempDir dir;
    const Home home(dir.path());
    int held[2], release[2];
    ASSERT_EQ(::pipe(held), 0);
    ASSERT_EQ(::pipe(release), 0);
    UniqueFd held_r(held[0]), held_w(held[1]), release_r(release[0]), release_w(release[1]);

    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        try {
            auto lock = InstallLock::acquire(home);
            [[maybe_unused]] auto n = ::write(held_w.get(), "h", 1);
            char c;
            n = ::read(release_r.get(), &c, 1);  // hold it until the parent says it is waiting
        } catch (...) {
        }
        ::_exit(0);
    }
    held_w.reset();
    char c = 0;
    ASSERT_EQ(::read(held_r.get(), &c, 1), 1);
    EXPECT_FALSE(InstallLock::try_acquire(home).has_value());

    std::optional<pid_t> holder;
    bool waited = false;
    auto lock = InstallLock::acquire(home, [&](std::optional<pid_t> pid) {
        waited = true;
        holder = pid;
        [[maybe_unused]] auto n = ::write(release_w.get(), "r", 1);  // now let the holder finish
    });
    EXPECT_TRUE(waited);
    EXPECT_EQ(holder, child);
    int status = 0;
    ::waitpid(child, &status, 0);
    EXPECT_EQ(home.install_lock_path(), dir.path() / "state" / "install.lock");
}

TEST(InstallLock, AFreeLockIsTakenWithoutWaiting) {
    TempDir dir;
    const Home home(dir.path());
    bool waited = false;
    {
        auto lock = InstallLock::acquire(home, [&](auto) { waited = true; });
        EXPECT_FALSE(waited);
    }
    EXPECT_TRUE(InstallLock::try_acquire(home).has_value()) << "released with the object";
}
