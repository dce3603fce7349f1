// Runs the real `tsuku` with its own TSUKU_HOME and stops any server it started at the end.
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "support/paths.h"
#include "support/run_command.h"
#include "support/temp_dir.h"

namespace tsuku::test {

class TsukuCli : public ::testing::Test {
protected:
    ~TsukuCli() override { tsuku({"llm", "stop"}); }
    CommandResult tsuku(std::vector<std::string> args, std::map<std::string, std::string> env = {},
                        const std::string& stdin_data = "") {
        args.insert(args.begin(), kCli);
        env.emplace("TSUKU_HOME", home.path().string());
        return run_command(args, env, stdin_data);
    }
    std::filesystem::path variant_dir(const std::string& backend) const {
        return home / "tools" / "tsuku-llm" / TSUKU_TEST_VERSION / backend;
    }
    TempDir home;
};

}  // namespace tsuku::test
