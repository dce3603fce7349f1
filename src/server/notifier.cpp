#include "server/notifier.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

#include "common/error.h"

namespace tsuku::server {
namespace {
void write_all(int fd, const std::string& s) {
    size_t off = 0;
    while (off < s.size()) {
        const ssize_t n = ::write(fd, s.data() + off, s.size() - off);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return;  // the supervisor went away: nothing else to do
        off += static_cast<size_t>(n);
    }
}
}  // namespace

Notifier::Notifier(int fd) {
    if (fd < 0) return;
    if (fd <= 2 || ::fcntl(fd, F_GETFD) < 0) {
        throw UserError("--notify-fd " + std::to_string(fd) + " is not an open pipe",
                        "pass the write end of a pipe the server inherited (not 0, 1 or 2), or omit --notify-fd",
                        ExitCode::usage);
    }
    ::fcntl(fd, F_SETFD, FD_CLOEXEC);  // never leak it into anything we might start
    fd_.reset(fd);
}

void Notifier::send(const ServerEvent& event) {
    const std::string line = to_json_line(event);
    if (fd_) {
        write_all(fd_.get(), line);
    } else if (std::holds_alternative<FailedEvent>(event)) {
        write_all(STDERR_FILENO, line);
    }
}

}  // namespace tsuku::server
