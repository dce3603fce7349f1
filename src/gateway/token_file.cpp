#include "gateway/token_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>

#include "common/error.h"
#include "common/unique_fd.h"

namespace tsuku::gateway {

namespace {
constexpr size_t kMaxToken = 4096;
constexpr std::string_view kSpace = " \t\r\n";
}  // namespace

std::string read_token_file(const std::filesystem::path& file) {
    const std::string name = file.string();
    UniqueFd fd(::open(name.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) {
        throw UserError(
            "cannot read the token file " + name + ": " + errno_text(errno),
            "give a file that holds the token, e.g. openssl rand -hex 32 > " + name + " && chmod 600 " + name,
            ExitCode::usage);
    }
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) {
        throw UserError("the token file " + name + " is not a regular file", "give a file that holds the token",
                        ExitCode::usage);
    }
    if ((st.st_mode & 077) != 0) {
        throw UserError("the token file " + name + " can be read or written by others (mode " +
                            std::to_string((st.st_mode >> 6) & 7) + std::to_string((st.st_mode >> 3) & 7) +
                            std::to_string(st.st_mode & 7) + ")",
                        "make it private: chmod 600 " + name, ExitCode::usage);
    }
    std::string text(kMaxToken + 1, '\0');
    size_t got = 0;
    while (got < text.size()) {
        const ssize_t n = ::read(fd.get(), text.data() + got, text.size() - got);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        got += static_cast<size_t>(n);
    }
    text.resize(got);
    const auto first = text.find_first_not_of(kSpace);
    const auto last = text.find_last_not_of(kSpace);
    const std::string token = first == std::string::npos ? "" : text.substr(first, last - first + 1);
    if (token.empty() || token.size() > kMaxToken || token.find_first_of(kSpace) != std::string::npos) {
        throw UserError("the token file " + name + " does not hold one token (1 to 4096 characters, no spaces)",
                        "write one token into it, e.g. openssl rand -hex 32 > " + name, ExitCode::usage);
    }
    return token;
}

bool tokens_equal(std::string_view given, std::string_view expected) {
    // Every byte of `expected` is compared whatever `given` holds; the length difference is folded in at the end.
    unsigned char diff = given.size() == expected.size() ? 0 : 1;
    for (size_t i = 0; i < expected.size(); ++i) {
        const unsigned char g = i < given.size() ? static_cast<unsigned char>(given[i]) : 0;
        diff |= static_cast<unsigned char>(g ^ static_cast<unsigned char>(expected[i]));
    }
    return diff == 0;
}

bool bearer_matches(std::string_view authorization, std::string_view token) {
    constexpr std::string_view kBearer = "Bearer ";
    if (authorization.size() < kBearer.size()) return false;
    // The scheme is case-insensitive (RFC 7235).
    for (size_t i = 0; i < kBearer.size(); ++i) {
        if (std::tolower(static_cast<unsigned char>(authorization[i])) !=
            std::tolower(static_cast<unsigned char>(kBearer[i]))) {
            return false;
        }
    }
    return tokens_equal(authorization.substr(kBearer.size()), token);
}

}  // namespace tsuku::gateway
