#include "cli/detection.h"

#include "cli/model_file.h"
#include "common/error.h"
#include "common/text.h"
#include "install/locations.h"
#include "manifest/manifest.h"
#include "resolve/policy.h"

namespace fs = std::filesystem;

namespace tsuku::cli {

std::optional<Backend> checked_backend(const std::string& text, const std::string& what) {
    if (text == "auto") return std::nullopt;
    const auto& platform = resolve::this_platform(manifest::embedded_manifest());
    const auto b = parse_backend(text);
    if (b && platform.find(*b)) return b;
    std::string names = "auto";
    for (const auto& [backend, variant] : platform.variants) names += ", " + std::string(backend_name(backend));
    throw UserError(what + ": this platform (" + platform.name + ") has no " + text + " backend",
                    "choose one of: " + names, ExitCode::usage);
}

namespace {
// "--backend x", "llm.backend x", "TSUKU_LLM_BACKEND=x": how the user wrote it.
std::string as_written(const std::string& source, const std::string& value) {
    return source.starts_with("TSUKU_") ? source + "=" + value : source + " " + value;
}
}  // namespace

BackendChoice backend_choice(const config::Config& cfg, const std::string& flag_value) {
    BackendChoice c;
    std::string text;
    if (!flag_value.empty()) {
        c.source = "--backend";
        text = flag_value;
    } else {
        const auto s = cfg.get(config::kBackend);
        c.source = s.source == config::Source::environment ? std::string(s.key->env) : std::string(config::kBackend);
        text = s.value;
    }
    c.backend = checked_backend(text, as_written(c.source, text));
    return c;
}

std::string checked_model(const std::string& value, const std::string& source, bool for_setting) {
    if (value == "auto") return value;
    const auto& m = manifest::embedded_manifest();
    if (m.model(value)) return value;
    if (value.find('/') != std::string::npos || value.ends_with(".gguf")) {
        const std::string path = fs::absolute(value).lexically_normal().string();
        check_model_file(path, source, for_setting);
        return path;
    }
    std::string names;
    for (const auto& mo : m.models) append_listed(names, ", ", mo.name);
    throw UserError(as_written(source, value) + ": no such model",
                    "use auto, one of: " + names + ", or the path of a .gguf file", ExitCode::usage);
}

ModelRequest model_request(const config::Config& cfg, const std::optional<std::string>& flag_value) {
    ModelRequest r;
    if (flag_value) {
        r.source = "--model";
        r.value = *flag_value;
    } else {
        const auto s = cfg.get(config::kModel);
        r.source = s.source == config::Source::environment ? std::string(s.key->env) : std::string(config::kModel);
        r.value = s.value;
    }
    r.value = checked_model(r.value, r.source, false);
    return r;
}

platform::DetectOptions detection_options(const Context& ctx, const config::Config& cfg, const BackendChoice& choice) {
    platform::DetectOptions o;
    o.system.env = ctx.env;
    o.probe.command = {fs::read_symlink("/proc/self/exe").string(), "__probe"};
    o.forced = choice.backend;
    o.forced_by = choice.source;
    o.fallback = cfg.fallback_enabled();
    o.cache_file = ctx.home().detection_cache_path();
    return o;
}

platform::DetectionReport run_detection(const Context& ctx, const config::Config& cfg, bool refresh,
                                        const std::optional<BackendChoice>& choice) {
    const auto& m = manifest::embedded_manifest();
    auto o = detection_options(ctx, cfg, choice ? *choice : backend_choice(cfg));
    o.refresh = refresh;
    return platform::detect(resolve::policy_from_manifest(m, resolve::this_platform(m)), o);
}

std::optional<ReasonItem> ruled_out_by_detection(const platform::DetectionReport& report, Backend backend,
                                                 bool software_devices_allowed) {
    const auto* v = report.verdict(backend);
    if (!v || v->viable) return std::nullopt;
    // The probe found a working (software) device: with permission, that is all the backend needs (the PCI bus has
    // no GPU for lavapipe, so no_hardware is beside the point).
    if (software_devices_allowed && v->has(Reason::software_device_only)) return std::nullopt;
    for (const auto& r : v->reasons) {
        switch (r.reason) {
            case Reason::software_device_only:
            case Reason::no_hardware:
            case Reason::driver_missing:
            case Reason::library_missing:
            case Reason::driver_too_old:
            case Reason::gpu_too_old:
            case Reason::no_device:
            case Reason::not_built: return r;
            case Reason::probe_failed:
            case Reason::unprobed: continue;  // nothing proves it cannot run: let the variant's own check decide
            case Reason::init_failed:
            case Reason::crashed:
            case Reason::start_timeout: continue;  // the server's and the supervisor's codes, never a verdict's
        }
    }
    return std::nullopt;
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
