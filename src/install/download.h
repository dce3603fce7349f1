// Downloads with libcurl into $TSUKU_HOME/cache/downloads/: resumable, verified in one pass, retried when the
// failure is transient. The expected size and sha256 come from the embedded manifest, never from the server.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>

#include "install/progress.h"

namespace tsuku::install {

struct RetryPolicy {
    // Attempts in a row that fail without receiving a byte; an attempt that makes progress resets the count.
    int max_attempts = 5;
    // All attempts of one download together, so a server that trickles a little and then stalls cannot keep it
    // going forever.
    int max_total_attempts = 30;
    std::chrono::milliseconds first_delay{1000};  // doubled after each failure…
    std::chrono::milliseconds max_delay{16000};   // …up to this
    // How to wait between attempts; empty = std::this_thread::sleep_for. Tests inject a recorder.
    std::function<void(std::chrono::milliseconds)> sleep;
};

struct DownloadOptions {
    RetryPolicy retry;
    std::chrono::seconds connect_timeout{20};
    // An attempt that receives fewer than stall_bytes_per_second for stall_time is abandoned (then retried).
    long stall_bytes_per_second = 1024;
    std::chrono::seconds stall_time{30};
};

// Where a download of `sha256` lands: downloads_dir/<sha256> (content-addressed: a cache hit is verified, and two
// versions can never collide). The partial file beside it is <sha256>.partial.
std::filesystem::path download_path(const std::filesystem::path& downloads_dir, std::string_view sha256);

// Downloads `url` (file://, http:// or https://) to download_path(downloads_dir, expected_sha256) and returns it.
// The caller passes the URL to fetch: manifest::artifact_url() applies TSUKU_LLM_MIRROR.
// - An existing complete file is re-hashed and reused; a `.partial` left by an interrupted run is resumed with
//   an HTTP Range request (its bytes are hashed first, then the stream: one pass over the new bytes).
// - Connect errors, timeouts, stalls, 408/429/5xx are retried with exponential backoff; 404/403 and other
//   client errors are not.
// - The size and sha256 are checked against the expected values; on a mismatch the partial file is deleted and
//   the error says expected vs got. An HTML page where the file should be is reported as such.
// Concurrent calls for the same file wait for each other (a lock beside the file). Throws UserError (naming the
// URL, the problem and the fix) on failure; a transient failure keeps the partial file for the next run.
std::filesystem::path download(const std::string& url, uint64_t expected_size, const std::string& expected_sha256,
                               const std::filesystem::path& downloads_dir, Progress& progress,
                               const DownloadOptions& options = {});

// The URL with any user:password@ part masked, for messages.
std::string redact_url(std::string_view url);

}  // namespace tsuku::install
