#include "cli/server_start.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>

#include "common/error.h"
#include "install/model_store.h"
#include "manifest/manifest.h"
#include "resolve/measured_choice.h"
#include "resolve/policy.h"

namespace fs = std::filesystem;

namespace tsuku::cli {
namespace {

std::string mib(uint64_t bytes) { return std::to_string((bytes + (1 << 19)) >> 20) + " MiB"; }

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

void say_attempt(std::ostream& err, const lifecycle::StartAttempt& a, bool after_failure) {
    using lifecycle::AttemptResult;
    switch (a.result) {
        case AttemptResult::skipped_known_failure:
            err << "tsuku: skipping the " << a.backend << " backend: it failed on this hardware before (" << a.reason
                << ": " << a.detail << "). After a driver change: tsuku llm detect --refresh\n";
            break;
        case AttemptResult::backend_unavailable:
        case AttemptResult::crashed:
        case AttemptResult::start_timeout:
            err << "tsuku: the " << a.backend << " backend cannot run here (" << a.reason << "): " << a.detail << "\n";
            break;
        case AttemptResult::ready:
            if (after_failure) {
                err << "tsuku: running on " << a.backend << " instead. To choose the backend yourself: "
                    << "tsuku config set llm.backend <" << backend_names_joined() << ">\n";
            }
            break;
    }
}

}  // namespace

install::Consent make_consent(const Context&, const config::Config& cfg, bool assume_yes) {
    const bool allowed = assume_yes || cfg.allow_downloads();
    return [allowed](const std::string& what, uint64_t bytes, const std::string& url) {
        if (allowed) return true;
        return ask_on_terminal("tsuku: download " + what + " (" + mib(bytes) + ") from " + url + "?").value_or(false);
    };
}

lifecycle::SupervisedStart ensure_server(Context& ctx, const StartRequest& request) {
    const Home home = ctx.home();
    lifecycle::ServerManager manager(home);
    if (manager.is_serving()) return {{home.socket_path(), manager.running_pid().value_or(-1), false, {}}, {}};

    const config::Config cfg = ctx.config();
    const auto& m = manifest::embedded_manifest();
    const auto& platform = resolve::this_platform(m);
    auto report = run_detection(ctx, cfg);
    // The variant `tsuku llm bench --select` measured fastest on this hardware leads (llm.backend still decides).
    resolve::apply_measured_choice(report, home.state_dir(), ctx.env);
    const auto progress = install::make_progress(ctx.err, ::isatty(STDERR_FILENO) == 1);
    const auto consent = make_consent(ctx, cfg, request.assume_yes);

    lifecycle::ChainStart chain;
    for (auto b : report.chain) chain.chain.emplace_back(backend_name(b));
    chain.fallback = cfg.fallback_enabled();
    chain.fingerprint = report.fingerprint;

    auto prepare = [&](const std::string& name) {
        const Backend backend = *parse_backend(name);
        install::EnsureOptions eo;
        eo.consent = consent;
        eo.system_has = [&](const std::string& soname) {
            const auto* lib = report.evidence.library(soname);
            return lib && lib->path.has_value();
        };
        const auto variant = install::ensure_variant(home, m, platform, backend, ctx.env, *progress, eo);
        // Chosen for this backend: a fallback from a GPU to the CPU gets a model that fits the CPU's memory.
        const auto choice = model_for(ctx, cfg, backend, report, request.model);
        if (choice.model) {
            install::ensure_model(home, *choice.model, ctx.env, *progress, consent);
            install::verify_model(home, *choice.model, *progress);
        } else if (!fs::is_regular_file(choice.path)) {
            throw UserError("the model file " + choice.path.string() + " does not exist",
                            "pass the path of a .gguf file, or set llm.model to auto");
        }
        lifecycle::ServerStartSpec spec;
        spec.executable = variant.executable;
        spec.env = variant.env;
        spec.backend = name;
        spec.model = choice.path;
        spec.idle_timeout = cfg.idle_timeout();
        spec.start_timeout = cfg.start_timeout();
        spec.extra_args = {"--threads", std::to_string(thread_budget(cfg, report).threads)};
        platform::add_launch_environment(spec.env, report.evidence, ctx.env);  // what detection found is what loads
        return spec;
    };
    bool failed_before = false;
    auto on_attempt = [&](const lifecycle::StartAttempt& a) {
        say_attempt(ctx.err, a, failed_before);
        if (a.result != lifecycle::AttemptResult::ready) failed_before = true;
    };
    lifecycle::FailureMemory memory(home.state_dir() / "failures.json");
    lifecycle::Supervisor supervisor(manager, memory);
    return supervisor.ensure_running(chain, prepare, on_attempt);
}

}  // namespace tsuku::cli
