// tsuku: the front binary. Light commands (llm detect, llm manifest, config, __probe, --version) run here and load
// none of gRPC, libcurl or libarchive; everything else lives in libtsuku-cli.so beside this binary and is loaded
// only when needed. Loading those ~90 shared libraries costs tens of milliseconds, more than detection itself.
#include <dlfcn.h>
#include <signal.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string_view>

#include "cli/app.h"
#include "common/error.h"

namespace {

// The first two words that are not options decide: `llm detect`, `llm manifest`, `config …`, `__probe …`.
bool is_light(int argc, char** argv) {
    std::string_view words[2];
    int n = 0;
    for (int i = 1; i < argc && n < 2; ++i) {
        const std::string_view a = argv[i];
        if (a == "--version") return n == 0;
        if (a.empty() || a[0] == '-') continue;
        words[n++] = a;
    }
    if (words[0] == "config" || words[0] == "__probe" || words[0] == "version") return true;
    return words[0] == "llm" && (words[1] == "detect" || words[1] == "manifest");
}

int run_full(int argc, char** argv) {
    const auto lib = std::filesystem::read_symlink("/proc/self/exe").parent_path() / "libtsuku-cli.so";
    void* handle = dlopen(lib.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
        tsuku::print_problem("error: ", "cannot load " + lib.string() + ": " + dlerror(),
                             "reinstall tsuku (the library belongs beside it)");
        return tsuku::to_int(tsuku::ExitCode::internal);
    }
    using Entry = int (*)(int, char**);
    auto entry = reinterpret_cast<Entry>(dlsym(handle, "tsuku_cli_main"));
    if (!entry) {
        tsuku::print_problem("error: ", lib.string() + " has no tsuku_cli_main", "reinstall tsuku");
        return tsuku::to_int(tsuku::ExitCode::internal);
    }
    return entry(argc, argv);
}

}  // namespace

int main(int argc, char** argv) {
    if (!is_light(argc, argv)) return run_full(argc, argv);
    ::signal(SIGPIPE, SIG_IGN);
    ::signal(SIGXFSZ, SIG_IGN);  // a file-size limit (ulimit -f) becomes an EFBIG error that names it, not a kill
    tsuku::cli::Context ctx;
    tsuku::cli::App app;
    tsuku::cli::add_light_commands(app, ctx);
    return tsuku::cli::run(app, argc, argv);
}
