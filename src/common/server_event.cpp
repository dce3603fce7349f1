#include "common/server_event.h"

#include <nlohmann/json.hpp>

namespace tsuku {

using nlohmann::json;

std::string to_json_line(const ServerEvent& event) {
    json j;
    if (const auto* r = std::get_if<ReadyEvent>(&event)) {
        j = {{"event", "ready"}, {"pid", r->pid}, {"socket", r->socket}, {"backend", r->backend}, {"model", r->model}};
    } else if (const auto* f = std::get_if<FailedEvent>(&event)) {
        j = {{"event", "failed"},
             {"code", f->code},
             {"backend", f->backend},
             {"reason", f->reason},
             {"detail", f->detail}};
    } else {
        j = {{"event", "backend_ok"}, {"backend", std::get<BackendOkEvent>(event).backend}};
    }
    // Invalid UTF-8 (e.g. a dlerror() in another locale) is replaced rather than aborting the report.
    return j.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
}

std::optional<ServerEvent> parse_event_line(std::string_view line) {
    json j = json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (!j.is_object()) return std::nullopt;
    auto str = [&j](const char* k) { return j.contains(k) && j[k].is_string() ? j[k].get<std::string>() : ""; };
    const std::string kind = str("event");
    if (kind == "ready") {
        ReadyEvent r;
        r.pid = j.contains("pid") && j["pid"].is_number_integer() ? j["pid"].get<long>() : 0;
        r.socket = str("socket");
        r.backend = str("backend");
        r.model = str("model");
        return r;
    }
    if (kind == "failed") {
        FailedEvent f;
        f.code = str("code");
        f.backend = str("backend");
        f.reason = str("reason");
        f.detail = str("detail");
        return f;
    }
    if (kind == "backend_ok") return BackendOkEvent{str("backend")};
    return std::nullopt;
}

std::vector<ServerEvent> EventReader::feed(std::string_view bytes) {
    pending_.append(bytes);
    std::vector<ServerEvent> out;
    size_t start = 0;
    for (size_t nl; (nl = pending_.find('\n', start)) != std::string::npos; start = nl + 1) {
        if (auto e = parse_event_line(std::string_view(pending_).substr(start, nl - start))) out.push_back(*e);
    }
    pending_.erase(0, start);
    // A peer that never sends a newline cannot make us buffer without bound.
    if (pending_.size() > 64 * 1024) pending_.clear();
    return out;
}

}  // namespace tsuku
