// What runs is what was asked (issue 13), through the real CLI and real servers: a running server is reused only
// when it serves the backend and model asked for now, otherwise restarted with one line; detection rules out a
// backend before anything is downloaded for it; the failure memory keys on conditions; settings are checked when
// set; a stopped server is named.
#include <signal.h>

#include <future>
#include <nlohmann/json.hpp>

#include "integration/cli_fixture.h"
#include "support/text.h"

namespace fs = std::filesystem;
using nlohmann::json;
using tsuku::test::count_in;

namespace {

class StartPathCli : public tsuku::test::TsukuCli {
protected:
    json status() {
        const auto r = tsuku({"llm", "status", "--json"});
        EXPECT_EQ(r.exit_code, 0) << r.err;
        return json::parse(r.out);
    }
    static constexpr const char* kAllow = "TSUKU_LLM_ALLOW_SOFTWARE_DEVICES";
};

bool has_entry_containing(const fs::path& dir, const std::string& needle) {
    std::error_code ec;
    if (!fs::exists(dir, ec)) return false;
    for (const auto& e : fs::recursive_directory_iterator(dir, ec)) {
        if (e.path().filename().string().find(needle) != std::string::npos) return true;
    }
    return false;
}

}  // namespace

TEST_F(StartPathCli, BackendChangeRestartsTheServerOnTheNewBackend) {
    auto r = tsuku({"llm", "complete", "hello", "--max-tokens", "3"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    ASSERT_EQ(status()["backend"], "cpu");

    ASSERT_EQ(tsuku({"config", "set", "llm.backend", "vulkan"}).exit_code, 0);
    r = tsuku({"llm", "complete", "hello", "--max-tokens", "3"}, {{kAllow, "1"}});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(count_in(r.err, "restarting the server: llm.backend asks for vulkan, and the running server uses cpu"),
              1u)
        << r.err;
    EXPECT_EQ(status()["backend"], "vulkan") << "lavapipe serves once software devices are allowed";

    // The same request again is served by the same server: no second restart.
    const auto pid = status()["pid"];
    r = tsuku({"llm", "complete", "hello", "--max-tokens", "3"}, {{kAllow, "1"}});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.err.find("restarting"), std::string::npos) << r.err;
    EXPECT_EQ(status()["pid"], pid);
}

TEST_F(StartPathCli, OneCallBackendFlagAndConcurrentClientsShareOneRestart) {
    ASSERT_EQ(tsuku({"llm", "complete", "hello", "--max-tokens", "3"}).exit_code, 0);
    std::vector<std::future<tsuku::test::CommandResult>> clients;
    for (int i = 0; i < 3; ++i) {
        clients.push_back(std::async(std::launch::async, [this] {
            return tsuku({"llm", "complete", "hello", "--max-tokens", "3", "--backend", "vulkan"}, {{kAllow, "1"}});
        }));
    }
    size_t restarts = 0;
    for (auto& c : clients) {
        const auto r = c.get();
        ASSERT_EQ(r.exit_code, 0) << r.err;
        restarts += count_in(r.err, "restarting the server");
    }
    EXPECT_EQ(restarts, 1u) << "clients asking for the same thing share one restart";
    EXPECT_EQ(status()["backend"], "vulkan");

    // Clients asking for different backends take turns; each is served.
    auto a = std::async(std::launch::async, [this] {
        return tsuku({"llm", "complete", "hi", "--max-tokens", "3", "--backend", "cpu"}, {{kAllow, "1"}});
    });
    auto b = std::async(std::launch::async, [this] {
        return tsuku({"llm", "complete", "hi", "--max-tokens", "3", "--backend", "vulkan"}, {{kAllow, "1"}});
    });
    const auto ra = a.get(), rb = b.get();
    EXPECT_EQ(ra.exit_code, 0) << ra.err;
    EXPECT_EQ(rb.exit_code, 0) << rb.err;
}

TEST_F(StartPathCli, ModelChangeRestartsAndStatusUsesOneName) {
    ASSERT_EQ(tsuku({"llm", "complete", "hello", "--max-tokens", "3"}).exit_code, 0);
    auto s = status();
    EXPECT_EQ(s["model_name"], "tsuku-synthetic-tiny-q8_0") << "the manifest's name, as manifest and detect say";
    EXPECT_EQ(s["gguf_name"], "tsuku-synthetic-qwen2-tiny-q8_0") << "general.name, beside it";

    const fs::path other = home / "my-other-model.gguf";
    fs::copy_file(tsuku::test::kTinyModel, other);
    auto r = tsuku({"llm", "complete", "hello", "--max-tokens", "3", "--model", other.string()});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.err.find("restarting the server: --model asks for my-other-model"), std::string::npos) << r.err;
    EXPECT_EQ(status()["model_name"], "my-other-model");

    const auto text = tsuku({"llm", "status"});
    EXPECT_NE(text.out.find("model:   my-other-model (\"tsuku-synthetic-qwen2-tiny-q8_0\")"), std::string::npos)
        << text.out;
    EXPECT_NE(text.out.find("uptime:"), std::string::npos) << text.out;
    EXPECT_NE(text.out.find("more without requests"), std::string::npos) << text.out;
}

TEST_F(StartPathCli, ExplicitModelNotInstalledIsAnErrorWithTheFixNotAnotherModel) {
    ASSERT_EQ(tsuku({"llm", "complete", "hello", "--max-tokens", "3"}).exit_code, 0);
    const auto r = tsuku({"llm", "complete", "hello", "--model", "qwen2.5-0.5b-instruct-q4_k_m"},
                         {{"TSUKU_LLM_ALLOW_DOWNLOADS", ""}});
    EXPECT_NE(r.exit_code, 0) << r.out;
    EXPECT_TRUE(r.out.empty()) << "no reply from another model: " << r.out;
    EXPECT_NE(r.err.find("tsuku llm install --model qwen2.5-0.5b-instruct-q4_k_m"), std::string::npos) << r.err;

    for (const std::string bad : {"/etc", "/dev/null"}) {
        const auto e = tsuku({"llm", "complete", "hello", "--model", bad});
        EXPECT_EQ(e.exit_code, 1) << bad;
        EXPECT_NE(e.err.find(bad == "/etc" ? "is a folder" : "is a device"), std::string::npos) << e.err;
    }
}

TEST_F(StartPathCli, ForcedCudaDownloadsNothingAndCpuServesWithTheReason) {
    ASSERT_EQ(tsuku({"config", "set", "llm.backend", "cuda"}).exit_code, 0);
    const auto r = tsuku({"llm", "complete", "hello", "--max-tokens", "3"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.err.find("the cuda backend cannot run here (library_missing)"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("libcuda.so.1"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("nothing was downloaded"), std::string::npos) << r.err;
    // The advice does not suggest what the user already did.
    EXPECT_EQ(r.err.find("tsuku config set llm.backend <"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("tsuku config unset llm.backend"), std::string::npos) << r.err;
    EXPECT_FALSE(fs::exists(variant_dir("cuda")));
    EXPECT_FALSE(has_entry_containing(home / "cache", "cuda")) << "no cuda package in the download cache";
    EXPECT_FALSE(has_entry_containing(home / "components", "cuda"));
    EXPECT_EQ(status()["backend"], "cpu");

    // install on request still installs, with a warning that names why it cannot run.
    const auto i = tsuku({"llm", "install", "--backend", "cuda", "--yes"});
    ASSERT_EQ(i.exit_code, 0) << i.err;
    EXPECT_NE(i.err.find("warning: the cuda backend cannot run here (library_missing)"), std::string::npos) << i.err;
    EXPECT_TRUE(fs::exists(variant_dir("cuda")));
}

TEST_F(StartPathCli, SoftwareDevicePermissionChangeTriesVulkanAgain) {
    ASSERT_EQ(tsuku({"config", "set", "llm.backend", "vulkan"}).exit_code, 0);
    auto r = tsuku({"llm", "complete", "hello", "--max-tokens", "3"}, {{kAllow, ""}});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.err.find("software_device_only"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("TSUKU_LLM_ALLOW_SOFTWARE_DEVICES=1"), std::string::npos) << r.err;
    EXPECT_EQ(status()["backend"], "cpu");

    r = tsuku({"llm", "complete", "hello", "--max-tokens", "3"}, {{kAllow, "1"}});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.err.find("failed on this hardware before"), std::string::npos) << r.err;
    EXPECT_EQ(status()["backend"], "vulkan");
}

TEST_F(StartPathCli, BadSettingsAreRefusedWhenSetAndNamedWhenFromTheEnvironment) {
    struct Case {
        std::vector<std::string> args;
        std::string says;
    };
    const fs::path folder = home / "a-folder.gguf";
    fs::create_directories(folder);
    for (const auto& c : std::vector<Case>{
             {{"llm.backend", "metal"}, "has no metal backend"},
             {{"llm.model", "foo"}, "llm.model foo: no such model"},
             {{"llm.model", "/etc/passwd"}, "is not a GGUF file"},
             {{"llm.model", folder.string()}, "is a folder"},
         }) {
        std::vector<std::string> args = {"config", "set"};
        args.insert(args.end(), c.args.begin(), c.args.end());
        const auto r = tsuku(args);
        EXPECT_EQ(r.exit_code, 2) << c.args[1];
        EXPECT_NE(r.err.find(c.says), std::string::npos) << r.err;
    }
    EXPECT_FALSE(fs::exists(home / "config.toml")) << "nothing written";
    EXPECT_NE(tsuku({"config", "set", "llm.backend", "metal"}).err.find("auto, cpu, vulkan, cuda"), std::string::npos);

    auto r = tsuku({"llm", "complete", "hi"}, {{"TSUKU_LLM_BACKEND", "metal"}});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("TSUKU_LLM_BACKEND=metal"), std::string::npos) << r.err;
    r = tsuku({"llm", "complete", "hi"}, {{"TSUKU_LLM_MODEL", "nope"}});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("TSUKU_LLM_MODEL=nope: no such model"), std::string::npos) << r.err;
    EXPECT_FALSE(status()["running"].get<bool>());
}

TEST_F(StartPathCli, TextStatusShowsTheAttemptsOfAFailedStart) {
    ASSERT_EQ(tsuku({"config", "set", "llm.backend", "cuda"}).exit_code, 0);
    ASSERT_EQ(tsuku({"config", "set", "llm.fallback", "off"}).exit_code, 0);
    EXPECT_NE(tsuku({"llm", "complete", "hello"}).exit_code, 0);
    const auto r = tsuku({"llm", "status"});
    EXPECT_NE(r.out.find("not running"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("last start:"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("cuda: not_viable (library_missing"), std::string::npos) << r.out;
}

TEST_F(StartPathCli, AStoppedServerIsNamedAndCanBeStopped) {
    ASSERT_EQ(tsuku({"llm", "complete", "hello", "--max-tokens", "3"}).exit_code, 0);
    const pid_t pid = status()["pid"].get<pid_t>();
    ASSERT_EQ(::kill(pid, SIGSTOP), 0);
    auto r = tsuku({"llm", "status"});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("is stopped (SIGSTOP or Ctrl-Z)"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("kill -CONT " + std::to_string(pid)), std::string::npos) << r.err;
    r = tsuku({"llm", "complete", "hello", "--max-tokens", "3"});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("is stopped"), std::string::npos) << r.err;
    EXPECT_EQ(r.err.find("start"), std::string::npos) << "no claim of starting a server: " << r.err;
    r = tsuku({"llm", "stop"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_FALSE(status()["running"].get<bool>());
}
