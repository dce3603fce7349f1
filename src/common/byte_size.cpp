#include "common/byte_size.h"

#include <array>
#include <charconv>
#include <cstdio>
#include <utility>

namespace tsuku {
namespace {

constexpr uint64_t kMax = uint64_t{1} << 62;
// Binary units first: on a tie (never, but) format_byte_size keeps the first.
constexpr std::array<std::pair<std::string_view, uint64_t>, 9> kUnits{{{"TiB", uint64_t{1} << 40},
                                                                       {"GiB", uint64_t{1} << 30},
                                                                       {"MiB", uint64_t{1} << 20},
                                                                       {"KiB", uint64_t{1} << 10},
                                                                       {"TB", 1'000'000'000'000},
                                                                       {"GB", 1'000'000'000},
                                                                       {"MB", 1'000'000},
                                                                       {"KB", 1'000},
                                                                       {"B", 1}}};

}  // namespace

std::optional<uint64_t> parse_byte_size(std::string_view text) {
    uint64_t n = 0;
    const auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
    if (ec != std::errc() || p == text.data()) return std::nullopt;
    const std::string_view unit(p, static_cast<size_t>(text.data() + text.size() - p));
    uint64_t scale = unit.empty() ? 1 : 0;
    for (const auto& [name, value] : kUnits) {
        if (unit == name) scale = value;
    }
    if (scale == 0 || n > kMax / scale) return std::nullopt;
    return n * scale;
}

std::string format_byte_size(uint64_t bytes) {
    if (bytes == 0) return "0";
    std::string_view unit;
    uint64_t best = bytes;
    for (const auto& [name, value] : kUnits) {  // the unit that divides exactly into the smallest number
        if (value > 1 && bytes % value == 0 && bytes / value < best) unit = name, best = bytes / value;
    }
    return std::to_string(best) + std::string(unit);
}

std::string format_memory(uint64_t bytes, uint64_t gib_from) {
    char buf[32];
    if (bytes >= gib_from) {
        std::snprintf(buf, sizeof buf, "%.1f GiB", static_cast<double>(bytes) / (uint64_t{1} << 30));
    } else {
        std::snprintf(buf, sizeof buf, "%llu MiB", static_cast<unsigned long long>(bytes >> 20));
    }
    return buf;
}

std::string format_mib_rounded(uint64_t bytes) { return std::to_string((bytes + (1 << 19)) >> 20) + " MiB"; }

std::string format_mib_decimal(uint64_t bytes) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f MiB", static_cast<double>(bytes) / (1 << 20));
    return buf;
}

std::string format_si_bytes(uint64_t bytes) {
    static constexpr const char* kSiUnits[] = {"B", "kB", "MB", "GB", "TB"};
    double v = static_cast<double>(bytes);
    int unit = 0;
    while (v >= 1000 && unit < 4) v /= 1000, ++unit;
    char buf[32];
    if (unit == 0) {
        std::snprintf(buf, sizeof buf, "%llu B", static_cast<unsigned long long>(bytes));
    } else {
        std::snprintf(buf, sizeof buf, "%.1f %s", v, kSiUnits[unit]);
    }
    return buf;
}

}  // namespace tsuku
