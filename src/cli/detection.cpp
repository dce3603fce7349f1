#include "cli/detection.h"

#include "install/locations.h"
#include "manifest/manifest.h"
#include "resolve/policy.h"

namespace fs = std::filesystem;

namespace tsuku::cli {

platform::DetectOptions detection_options(const Context& ctx, const config::Config& cfg) {
    platform::DetectOptions o;
    o.system.env = ctx.env;
    o.probe.command = {fs::read_symlink("/proc/self/exe").string(), "__probe"};
    o.forced = cfg.backend();
    o.forced_by = "llm.backend";
    o.fallback = cfg.fallback_enabled();
    o.cache_file = ctx.home().state_dir() / "detection.json";
    return o;
}

platform::DetectionReport run_detection(const Context& ctx, const config::Config& cfg, bool refresh) {
    const auto& m = manifest::embedded_manifest();
    auto o = detection_options(ctx, cfg);
    o.refresh = refresh;
    return platform::detect(resolve::policy_from_manifest(m, resolve::this_platform(m)), o);
}

// The rule lives in resolve (tested on fixture systems there); the memory cgroups are part of it.
resolve::MemoryBudget memory_budget(Backend backend, const platform::DetectionReport& report) {
    return resolve::memory_budget(backend, report);
}

platform::CpuBudget thread_budget(const config::Config& cfg, const platform::DetectionReport& report) {
    const auto n = config::thread_count(cfg.get(config::kThreads).value);
    return n ? platform::configured_threads(report.evidence.cpu, *n, "llm.threads") : report.evidence.cpu;
}

resolve::ModelChoice model_for(const Context& ctx, const config::Config& cfg, Backend backend,
                               const platform::DetectionReport& report,
                               const std::optional<std::string>& model_override) {
    const auto& m = manifest::embedded_manifest();
    const Home home = ctx.home();
    resolve::ModelSetting setting;
    const auto configured = cfg.model();
    setting.value = model_override                                            ? *model_override
                    : configured.kind == config::ModelChoice::Kind::automatic ? "auto"
                                                                              : configured.value;
    // A model counts as here when it is downloaded, or when it comes from a local release folder (no network).
    auto present = [&](const manifest::Model& mo) {
        return install::model_present(home, mo) ||
               !install::needs_network(manifest::artifact_url(mo.artifact, ctx.env));
    };
    return resolve::choose_model(m, memory_budget(backend, report), setting, present, home.models_dir());
}

}  // namespace tsuku::cli
