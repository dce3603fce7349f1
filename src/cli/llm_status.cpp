// tsuku llm status [--json]
#include <memory>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "client/llm_client.h"
#include "common/duration.h"
#include "lifecycle/server_manager.h"
#include "lifecycle/server_record.h"
#include "lifecycle/supervisor.h"

namespace tsuku::cli {
namespace {

void run(Context& ctx, bool json) {
    lifecycle::ServerManager manager(ctx.home());
    nlohmann::json j = {{"running", false}, {"socket", manager.home().socket_path().string()}};
    if (manager.is_serving()) {
        manager.serving_status();  // a stopped or hung server is named, with the fix, instead of a deadline error
        client::LlmClient client(manager.home().socket_path());
        const auto s = client.status(std::chrono::seconds(5));
        j["running"] = true;
        j["pid"] = manager.running_pid().value_or(-1);
        j["threads"] = s.threads();
        j["threads_why"] = s.threads_why();
        j["ready"] = s.ready();
        j["backend"] = s.backend();
        j["model_name"] = s.model_name();
        j["gguf_name"] = s.gguf_name();
        j["uptime_ms"] = s.uptime_ms();
        j["idle_remaining_ms"] = s.idle_remaining_ms();
        if (const auto record = lifecycle::load_server_record(manager.home(), s.pid())) {
            j["model_path"] = record->model_path;
            j["model_setting"] = record->model_setting;
            j["runtime"] = record->runtime;
        }
        j["model_size_bytes"] = s.model_size_bytes();
        j["available_vram_bytes"] = s.available_vram_bytes();
        j["addon_version"] = s.addon_version();
        j["prompt_cache"] = {{"bytes", s.prompt_cache_bytes()},
                             {"budget_bytes", s.prompt_cache_budget_bytes()},
                             {"states", s.prompt_cache_states()},
                             {"hits", s.prompt_cache_hits()},
                             {"saves", s.prompt_cache_saves()}};
        j["devices"] = nlohmann::json::array();
        for (const auto& d : s.devices()) {
            j["devices"].push_back({{"name", d.name()},
                                    {"description", d.description()},
                                    {"type", d.type()},
                                    {"memory_free_bytes", d.memory_free_bytes()},
                                    {"memory_total_bytes", d.memory_total_bytes()}});
        }
    }
    // How the last start went: which backends were tried, which failed and why.
    j["last_start"] = nlohmann::json::array();
    for (const auto& a : lifecycle::load_start_history(manager.home())) {
        const bool ready = a.result == lifecycle::AttemptResult::ready;
        j["last_start"].push_back({{"backend", backend_name(a.backend)},
                                   {"result", lifecycle::attempt_result_name(a.result)},
                                   {"reason", ready ? "" : reason_code(a.reason)},
                                   {"detail", a.detail}});
    }
    if (json) {
        ctx.out << j.dump(2) << "\n";
        return;
    }
    auto print_history = [&](bool always) {
        if (j["last_start"].empty()) return;
        if (!always && j["last_start"].size() < 2) return;  // a start with no fallback has no story to tell
        ctx.out << "last start:\n";
        for (const auto& a : j["last_start"]) {
            ctx.out << "  " << a["backend"].get<std::string>() << ": " << a["result"].get<std::string>();
            if (!a["reason"].get<std::string>().empty()) {
                ctx.out << " (" << a["reason"].get<std::string>() << ": " << a["detail"].get<std::string>() << ")";
            }
            ctx.out << "\n";
        }
    };
    if (!j["running"].get<bool>()) {
        ctx.out << "server: not running (it starts on the next `tsuku llm complete`)\n";
        print_history(true);
        return;
    }
    ctx.out << "server:  running (pid " << j["pid"] << "), " << (j["ready"].get<bool>() ? "ready" : "stopping") << "\n"
            << "backend: " << j["backend"].get<std::string>() << "\n"
            << "model:   " << j["model_name"].get<std::string>();
    if (const auto g = j["gguf_name"].get<std::string>(); !g.empty() && g != j["model_name"]) {
        ctx.out << " (\"" << g << "\")";
    }
    ctx.out << ", " << (j["model_size_bytes"].get<int64_t>() >> 20) << " MiB\n";
    const int64_t uptime_ms = j["uptime_ms"].get<int64_t>();
    ctx.out << "uptime:  "
            << (uptime_ms < 1000 ? std::string("under 1s")
                                 : format_duration(std::chrono::milliseconds(uptime_ms / 1000 * 1000)));
    const int64_t idle_left = j["idle_remaining_ms"].get<int64_t>();
    ctx.out << (idle_left < 0
                    ? ", never stops by itself (llm.idle_timeout 0)"
                    : ", stops after " + format_duration(std::chrono::milliseconds((idle_left + 999) / 1000 * 1000)) +
                          " more without requests")
            << "\n";
    for (const auto& r : j.value("runtime", nlohmann::json::array())) {
        ctx.out << "runtime: " << r.get<std::string>() << "\n";
    }
    if (j["threads"].get<int>() > 0) ctx.out << "threads: " << j["threads_why"].get<std::string>() << "\n";
    if (j["available_vram_bytes"].get<int64_t>() > 0) {
        ctx.out << "vram:    " << (j["available_vram_bytes"].get<int64_t>() >> 20) << " MiB free\n";
    }
    for (const auto& d : j["devices"]) {
        ctx.out << "device:  " << d["name"].get<std::string>() << " — " << d["description"].get<std::string>() << " ("
                << d["type"].get<std::string>() << ", " << (d["memory_free_bytes"].get<int64_t>() >> 20)
                << " MiB free of " << (d["memory_total_bytes"].get<int64_t>() >> 20) << " MiB)\n";
    }
    if (const auto& pc = j["prompt_cache"]; pc["budget_bytes"].get<int64_t>() > 0) {
        ctx.out << "prompt cache: " << pc["states"].get<int>() << " saved states, "
                << (pc["bytes"].get<int64_t>() >> 20) << " MiB of " << (pc["budget_bytes"].get<int64_t>() >> 20)
                << " MiB; this server restored " << pc["hits"].get<int64_t>() << ", saved "
                << pc["saves"].get<int64_t>() << "\n";
    } else {
        ctx.out << "prompt cache: off (llm.prompt_cache_size 0)\n";
    }
    ctx.out << "socket:  " << j["socket"].get<std::string>() << "\n"
            << "version: tsuku-llm " << j["addon_version"].get<std::string>() << "\n";
    print_history(false);
}

}  // namespace

void add_llm_status(CLI::App& llm, Context& ctx) {
    auto json = std::make_shared<bool>(false);
    auto* cmd = llm.add_subcommand("status", "show the server: running, backend, model");
    cmd->add_flag("--json", *json, "machine-readable output");
    cmd->callback([&ctx, json] { run(ctx, *json); });
}

}  // namespace tsuku::cli
