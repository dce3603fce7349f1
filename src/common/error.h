// Errors that reach the user. Every one names the problem and the fix; the CLI prints both and exits with code().
// Convention: functions report failure by throwing; UserError for what a user can act on, anything else is a bug.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

#include "common/exit_codes.h"

namespace tsuku {

class UserError : public std::runtime_error {
public:
    UserError(std::string problem, std::string fix, ExitCode code = ExitCode::failure)
        : std::runtime_error(std::move(problem)), fix_(std::move(fix)), code_(code) {}

    const std::string& fix() const noexcept { return fix_; }
    ExitCode code() const noexcept { return code_; }

private:
    std::string fix_;
    ExitCode code_;
};

// The one way a problem and its fix reach stderr: "<prefix><problem>\n  fix: <fix>\n". `prefix` says who speaks:
// "error: " for tsuku, "tsuku-llm: " for the server (whose stderr lands in the server log).
void print_problem(std::string_view prefix, std::string_view problem, std::string_view fix);

// strerror(errno) as a string, for messages.
std::string errno_text(int err);

}  // namespace tsuku
