#include "cli/server_start.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>

#include "cli/model_prepare.h"
#include "common/byte_size.h"
#include "common/duration.h"
#include "common/error.h"
#include "common/serve_command.h"
#include "install/model_store.h"
#include "manifest/manifest.h"
#include "resolve/measured_choice.h"
#include "resolve/policy.h"

namespace fs = std::filesystem;

namespace tsuku::cli {
namespace {

// One line on the terminal, answered there. std::nullopt when there is no terminal to ask.
std::optional<bool> ask_on_terminal(const std::string& question) {
    UniqueFd tty(::open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY));
    if (!tty) return std::nullopt;
    const std::string q = question + " [y/N] ";
    if (::write(tty.get(), q.data(), q.size()) < 0) return std::nullopt;
    std::string answer;
    char c;
    while (::read(tty.get(), &c, 1) == 1 && c != '\n') answer += c;
    return answer == "y" || answer == "Y" || answer == "yes";
}

// The advice after a fallback never suggests what the user has already set.
std::string backend_advice(const BackendChoice& choice, const std::string& failed) {
    if (!choice.backend) {
        return "To choose the backend yourself: tsuku config set llm.backend <" + backend_names_joined() + ">";
    }
    if (choice.source == "--backend") return "";
    if (choice.source == config::kBackend) {
        return "llm.backend is " + failed + "; to stop asking for it: tsuku config unset llm.backend";
    }
    return choice.source + " asks for " + failed + "; unset it to let tsuku choose";
}

void say_attempt(std::ostream& err, const lifecycle::StartAttempt& a, bool after_failure, const std::string& advice) {
    using lifecycle::AttemptResult;
    const std::string_view backend = backend_name(a.backend);
    const std::string_view reason = reason_code(a.reason);
    switch (a.result) {
        case AttemptResult::skipped_known_failure:
            err << "tsuku: skipping the " << backend << " backend: it failed on this hardware before (" << reason
                << ": " << a.detail << "). After a driver change: tsuku llm detect --refresh\n";
            break;
        case AttemptResult::not_viable:
            err << "tsuku: the " << backend << " backend cannot run here (" << reason << "): " << a.detail
                << " — nothing was downloaded for it\n";
            break;
        case AttemptResult::backend_unavailable:
        case AttemptResult::crashed:
        case AttemptResult::start_timeout:
        case AttemptResult::model_failed:
            err << "tsuku: the " << backend << " backend cannot run here (" << reason << "): " << a.detail << "\n";
            break;
        case AttemptResult::ready:
            if (after_failure) {
                err << "tsuku: running on " << backend << " instead." << (advice.empty() ? "" : " " + advice) << "\n";
            }
            break;
    }
}

std::chrono::milliseconds default_start_timeout() {
    return *parse_duration(config::key(config::kStartTimeout).default_value);
}

}  // namespace

install::Consent make_consent(const Context&, const config::Config& cfg, bool assume_yes) {
    const bool allowed = assume_yes || cfg.allow_downloads();
    return [allowed](const std::string& what, uint64_t bytes, const std::string& url) {
        if (allowed) return true;
        return ask_on_terminal("tsuku: download " + what + " (" + format_mib_rounded(bytes) + ") from " + url + "?")
            .value_or(false);
    };
}

install::InstalledVariant prepare_variant(const Context& ctx, const platform::DetectionReport& report, Backend backend,
                                          install::Progress& progress, install::Consent consent, bool reinstall) {
    install::EnsureOptions eo;
    eo.consent = std::move(consent);
    eo.reinstall = reinstall;
    eo.system_library = [&report](const std::string& soname) -> std::optional<std::string> {
        const auto* lib = report.evidence.library(soname);
        return lib ? lib->path : std::nullopt;
    };
    const auto& m = manifest::embedded_manifest();
    return install::ensure_variant(ctx.home(), m, resolve::this_platform(m), backend, ctx.env, progress, eo);
}

lifecycle::SupervisedStart ensure_server(Context& ctx, const StartRequest& request) {
    const Home home = ctx.home();
    const config::Config cfg = ctx.config();
    const auto& m = manifest::embedded_manifest();
    // Settings are checked before anything runs, naming where a bad value came from.
    const BackendChoice choice = backend_choice(cfg, request.backend);
    const ModelRequest model_asked = model_request(cfg, request.model);
    const std::optional<std::string> model_override =
        model_asked.source == "--model" ? std::optional<std::string>(model_asked.value) : std::nullopt;
    auto report = run_detection(ctx, cfg, false, choice);
    // The variant `tsuku llm bench --select` measured fastest on this hardware leads (llm.backend still decides).
    resolve::apply_measured_choice(report, home.measured_choice_path(), ctx.env);
    const auto progress = install::make_progress(ctx.err, ::isatty(STDERR_FILENO) == 1);
    const auto consent = make_consent(ctx, cfg, request.assume_yes);
    const bool software_allowed = software_devices_allowed(ctx.env);

    lifecycle::ChainStart chain;
    chain.chain = report.chain;
    chain.fallback = cfg.fallback_enabled();
    chain.fingerprint = report.fingerprint;
    chain.conditions = lifecycle::failure_conditions(software_allowed, m.addon_version);
    if (choice.source == "--backend") chain.always_try = choice.backend;
    chain.remember_timeouts = cfg.start_timeout() >= default_start_timeout();
    chain.model_setting = model_asked.value;
    chain.not_viable = [&](Backend backend) -> std::optional<lifecycle::StartAttempt> {
        const auto why = ruled_out_by_detection(report, backend, software_allowed);
        if (!why) return std::nullopt;
        std::string detail = why->detail;
        if (why->reason == Reason::software_device_only) {
            detail += " (TSUKU_LLM_ALLOW_SOFTWARE_DEVICES=1 uses it anyway)";
        }
        return lifecycle::StartAttempt{backend, lifecycle::AttemptResult::not_viable, why->reason, detail, {}};
    };

    ModelPreparer models(ctx, cfg, *progress, consent, model_override, model_asked.source);
    auto prepare = [&](Backend backend) {
        const auto variant = prepare_variant(ctx, report, backend, *progress, consent);
        const fs::path model_path = models.prepare(backend, report);  // chosen again for each backend
        lifecycle::ServerStartSpec spec;
        spec.executable = variant.executable;
        spec.env = variant.env;
        spec.runtime = variant.runtime;
        spec.backend = backend;
        spec.model = model_path;
        spec.idle_timeout = cfg.idle_timeout();
        spec.start_timeout = cfg.start_timeout();
        spec.extra_args = {serve_option::kThreads, std::to_string(thread_budget(cfg, report).threads),
                           "--prompt-cache",       home.prompt_cache_dir().string(),
                           "--prompt-cache-size",  std::to_string(cfg.prompt_cache_size())};
        platform::add_launch_environment(spec.env, report.evidence, ctx.env);  // what detection found is what loads
        if (request.on_launch) {
            request.on_launch(std::string(backend_name(backend)), lifecycle::model_display_name(model_path.string()));
        }
        return spec;
    };
    bool failed_before = false;
    std::string failed_backend;
    auto on_attempt = [&](const lifecycle::StartAttempt& a) {
        if (a.result != lifecycle::AttemptResult::ready && failed_backend.empty()) {
            failed_backend = backend_name(a.backend);
        }
        say_attempt(ctx.err, a, failed_before, backend_advice(choice, failed_backend));
        if (a.result != lifecycle::AttemptResult::ready) failed_before = true;
    };
    lifecycle::ServerManager manager(home);
    lifecycle::FailureMemory memory(home.failures_path());
    lifecycle::Supervisor supervisor(manager, memory);

    // The running server is reused only when it serves the backend and the model this request resolves to.
    auto reuse = [&](const lifecycle::ServerRecord* record,
                     const std::string& serving_backend) -> std::optional<std::string> {
        const std::optional<Backend> actual = record ? record->backend : parse_backend(serving_backend);
        const std::string actual_name = actual ? std::string(backend_name(*actual)) : serving_backend;
        const auto want = supervisor.first_candidate(chain, record);
        std::optional<std::string> why;
        if (want && want != actual) {
            const std::string want_name(backend_name(*want));
            why = (choice.backend ? choice.source + " asks for " + want_name
                                  : "detection now puts " + want_name + " first") +
                  ", and the running server uses " + actual_name;
        } else if (!actual) {
            why = "the running server names its backend " + serving_backend + ", which this tsuku does not know";
        } else if (model_asked.value != "auto") {
            const auto desired = model_for(ctx, cfg, *actual, report, model_override).path;
            const std::string has = record ? record->model_name : "an unknown model";
            if (!record || record->model_path != desired.string()) {
                why = model_asked.source + " asks for " + lifecycle::model_display_name(desired.string()) +
                      ", and the running server has " + has;
            }
        } else if (record && record->model_setting != "auto") {
            why = model_asked.source + " is auto, and the running server has " + record->model_name + " (" +
                  record->model_setting + " was asked)";
        }
        if (why) ctx.err << "tsuku: restarting the server: " << *why << "\n";
        return why;
    };
    auto on_wait = [&](const std::string& what) { ctx.err << "tsuku: " << what << "\n"; };
    auto started = supervisor.ensure_running(chain, prepare, on_attempt, reuse, on_wait);
    if (!started.attempts.empty()) models.notice_if_synthetic();  // a new start: say what its model is worth
    return started;
}

}  // namespace tsuku::cli
