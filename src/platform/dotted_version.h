// Versions as dotted numbers: driver "580.65.06", CUDA "13.0", Vulkan API "1.2", compute capability "8.9".
// Compared component by component; a missing component counts as 0 ("13" == "13.0").
#pragma once

#include <compare>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tsuku::platform {

class DottedVersion {
public:
    DottedVersion() = default;
    explicit DottedVersion(std::vector<unsigned> parts) : parts_(std::move(parts)) {}
    // "580.65.06" -> {580, 65, 6}. nullopt for anything but digits separated by single dots.
    static std::optional<DottedVersion> parse(std::string_view text);

    const std::vector<unsigned>& parts() const { return parts_; }
    unsigned part(size_t i) const { return i < parts_.size() ? parts_[i] : 0; }
    std::string str() const;  // "580.65.6": leading zeros are not kept; use the source text for display

    std::strong_ordering operator<=>(const DottedVersion& o) const;
    bool operator==(const DottedVersion& o) const { return (*this <=> o) == 0; }

private:
    std::vector<unsigned> parts_;
};

}  // namespace tsuku::platform
