// tsuku llm detect [--json] [--sysroot DIR] [--no-probe] [--refresh] [--backend B] [--probe-timeout DUR]
// The chain honours llm.backend and llm.fallback from the config; --backend overrides llm.backend.
#include <memory>

#include "cli/commands.h"
#include "cli/detection.h"
#include "common/duration.h"
#include "common/error.h"
#include "lifecycle/failure_memory.h"
#include "manifest/manifest.h"
#include "platform/detect.h"
#include "resolve/measured_choice.h"
#include "resolve/policy.h"

namespace fs = std::filesystem;

namespace tsuku::cli {
namespace {

struct DetectCliOptions {
    bool json = false;
    std::string sysroot;
    bool no_probe = false;
    bool refresh = false;
    std::string backend;
    std::string probe_timeout = "5s";
};

void run(Context& ctx, const DetectCliOptions& c) {
    platform::DetectOptions o;
    o.system.env = ctx.env;
    if (!c.sysroot.empty()) {
        std::error_code ec;
        if (!fs::is_directory(c.sysroot, ec)) {
            throw UserError("--sysroot " + c.sysroot + " is not a folder",
                            "pass the root of a system tree (a folder with sys/, proc/, etc/, usr/)", ExitCode::usage);
        }
        o.system.root = fs::canonical(c.sysroot);
    }
    o.run_probes = !c.no_probe;
    o.refresh = c.refresh;
    const auto timeout = parse_duration(c.probe_timeout);
    if (!timeout || timeout->count() <= 0) {
        throw UserError("--probe-timeout " + c.probe_timeout + " is not a duration", "e.g. --probe-timeout 5s",
                        ExitCode::usage);
    }
    o.probe.timeout = *timeout;
    o.probe.command = {fs::read_symlink("/proc/self/exe").string(), "__probe"};
    std::string home_note;
    std::optional<Home> home;
    try {
        home = ctx.home();
    } catch (const UserError& e) {
        home_note = std::string("no cache, no config: ") + e.what();
    }
    std::optional<config::Config> config;
    if (home) {
        // llm.backend and llm.fallback, like every command that chooses a backend (a broken config is an error).
        config = ctx.config();
        const auto choice = backend_choice(*config, c.backend);
        o.forced = choice.backend;
        o.forced_by = choice.source;
        o.fallback = config->fallback_enabled();
        if (o.system.is_live()) o.cache_file = home->detection_cache_path();
    }
    if (!c.backend.empty() && !config) {
        o.forced = parse_backend(c.backend);
        o.forced_by = "--backend";
        if (!o.forced) {
            throw UserError("unknown backend '" + c.backend + "'", "choose one of: " + backend_names_joined(),
                            ExitCode::usage);
        }
    }
    const auto& m = manifest::embedded_manifest();
    auto report = platform::detect(resolve::policy_from_manifest(m, resolve::this_platform(m)), o);
    if (report.cache_note.empty()) report.cache_note = home_note;
    if (config) report.evidence.cpu = thread_budget(*config, report);  // llm.threads, as a start would pass it
    // The measured choice (tsuku llm bench --select) reorders the chain as a start would.
    std::string measured;
    if (home && o.system.is_live())
        measured = resolve::apply_measured_choice(report, home->measured_choice_path(), ctx.env);

    // What a start would do on top of detection: the failure memory and the model for the chain's first backend.
    std::vector<lifecycle::FailureRecord> failures;
    std::optional<resolve::ModelChoice> model;
    std::string model_error;
    if (home && o.system.is_live()) {
        lifecycle::FailureMemory memory(home->failures_path());
        if (c.refresh) memory.forget_all();  // a new detection gives every variant a new chance
        failures = memory.for_fingerprint(report.fingerprint);
        if (!report.chain.empty()) {
            try {
                model = model_for(ctx, *config, report.chain.front(), report, std::nullopt);
            } catch (const UserError& e) {
                model_error = e.what();
            }
        }
    }
    if (c.json) {
        auto j = platform::to_json(report);
        j["failures"] = nlohmann::json::array();
        for (const auto& f : failures) {
            j["failures"].push_back(
                {{"backend", backend_name(f.backend)}, {"reason", reason_code(f.reason)}, {"detail", f.detail}});
        }
        if (model)
            j["model"] = {{"name", model->model ? model->model->name : model->path.string()}, {"why", model->why}};
        if (!model_error.empty()) j["model"] = {{"error", model_error}};
        if (!measured.empty()) j["measured_choice"] = measured;
        ctx.out << j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
        return;
    }
    ctx.out << platform::to_text(report);
    if (!measured.empty()) ctx.out << "measured: " << measured << "\n";
    for (const auto& f : failures) {
        ctx.out << "failed before on this hardware: " << backend_name(f.backend) << " (" << reason_code(f.reason)
                << ": " << f.detail << ") — skipped at start until tsuku llm detect --refresh\n";
    }
    if (model) ctx.out << "model:   " << model->why << "\n";
    if (!model_error.empty()) ctx.out << "model:   none fits: " << model_error << "\n";
}

}  // namespace

void add_llm_detect(CLI::App& llm, Context& ctx) {
    auto c = std::make_shared<DetectCliOptions>();
    auto* cmd = llm.add_subcommand("detect", "show the GPUs, drivers and runtimes found, and which backends can run");
    cmd->add_flag("--json", c->json, "machine-readable output");
    cmd->add_option("--sysroot", c->sysroot, "read this folder as the system's root (probes do not run)");
    cmd->add_flag("--no-probe", c->no_probe, "static evidence only: do not load any driver");
    cmd->add_flag("--refresh", c->refresh, "ignore the detection cache and probe again");
    cmd->add_option("--backend", c->backend,
                    "put this backend first in the chain (the default stays behind it); overrides llm.backend");
    cmd->add_option("--probe-timeout", c->probe_timeout, "hard limit for each driver probe")->capture_default_str();
    cmd->callback([&ctx, c] { run(ctx, *c); });
}

}  // namespace tsuku::cli
