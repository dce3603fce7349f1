// Safe extraction of a release archive (tar, tar.gz or tar.zst) with libarchive. Every name in the archive is
// validated before it becomes a path: nothing can be written outside the destination folder.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace tsuku::install {

// Sane limits: a variant is tens of files and a few hundred MB; the CUDA runtime under 2 GB unpacked.
struct ExtractLimits {
    uint64_t max_entries = 10'000;
    uint64_t max_total_bytes = 16ull << 30;  // uncompressed, all files together
    uint64_t max_file_bytes = 8ull << 30;
    size_t max_path_bytes = 1024;
};

struct ExtractStats {
    uint64_t entries = 0;
    uint64_t files = 0;
    uint64_t bytes = 0;
};

// Extracts `archive` into `dest`, an existing empty folder (a staging folder: see install_dir.h). Refuses, with a
// UserError naming the entry: absolute names, `..`, symlinks and hardlinks that lead out of the tree (or hardlinks
// to anything but a regular file extracted before), device files, FIFOs, sockets, duplicate entries, and archives
// over `limits`. Permissions are reduced to 0755/0644; no owners, no set-id bits, no extended attributes. Every
// extracted file and folder is flushed to disk before it returns. `on_entry` (optional) sees each entry's name
// before it is written. On failure `dest` may hold part of the archive: the caller removes it (staging).
ExtractStats extract_archive(const std::filesystem::path& archive, const std::filesystem::path& dest,
                             const ExtractLimits& limits = {},
                             const std::function<void(std::string_view name)>& on_entry = {});

// The validated, normalised form of an archive entry name ("./bin//x" -> "bin/x", "./" -> ""), or nullopt when it
// is absolute, contains "..", or is over `max_bytes`.
std::optional<std::string> safe_relative_path(std::string_view name, size_t max_bytes = 1024);

// True when a symlink at `link` (a normalised relative path) with target `target` resolves inside the tree,
// given that no folder on the way is itself a symlink (libarchive's ARCHIVE_EXTRACT_SECURE_SYMLINKS ensures it):
// a relative target whose leading ".." never climb above the root and which has no ".." after a name.
bool symlink_stays_inside(std::string_view link, std::string_view target);

}  // namespace tsuku::install
