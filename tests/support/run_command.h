// Runs a real program and captures its exit status and output.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace tsuku::test {

struct CommandResult {
    int exit_code = -1;  // 128+signal when killed
    std::string out;
    std::string err;
};

// `env` is added to the current environment ("" as a value unsets the variable). `stdin_data` is fed to stdin.
CommandResult run_command(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env = {},
                          const std::string& stdin_data = "");

}  // namespace tsuku::test
