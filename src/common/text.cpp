#include "common/text.h"

namespace tsuku {

std::string_view trim(std::string_view s) {
    constexpr std::string_view kSpace = " \t\r\n\f\v";
    const auto b = s.find_first_not_of(kSpace);
    if (b == std::string_view::npos) return {};
    return s.substr(b, s.find_last_not_of(kSpace) - b + 1);
}

void append_listed(std::string& out, std::string_view separator, std::string_view item) {
    if (!out.empty()) out += separator;
    out += item;
}

std::string join(const std::vector<std::string>& items, std::string_view separator) {
    std::string out;
    for (const auto& i : items) append_listed(out, separator, i);
    return out;
}

}  // namespace tsuku
