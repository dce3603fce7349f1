#include "common/spawn_args.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <map>

#include "common/error.h"

extern char** environ;

namespace tsuku {

std::optional<std::string> exec_emulator() {
    const char* v = std::getenv("TSUKU_EXEC_EMULATOR");
    if (!v || !*v) return std::nullopt;
    const std::string path = v;
    struct stat st {};
    if (path[0] != '/' || ::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode) || ::access(v, X_OK) != 0) {
        throw UserError("TSUKU_EXEC_EMULATOR=" + path + " is not an absolute path to an executable file",
                        "set it to the emulator's full path (e.g. /usr/bin/qemu-aarch64-static), or unset it: it is "
                        "only for running tsuku under emulation");
    }
    return path;
}

SpawnArgs::SpawnArgs(std::vector<std::string> argv, const std::vector<std::pair<std::string, std::string>>& extra)
    : argv_(std::move(argv)) {
    if (!argv_.empty() && argv_[0].find('/') != std::string::npos) {
        if (auto emulator = exec_emulator()) argv_.insert(argv_.begin(), *emulator);
    }
    std::map<std::string, std::string> vars;
    for (char** e = environ; *e; ++e) {
        if (const char* eq = std::strchr(*e, '=')) vars[std::string(*e, static_cast<size_t>(eq - *e))] = eq + 1;
    }
    for (const auto& [k, v] : extra) vars[k] = v;
    for (const auto& [k, v] : vars) env_.push_back(k + "=" + v);
    for (auto& a : argv_) argv_ptrs_.push_back(a.data());
    argv_ptrs_.push_back(nullptr);
    for (auto& e : env_) envp_ptrs_.push_back(e.data());
    envp_ptrs_.push_back(nullptr);
}

}  // namespace tsuku
