// The $TSUKU_HOME layout of docs/design.md §4.5. Every path the programs use under the home comes from here.
#pragma once

#include <filesystem>
#include <string_view>

#include "common/environment.h"

namespace tsuku {

class Home {
public:
    explicit Home(std::filesystem::path root);
    // $TSUKU_HOME, else $HOME/.tsuku. Both must be absolute paths; anything else is refused with the fix.
    static Home from_environment(const Environment& env);

    const std::filesystem::path& root() const noexcept { return root_; }
    std::filesystem::path config_file() const { return root_ / "config.toml"; }
    std::filesystem::path tools_dir() const { return root_ / "tools" / "tsuku-llm"; }
    std::filesystem::path components_dir() const { return root_ / "components"; }
    std::filesystem::path models_dir() const { return root_ / "models"; }
    std::filesystem::path state_dir() const { return root_ / "state"; }
    std::filesystem::path downloads_dir() const { return root_ / "cache" / "downloads"; }
    // Saved prompt states (the server's persistent prompt cache, llm.prompt_cache_size).
    std::filesystem::path prompt_cache_dir() const { return root_ / "cache" / "kv"; }
    std::filesystem::path run_dir() const { return root_ / "run"; }
    std::filesystem::path logs_dir() const { return root_ / "logs"; }
    // Files whose sha256 was verified, remembered by identity so a launch does not hash them again.
    std::filesystem::path verified_files_path() const { return state_dir() / "verified-files.json"; }
    std::filesystem::path verified_models_path() const { return state_dir() / "verified-models.json"; }
    std::filesystem::path detection_cache_path() const { return state_dir() / "detection.json"; }
    std::filesystem::path failures_path() const { return state_dir() / "failures.json"; }
    std::filesystem::path start_history_path() const { return state_dir() / "last-start.json"; }
    std::filesystem::path measured_choice_path() const { return state_dir() / "measured-choice.json"; }
    std::filesystem::path install_lock_path() const { return state_dir() / "install.lock"; }

    std::filesystem::path socket_path() const { return run_dir() / "llm.sock"; }
    // Held by the running server for its whole life; holds its pid.
    std::filesystem::path server_lock_path() const;
    // Held by a supervisor while it starts a server, so concurrent clients start exactly one.
    std::filesystem::path start_lock_path() const { return run_dir() / "start.lock"; }
    std::filesystem::path server_log_path() const { return logs_dir() / "server.log"; }
    // What the running server was started for (backend, model, the request it satisfies), written by its starter.
    std::filesystem::path server_record_path() const { return run_dir() / "server.json"; }
    // Held shared by every client for the length of its requests, exclusively by a client that restarts the server,
    // so a restart waits for the requests in flight and two clients asking for different servers take turns.
    std::filesystem::path use_lock_path() const { return run_dir() / "use.lock"; }

    // Creates root, run/ (0700) and logs/; run/ is repaired to 0700 if it exists with looser permissions.
    void ensure_runtime_dirs() const;

private:
    std::filesystem::path root_;
};

// Creates `dir` (and parents) and makes it private to the user (0700). Refuses a symlink or another user's folder.
void ensure_private_dir(const std::filesystem::path& dir);

// The lock file of a socket: run/llm.sock -> run/llm.lock. Taken by the server (owner), read by clients (liveness).
std::filesystem::path lock_path_for_socket(const std::filesystem::path& socket);

}  // namespace tsuku
