// The isolated runner with real child processes: output, exit status, crashes, deadlines (whole process group
// killed), programs that cannot start. No assertion on durations.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>

#include <fstream>
#include <thread>

#include "platform/isolated_run.h"
#include "support/temp_dir.h"

using namespace tsuku::platform;
using namespace std::chrono_literals;

namespace {

IsolatedCommand sh(const std::string& script) { return {{"/bin/sh", "-c", script}, {}}; }

// Gone, or a zombie nobody cares about (reparented, not yet reaped): either way it no longer runs.
bool not_running(pid_t pid) {
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    if (!std::getline(stat, line)) return true;
    const auto close = line.rfind(')');
    return close != std::string::npos && close + 2 < line.size() && line[close + 2] == 'Z';
}

}  // namespace

TEST(IsolatedRun, CollectsOutputAndStatusOfEachChild) {
    auto r = run_isolated(
        {sh("echo out; echo err >&2; exit 3"), {{"/bin/sh", "-c", "echo $TSUKU_X"}, {{"TSUKU_X", "y"}}}}, 10s);
    ASSERT_EQ(r.size(), 2u);
    EXPECT_EQ(r[0].kind, IsolatedResult::Kind::exited);
    EXPECT_EQ(r[0].exit_code, 3);
    EXPECT_EQ(r[0].out, "out\n");
    EXPECT_EQ(r[0].err, "err\n");
    EXPECT_EQ(r[1].exit_code, 0);
    EXPECT_EQ(r[1].out, "y\n");
}

TEST(IsolatedRun, ACrashIsASignalNotOurCrash) {
    auto r = run_isolated({sh("echo before; kill -SEGV $$")}, 10s);
    EXPECT_EQ(r[0].kind, IsolatedResult::Kind::signaled);
    EXPECT_EQ(r[0].signal, SIGSEGV);
    EXPECT_EQ(r[0].out, "before\n");
}

TEST(IsolatedRun, AHangIsKilledWithEverythingItStarted) {
    tsuku::test::TempDir dir;
    const auto pidfile = dir / "helper.pid";
    // The child starts a helper that keeps stdout open, then hangs itself; a second child finishes at once.
    auto r = run_isolated(
        {sh("sleep 60 & echo $! > " + pidfile.string() + "; echo started; sleep 60"), sh("echo quick")}, 300ms);
    EXPECT_EQ(r[0].kind, IsolatedResult::Kind::timed_out);
    EXPECT_EQ(r[0].out, "started\n");
    EXPECT_EQ(r[1].kind, IsolatedResult::Kind::exited);
    EXPECT_EQ(r[1].out, "quick\n");
    const pid_t helper = std::stoi(tsuku::test::read_file(pidfile));
    bool gone = false;
    for (int i = 0; i < 200 && !(gone = not_running(helper)); ++i) std::this_thread::sleep_for(10ms);
    EXPECT_TRUE(gone) << "the hung child's helper " << helper << " survived";
}

TEST(IsolatedRun, AProgramThatCannotStart) {
    auto r = run_isolated({{{"/nonexistent/probe"}, {}}, {{}, {}}}, 1s);
    EXPECT_EQ(r[0].kind, IsolatedResult::Kind::spawn_failed);
    EXPECT_NE(r[0].error.find("/nonexistent/probe"), std::string::npos) << r[0].error;
    EXPECT_EQ(r[1].kind, IsolatedResult::Kind::spawn_failed);
}

TEST(IsolatedRun, OutputIsBoundedButTheChildStillFinishes) {
    auto r = run_isolated({sh("head -c 3000000 /dev/zero; head -c 3000000 /dev/zero >&2")}, 30s, 1000);
    EXPECT_EQ(r[0].kind, IsolatedResult::Kind::exited);
    EXPECT_EQ(r[0].exit_code, 0);
    EXPECT_EQ(r[0].out.size(), 1000u);
    EXPECT_EQ(r[0].err.size(), 1000u);
}

// TSUKU_EXEC_EMULATOR (the arm64 tests set it to qemu-aarch64-static): a command given by path runs through it, a
// bad value fails that command with the variable named, and a bare name in PATH runs directly.
TEST(IsolatedRun, AnEmulatorPrefixRunsCommandsGivenByPath) {
    tsuku::test::TempDir dir;
    const std::string emulator = (dir / "emulator").string();
    {
        std::ofstream f(emulator);
        f << "#!/bin/sh\necho \"emulated: $*\"\nexec \"$@\"\n";
    }
    ASSERT_EQ(::chmod(emulator.c_str(), 0755), 0);
    ::setenv("TSUKU_EXEC_EMULATOR", emulator.c_str(), 1);
    auto r = run_isolated({sh("echo child"), {{"true"}, {}}}, 10s);
    EXPECT_EQ(r[0].out, "emulated: /bin/sh -c echo child\nchild\n");
    EXPECT_EQ(r[1].kind, IsolatedResult::Kind::exited);  // PATH lookup: not through the emulator
    EXPECT_EQ(r[1].out, "");

    const std::string plain_file = (dir / "not-executable").string();
    std::ofstream(plain_file) << "data\n";  // mode 0644
    for (const std::string& bad : {std::string("relative/qemu"), std::string("/nonexistent/qemu"), plain_file}) {
        ::setenv("TSUKU_EXEC_EMULATOR", bad.c_str(), 1);
        r = run_isolated({sh("echo never")}, 10s);
        EXPECT_EQ(r[0].kind, IsolatedResult::Kind::spawn_failed) << bad;
        EXPECT_NE(r[0].error.find("TSUKU_EXEC_EMULATOR=" + bad), std::string::npos) << r[0].error;
        EXPECT_EQ(r[0].out, "");
    }
    ::unsetenv("TSUKU_EXEC_EMULATOR");
    EXPECT_EQ(run_isolated({sh("echo plain")}, 10s)[0].out, "plain\n");
}
