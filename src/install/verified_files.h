// Remembered verifications. Hashing hundreds of megabytes before every launch costs seconds (the CUDA runtime
// component is 570 MB), so a file whose sha256 matched is remembered in a state file for as long as its identity —
// size, modification and change times, inode and device — stays the same. The change time is in it because a
// modification time can be set back after an in-place edit (touch -r, cp -p); a change time cannot.
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

namespace tsuku::install {

// What identifies one version of a file on disk without reading it; empty when it cannot be stat'ed.
std::string file_identity(const std::filesystem::path& p);

class VerifiedFiles {
public:
    // Loads `state_file` (a lost or unreadable one means "verify again", never an error).
    explicit VerifiedFiles(std::filesystem::path state_file);

    // True when `p` was verified to have `sha256` and has not changed since.
    bool known(const std::filesystem::path& p, const std::string& sha256) const;
    void remember(const std::filesystem::path& p, const std::string& sha256);
    void forget(const std::filesystem::path& p);
    // Writes the state file (0600, atomically) when something was remembered.
    void save();

private:
    std::filesystem::path state_file_;
    nlohmann::json stamps_;
    bool changed_ = false;
};

}  // namespace tsuku::install
