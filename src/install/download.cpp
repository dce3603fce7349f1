#include "install/download.h"

#include <curl/curl.h>
#include <fcntl.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <exception>
#include <memory>
#include <mutex>
#include <thread>

#include "common/disk_fault.h"
#include "common/durable_file.h"
#include "common/error.h"
#include "common/fd_io.h"
#include "common/file_lock.h"
#include "common/home.h"
#include "common/unique_fd.h"
#include "common/version.h"
#include "install/sha256.h"

namespace fs = std::filesystem;

namespace tsuku::install {
namespace {

struct CurlFree {
    void operator()(CURL* c) const noexcept { curl_easy_cleanup(c); }
};
using CurlHandle = std::unique_ptr<CURL, CurlFree>;

constexpr std::string_view kNetworkFix =
    "check the network connection (or TSUKU_LLM_MIRROR) and run the command again; the download resumes where it "
    "stopped";
constexpr std::string_view kRedirectFix =
    "the server (or the mirror in TSUKU_LLM_MIRROR) is misconfigured: its redirects do not lead to the file; point "
    "TSUKU_LLM_MIRROR at a copy of the release, or report it to whoever runs the server";
constexpr std::string_view kContentFix =
    "the server (or the mirror in TSUKU_LLM_MIRROR) does not have the file this tsuku release expects; try again "
    "later, or point TSUKU_LLM_MIRROR at a copy of the release";

// A failure caused by the bytes themselves (wrong size, wrong checksum, an HTML page): the partial file is
// worthless and is deleted. Every other UserError keeps it for the next run.
class BadContent : public UserError {
public:
    using UserError::UserError;
};

bool looks_like_html(std::string_view data) {
    if (data.starts_with("\xEF\xBB\xBF")) data.remove_prefix(3);
    while (!data.empty() && std::isspace(static_cast<unsigned char>(data.front()))) data.remove_prefix(1);
    std::string head(data.substr(0, 16));
    std::transform(head.begin(), head.end(), head.begin(), [](unsigned char c) { return std::tolower(c); });
    return head.starts_with("<!doctype html") || head.starts_with("<html") || head.starts_with("<head") ||
           head.starts_with("<body");
}

bool is_transient(CURLcode rc) {
    switch (rc) {
        case CURLE_COULDNT_RESOLVE_PROXY:
        case CURLE_COULDNT_RESOLVE_HOST:
        case CURLE_COULDNT_CONNECT:
        case CURLE_OPERATION_TIMEDOUT:
        case CURLE_PARTIAL_FILE:
        case CURLE_GOT_NOTHING:
        case CURLE_SEND_ERROR:
        case CURLE_RECV_ERROR:
        case CURLE_SSL_CONNECT_ERROR:
        case CURLE_HTTP2:
        case CURLE_HTTP2_STREAM:
        case CURLE_AGAIN: return true;
        default: return false;
    }
}

// `still_to_come`: bytes of the download not written yet, counting these (what the disk must still take).
void write_all(int fd, const char* data, size_t n, const fs::path& path, uint64_t still_to_come) {
    const int err = tsuku::write_all(fd, {data, n});
    if (err == 0) return;
    if (is_disk_fault(err)) {
        throw_disk_fault("cannot write " + path.string(), err, path.parent_path(), still_to_come,
                         "the part already downloaded is kept and the download resumes from it");
    }
    throw UserError("cannot write " + path.string() + ": " + errno_text(err),
                    "check the permissions of " + path.parent_path().string() + " and run it again");
}

void remove_quietly(const fs::path& p) {
    std::error_code ec;
    fs::remove(p, ec);
}

// One download into a `.partial` file: the hash covers exactly the bytes in the file at every moment.
class Transfer {
public:
    enum class Outcome { complete, transient, restart };
    struct Result {
        Outcome outcome;
        std::string reason;
    };

    Transfer(std::string url, uint64_t size, fs::path partial, Progress& progress, const DownloadOptions& options)
        : url_(std::move(url)),
          shown_url_(redact_url(url_)),
          size_(size),
          partial_(std::move(partial)),
          progress_(progress),
          curl_(curl_easy_init()) {
        if (!curl_) throw std::runtime_error("curl_easy_init failed");
        open_partial();
        CURL* h = curl_.get();
        curl_easy_setopt(h, CURLOPT_URL, url_.c_str());
        curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https,file");
        curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");  // a redirect never reaches a local file
        curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
        curl_easy_setopt(h, CURLOPT_MAXREDIRS, 10L);
        curl_easy_setopt(h, CURLOPT_FAILONERROR, 1L);
        curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
        curl_easy_setopt(h, CURLOPT_BUFFERSIZE, 512L * 1024);
        curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, static_cast<long>(options.connect_timeout.count()));
        curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, options.stall_bytes_per_second);
        curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, static_cast<long>(options.stall_time.count()));
        curl_easy_setopt(h, CURLOPT_USERAGENT, (std::string("tsuku/") + kVersion).c_str());
        curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf_);
        curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &Transfer::on_write);
        curl_easy_setopt(h, CURLOPT_WRITEDATA, this);
        curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, &Transfer::on_header);
        curl_easy_setopt(h, CURLOPT_HEADERDATA, this);
    }

    uint64_t written() const { return written_; }
    bool saw_html() const { return html_; }
    std::string finish_hash() { return hash_.finish(); }
    const std::string& shown_url() const { return shown_url_; }

    // Hashes what an earlier run left in the partial file, so the transfer continues after it.
    uint64_t adopt_existing_bytes() {
        written_ = hash_file_into(partial_, hash_);
        if (written_ > size_) restart();
        return written_;
    }

    void restart() {
        if (::ftruncate(fd_.get(), 0) != 0) {
            const int err = errno;
            throw UserError("cannot truncate " + partial_.string() + ": " + errno_text(err), "check the disk");
        }
        hash_.reset();
        written_ = 0;
    }

    // Flushes the complete file to disk and closes it.
    void close_durably() {
        if (::fsync(fd_.get()) != 0) {
            const int err = errno;
            if (is_disk_fault(err))
                throw_disk_fault("cannot flush " + partial_.string(), err, partial_.parent_path(), 0);
            throw UserError("cannot flush " + partial_.string() + ": " + errno_text(err), "check the disk");
        }
        fd_.reset();
    }

    Result attempt() {
        inspected_ = false;
        pending_ = nullptr;
        errbuf_[0] = '\0';
        if (written_ == size_) return {Outcome::complete, {}};
        curl_easy_setopt(curl_.get(), CURLOPT_RESUME_FROM_LARGE, static_cast<curl_off_t>(written_));
        progress_.begin_download(shown_url_, size_, written_);
        const CURLcode rc = curl_easy_perform(curl_.get());
        if (pending_) std::rethrow_exception(pending_);
        long code = 0;
        curl_easy_getinfo(curl_.get(), CURLINFO_RESPONSE_CODE, &code);
        const std::string detail = errbuf_[0] ? errbuf_ : curl_easy_strerror(rc);

        if (rc == CURLE_OK) {
            progress_.end_download(written_);
            if (written_ == size_) return {Outcome::complete, {}};
            bad_content("ended after " + std::to_string(written_) + " of the " + std::to_string(size_) +
                        " expected bytes: the file on the server is truncated");
        }
        if (rc == CURLE_HTTP_RETURNED_ERROR) {
            if (code == 416) return {Outcome::restart, "the server cannot resume this file (HTTP 416)"};
            if (code == 408 || code == 429 || code >= 500) {
                return {Outcome::transient, "the server answered HTTP " + std::to_string(code)};
            }
            if (code == 404 || code == 410) {
                throw UserError("download of " + shown_url_ + " failed: not found (HTTP " + std::to_string(code) + ")",
                                std::string(kContentFix));
            }
            if (code == 401 || code == 403) {
                throw UserError(
                    "download of " + shown_url_ + " failed: access denied (HTTP " + std::to_string(code) + ")",
                    "check that the URL (or TSUKU_LLM_MIRROR) is public, or that your proxy allows it");
            }
            throw UserError("download of " + shown_url_ + " failed: HTTP " + std::to_string(code),
                            std::string(kContentFix));
        }
        if (rc == CURLE_TOO_MANY_REDIRECTS) {
            throw UserError("download of " + shown_url_ + " failed: the server redirects in a loop (" + detail + ")",
                            std::string(kRedirectFix));
        }
        if (rc == CURLE_UNSUPPORTED_PROTOCOL && redirects() > 0) {
            throw UserError("download of " + shown_url_ + " failed: the server redirected to " +
                                (location_.empty() ? std::string("another kind of URL") : redact_url(location_)) +
                                ", which tsuku does not follow (a download is only redirected to http:// or https://)",
                            std::string(kRedirectFix));
        }
        if (rc == CURLE_RANGE_ERROR) return {Outcome::restart, "the server does not support resuming downloads"};
        if (rc == CURLE_FILE_COULDNT_READ_FILE) {
            throw UserError("download of " + shown_url_ + " failed: no such file (" + detail + ")",
                            std::string(kContentFix));
        }
        if (is_transient(rc)) {
            if (rc == CURLE_OPERATION_TIMEDOUT) return {Outcome::transient, "stalled or timed out: " + detail};
            return {Outcome::transient, detail};
        }
        throw UserError("download of " + shown_url_ + " failed: " + detail, std::string(kNetworkFix));
    }

private:
    void open_partial() {
        fd_.reset(::open(partial_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600));
        if (!fd_) {
            const int err = errno;
            throw UserError("cannot create " + partial_.string() + ": " + errno_text(err),
                            "check the permissions of " + partial_.parent_path().string());
        }
    }

    // Remembers the last Location header, to name where a refused redirect pointed.
    static size_t on_header(char* data, size_t, size_t n, void* self) {
        std::string_view line(data, n);
        if (line.size() > 9 && strncasecmp(line.data(), "location:", 9) == 0) {
            line.remove_prefix(9);
            while (!line.empty() && std::isspace(static_cast<unsigned char>(line.front()))) line.remove_prefix(1);
            while (!line.empty() && std::isspace(static_cast<unsigned char>(line.back()))) line.remove_suffix(1);
            static_cast<Transfer*>(self)->location_ = std::string(line.substr(0, 2048));
        }
        return n;
    }

    static size_t on_write(char* data, size_t, size_t n, void* self) {
        auto* t = static_cast<Transfer*>(self);
        try {
            t->write(data, n);
            return n;
        } catch (...) {
            // Never let an exception cross libcurl's C frames: keep it and abort the transfer.
            t->pending_ = std::current_exception();
            return CURL_WRITEFUNC_ERROR;
        }
    }

    // The first bytes of a response: note an HTML page (its bytes are judged by the checksum: a server may label the
    // right file text/html) and refuse a size that disagrees with the manifest before downloading hundreds of
    // megabytes of it.
    void inspect(std::string_view first) {
        const char* type = nullptr;
        curl_easy_getinfo(curl_.get(), CURLINFO_CONTENT_TYPE, &type);
        const bool html_type = type && std::string_view(type).find("text/html") != std::string_view::npos;
        html_ = html_ || (written_ == 0 && looks_like_html(first)) || html_type;
        curl_off_t length = -1;
        curl_easy_getinfo(curl_.get(), CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &length);
        if (length >= 0 && written_ + static_cast<uint64_t>(length) != size_) {
            bad_content("has the wrong size: the server offers " +
                        std::to_string(written_ + static_cast<uint64_t>(length)) + " bytes, expected " +
                        std::to_string(size_));
        }
    }

    long redirects() {
        long n = 0;
        curl_easy_getinfo(curl_.get(), CURLINFO_REDIRECT_COUNT, &n);
        return n;
    }

    // Bytes that are not the file: when they came as an HTML page, that is the likely story.
    [[noreturn]] void bad_content(const std::string& what) {
        if (html_) {
            throw BadContent("download of " + shown_url_ +
                                 " returned an HTML page instead of the file (a login page, a captive portal or a "
                                 "wrong URL?): it " +
                                 what,
                             std::string(kContentFix));
        }
        throw BadContent("download of " + shown_url_ + " " + what, std::string(kContentFix));
    }

    void write(const char* data, size_t n) {
        if (!inspected_) {
            inspected_ = true;
            inspect(std::string_view(data, n));
        }
        if (written_ + n > size_) {
            bad_content("has the wrong size: the server sent more than the " + std::to_string(size_) +
                        " expected bytes");
        }
        write_all(fd_.get(), data, n, partial_, size_ - written_);
        hash_.update(data, n);
        written_ += n;
        progress_.advance(written_);
    }

    std::string url_, shown_url_;
    uint64_t size_;
    fs::path partial_;
    Progress& progress_;
    CurlHandle curl_;
    UniqueFd fd_;
    Sha256 hash_;
    uint64_t written_ = 0;
    bool inspected_ = false;
    std::string location_;  // the last redirect's target
    bool html_ = false;     // a response looked like an HTML page (type or first bytes)
    std::exception_ptr pending_;
    char errbuf_[CURL_ERROR_SIZE] = {};
};

void global_init() {
    static std::once_flag once;
    std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

std::chrono::milliseconds backoff(const RetryPolicy& p, int failures) {
    auto d = p.first_delay;
    for (int i = 1; i < failures && d < p.max_delay; ++i) d *= 2;
    return std::min(d, p.max_delay);
}

// Runs attempts until the partial file holds `size` bytes; returns its sha256.
std::string fetch(Transfer& t, uint64_t size, Progress& progress, const DownloadOptions& options) {
    int failures = 0, attempts = 0;
    bool restarted = false;
    for (;;) {
        ++attempts;
        const uint64_t before = t.written();
        const auto r = t.attempt();
        if (r.outcome == Transfer::Outcome::complete) break;
        if (r.outcome == Transfer::Outcome::restart) {
            if (restarted) {
                throw UserError("download of " + t.shown_url() + " failed: " + r.reason, std::string(kContentFix));
            }
            progress.step(r.reason + "; starting over");
            t.restart();
            restarted = true;
            continue;
        }
        if (t.written() > before) failures = 0;
        if (++failures >= options.retry.max_attempts || attempts >= options.retry.max_total_attempts) {
            throw UserError("download of " + t.shown_url() + " failed after " + std::to_string(attempts) + " attempt" +
                                (attempts == 1 ? "" : "s") + ": " + r.reason + " (" + std::to_string(t.written()) +
                                " of " + std::to_string(size) + " bytes kept)",
                            std::string(kNetworkFix));
        }
        const auto delay = backoff(options.retry, failures);
        progress.step("retrying in " + std::to_string(delay.count()) + " ms: " + r.reason);
        if (options.retry.sleep) {
            options.retry.sleep(delay);
        } else {
            std::this_thread::sleep_for(delay);
        }
    }
    t.close_durably();
    return t.finish_hash();
}

bool cached_file_is_good(const fs::path& file, uint64_t size, const std::string& sha256) {
    std::error_code ec;
    if (!fs::is_regular_file(file, ec) || fs::file_size(file, ec) != size || ec) return false;
    return sha256_file(file) == sha256;
}

}  // namespace

fs::path download_path(const fs::path& downloads_dir, std::string_view sha256) {
    return downloads_dir / std::string(sha256);
}

fs::path download(const std::string& url, uint64_t expected_size, const std::string& expected_sha256,
                  const fs::path& downloads_dir, Progress& progress, const DownloadOptions& options) {
    // The sha256 becomes a file name: only the manifest's exact form is accepted.
    if (!is_sha256_hex(expected_sha256)) {
        throw std::invalid_argument("download: expected_sha256 must be 64 lowercase hex digits");
    }
    if (expected_size == 0) throw std::invalid_argument("download: expected_size must be positive");
    global_init();
    ensure_private_dir(downloads_dir);
    const fs::path final_path = download_path(downloads_dir, expected_sha256);
    const fs::path partial = fs::path(final_path).concat(".partial");

    auto lock = FileLock::try_acquire(fs::path(final_path).concat(".lock"));
    if (!lock) {
        progress.step("waiting for another download of the same file to finish");
        lock.emplace(FileLock::acquire(fs::path(final_path).concat(".lock")));
    }
    if (fs::exists(final_path)) {
        if (cached_file_is_good(final_path, expected_size, expected_sha256)) {
            progress.step("using the verified download " + final_path.string());
            return final_path;
        }
        remove_quietly(final_path);
    }

    // A failure that leaves nothing downloaded (a 404, a refused redirect) leaves no empty `.partial` behind.
    struct EmptyPartialGuard {
        const fs::path& path;
        ~EmptyPartialGuard() {
            std::error_code ec;
            if (fs::exists(path, ec) && fs::file_size(path, ec) == 0 && !ec) fs::remove(path, ec);
        }
    } empty_partial{partial};
    // A resumed download whose checksum fails may carry stale bytes from an older run: start over once.
    for (bool resumed_pass = true;; resumed_pass = false) {
        Transfer t(url, expected_size, partial, progress, options);
        const uint64_t kept = resumed_pass ? t.adopt_existing_bytes() : 0;
        std::string got;
        try {
            got = fetch(t, expected_size, progress, options);
        } catch (const BadContent&) {
            remove_quietly(partial);
            throw;
        }
        if (got == expected_sha256) break;
        remove_quietly(partial);
        if (resumed_pass && kept > 0) {
            progress.step("checksum mismatch after resuming; downloading " + t.shown_url() + " again from the start");
            continue;
        }
        throw UserError(std::string(t.saw_html() ? "the server sent an HTML page (a login page, a captive portal or "
                                                   "a wrong URL?) instead of the file: "
                                                 : "") +
                            "checksum mismatch for " + t.shown_url() + ": expected sha256 " + expected_sha256 +
                            ", got " + got + " (the download was deleted)",
                        std::string(kContentFix));
    }
    if (::rename(partial.c_str(), final_path.c_str()) != 0) {
        const int err = errno;
        throw UserError("cannot rename " + partial.string() + ": " + errno_text(err), "check the disk");
    }
    fsync_path(downloads_dir);
    return final_path;
}

std::string redact_url(std::string_view url) {
    const size_t scheme = url.find("://");
    if (scheme == std::string_view::npos) return std::string(url);
    const size_t host = scheme + 3;
    const size_t end = url.find_first_of("/?#", host);
    const size_t at = url.substr(0, end).rfind('@');
    if (at == std::string_view::npos || at < host) return std::string(url);
    return std::string(url.substr(0, host)) + "***" + std::string(url.substr(at));
}

}  // namespace tsuku::install
