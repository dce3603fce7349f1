// tsuku-llm: the inference server. One build per backend variant (cpu, vulkan, cuda).
//   tsuku-llm serve --socket PATH --model PATH [--notify-fd N] [--idle-timeout DUR] ...
//   tsuku-llm version [--json]
#include <signal.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <cctype>
#include <cstdio>
#include <filesystem>
#include <iostream>

#include "common/duration.h"
#include "common/environment.h"
#include "common/error.h"
#include "common/exception_report.h"
#include "common/exit_codes.h"
#include "common/serve_command.h"
#include "common/version.h"
#include "install/sha256.h"
#include "llama.h"
#include "server/backend_check.h"
#include "server/mapped_libraries.h"
#include "server/serve.h"
#include "server/variant.h"

namespace fs = std::filesystem;
using namespace tsuku;

namespace {

fs::path executable_dir() { return fs::read_symlink("/proc/self/exe").parent_path(); }

void forward_llama_log(ggml_log_level level, const char* text, void*) {
    std::string s(text);
    while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
    if (s.empty()) return;
    if (level == GGML_LOG_LEVEL_ERROR) {
        spdlog::error("llama: {}", s);
    } else if (level == GGML_LOG_LEVEL_WARN) {
        spdlog::warn("llama: {}", s);
    } else {
        spdlog::debug("llama: {}", s);
    }
}

nlohmann::json version_json(bool allow_software) {
    const Backend backend = server::compiled_backend();
    nlohmann::json j = {{"program", "tsuku-llm"},
                        {"backend", std::string(backend_name(backend))},
                        {"addon_version", kVersion},
                        {"llama_cpp", kLlamaCppRelease}};
    const auto check = server::check_backend({backend, executable_dir(), allow_software});
    auto devices = nlohmann::json::array();
    for (const auto& d : check.devices) {
        devices.push_back({{"name", d.name},
                           {"description", d.description},
                           {"type", d.type},
                           {"software", d.software},
                           {"memory_free", d.memory_free},
                           {"memory_total", d.memory_total}});
    }
    j["available"] = check.ok;
    j["devices"] = devices;
    if (!check.ok) {
        j["reason"] = std::string(reason_code(check.reason));
        j["detail"] = check.detail;
    }
    j["mapped_libraries"] = server::mapped_libraries();  // after the check: what it loaded
    return j;
}

}  // namespace

int main(int argc, char** argv) {
    ::signal(SIGPIPE, SIG_IGN);
    // The log goes to stderr: stdout carries only command output (version --json).
    spdlog::set_default_logger(spdlog::stderr_color_mt("tsuku-llm", spdlog::color_mode::never));
    spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e [%l] %v");
    const auto env = Environment::process();

    CLI::App app{"tsuku-llm: local LLM inference server (backend: " +
                 std::string(backend_name(server::compiled_backend())) + ")"};
    app.require_subcommand(1);

    server::ServeOptions so;
    std::string socket, model, idle = "5m";
    bool verbose = false;
    int64_t seed = -1;
    auto* serve = app.add_subcommand("serve", "serve gRPC on a Unix socket");
    serve->add_option(serve_option::kSocket, socket, "Unix socket path to listen on")->required();
    serve->add_option(serve_option::kModel, model, "GGUF model file")->required();
    serve->add_option(serve_option::kNotifyFd, so.notify_fd, "write start-up events (JSON lines) to this inherited fd");
    serve->add_option(serve_option::kIdleTimeout, idle,
                      "stop after this long without requests (e.g. 5m, 30s; 0 = never)");
    serve->add_option("--ctx", so.context_tokens, "context size in tokens")->check(CLI::Range(256u, 1u << 20));
    serve
        ->add_option(serve_option::kThreads, so.threads,
                     "CPU threads (0: the physical cores this process may use, within its cgroup CPU quota)")
        ->check(CLI::Range(0, 1024));
    serve->add_option("--gpu-layers", so.gpu_layers, "layers to offload (-1 = all)");
    serve->add_option("--model-sha256", so.model_sha256, "refuse (exit 65) a model whose sha256 is not this");
    serve->add_option("--max-queue", so.max_waiting, "requests that may wait behind the one generating")
        ->check(CLI::Range(0, 1024));
    serve->add_flag("--allow-software-devices", so.allow_software_devices,
                    "accept software GPU devices such as llvmpipe (tests); also TSUKU_LLM_ALLOW_SOFTWARE_DEVICES=1");
    serve->add_option("--prompt-cache", so.prompt_cache_dir,
                      "folder of saved prompt states, restored by later servers (tsuku passes $TSUKU_HOME/cache/kv)");
    serve->add_option("--prompt-cache-size", so.prompt_cache_bytes, "their size budget in bytes (0: no cache)");
    serve->add_option("--seed", seed, "sample every request with this seed (reproducible replies)")
        ->check(CLI::Range(int64_t{0}, int64_t{UINT32_MAX}));
    serve->add_flag("-v,--verbose", verbose, "log llama.cpp's own messages");

    bool json = false;
    auto* version = app.add_subcommand("version", "print the backend and versions");
    version->add_flag("--json", json, "machine-readable output");

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e) == 0 ? 0 : to_int(ExitCode::usage);
    }
    if (verbose) spdlog::set_level(spdlog::level::debug);
    llama_log_set(forward_llama_log, nullptr);

    try {
        if (*version) {
            const auto j = version_json(software_devices_allowed(env));
            if (json) {
                std::cout << j.dump(2) << "\n";
            } else {
                std::cout << "tsuku-llm " << kVersion << " (backend " << j["backend"].get<std::string>()
                          << ", llama.cpp " << kLlamaCppRelease << ")\n";
            }
            return 0;
        }
        const auto idle_ms = parse_duration(idle);
        if (!idle_ms) {
            throw UserError("--idle-timeout '" + idle + "' is not a duration", "use e.g. 30s, 5m, 1h or 0 (never)",
                            ExitCode::usage);
        }
        so.idle_timeout = *idle_ms;
        for (auto& c : so.model_sha256) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        if (!so.model_sha256.empty() && !install::is_sha256_hex(so.model_sha256)) {
            throw UserError("--model-sha256 '" + so.model_sha256 + "' is not a sha256", "pass 64 hex digits",
                            ExitCode::usage);
        }
        so.socket = fs::absolute(socket);
        so.model = fs::absolute(model);
        if (seed >= 0) so.seed = static_cast<uint32_t>(seed);
        if (!so.prompt_cache_dir.empty()) so.prompt_cache_dir = fs::absolute(so.prompt_cache_dir);
        so.allow_software_devices = so.allow_software_devices || software_devices_allowed(env);
        so.library_dir = executable_dir();
        return server::serve(so);
    } catch (...) {
        return report_current_exception("tsuku-llm: ");
    }
}
