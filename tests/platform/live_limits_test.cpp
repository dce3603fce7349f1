// The real programs under real limits: a server started pinned to CPU 0 computes with one thread (the server's
// own rule, and the count tsuku passes it); `tsuku llm detect` inside a 1 GiB memory cgroup uses the group's room
// for the model choice. The cgroup is made by root where the cgroup file system is writable, else skipped.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <sched.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "lifecycle/server_process.h"
#include "platform/cgroup.h"
#include "platform/cpu_budget.h"
#include "platform/system_root.h"
#include "support/grpc_calls.h"
#include "support/paths.h"
#include "support/run_command.h"
#include "support/server_harness.h"
#include "support/temp_dir.h"
#include "tsuku/llm/v1/inference.grpc.pb.h"

namespace fs = std::filesystem;
namespace v1 = tsuku::llm::v1;
using nlohmann::json;
using tsuku::lifecycle::StartOutcome;

namespace {

constexpr uint64_t GiB = uint64_t{1} << 30;

// Pins the calling thread (and what it spawns: the mask is inherited) to one CPU, as `taskset -c 0` would.
class PinnedToCpu0 {
public:
    PinnedToCpu0() {
        CPU_ZERO(&old_);
        sched_getaffinity(0, sizeof old_, &old_);
        cpu_set_t one;
        CPU_ZERO(&one);
        CPU_SET(0, &one);
        ok_ = sched_setaffinity(0, sizeof one, &one) == 0;
    }
    ~PinnedToCpu0() { sched_setaffinity(0, sizeof old_, &old_); }
    bool ok() const { return ok_; }

private:
    cpu_set_t old_;
    bool ok_ = false;
};

bool write_text(const fs::path& file, const std::string& text) {
    std::ofstream out(file);
    out << text;
    out.flush();
    return static_cast<bool>(out);
}

// A memory cgroup with a limit, removed at the end (its processes have exited by then).
class MemoryCgroup {
public:
    // Empty folder(): could not be made; why() says why.
    explicit MemoryCgroup(uint64_t limit) {
        if (::geteuid() != 0) {
            why_ = "not root: only root may create a memory cgroup";
            return;
        }
        const std::string name = "tsuku-test-" + std::to_string(::getpid());
        std::error_code ec;
        if (fs::exists("/sys/fs/cgroup/cgroup.controllers")) {
            // v2: the memory controller must be enabled for the root's children.
            write_text("/sys/fs/cgroup/cgroup.subtree_control", "+memory");
            folder_ = fs::path("/sys/fs/cgroup") / name;
            limit_file_ = "memory.max";
        } else if (fs::is_directory("/sys/fs/cgroup/memory")) {
            folder_ = fs::path("/sys/fs/cgroup/memory") / name;
            limit_file_ = "memory.limit_in_bytes";
        } else {
            why_ = "no cgroup file system with a memory controller under /sys/fs/cgroup";
            return;
        }
        if (!fs::create_directory(folder_, ec)) {
            why_ = "cannot create " + folder_.string() + ": " + (ec ? ec.message() : "exists") +
                   " (the cgroup file system is not writable here)";
            folder_.clear();
            return;
        }
        if (!fs::exists(folder_ / limit_file_) || !write_text(folder_ / limit_file_, std::to_string(limit))) {
            why_ = "cannot set " + (folder_ / limit_file_).string() + " (the memory controller is not available)";
            fs::remove(folder_, ec);
            folder_.clear();
        }
    }
    ~MemoryCgroup() {
        std::error_code ec;
        if (!folder_.empty()) fs::remove(folder_, ec);
    }
    const fs::path& folder() const { return folder_; }
    const std::string& why() const { return why_; }
    // argv run inside the group: the shell joins it, then becomes the program.
    std::vector<std::string> inside(std::vector<std::string> argv) const {
        std::vector<std::string> out{"/bin/sh", "-c", "echo $$ > \"$0\" && exec \"$@\"",
                                     (folder_ / "cgroup.procs").string()};
        out.insert(out.end(), argv.begin(), argv.end());
        return out;
    }

private:
    fs::path folder_;
    std::string limit_file_;
    std::string why_;
};

}  // namespace

TEST(LiveLimits, ServerPinnedToOneCpuComputesWithOneThread) {
    PinnedToCpu0 pin;
    ASSERT_TRUE(pin.ok()) << std::strerror(errno);
    tsuku::test::ServerHarness server(tsuku::test::kServerCpu);
    // No --threads: the server applies the rule itself.
    const auto run = server.start(tsuku::test::kTinyModel, {"--idle-timeout", "0"});
    ASSERT_EQ(run.outcome.kind, StartOutcome::Kind::ready) << run.log;
    auto stub = tsuku::test::stub_for(server.socket());
    grpc::ClientContext ctx;
    v1::StatusResponse st;
    ASSERT_TRUE(stub->GetStatus(&ctx, v1::StatusRequest{}, &st).ok());
    EXPECT_EQ(st.threads(), 1);
    EXPECT_EQ(st.threads_why().rfind("1: affinity allows CPU 0", 0), 0u) << st.threads_why();
}

TEST(LiveLimits, TsukuPinnedToOneCpuPassesOneThreadAndStatusShowsWhy) {
    tsuku::test::TempDir home;
    const std::map<std::string, std::string> env{{"TSUKU_HOME", home.path().string()}};
    tsuku::test::CommandResult r;
    {
        PinnedToCpu0 pin;  // what `taskset -c 0 tsuku llm complete` does, without needing taskset
        ASSERT_TRUE(pin.ok()) << std::strerror(errno);
        r = tsuku::test::run_command({tsuku::test::kCli, "llm", "complete", "Say hello", "--max-tokens", "4"}, env);
    }
    ASSERT_EQ(r.exit_code, 0) << r.err;
    r = tsuku::test::run_command({tsuku::test::kCli, "llm", "status", "--json"}, env);
    const auto j = json::parse(r.out);
    EXPECT_EQ(j["threads"], 1);
    EXPECT_EQ(j["threads_why"].get<std::string>().rfind("1: affinity allows CPU 0", 0), 0u) << j["threads_why"];
    r = tsuku::test::run_command({tsuku::test::kCli, "llm", "status"}, env);
    EXPECT_NE(r.out.find("threads: 1: affinity allows CPU 0"), std::string::npos) << r.out;
    tsuku::test::run_command({tsuku::test::kCli, "llm", "stop"}, env);

    // llm.threads overrides detection, and says so.
    PinnedToCpu0 pin;
    r = tsuku::test::run_command({tsuku::test::kCli, "llm", "detect", "--json", "--no-probe"},
                                 {{"TSUKU_HOME", home.path().string()}, {"TSUKU_LLM_THREADS", "3"}});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(json::parse(r.out)["system"]["cpu"]["why"], "3: llm.threads (detection would use 1)");
}

TEST(LiveLimits, DetectInsideAOneGibMemoryCgroupUsesTheLimit) {
    MemoryCgroup group(GiB);
    if (group.folder().empty()) GTEST_SKIP() << "no 1 GiB memory cgroup: " << group.why();
    tsuku::test::TempDir home;
    const auto r = tsuku::test::run_command(group.inside({tsuku::test::kCli, "llm", "detect", "--json", "--no-probe"}),
                                            {{"TSUKU_HOME", home.path().string()}});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto j = json::parse(r.out);
    const auto& mem = j["system"]["memory"];
    EXPECT_LE(mem["usable_bytes"].get<uint64_t>(), GiB);
    const std::string limited_by = mem["limited_by"];
    EXPECT_NE(limited_by.find(group.folder().string()), std::string::npos) << mem.dump();
    EXPECT_NE(limited_by.find("1.0 GiB"), std::string::npos) << limited_by;
    // The model choice used it: its reason names the group, and no bigger model is suggested.
    const std::string why = j["model"]["why"];
    EXPECT_NE(why.find(group.folder().string()), std::string::npos) << why;
    EXPECT_EQ(why.find("would fit"), std::string::npos) << why;

    // The same detection outside the group uses MemAvailable (unless this machine is itself limited).
    const auto outside = tsuku::test::run_command({tsuku::test::kCli, "llm", "detect", "--json", "--no-probe"},
                                                  {{"TSUKU_HOME", home.path().string()}});
    const std::string outside_by = json::parse(outside.out)["system"]["memory"]["limited_by"];
    EXPECT_EQ(outside_by.find(group.folder().string()), std::string::npos) << outside_by;
}
