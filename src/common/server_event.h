// The newline-delimited JSON events the server writes to its --notify-fd (docs/design.md §4.2):
//   {"event":"ready","pid":…,"socket":…,"backend":…,"model":…}
//   {"event":"failed","code":"backend_unavailable","backend":…,"reason":…,"detail":…}
//   {"event":"backend_ok","backend":…}   the backend check passed: what fails after this is not the backend's fault
//                                        by itself (a model that crashes llama.cpp, a short start timeout)
// One definition for the writer (server) and the reader (supervisor).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "common/reasons.h"

namespace tsuku {

struct ReadyEvent {
    long pid = 0;
    std::string socket;
    std::string backend;
    std::string model;
};

struct FailedEvent {
    std::string code = "backend_unavailable";
    std::string backend;
    std::string reason;  // a BackendFailure code
    std::string detail;  // the driver's / loader's own words
};

struct BackendOkEvent {
    std::string backend;
};

using ServerEvent = std::variant<ReadyEvent, FailedEvent, BackendOkEvent>;

std::string to_json_line(const ServerEvent& event);  // ends with '\n'
// Parses one line; std::nullopt for anything that is not a known event (unknown events are ignored by readers).
std::optional<ServerEvent> parse_event_line(std::string_view line);

// Accumulates bytes read from the notify pipe and yields complete events.
class EventReader {
public:
    std::vector<ServerEvent> feed(std::string_view bytes);

private:
    std::string pending_;
};

}  // namespace tsuku
