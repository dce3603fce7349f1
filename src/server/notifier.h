// Writes start-up events to the supervisor's readiness pipe (--notify-fd). Without a pipe, `failed` events go to
// stderr so a person running the server by hand still sees the machine-readable line.
#pragma once

#include "common/server_event.h"
#include "common/unique_fd.h"

namespace tsuku::server {

class Notifier {
public:
    explicit Notifier(int fd);  // -1: no pipe; throws UserError when fd is not an open descriptor
    void send(const ServerEvent& event);
    void close() { fd_.reset(); }  // after `ready`: the supervisor sees EOF

private:
    UniqueFd fd_;
};

}  // namespace tsuku::server
