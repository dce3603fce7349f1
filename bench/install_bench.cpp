// install-bench: one installation through tsuku_install (download + sha256 + safe extraction + fsync + atomic
// rename), timed. bench/install_throughput.sh runs it next to curl + sha256sum + tar -x on the same package.
#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>

#include "common/error.h"
#include "common/exit_codes.h"
#include "install/package.h"

int main(int argc, char** argv) {
    std::string url, sha256, home_dir;
    uint64_t size = 0;
    CLI::App app{"time one install of a package with tsuku's downloader and extractor"};
    app.add_option("--url", url, "package URL")->required();
    app.add_option("--size", size, "its size in bytes")->required();
    app.add_option("--sha256", sha256, "its sha256")->required();
    app.add_option("--home", home_dir, "a TSUKU_HOME to install into (absolute)")->required();
    CLI11_PARSE(app, argc, argv);
    try {
        const tsuku::Home home(home_dir);
        const auto start = std::chrono::steady_clock::now();
        tsuku::install::NullProgress quiet;
        const auto lock = tsuku::install::InstallLock::acquire(home);
        const auto stats =
            tsuku::install::install_package(lock, home, {url, size, sha256}, home.tools_dir() / "bench" / "cpu", quiet);
        const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        std::printf("{\"seconds\":%.3f,\"files\":%llu,\"bytes\":%llu}\n", secs,
                    static_cast<unsigned long long>(stats.files), static_cast<unsigned long long>(stats.bytes));
    } catch (const tsuku::UserError& e) {
        std::fprintf(stderr, "error: %s\n  fix: %s\n", e.what(), e.fix().c_str());
        return tsuku::to_int(tsuku::ExitCode::failure);
    }
    return 0;
}
