// The `tsuku-llm serve` command line, defined once: what tsuku passes to start a server (lifecycle and bench) and
// the option names the server parses (server/main.cpp). Beside server_event.h, the other half of the contract
// between the two programs.
#pragma once

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

namespace tsuku::serve_option {
inline constexpr const char* kSocket = "--socket";
inline constexpr const char* kModel = "--model";
inline constexpr const char* kNotifyFd = "--notify-fd";
inline constexpr const char* kIdleTimeout = "--idle-timeout";
inline constexpr const char* kThreads = "--threads";
}  // namespace tsuku::serve_option

namespace tsuku {

struct ServeCommand {
    std::filesystem::path socket;
    std::filesystem::path model;
    int notify_fd = -1;
    std::chrono::milliseconds idle_timeout{0};  // 0: never idles out
    int threads = 0;                            // 0: the server decides
    std::vector<std::string> extra;             // further options, passed as they are
};

// The arguments after the executable: "serve --socket … --model … --notify-fd N --idle-timeout Nms …".
std::vector<std::string> serve_arguments(const ServeCommand& command);

}  // namespace tsuku
