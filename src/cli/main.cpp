// tsuku: the host CLI. Detects, chooses, installs, starts and talks to the tsuku-llm server.
#include <signal.h>

#include <CLI/CLI.hpp>
#include <cstdio>

#include "cli/commands.h"
#include "cli/context.h"
#include "common/error.h"
#include "common/exit_codes.h"
#include "common/version.h"

using namespace tsuku;

int main(int argc, char** argv) {
    ::signal(SIGPIPE, SIG_IGN);
    cli::Context ctx;
    CLI::App app{"tsuku: local LLM inference on the best backend this machine can really use"};
    app.set_version_flag("--version", std::string("tsuku ") + kVersion + " (llama.cpp " + kLlamaCppRelease + ")");
    app.require_subcommand(1);
    auto* llm = app.add_subcommand("llm", "local LLM: complete, status, stop");
    llm->require_subcommand(1);
    cli::add_llm_complete(*llm, ctx);
    cli::add_llm_status(*llm, ctx);
    cli::add_llm_stop(*llm, ctx);
    cli::add_llm_detect(*llm, ctx);
    cli::add_probe_command(app, ctx);
    cli::add_llm_manifest(*llm, ctx);
    cli::add_llm_install(*llm, ctx);
    cli::add_config_commands(app, ctx);
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e) == 0 ? 0 : to_int(ExitCode::usage);
    } catch (const UserError& e) {
        std::fprintf(stderr, "error: %s\n  fix: %s\n", e.what(), e.fix().c_str());
        return to_int(e.code());
    } catch (const std::exception& e) {
        std::fprintf(stderr, "error: internal: %s\n", e.what());
        return to_int(ExitCode::internal);
    }
    return 0;
}
