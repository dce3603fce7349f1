// tsuku llm install [--backend B] [--model M] [--yes] [--reinstall] [--json]
// tsuku llm uninstall (--backend B | --all | --model NAME)     tsuku llm prune
#include <unistd.h>

#include <algorithm>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>

#include "cli/commands.h"
#include "cli/model_inventory.h"
#include "cli/server_start.h"
#include "common/error.h"
#include "common/text.h"
#include "install/model_store.h"
#include "lifecycle/server_manager.h"
#include "resolve/measured_choice.h"
#include "resolve/policy.h"
#include "server/prompt_state_prune.h"

namespace fs = std::filesystem;

namespace tsuku::cli {
namespace {

struct InstallOptions {
    std::string backend;
    std::string model;
    bool yes = false;
    bool reinstall = false;
    bool json = false;
};

Backend backend_or_chain_head(const Context& ctx, const config::Config& cfg, const std::string& name) {
    const auto choice = backend_choice(cfg, name);  // refuses a backend this platform does not have
    if (!name.empty() && choice.backend) return *choice.backend;
    return run_detection(ctx, cfg).chain.front();
}

void run_install(Context& ctx, const InstallOptions& o) {
    const auto cfg = ctx.config();
    const auto& m = manifest::embedded_manifest();
    const Home home = ctx.home();
    const auto progress = o.json ? std::unique_ptr<install::Progress>(new install::NullProgress)
                                 : install::make_progress(ctx.err, ::isatty(STDERR_FILENO) == 1);
    const auto consent = make_consent(ctx, cfg, o.yes);
    nlohmann::json result;

    const Backend backend = backend_or_chain_head(ctx, cfg, o.backend);
    const auto report = run_detection(ctx, cfg);
    // Installed on request even where it cannot run, but never silently.
    if (const auto why = ruled_out_by_detection(report, backend, software_devices_allowed(ctx.env))) {
        ctx.err << "warning: the " << backend_name(backend) << " backend cannot run here (" << reason_code(why->reason)
                << "): " << why->detail << "; installing it anyway, as asked\n";
    }
    const auto v = prepare_variant(ctx, report, backend, *progress, consent, o.reinstall);
    result["variant"] = {{"backend", std::string(backend_name(backend))},
                         {"dir", v.dir.string()},
                         {"installed_now", v.installed_now},
                         {"verified", true},
                         {"runtime", v.runtime}};
    if (!o.json) {
        ctx.out << "variant " << backend_name(backend) << ": " << (v.installed_now ? "installed" : "already installed")
                << " and verified in " << v.dir.string() << "\n";
        for (const auto& r : v.runtime) ctx.out << "runtime " << r << "\n";
    }

    if (!o.model.empty()) {
        const manifest::Model* model = nullptr;
        if (o.model == "auto") {
            // The best fitting model for this backend, downloaded or not: that is what "auto" installs.
            auto choice = model_for(ctx, cfg, backend, report, "auto");
            model = choice.best_fit ? choice.best_fit : choice.model;
        } else {
            model = m.model(o.model);
            if (!model) {
                throw UserError("unknown model '" + o.model + "'", "see tsuku llm manifest for the models there are",
                                ExitCode::usage);
            }
        }
        const auto path = install::ensure_model(home, *model, ctx.env, *progress, consent, o.reinstall);
        install::verify_model(home, *model, *progress);
        result["model"] = {{"name", model->name}, {"path", path.string()}, {"verified", true}};
        if (!o.json) ctx.out << "model " << model->name << ": ready in " << path.string() << "\n";
    }
    if (o.json) ctx.out << result.dump(2) << "\n";
}

void refuse_while_serving(const Home& home) {
    if (lifecycle::ServerManager(home).running_pid()) {
        throw UserError("the server is running", "stop it first: tsuku llm stop");
    }
}

void append(std::vector<fs::path>& to, const std::vector<fs::path>& more) {
    to.insert(to.end(), more.begin(), more.end());
}

// One model: a manifest name or a file under models/ (its name without .gguf). Refused while the server serves it.
void uninstall_model(Context& ctx, const Home& home, const std::string& name) {
    const auto serving = serving_model(home);
    const auto models = model_inventory(home, manifest::embedded_manifest(), serving, ctx.env);
    const auto it = std::find_if(models.begin(), models.end(), [&](const ModelEntry& e) { return e.name == name; });
    if (it == models.end()) {
        std::string names;
        for (const auto& e : models) append_listed(names, ", ", e.name);
        throw UserError("no model named '" + name + "'", "one of: " + names + " (see tsuku llm models)",
                        ExitCode::usage);
    }
    if (serving && (it->serving || serving->model_path.empty())) {
        throw UserError("the model " + name + " is " + (it->serving ? "serving" : "perhaps serving") + " (server pid " +
                            std::to_string(serving->pid) + ")",
                        "stop the server first: tsuku llm stop, then tsuku llm uninstall --model " + name);
    }
    std::error_code ec;
    if (!fs::exists(it->path, ec)) {
        ctx.out << "the model " << name << " is not installed: nothing to remove\n";
        return;
    }
    install::remove_model_file(home, it->path);
    ctx.out << "removed " << it->path.string() << "\n";
}

// Files under models/ that no manifest model, no setting (llm.model as a path) and no running server refers to,
// and partial downloads.
std::vector<fs::path> prune_models(Context& ctx, const Home& home) {
    std::set<fs::path> keep;
    for (const auto& mo : manifest::embedded_manifest().models) keep.insert(install::model_path(home, mo));
    const auto setting = ctx.config().model();
    if (setting.kind == config::ModelChoice::Kind::path) keep.insert(fs::path(setting.value));
    if (const auto serving = serving_model(home)) {
        if (serving->model_path.empty()) return {};  // cannot tell what it serves: leave every model alone
        keep.insert(serving->model_path);
    }
    return install::prune_models(home, keep);
}

}  // namespace

void add_llm_install(CLI::App& llm, Context& ctx) {
    auto o = std::make_shared<InstallOptions>();
    auto* cmd = llm.add_subcommand("install", "install (and verify) a variant and optionally a model");
    cmd->add_option("--backend", o->backend, "the variant to install (default: the best this machine can run)");
    cmd->add_option("--model", o->model, "also install this model (a name from tsuku llm manifest, or auto)");
    cmd->add_flag("-y,--yes", o->yes, "download without asking (needed without a terminal, or llm.allow_downloads)");
    cmd->add_flag("--reinstall", o->reinstall, "download and install again even when present");
    cmd->add_flag("--json", o->json, "machine-readable output");
    cmd->callback([&ctx, o] { run_install(ctx, *o); });

    auto backend = std::make_shared<std::string>();
    auto model = std::make_shared<std::string>();
    auto all = std::make_shared<bool>(false);
    auto* un = llm.add_subcommand("uninstall", "remove installed variants or a model");
    un->add_option("--backend", *backend, "the variant to remove");
    un->add_flag("--all", *all, "remove every installed variant");
    un->add_option("--model", *model, "the model to remove (a name from tsuku llm models)");
    un->callback([&ctx, backend, all, model] {
        const Home home = ctx.home();
        if (!model->empty()) {
            uninstall_model(ctx, home, *model);
            if (backend->empty() && !*all) return;
        }
        refuse_while_serving(home);
        const auto& m = manifest::embedded_manifest();
        std::vector<fs::path> removed;
        if (*all) {
            for (const auto& b : kBackends) {
                auto r = install::uninstall_variant(home, m, b.backend);
                removed.insert(removed.end(), r.begin(), r.end());
            }
        } else {
            const auto b = parse_backend(*backend);
            if (!b)
                throw UserError("say what to remove",
                                "--backend <" + backend_names_joined() + ">, --all, or --model NAME", ExitCode::usage);
            removed = install::uninstall_variant(home, m, *b);
        }
        if (removed.empty()) ctx.out << "nothing to remove\n";
        for (const auto& p : removed) ctx.out << "removed " << p.string() << "\n";
    });

    auto* prune = llm.add_subcommand(
        "prune", "remove variants of other tsuku-llm versions, models nothing refers to, and partial downloads");
    prune->callback([&ctx] {
        const Home home = ctx.home();
        auto removed = install::prune_other_versions(home, manifest::embedded_manifest().addon_version);
        append(removed, prune_models(ctx, home));
        append(removed, server::prune_prompt_states(home));  // after the variants and models they belong to
        if (removed.empty()) ctx.out << "nothing to prune\n";
        for (const auto& p : removed) ctx.out << "removed " << p.string() << "\n";
    });
}

}  // namespace tsuku::cli
