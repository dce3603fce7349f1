#include "common/text_input.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "common/error.h"
#include "common/unique_fd.h"

namespace tsuku {

std::optional<size_t> first_invalid_utf8(std::string_view s) {
    const auto* p = reinterpret_cast<const unsigned char*>(s.data());
    const size_t n = s.size();
    size_t i = 0;
    while (i < n) {
        const unsigned char c = p[i];
        if (c < 0x80) {
            ++i;
            continue;
        }
        size_t len = 0;
        uint32_t cp = 0, min = 0;
        if ((c & 0xE0) == 0xC0)
            len = 2, cp = c & 0x1F, min = 0x80;
        else if ((c & 0xF0) == 0xE0)
            len = 3, cp = c & 0x0F, min = 0x800;
        else if ((c & 0xF8) == 0xF0)
            len = 4, cp = c & 0x07, min = 0x10000;
        else
            return i;
        if (i + len > n) return i;
        for (size_t k = 1; k < len; ++k) {
            if ((p[i + k] & 0xC0) != 0x80) return i;
            cp = (cp << 6) | (p[i + k] & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return i;
        i += len;
    }
    return std::nullopt;
}

std::string read_bounded_file(const std::filesystem::path& path, size_t limit, const std::string& what) {
    const std::string limit_text = std::to_string(limit >> 10) + " KiB";
    const bool is_stdin = path == "-";
    UniqueFd owned;
    int fd = STDIN_FILENO;
    if (!is_stdin) {
        owned.reset(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK));
        if (!owned) {
            throw UserError(what + " " + path.string() + " cannot be read: " + errno_text(errno),
                            "give the path of a readable file", ExitCode::usage);
        }
        fd = owned.get();
        struct stat st {};
        if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
            throw UserError(what + " " + path.string() + " is not a regular file",
                            "give a regular file (or '-' for standard input)", ExitCode::usage);
        }
        if (static_cast<size_t>(st.st_size) > limit) {
            throw UserError(what + " " + path.string() + " has " + std::to_string(st.st_size) +
                                " bytes; the limit is " + limit_text,
                            "give a smaller file", ExitCode::usage);
        }
    }
    std::string out;
    char buf[65536];
    for (;;) {
        const ssize_t got = ::read(fd, buf, sizeof buf);
        if (got < 0 && errno == EINTR) continue;
        if (got < 0) {
            throw UserError("reading " + what + " failed: " + errno_text(errno), "check the input", ExitCode::usage);
        }
        if (got == 0) break;
        if (out.size() + static_cast<size_t>(got) > limit) {
            throw UserError(
                what + (is_stdin ? " on standard input" : " " + path.string()) + " is over the limit of " + limit_text,
                "give less input", ExitCode::usage);
        }
        out.append(buf, static_cast<size_t>(got));
    }
    return out;
}

}  // namespace tsuku
