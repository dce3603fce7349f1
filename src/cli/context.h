// What every command gets: the environment (injectable), output streams, the home layout and the settings.
#pragma once

#include <iostream>

#include "common/environment.h"
#include "common/home.h"
#include "config/config.h"

namespace tsuku::cli {

struct Context {
    Environment env = Environment::process();
    std::ostream& out = std::cout;
    std::ostream& err = std::cerr;

    Home home() const { return Home::from_environment(env); }
    // The settings: defaults, config.toml, environment overrides. Throws UserError for a broken config file.
    config::Config config() const { return config::Config::load(home().config_file(), env); }
};

}  // namespace tsuku::cli
