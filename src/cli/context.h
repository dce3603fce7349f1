// What every command gets: the environment (injectable), output streams, and the home layout.
#pragma once

#include <iostream>

#include "common/environment.h"
#include "common/home.h"

namespace tsuku::cli {

struct Context {
    Environment env = Environment::process();
    std::ostream& out = std::cout;
    std::ostream& err = std::cerr;

    Home home() const { return Home::from_environment(env); }
};

}  // namespace tsuku::cli
