// What the running server was started for (run/server.json): the backend it serves, the model, and the request it
// was started to satisfy. Written by the client that started it, once it is ready; read by every later client to
// decide whether that server still answers what is asked now (config, --backend, --model), or must be restarted.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/backend.h"
#include "common/home.h"

namespace tsuku::lifecycle {

struct ServerRecord {
    pid_t pid = -1;
    Backend backend = Backend::cpu;    // the backend that serves
    std::string model_name;            // the manifest name, or the file name for a path
    std::string model_path;            // the file the server loaded
    std::string model_setting;         // what was asked: "auto", a name or a path
    std::vector<Backend> failed;       // backends of the chain that failed in this start, in order
    std::string conditions;            // the settings the start depended on (see FailureMemory)
    std::vector<std::string> runtime;  // where its components (the CUDA runtime) come from: system or package
    int64_t started_unix = 0;
};

void save_server_record(const Home& home, const ServerRecord& record);
// The record of the server `pid`; nullopt when there is none, it is unreadable, or it belongs to another process.
std::optional<ServerRecord> load_server_record(const Home& home, pid_t pid);

// The name a model goes by everywhere (status, detect, logs): the file name without ".gguf". Models of the manifest
// are stored as models/<name>.gguf, so this is their manifest name.
std::string model_display_name(const std::string& path);

}  // namespace tsuku::lifecycle
