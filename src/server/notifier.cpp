#include "server/notifier.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

#include "common/error.h"
#include "common/fd_io.h"

namespace tsuku::server {
namespace {}  // namespace

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
        (void)write_all(fd_.get(), line);  // the supervisor went away: nothing else to do
    } else if (std::holds_alternative<FailedEvent>(event)) {
        (void)write_all(STDERR_FILENO, line);
    }
}

}  // namespace tsuku::server
