// tsuku llm status [--json]
#include <memory>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "client/llm_client.h"
#include "lifecycle/server_manager.h"

namespace tsuku::cli {
namespace {

void run(Context& ctx, bool json) {
    lifecycle::ServerManager manager(ctx.home());
    nlohmann::json j = {{"running", false}, {"socket", manager.home().socket_path().string()}};
    if (manager.is_serving()) {
        client::LlmClient client(manager.home().socket_path());
        const auto s = client.status(std::chrono::seconds(5));
        j["running"] = true;
        j["pid"] = manager.running_pid().value_or(-1);
        j["ready"] = s.ready();
        j["backend"] = s.backend();
        j["model_name"] = s.model_name();
        j["model_size_bytes"] = s.model_size_bytes();
        j["available_vram_bytes"] = s.available_vram_bytes();
        j["addon_version"] = s.addon_version();
    }
    if (json) {
        ctx.out << j.dump(2) << "\n";
        return;
    }
    if (!j["running"].get<bool>()) {
        ctx.out << "server: not running (it starts on the next `tsuku llm complete`)\n";
        return;
    }
    ctx.out << "server:  running (pid " << j["pid"] << "), " << (j["ready"].get<bool>() ? "ready" : "stopping") << "\n"
            << "backend: " << j["backend"].get<std::string>() << "\n"
            << "model:   " << j["model_name"].get<std::string>() << " (" << (j["model_size_bytes"].get<int64_t>() >> 20)
            << " MiB)\n";
    if (j["available_vram_bytes"].get<int64_t>() > 0) {
        ctx.out << "vram:    " << (j["available_vram_bytes"].get<int64_t>() >> 20) << " MiB free\n";
    }
    ctx.out << "socket:  " << j["socket"].get<std::string>() << "\n"
            << "version: tsuku-llm " << j["addon_version"].get<std::string>() << "\n";
}

}  // namespace

void add_llm_status(CLI::App& llm, Context& ctx) {
    auto json = std::make_shared<bool>(false);
    auto* cmd = llm.add_subcommand("status", "show the server: running, backend, model");
    cmd->add_flag("--json", *json, "machine-readable output");
    cmd->callback([&ctx, json] { run(ctx, *json); });
}

}  // namespace tsuku::cli
