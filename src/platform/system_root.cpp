#include "platform/system_root.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>

#include "common/text.h"
#include "common/unique_fd.h"

namespace fs = std::filesystem;

namespace tsuku::platform {

fs::path SystemRoot::at(const fs::path& abs) const {
    if (is_live()) return abs;
    return root / abs.relative_path();
}

fs::path SystemRoot::system_path(const fs::path& real) const {
    if (is_live()) return real;
    const fs::path rel = real.lexically_relative(root);
    if (rel.empty() || *rel.begin() == "..") return real;
    return fs::path("/") / rel;
}

std::optional<std::string> read_small_file(const fs::path& path, size_t limit) {
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY));
    if (!fd) return std::nullopt;
    std::string out;
    char buf[4096];
    while (out.size() < limit) {
        const ssize_t n = ::read(fd.get(), buf, std::min(sizeof buf, limit - out.size()));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return std::nullopt;
        if (n == 0) break;
        out.append(buf, static_cast<size_t>(n));
    }
    return out;
}

std::optional<std::string> read_trimmed(const fs::path& path) {
    auto text = read_small_file(path, 4096);
    if (!text) return std::nullopt;
    const auto nl = text->find('\n');
    return std::string(trim(std::string_view(*text).substr(0, nl)));
}

std::optional<std::string> link_target_name(const fs::path& link) {
    std::error_code ec;
    const fs::path target = fs::read_symlink(link, ec);
    if (ec) return std::nullopt;
    auto name = target.filename().string();
    if (name.empty()) name = target.parent_path().filename().string();
    if (name.empty()) return std::nullopt;
    return name;
}

std::optional<uint64_t> parse_number(std::string_view text) {
    const std::string t(trim(text));
    std::string_view s = t;
    int base = 10;
    if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        s.remove_prefix(2);
        base = 16;
    }
    if (s.empty()) return std::nullopt;
    uint64_t v = 0;
    const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v, base);
    if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
    return v;
}

}  // namespace tsuku::platform
