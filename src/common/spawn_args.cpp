#include "common/spawn_args.h"

#include <cstring>
#include <map>

extern char** environ;

namespace tsuku {

SpawnArgs::SpawnArgs(std::vector<std::string> argv, const std::vector<std::pair<std::string, std::string>>& extra)
    : argv_(std::move(argv)) {
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
