#include "cli/app.h"

#include <cstdio>

#include "cli/commands.h"
#include "common/error.h"
#include "common/exit_codes.h"
#include "common/version.h"

namespace tsuku::cli {

void add_light_commands(App& app, Context& ctx) {
    app.root.set_version_flag("--version", std::string("tsuku ") + kVersion + " (llama.cpp " + kLlamaCppRelease + ")");
    app.root.require_subcommand(1);
    app.llm = app.root.add_subcommand("llm", "local LLM: complete, status, stop, detect, install, manifest");
    app.llm->require_subcommand(1);
    add_llm_detect(*app.llm, ctx);
    add_llm_manifest(*app.llm, ctx);
    add_probe_command(app.root, ctx);
    add_config_commands(app.root, ctx);
}

int run(App& app, int argc, char** argv) {
    try {
        app.root.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.root.exit(e) == 0 ? 0 : to_int(ExitCode::usage);
    } catch (const UserError& e) {
        std::fprintf(stderr, "error: %s\n  fix: %s\n", e.what(), e.fix().c_str());
        return to_int(e.code());
    } catch (const std::exception& e) {
        std::fprintf(stderr, "error: internal: %s\n", e.what());
        return to_int(ExitCode::internal);
    }
    return 0;
}

}  // namespace tsuku::cli
