// tsuku __probe vulkan|cuda [--library PATH]: one functional probe, run by `detect` in an isolated child process
// (hidden from help). Loads the driver, prints one JSON object on stdout, exits. Anything the driver prints goes
// to stderr, so stdout carries only the result; a crash or hang here costs detect nothing but this child.
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <thread>

#include "cli/commands.h"
#include "common/error.h"
#include "common/exit_codes.h"
#include "common/fd_io.h"
#include "platform/cuda_probe.h"
#include "platform/probe_runner.h"
#include "platform/vulkan_probe.h"

namespace tsuku::cli {
namespace {

struct ProbeOptions {
    std::string kind;
    std::string library;
};

// TSUKU_PROBE_FAULT=<kind>:hang|crash|garbage makes this probe misbehave like a broken driver would, so the
// isolation can be tested end to end with the real binary.
void inject_fault(const Context& ctx, const std::string& kind, int result_fd) {
    const auto fault = ctx.env.get_nonempty("TSUKU_PROBE_FAULT");
    if (!fault || !fault->starts_with(kind + ":")) return;
    const std::string what = fault->substr(kind.size() + 1);
    (void)write_all(STDERR_FILENO, std::string(platform::kStageMarker) + "injected " + what + "\n");
    if (what == "hang") {
        for (;;) std::this_thread::sleep_for(std::chrono::hours(1));
    }
    if (what == "crash") ::raise(SIGSEGV);
    if (what == "garbage") {
        (void)write_all(result_fd, "this is not JSON\n");
        ::_exit(to_int(ExitCode::ok));
    }
}

[[noreturn]] void run(const Context& ctx, const ProbeOptions& o) {
    // Die with detect: a probe must never outlive the process that waits for it.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    const auto kind = platform::parse_probe_kind(o.kind);
    if (!kind) throw UserError("unknown probe '" + o.kind + "'", "use vulkan or cuda", ExitCode::usage);
    const int result_fd = ::fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3);
    ::dup2(STDERR_FILENO, STDOUT_FILENO);
    inject_fault(ctx, o.kind, result_fd);

    const platform::StageFn stage = [](std::string_view s) {
        (void)write_all(STDERR_FILENO, std::string(platform::kStageMarker) + std::string(s) + "\n");
    };
    const std::optional<std::string> library = o.library.empty() ? std::nullopt : std::optional(o.library);
    nlohmann::json j;
    if (*kind == platform::ProbeKind::vulkan) {
        j = platform::run_vulkan_probe(library, stage);
    } else {
        j = platform::run_cuda_probe(library, stage);
    }
    (void)write_all(result_fd, j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
    // Skip atexit handlers and destructors: some drivers crash while unloading, after the result is out.
    ::_exit(to_int(ExitCode::ok));
}

}  // namespace

void add_probe_command(CLI::App& app, Context& ctx) {
    auto o = std::make_shared<ProbeOptions>();
    auto* cmd = app.add_subcommand("__probe", "internal: one isolated hardware probe (JSON on stdout)");
    cmd->group("");  // hidden from --help
    cmd->add_option("kind", o->kind, "vulkan or cuda")->required();
    cmd->add_option("--library", o->library, "load this file instead of the library's soname");
    cmd->callback([&ctx, o] { run(ctx, *o); });
}

}  // namespace tsuku::cli
