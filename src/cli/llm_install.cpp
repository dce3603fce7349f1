// tsuku llm install [--backend B] [--model M] [--yes] [--reinstall] [--json]
// tsuku llm uninstall (--backend B | --all)     tsuku llm prune
#include <unistd.h>

#include <memory>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/server_start.h"
#include "common/error.h"
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
    const auto& platform = resolve::this_platform(m);
    const Home home = ctx.home();
    const auto progress = o.json ? std::unique_ptr<install::Progress>(new install::NullProgress)
                                 : install::make_progress(ctx.err, ::isatty(STDERR_FILENO) == 1);
    const auto consent = make_consent(ctx, cfg, o.yes);
    nlohmann::json result;

    const Backend backend = backend_or_chain_head(ctx, cfg, o.backend);
    const auto report = run_detection(ctx, cfg);
    // Installed on request even where it cannot run, but never silently.
    if (const auto why = ruled_out_by_detection(report, backend, resolve::software_devices_allowed(ctx.env))) {
        ctx.err << "warning: the " << backend_name(backend) << " backend cannot run here ("
                << platform::reason_code(why->reason) << "): " << why->detail << "; installing it anyway, as asked\n";
    }
    install::EnsureOptions eo;
    eo.consent = consent;
    eo.reinstall = o.reinstall;
    // A component whose libraries the system already has is not downloaded.
    eo.system_has = [&](const std::string& soname) {
        const auto* lib = report.evidence.library(soname);
        return lib && lib->path.has_value();
    };
    const auto v = install::ensure_variant(home, m, platform, backend, ctx.env, *progress, eo);
    result["variant"] = {{"backend", std::string(backend_name(backend))},
                         {"dir", v.dir.string()},
                         {"installed_now", v.installed_now},
                         {"verified", true}};
    if (!o.json) {
        ctx.out << "variant " << backend_name(backend) << ": " << (v.installed_now ? "installed" : "already installed")
                << " and verified in " << v.dir.string() << "\n";
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
    auto all = std::make_shared<bool>(false);
    auto* un = llm.add_subcommand("uninstall", "remove installed variants");
    un->add_option("--backend", *backend, "the variant to remove");
    un->add_flag("--all", *all, "remove every installed variant");
    un->callback([&ctx, backend, all] {
        const Home home = ctx.home();
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
                throw UserError("say which variant to remove", "--backend <" + backend_names_joined() + "> or --all",
                                ExitCode::usage);
            removed = install::uninstall_variant(home, m, *b);
        }
        if (removed.empty()) ctx.out << "nothing to remove\n";
        for (const auto& p : removed) ctx.out << "removed " << p.string() << "\n";
    });

    auto* prune = llm.add_subcommand("prune", "remove variants of other tsuku-llm versions");
    prune->callback([&ctx] {
        const Home home = ctx.home();
        auto removed = install::prune_other_versions(home, manifest::embedded_manifest().addon_version);
        for (auto& p : server::prune_prompt_states(home)) removed.push_back(std::move(p));  // after the variants
        if (removed.empty()) ctx.out << "nothing to prune\n";
        for (const auto& p : removed) ctx.out << "removed " << p.string() << "\n";
    });
}

}  // namespace tsuku::cli
