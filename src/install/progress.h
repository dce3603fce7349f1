// How a download and the steps around it are reported: a live bar on a terminal, one line per step otherwise.
#pragma once

#include <chrono>
#include <cstdint>
#include <iosfwd>
#include <memory>
#include <string>
#include <string_view>

namespace tsuku::install {

class Progress {
public:
    virtual ~Progress() = default;
    // A transfer starts: `total` bytes in all, `resumed_from` of them already on disk from an earlier attempt.
    virtual void begin_download(std::string_view url, uint64_t total, uint64_t resumed_from) = 0;
    // `done` bytes of `total` are on disk (called often; implementations throttle).
    virtual void advance(uint64_t done) = 0;
    virtual void end_download(uint64_t done) = 0;
    // One step or event: "verifying sha256", "retrying in 2s: connection reset", "installed to …".
    virtual void step(std::string_view message) = 0;
};

// Reports nothing (tests, --json).
class NullProgress final : public Progress {
public:
    void begin_download(std::string_view, uint64_t, uint64_t) override {}
    void advance(uint64_t) override {}
    void end_download(uint64_t) override {}
    void step(std::string_view) override {}
};

// One line per step; a transfer prints its start, each quarter and its end (logs, CI, pipes).
class LineProgress final : public Progress {
public:
    explicit LineProgress(std::ostream& out) : out_(out) {}
    void begin_download(std::string_view url, uint64_t total, uint64_t resumed_from) override;
    void advance(uint64_t done) override;
    void end_download(uint64_t done) override;
    void step(std::string_view message) override;

private:
    std::ostream& out_;
    uint64_t total_ = 0, start_bytes_ = 0;
    int quarters_shown_ = 0;
    std::chrono::steady_clock::time_point start_;
};

// A bar redrawn in place at most ~10 times a second: bytes, percentage, rate and ETA.
class TtyProgress final : public Progress {
public:
    explicit TtyProgress(std::ostream& out) : out_(out) {}
    void begin_download(std::string_view url, uint64_t total, uint64_t resumed_from) override;
    void advance(uint64_t done) override;
    void end_download(uint64_t done) override;
    void step(std::string_view message) override;

private:
    void draw(uint64_t done, bool final);
    void clear_line();
    std::ostream& out_;
    uint64_t total_ = 0, start_bytes_ = 0;
    bool drawn_ = false;
    std::chrono::steady_clock::time_point start_, last_draw_;
};

// TtyProgress when `is_tty`, else LineProgress.
std::unique_ptr<Progress> make_progress(std::ostream& out, bool is_tty);

// "3s", "2m05s", "1h02m".
std::string format_eta(std::chrono::seconds s);

}  // namespace tsuku::install
