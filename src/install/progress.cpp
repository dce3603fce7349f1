#include "install/progress.h"

#include "common/byte_size.h"

#include <algorithm>
#include <cstdio>
#include <ostream>

namespace tsuku::install {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

std::string rate_text(uint64_t bytes, double seconds) {
    if (seconds <= 0) return "-";
    return format_si_bytes(static_cast<uint64_t>(static_cast<double>(bytes) / seconds)) + "/s";
}

}  // namespace

std::string format_eta(std::chrono::seconds s) {
    const long long t = s.count(), h = t / 3600, m = t / 60 % 60, sec = t % 60;
    char buf[32];
    if (h) {
        std::snprintf(buf, sizeof buf, "%lldh%02lldm", h, m);
    } else if (m) {
        std::snprintf(buf, sizeof buf, "%lldm%02llds", m, sec);
    } else {
        std::snprintf(buf, sizeof buf, "%llds", sec);
    }
    return buf;
}

// --- LineProgress ----------------------------------------------------------------------------------------------

void LineProgress::begin_download(std::string_view url, uint64_t total, uint64_t resumed_from) {
    total_ = total, start_bytes_ = resumed_from, start_ = Clock::now();
    quarters_shown_ = total ? static_cast<int>(resumed_from * 4 / total) : 0;
    out_ << "downloading " << url << " (" << format_si_bytes(total) << ")";
    if (resumed_from) out_ << ", resuming at " << format_si_bytes(resumed_from);
    out_ << "\n" << std::flush;
}

void LineProgress::advance(uint64_t done) {
    if (!total_) return;
    const int quarter = static_cast<int>(std::min<uint64_t>(done, total_) * 4 / total_);
    if (quarter <= quarters_shown_ || quarter >= 4) return;
    quarters_shown_ = quarter;
    out_ << "  " << quarter * 25 << "% (" << format_si_bytes(done) << ")\n" << std::flush;
}

void LineProgress::end_download(uint64_t done) {
    const double secs = seconds_since(start_);
    char t[32];
    std::snprintf(t, sizeof t, "%.1fs", secs);
    out_ << "downloaded " << format_si_bytes(done) << " in " << t << " (" << rate_text(done - start_bytes_, secs)
         << ")\n"
         << std::flush;
}

void LineProgress::step(std::string_view message) { out_ << message << "\n" << std::flush; }

// --- TtyProgress -----------------------------------------------------------------------------------------------

void TtyProgress::begin_download(std::string_view url, uint64_t total, uint64_t resumed_from) {
    total_ = total, start_bytes_ = resumed_from, start_ = Clock::now(), last_draw_ = {};
    out_ << "downloading " << url << "\n";
    draw(resumed_from, false);
}

void TtyProgress::advance(uint64_t done) {
    const auto now = Clock::now();
    if (now - last_draw_ < std::chrono::milliseconds(100)) return;
    draw(done, false);
}

void TtyProgress::end_download(uint64_t done) {
    draw(done, true);
    out_ << "\n" << std::flush;
    drawn_ = false;
}

void TtyProgress::step(std::string_view message) {
    clear_line();
    out_ << message << "\n" << std::flush;
}

void TtyProgress::clear_line() {
    if (drawn_) out_ << "\r\033[K";
    drawn_ = false;
}

void TtyProgress::draw(uint64_t done, bool final) {
    last_draw_ = Clock::now();
    const double secs = seconds_since(start_);
    const double fraction = total_ ? std::min(1.0, static_cast<double>(done) / static_cast<double>(total_)) : 0;
    constexpr int kWidth = 30;
    const int filled = static_cast<int>(fraction * kWidth);
    std::string bar = "[" + std::string(filled, '#') + std::string(kWidth - filled, '.') + "]";
    const uint64_t fresh = done - std::min(done, start_bytes_);
    char line[160];
    std::snprintf(line, sizeof line, "%s %3d%% %s / %s  %s", bar.c_str(), static_cast<int>(fraction * 100),
                  format_si_bytes(done).c_str(), format_si_bytes(total_).c_str(), rate_text(fresh, secs).c_str());
    std::string text = line;
    if (!final && fresh > 0 && secs > 0 && done < total_) {
        const double rate = static_cast<double>(fresh) / secs;
        const auto eta = std::chrono::seconds(static_cast<long long>(static_cast<double>(total_ - done) / rate));
        text += "  ETA " + format_eta(eta);
    }
    out_ << "\r\033[K" << text << std::flush;
    drawn_ = true;
}

std::unique_ptr<Progress> make_progress(std::ostream& out, bool is_tty) {
    if (is_tty) return std::make_unique<TtyProgress>(out);
    return std::make_unique<LineProgress>(out);
}

}  // namespace tsuku::install
