#include "common/duration.h"

#include <cctype>
#include <cstdint>

namespace tsuku {

std::optional<std::chrono::milliseconds> parse_duration(std::string_view s) {
    if (s == "0") return std::chrono::milliseconds(0);
    if (s.empty()) return std::nullopt;
    int64_t total = 0;
    size_t i = 0;
    while (i < s.size()) {
        if (!std::isdigit(static_cast<unsigned char>(s[i]))) return std::nullopt;
        int64_t n = 0;
        while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) {
            n = n * 10 + (s[i++] - '0');
            if (n > 1'000'000'000) return std::nullopt;
        }
        int64_t unit_ms;
        if (s.substr(i, 2) == "ms") {
            unit_ms = 1, i += 2;
        } else if (i < s.size() && s[i] == 's') {
            unit_ms = 1000, ++i;
        } else if (i < s.size() && s[i] == 'm') {
            unit_ms = 60'000, ++i;
        } else if (i < s.size() && s[i] == 'h') {
            unit_ms = 3'600'000, ++i;
        } else {
            return std::nullopt;  // a unit is required: "5" is ambiguous
        }
        total += n * unit_ms;
        if (total > int64_t{366} * 24 * 3'600'000) return std::nullopt;
    }
    return std::chrono::milliseconds(total);
}

std::string format_duration(std::chrono::milliseconds d) {
    int64_t ms = d.count();
    if (ms == 0) return "0";
    std::string out;
    const int64_t h = ms / 3'600'000, m = ms / 60'000 % 60, s = ms / 1000 % 60, rest = ms % 1000;
    if (h) out += std::to_string(h) + "h";
    if (m) out += std::to_string(m) + "m";
    if (s) out += std::to_string(s) + "s";
    if (rest) out += std::to_string(rest) + "ms";
    return out;
}

}  // namespace tsuku
