#include "cli/interrupt.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <stdexcept>

namespace tsuku::cli {
namespace {

std::atomic<int> g_write_fd{-1};
std::atomic<bool> g_interrupted{false};
struct sigaction g_previous {};

void on_sigint(int) {
    const int saved = errno;
    g_interrupted = true;
    if (const int fd = g_write_fd.load(); fd >= 0) {
        const char c = 'i';
        [[maybe_unused]] const auto n = ::write(fd, &c, 1);
    }
    errno = saved;
}

}  // namespace

InterruptWatch::InterruptWatch(std::function<void()> on_interrupt) : on_interrupt_(std::move(on_interrupt)) {
    if (::pipe2(pipe_, O_CLOEXEC) != 0) throw std::runtime_error("pipe2 failed");
    g_interrupted = false;
    g_write_fd = pipe_[1];
    struct sigaction sa {};
    sa.sa_handler = on_sigint;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;  // output in progress continues; the watcher does the rest
    ::sigaction(SIGINT, &sa, &g_previous);
    watcher_ = std::thread([this] {
        char c = 0;
        while (::read(pipe_[0], &c, 1) == 1 || errno == EINTR) {
            if (c == 'q') return;
            if (c == 'i' && on_interrupt_) on_interrupt_();
            c = 0;
        }
    });
}

InterruptWatch::~InterruptWatch() {
    ::sigaction(SIGINT, &g_previous, nullptr);
    g_write_fd = -1;
    const char q = 'q';
    [[maybe_unused]] const auto n = ::write(pipe_[1], &q, 1);
    watcher_.join();
    ::close(pipe_[0]);
    ::close(pipe_[1]);
}

bool InterruptWatch::interrupted() const noexcept { return g_interrupted; }

}  // namespace tsuku::cli
