#include "common/backend.h"

namespace tsuku {

const BackendInfo& backend_info(Backend b) {
    for (const auto& i : kBackends) {
        if (i.backend == b) return i;
    }
    return kBackends[0];  // unreachable: every enumerator has a row
}

std::string_view backend_name(Backend b) { return backend_info(b).name; }

std::optional<Backend> parse_backend(std::string_view name) {
    for (const auto& i : kBackends) {
        if (i.name == name) return i.backend;
    }
    return std::nullopt;
}

std::string backend_names_joined() {
    std::string s;
    for (const auto& i : kBackends) {
        if (!s.empty()) s += ", ";
        s += i.name;
    }
    return s;
}

}  // namespace tsuku
