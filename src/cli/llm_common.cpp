#include "cli/llm_common.h"

#include "cli/launch_plan.h"

namespace tsuku::cli {

lifecycle::RunningServer ensure_server(Context& ctx, const std::optional<std::filesystem::path>& model) {
    lifecycle::ServerManager manager(ctx.home());
    if (manager.is_serving()) return {manager.home().socket_path(), manager.running_pid().value_or(-1), false, {}};
    const LaunchPlan plan = plan_launch(ctx, model);
    lifecycle::ServerStartSpec spec;
    spec.executable = plan.executable;
    spec.model = plan.model;
    spec.backend = plan.backend;
    return manager.ensure_running(spec);
}

}  // namespace tsuku::cli
