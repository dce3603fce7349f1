// Durable file operations: what survives a crash or a kill is either the old content or the new, never a mix.
// (Used by config and install; a candidate for src/common once both settle.)
#pragma once

#include <sys/types.h>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string_view>

namespace tsuku {

// Flushes a file or folder to disk. Throws UserError naming the path.
void fsync_path(const std::filesystem::path& path);

// Writes `content` to `path` atomically with `mode`: a temporary file in the same folder, fsync, rename, fsync of
// the folder. Readers see the old file or the new one; a crash leaves at most a stray ".<name>.tmp-*" file.
// With `through_symlink`, a `path` that is a symlink (a dotfiles setup) keeps its link: the file it points to is
// replaced instead, atomically, in that file's own folder (the temporary file must be on the target's file system).
void write_file_atomically(const std::filesystem::path& path, std::string_view content, mode_t mode,
                           bool through_symlink = false);

// The file a chain of symlinks at `path` ends at (`path` itself when it is not a symlink); relative links resolve
// against their own folder. Throws UserError for a loop.
std::filesystem::path final_link_target(const std::filesystem::path& path);

// Reads one of our own state files (written with write_file_atomically): its JSON, or a discarded value when it is
// missing, unreadable or not JSON. Callers treat that as "no state": losing a cache must never stop a command.
nlohmann::json read_json_file(const std::filesystem::path& path);

}  // namespace tsuku
