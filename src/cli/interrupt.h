// Ctrl-C during a reply: the generation is cancelled, what was printed stays, the command exits 130.
#pragma once

#include <functional>
#include <thread>

namespace tsuku::cli {

// Thrown by a command that Ctrl-C stopped after it has tidied its output; run() exits with ExitCode::interrupted.
struct Interrupted {};

// While alive, SIGINT runs `on_interrupt` on a watcher thread (so it may lock and call gRPC, which a signal
// handler may not) instead of ending the process. Restores the previous SIGINT action when destroyed. One at a
// time.
class InterruptWatch {
public:
    explicit InterruptWatch(std::function<void()> on_interrupt);
    ~InterruptWatch();
    InterruptWatch(const InterruptWatch&) = delete;
    InterruptWatch& operator=(const InterruptWatch&) = delete;

    bool interrupted() const noexcept;

private:
    std::function<void()> on_interrupt_;
    int pipe_[2] = {-1, -1};  // the handler writes a byte: 'i' for SIGINT; the destructor writes 'q'
    std::thread watcher_;
};

}  // namespace tsuku::cli
