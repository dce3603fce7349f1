#include "server/stream_cut.h"

#include <algorithm>

#include "server/utf8.h"

namespace tsuku::server {
namespace {

// The start of the longest tail of `raw` that is a proper prefix of `s` (raw.size() when there is none).
size_t partial_start(std::string_view raw, std::string_view s) {
    for (size_t k = std::min(s.size() - 1, raw.size()); k > 0; --k) {
        if (raw.substr(raw.size() - k) == s.substr(0, k)) return raw.size() - k;
    }
    return raw.size();
}

}  // namespace

size_t streamable_prefix(std::string_view raw, const StreamHold& hold) {
    if (hold.hold_all) return 0;
    size_t limit = complete_utf8_prefix(raw);
    for (const auto& m : hold.markers) {
        if (m.empty()) continue;
        limit = std::min({limit, raw.find(m), partial_start(raw, m)});
    }
    for (const auto& s : hold.stops) {
        if (!s.empty()) limit = std::min(limit, partial_start(raw, s));
    }
    if (hold.hold_trailing_space) {
        while (limit > 0 &&
               (raw[limit - 1] == ' ' || raw[limit - 1] == '\n' || raw[limit - 1] == '\t' || raw[limit - 1] == '\r')) {
            --limit;
        }
    }
    return limit;
}

}  // namespace tsuku::server
