// Durations as users write them: "300ms", "30s", "5m", "1h", "1h30m", "0" (= never / disabled).
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace tsuku {

std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);
std::string format_duration(std::chrono::milliseconds d);  // inverse of parse_duration, e.g. "5m", "1h30m", "250ms"

}  // namespace tsuku
