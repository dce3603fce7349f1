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

resolve::MemoryBudget memory_budget(Backend backend, const platform::DetectionReport& report) {
    resolve::MemoryBudget b;
    b.backend = std::string(backend_name(backend));
    if (backend != Backend::cpu) {
        if (const auto* v = report.verdict(backend); v && (v->device_free_bytes || v->device_memory_bytes)) {
            b.free_bytes = v->device_free_bytes;
            b.total_bytes = v->device_memory_bytes;
            b.source = backend == Backend::cuda ? "CUDA device memory" : "Vulkan device memory";
            return b;
        }
    }
    // The CPU, or a GPU whose memory the probe could not tell (the model then also has to fit in RAM).
    if (report.evidence.memory.available_bytes > 0) {
        b.free_bytes = report.evidence.memory.available_bytes;
        b.source = backend == Backend::cpu ? "MemAvailable" : "MemAvailable (device memory unknown)";
    }
    return b;
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
