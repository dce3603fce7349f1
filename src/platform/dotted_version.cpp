#include "platform/dotted_version.h"

#include <charconv>

namespace tsuku::platform {

std::optional<DottedVersion> DottedVersion::parse(std::string_view text) {
    std::vector<unsigned> parts;
    size_t i = 0;
    while (true) {
        const size_t dot = text.find('.', i);
        const std::string_view piece = text.substr(i, dot == std::string_view::npos ? std::string_view::npos : dot - i);
        if (piece.empty() || piece.size() > 9) return std::nullopt;
        unsigned v = 0;
        const auto [p, ec] = std::from_chars(piece.data(), piece.data() + piece.size(), v);
        if (ec != std::errc() || p != piece.data() + piece.size()) return std::nullopt;
        parts.push_back(v);
        if (dot == std::string_view::npos) break;
        i = dot + 1;
    }
    return DottedVersion(std::move(parts));
}

std::string DottedVersion::str() const {
    std::string s;
    for (size_t i = 0; i < parts_.size(); ++i) {
        if (i) s += '.';
        s += std::to_string(parts_[i]);
    }
    return s;
}

std::strong_ordering DottedVersion::operator<=>(const DottedVersion& o) const {
    const size_t n = std::max(parts_.size(), o.parts_.size());
    for (size_t i = 0; i < n; ++i) {
        if (auto c = part(i) <=> o.part(i); c != 0) return c;
    }
    return std::strong_ordering::equal;
}

}  // namespace tsuku::platform
