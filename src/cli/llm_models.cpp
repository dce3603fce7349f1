// tsuku llm models [--json]: every manifest model and every .gguf under models/ — installed or not, its size, the
// memory it needs, whether it fits each backend this machine can run now, and which one the server serves.
#include <algorithm>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/detection.h"
#include "cli/model_inventory.h"
#include "common/text.h"
#include "lifecycle/server_record.h"
#include "resolve/model_choice.h"

namespace tsuku::cli {
namespace {

struct BackendRoom {
    Backend backend;
    uint64_t usable = 0;
    std::string how;
};

std::optional<uint64_t> need_on(const ModelEntry& e, Backend b) { return b == Backend::cpu ? e.need_ram : e.need_vram; }

bool fits(const ModelEntry& e, const BackendRoom& r) {
    const auto need = need_on(e, r.backend);
    return need && *need <= r.usable;
}

std::string pad(std::string s, size_t width) {
    if (s.size() < width) s.append(width - s.size(), ' ');
    return s + " ";
}

void run(Context& ctx, bool json) {
    const Home home = ctx.home();
    const auto cfg = ctx.config();
    const auto& m = manifest::embedded_manifest();
    const auto report = run_detection(ctx, cfg);
    std::vector<BackendRoom> rooms;  // the chain: the backends that can run here, best first
    for (Backend b : report.chain) {
        BackendRoom r{b, 0, {}};
        r.usable = resolve::usable_bytes(memory_budget(b, report), &r.how);
        rooms.push_back(std::move(r));
    }
    const auto serving = serving_model(home);
    const auto models = model_inventory(home, m, serving, ctx.env);

    if (json) {
        nlohmann::json j = {{"models", nlohmann::json::array()}, {"backends", nlohmann::json::array()}};
        for (const auto& e : models) {
            nlohmann::json o = {{"name", e.name},
                                {"source", e.manifest ? "manifest" : "file"},
                                {"path", e.path.string()},
                                {"installed", e.installed},
                                {"offline", e.offline},
                                {"synthetic", e.synthetic},
                                {"size_bytes", e.size_bytes},
                                {"need_ram_bytes", e.need_ram ? nlohmann::json(*e.need_ram) : nlohmann::json()},
                                {"need_vram_bytes", e.need_vram ? nlohmann::json(*e.need_vram) : nlohmann::json()},
                                {"fits", nlohmann::json::object()},
                                {"serving", e.serving}};
            for (const auto& r : rooms) o["fits"][std::string(backend_name(r.backend))] = fits(e, r);
            if (!e.problem.empty()) o["problem"] = e.problem;
            j["models"].push_back(std::move(o));
        }
        for (const auto& r : rooms) {
            j["backends"].push_back(
                {{"backend", std::string(backend_name(r.backend))}, {"usable_bytes", r.usable}, {"memory", r.how}});
        }
        j["serving"] = serving ? nlohmann::json{{"pid", serving->pid},
                                                {"backend", serving->backend},
                                                {"model", lifecycle::model_display_name(serving->model_path.string())},
                                                {"path", serving->model_path.string()}}
                               : nlohmann::json();
        ctx.out << j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
        return;
    }

    size_t width = 5;
    for (const auto& e : models) width = std::max(width, e.name.size());
    ctx.out << pad("MODEL", width + 1) << pad("SIZE", 10) << pad("NEEDS", 10) << pad("INSTALLED", 10) << "FITS\n";
    for (const auto& e : models) {
        std::string fit;
        for (const auto& r : rooms) {
            if (fits(e, r)) append_listed(fit, ",", std::string(backend_name(r.backend)));
        }
        std::string installed = e.installed ? "yes" : e.offline ? "local" : "no";
        std::string notes;
        if (e.synthetic) notes += "  synthetic (noise text)";
        if (!e.manifest) notes += "  not in the manifest";
        if (e.serving) notes += "  serving" + (serving->backend.empty() ? "" : " on " + serving->backend);
        if (!e.problem.empty()) notes += "  needs unknown: " + e.problem;
        ctx.out << pad(e.name, width + 1) << pad(resolve::format_model_size(e.size_bytes), 10)
                << pad(e.need_ram ? resolve::format_model_size(*e.need_ram) : "?", 10) << pad(installed, 10)
                << (fit.empty() ? "none" : fit) << notes << "\n";
    }
    ctx.out << "\n";
    for (const auto& r : rooms) ctx.out << "memory on " << backend_name(r.backend) << ": " << r.how << "\n";
    if (serving) {
        ctx.out << "serving: "
                << (serving->model_path.empty() ? std::string("unknown model")
                                                : lifecycle::model_display_name(serving->model_path.string()))
                << (serving->backend.empty() ? "" : " on " + serving->backend) << " (pid " << serving->pid << ")\n";
    } else {
        ctx.out << "serving: no server is running\n";
    }
    if (std::any_of(models.begin(), models.end(), [](const ModelEntry& e) { return e.offline && !e.installed; })) {
        ctx.out << "local: in the release folder, copied into models/ at first use without a download\n";
    }
    ctx.out << "get one: tsuku llm install --model NAME; remove one: tsuku llm uninstall --model NAME\n";
}

}  // namespace

void add_llm_models(CLI::App& llm, Context& ctx) {
    auto json = std::make_shared<bool>(false);
    auto* cmd = llm.add_subcommand("models", "list the models: installed or not, size, memory needed, fit, serving");
    cmd->add_flag("--json", *json, "machine-readable output");
    cmd->callback([&ctx, json] { run(ctx, *json); });
}

}  // namespace tsuku::cli
