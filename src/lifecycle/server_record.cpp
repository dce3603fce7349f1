#include "lifecycle/server_record.h"

#include <filesystem>
#include <nlohmann/json.hpp>

#include "common/durable_file.h"

using nlohmann::json;

namespace tsuku::lifecycle {

void save_server_record(const Home& home, const ServerRecord& r) {
    json failed = json::array();
    for (Backend b : r.failed) failed.push_back(backend_name(b));
    const json j = {{"pid", r.pid},
                    {"backend", backend_name(r.backend)},
                    {"model_name", r.model_name},
                    {"model_path", r.model_path},
                    {"model_setting", r.model_setting},
                    {"failed", failed},
                    {"conditions", r.conditions},
                    {"runtime", r.runtime},
                    {"started", r.started_unix}};
    write_file_atomically(home.server_record_path(), j.dump(2, ' ', false, json::error_handler_t::replace) + "\n",
                          0600);
}

std::optional<ServerRecord> load_server_record(const Home& home, pid_t pid) {
    const json j = read_json_file(home.server_record_path());
    if (!j.is_object()) return std::nullopt;
    try {
        ServerRecord r;
        r.pid = j.at("pid").get<pid_t>();
        if (r.pid != pid) return std::nullopt;  // a record left by an earlier server
        const auto backend = parse_backend(j.at("backend").get<std::string>());
        if (!backend) return std::nullopt;
        r.backend = *backend;
        r.model_name = j.value("model_name", "");
        r.model_path = j.value("model_path", "");
        r.model_setting = j.value("model_setting", "");
        for (const auto& name : j.value("failed", std::vector<std::string>{})) {
            if (const auto b = parse_backend(name)) r.failed.push_back(*b);
        }
        r.conditions = j.value("conditions", "");
        r.runtime = j.value("runtime", std::vector<std::string>{});
        r.started_unix = j.value("started", int64_t{0});
        return r;
    } catch (const json::exception&) {
        return std::nullopt;  // our own state: unreadable means "unknown", never an error
    }
}

std::string model_display_name(const std::string& path) {
    std::filesystem::path p(path);
    return p.extension() == ".gguf" ? p.stem().string() : p.filename().string();
}

}  // namespace tsuku::lifecycle
