// tsuku llm stop: graceful Shutdown, then SIGTERM, then SIGKILL, each bounded.
#include "cli/commands.h"
#include "lifecycle/server_manager.h"

namespace tsuku::cli {

void add_llm_stop(CLI::App& llm, Context& ctx) {
    auto* cmd = llm.add_subcommand("stop", "stop the server");
    cmd->callback([&ctx] {
        lifecycle::ServerManager manager(ctx.home());
        const auto r = manager.stop();
        if (!r.was_running) {
            ctx.out << "server: not running\n";
        } else {
            ctx.out << "server: stopped (" << r.how << ")\n";
        }
    });
}

}  // namespace tsuku::cli
