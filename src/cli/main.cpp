// The full tsuku CLI: built as libtsuku-cli.so and entered from the front binary (front_main.cpp) for every command
// that needs the server, the network or archives. Every command registers here.
#include <signal.h>

#include "cli/app.h"
#include "cli/commands.h"
#include "cli/completion.h"

extern "C" __attribute__((visibility("default"))) int tsuku_cli_main(int argc, char** argv) {
    using namespace tsuku;
    ::signal(SIGPIPE, SIG_IGN);
    ::signal(SIGXFSZ, SIG_IGN);  // a file-size limit (ulimit -f) becomes an EFBIG error that names it, not a kill
    cli::Context ctx;
    cli::App app;
    cli::add_light_commands(app, ctx);
    cli::add_llm_complete(*app.llm, ctx);
    cli::add_llm_chat(*app.llm, ctx);
    cli::add_llm_status(*app.llm, ctx);
    cli::add_llm_stop(*app.llm, ctx);
    cli::add_llm_install(*app.llm, ctx);
    cli::add_llm_models(*app.llm, ctx);
    cli::add_llm_bench(*app.llm, ctx);
    cli::add_llm_serve(*app.llm, ctx);
    cli::add_completion_command(app.root, ctx);  // last: it completes every command registered before it
    return cli::run(app, argc, argv);
}
