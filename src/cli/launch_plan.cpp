#include "cli/launch_plan.h"

#include "common/error.h"
#include "common/version.h"

namespace fs = std::filesystem;

namespace tsuku::cli {

fs::path tsuku_prefix() { return fs::read_symlink("/proc/self/exe").parent_path().parent_path(); }

LaunchPlan plan_launch(const Context&, const std::optional<fs::path>& model) {
    LaunchPlan plan;
    plan.backend = "cpu";
    plan.executable = tsuku_prefix() / "variants" / plan.backend / "tsuku-llm";
    if (!fs::exists(plan.executable)) {
        throw UserError("the " + plan.backend + " server is not built (" + plan.executable.string() + " is missing)",
                        "build it: cmake --build build");
    }
    if (model) {
        plan.model = fs::absolute(*model);
        if (!fs::is_regular_file(plan.model)) {
            throw UserError("model file " + plan.model.string() + " does not exist", "pass the path of a .gguf file");
        }
    } else {
        plan.model = tsuku_prefix() / "models" / kDefaultModelFile;
        if (!fs::exists(plan.model)) {
            throw UserError("the built-in default model is missing (" + plan.model.string() + ")",
                            "build it: cmake --build build");
        }
    }
    return plan;
}

}  // namespace tsuku::cli
