// start-bench: server start-up per variant and the fallback overhead, with real processes. Prints one JSON line.
//   start-up  time from spawn to the outcome: `ready` (cpu, vulkan) or the exit (cuda without a driver: 78)
//   fallback  through the supervisor (lifecycle/supervisor.h): time to ready of the chain [failing, cpu] minus
//             that of the chain [cpu], alternating, medians; the failure memory is emptied before each run so the
//             failing variant is really launched every time
//   rss       the peak resident set (VmHWM) of the cpu server after one completion
//
//   start-bench --variants build/variants --model M.gguf [--runs 5] [--backends cpu,vulkan,cuda] [--failing cuda]
// vulkan is started with TSUKU_LLM_ALLOW_SOFTWARE_DEVICES=1 (lavapipe counts); pass --no-software to leave it out.
#include <signal.h>
#include <stdlib.h>
#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>

#include "client/llm_client.h"
#include "common/exit_codes.h"
#include "lifecycle/server_process.h"
#include "lifecycle/supervisor.h"

namespace fs = std::filesystem;
using namespace tsuku;
using namespace std::chrono_literals;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace {

struct Options {
    fs::path variants, model;
    int runs = 5;
    std::vector<std::string> backends{"cpu", "vulkan", "cuda"};
    std::string failing = "cuda";
    bool software = true;
    bool fallback = true;
};

json spread(std::vector<double> v) {
    if (v.empty()) return nullptr;
    std::sort(v.begin(), v.end());
    const size_t n = v.size();
    const double median = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
    return {{"median", median}, {"min", v.front()}, {"max", v.back()}};
}

std::vector<std::pair<std::string, std::string>> env_for(const Options& o, const std::string& backend) {
    if (backend == "vulkan" && o.software) return {{"TSUKU_LLM_ALLOW_SOFTWARE_DEVICES", "1"}};
    return {};
}

// One plain start of a variant: spawn, wait for the outcome, stop it.
std::pair<double, std::string> start_once(const Options& o, const fs::path& dir, const std::string& backend) {
    lifecycle::LaunchSpec spec;
    spec.executable = o.variants / backend / "tsuku-llm";
    spec.log_file = dir / ("start-" + backend + ".log");
    spec.env = env_for(o, backend);
    spec.args = {"serve",       "--socket", (dir / "s.sock").string(), "--model", o.model.string(),
                 "--notify-fd", "3",        "--idle-timeout",          "0"};
    const auto t0 = Clock::now();
    auto p = lifecycle::ServerProcess::spawn(spec);
    const auto out = p.wait_for_start(2min);
    const double ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
    std::string what;
    switch (out.kind) {
        case lifecycle::StartOutcome::Kind::ready: what = "ready"; break;
        case lifecycle::StartOutcome::Kind::exited:
            what = "exit " + std::to_string(out.exit_code) + (out.failed ? " " + out.failed->reason : "");
            break;
        case lifecycle::StartOutcome::Kind::killed_by_signal: what = "signal " + std::to_string(out.signal); break;
        case lifecycle::StartOutcome::Kind::timed_out: what = "timed out"; break;
    }
    if (out.kind == lifecycle::StartOutcome::Kind::ready) {
        ::kill(p.pid(), SIGTERM);
        lifecycle::wait_for_exit(p.pid(), 10s);
    }
    p.kill_and_reap();
    return {ms, what};
}

long vm_hwm_kib(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind("VmHWM:", 0) == 0) return std::stol(line.substr(6));
    }
    return -1;
}

}  // namespace

int main(int argc, char** argv) {
    Options o;
    std::string backends = "cpu,vulkan,cuda";
    bool no_software = false;
    CLI::App app{"server start-up per variant, fallback overhead and server peak RSS"};
    app.add_option("--variants", o.variants, "folder with <backend>/tsuku-llm")
        ->required()
        ->check(CLI::ExistingDirectory);
    app.add_option("--model", o.model)->required()->check(CLI::ExistingFile);
    app.add_option("--runs", o.runs)->check(CLI::Range(1, 100));
    app.add_option("--backends", backends, "comma-separated variants to start");
    app.add_option("--failing", o.failing, "the variant that fails here (first in the fallback chain)");
    app.add_flag("--no-software", no_software, "do not allow software Vulkan devices");
    bool no_fallback = false;
    app.add_flag("--no-fallback", no_fallback, "start-up times only");
    CLI11_PARSE(app, argc, argv);
    o.software = !no_software;
    o.fallback = !no_fallback;
    o.variants = fs::absolute(o.variants);
    o.model = fs::absolute(o.model);
    o.backends.clear();
    for (size_t i = 0; i <= backends.size();) {
        const size_t j = std::min(backends.find(',', i), backends.size());
        if (j > i) o.backends.push_back(backends.substr(i, j - i));
        i = j + 1;
    }
    try {
        char tmpl[] = "/tmp/tsuku-start-bench.XXXXXX";
        if (!::mkdtemp(tmpl)) throw std::runtime_error("mkdtemp failed");
        const fs::path dir = tmpl;
        json result = {{"runs", o.runs}, {"model", o.model.string()}, {"startup_ms", json::object()}};

        for (const auto& b : o.backends) {
            if (!fs::exists(o.variants / b / "tsuku-llm")) continue;
            std::vector<double> times;
            std::string outcome;
            start_once(o, dir, b);  // warm-up: the page cache, the dynamic loader
            for (int i = 0; i < o.runs; ++i) {
                auto [ms, what] = start_once(o, dir, b);
                times.push_back(ms);
                outcome = what;
            }
            json s = spread(times);
            s["outcome"] = outcome;
            result["startup_ms"][b] = s;
        }

        if (!o.fallback) {
            fs::remove_all(dir);
            std::printf("%s\n", result.dump().c_str());
            return 0;
        }
        // Fallback through the supervisor, in a private home.
        const Home home(dir / "home");
        lifecycle::ServerManager manager(home);
        lifecycle::FailureMemory memory(home.failures_path());
        lifecycle::Supervisor supervisor(manager, memory);
        const auto failing = parse_backend(o.failing);
        if (!failing)
            throw UserError("unknown backend '" + o.failing + "'", "choose one of: " + backend_names_joined());
        auto prepare = [&](Backend backend) {
            const std::string name(backend_name(backend));
            lifecycle::ServerStartSpec s;
            s.executable = o.variants / name / "tsuku-llm";
            s.backend = backend;
            s.model = o.model;
            s.env = env_for(o, name);
            s.idle_timeout = 10min;
            return s;
        };
        auto timed_chain = [&](std::vector<Backend> chain, double* failing_ms) {
            memory.forget_all();
            const auto t0 = Clock::now();
            lifecycle::ChainStart start;
            start.chain = std::move(chain);
            start.fingerprint = "bench";
            const auto started = supervisor.ensure_running(start, prepare, {});
            const double ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
            if (failing_ms && started.attempts.size() > 1) *failing_ms = started.attempts.front().elapsed.count();
            return std::pair{ms, started.server.pid};
        };
        std::vector<double> chain_ms, direct_ms, failing_ms;
        timed_chain({Backend::cpu}, nullptr);  // warm-up
        manager.stop(5s, 5s);
        for (int i = 0; i < o.runs; ++i) {
            double f = 0;
            chain_ms.push_back(timed_chain({*failing, Backend::cpu}, &f).first);
            failing_ms.push_back(f);
            manager.stop(5s, 5s);
            direct_ms.push_back(timed_chain({Backend::cpu}, nullptr).first);
            manager.stop(5s, 5s);
        }
        const json chain = spread(chain_ms), direct = spread(direct_ms);
        result["fallback"] = {{"failing", o.failing},
                              {"chain_ms", chain},
                              {"direct_ms", direct},
                              {"failing_attempt_ms", spread(failing_ms)},
                              {"overhead_ms", chain["median"].get<double>() - direct["median"].get<double>()}};

        // Peak RSS of the cpu server after one completion.
        const auto [ms, pid] = timed_chain({Backend::cpu}, nullptr);
        (void)ms;
        client::LlmClient c(home.socket_path());
        llm::v1::CompletionRequest req;
        req.set_max_tokens(16);
        auto* m = req.add_messages();
        m->set_role(llm::v1::ROLE_USER);
        m->set_content("Say something about rivers.");
        c.complete(req, 5min);
        result["server_rss"] = {{"backend", "cpu"}, {"vm_hwm_kib", vm_hwm_kib(pid)}};
        manager.stop(5s, 5s);
        fs::remove_all(dir);
        std::printf("%s\n", result.dump().c_str());
    } catch (const std::exception& e) {
        std::fprintf(stderr, "start-bench: %s\n", e.what());
        return to_int(ExitCode::failure);
    }
    return 0;
}
