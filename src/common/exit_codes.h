// Exit codes: one table for both programs (docs/design.md §4.1). The server's values are sysexits(3) codes and form
// the start-up contract (§4.2); only `backend_unavailable` (78) makes the supervisor fall back to another backend.
#pragma once

#include <array>
#include <string_view>

namespace tsuku {

enum class ExitCode : int {
    ok = 0,
    failure = 1,               // tsuku: a user-facing error (message says what and how to fix)
    usage = 2,                 // bad command line
    model_invalid = 65,        // EX_DATAERR: the model file is not a valid GGUF / wrong checksum
    model_missing = 66,        // EX_NOINPUT: the model file does not exist
    internal = 70,             // EX_SOFTWARE: a bug or an unexpected failure
    socket_unavailable = 73,   // EX_CANTCREAT: socket/lock cannot be created (another server owns it)
    backend_unavailable = 78,  // EX_CONFIG: this variant's backend cannot run on this machine
    interrupted = 130,         // tsuku: stopped by Ctrl-C (128 + SIGINT, as shells report it)
};

struct ExitCodeInfo {
    ExitCode code;
    std::string_view name;
    std::string_view meaning;
};

inline constexpr std::array<ExitCodeInfo, 9> kExitCodes{{
    {ExitCode::ok, "ok", "normal exit or idle shutdown"},
    {ExitCode::failure, "failure", "the command failed; the message names the problem and the fix"},
    {ExitCode::usage, "usage", "invalid command line"},
    {ExitCode::model_invalid, "model_invalid", "the model file is not a valid GGUF or fails its checksum"},
    {ExitCode::model_missing, "model_missing", "the model file does not exist"},
    {ExitCode::internal, "internal", "internal error"},
    {ExitCode::socket_unavailable, "socket_unavailable", "the socket or its lock is owned by another server"},
    {ExitCode::backend_unavailable, "backend_unavailable", "the variant's backend cannot run here: fall back"},
    {ExitCode::interrupted, "interrupted", "stopped by Ctrl-C; what was printed is kept"},
}};

constexpr int to_int(ExitCode c) { return static_cast<int>(c); }

// Name of an exit status, or "" when it is not one of ours.
constexpr std::string_view exit_code_name(int status) {
    for (const auto& e : kExitCodes) {
        if (to_int(e.code) == status) return e.name;
    }
    return {};
}

}  // namespace tsuku
