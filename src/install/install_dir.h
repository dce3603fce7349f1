// Atomic installation of a folder: build it in a staging folder beside its final place, then swap it in with one
// rename. A reader (or a launch) sees the old tree or the new one, never a half-written one; a killed install
// leaves only a hidden staging folder, removed by the next install.
#pragma once

#include <filesystem>
#include <string>

namespace tsuku::install {

// A new, empty, private folder beside `final_dir` (same file system, so the last step is a rename):
// <parent>/.<name>.staging-XXXXXX. Creates the parent folders.
std::filesystem::path make_staging_dir(const std::filesystem::path& final_dir);

// Makes `staging` (readable, 0755) the content of `final_dir`: a fresh install is one rename; a reinstall swaps
// the two trees atomically (renameat2 RENAME_EXCHANGE) and then deletes the old one. Both are flushed to disk.
// Call it under the install lock (install_lock.h).
void install_dir_atomically(const std::filesystem::path& staging, const std::filesystem::path& final_dir);

// Moves a single verified file (e.g. a downloaded model from cache/downloads/) to `dest` with one rename, replacing
// any previous file atomically, and flushes the folder. Both must be on the same file system (both under
// $TSUKU_HOME). Creates dest's parent folders.
void install_file_atomically(const std::filesystem::path& file, const std::filesystem::path& dest);

// Deletes what killed installs left in `parent` (staging folders, swapped-out old trees; an old tree whose final
// folder is missing is put back instead). Call under the install lock. Returns how many it handled.
int remove_stale_staging(const std::filesystem::path& parent);

// True for the names make_staging_dir() and install_dir_atomically() create, which are never an installed tree.
bool is_staging_name(const std::string& name);

}  // namespace tsuku::install
