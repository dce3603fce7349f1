// Models under $TSUKU_HOME/models/<name>.gguf: downloaded with the same machinery as variants (consent, resume,
// progress, sha256) and checked against the embedded checksum before a server uses them. Re-hashing gigabytes at
// every start would cost seconds, so a verification is remembered (state/verified-models.json) for as long as the
// file's size, modification and change times, inode and device stay the same.
#pragma once

#include <filesystem>
#include <set>
#include <vector>

#include "common/environment.h"
#include "common/home.h"
#include "install/progress.h"
#include "install/variant_store.h"
#include "manifest/manifest.h"

namespace tsuku::install {

// Downloads the model when missing (or when `reinstall`); returns its path. Throws UserError without consent.
std::filesystem::path ensure_model(const Home& home, const manifest::Model& m, const Environment& env,
                                   Progress& progress, const Consent& consent, bool reinstall = false);

// Checks the file's sha256 against the manifest (or a remembered verification of the same file). Throws UserError
// naming the problem and offering a fresh download.
void verify_model(const Home& home, const manifest::Model& m, Progress& progress);

// Every .gguf file under models/, sorted (manifest models and files put there by hand).
std::vector<std::filesystem::path> model_files(const Home& home);

// Removes one model file (and its remembered verification), under the install lock.
void remove_model_file(const Home& home, const std::filesystem::path& file);

// Removes, under the install lock, the .gguf files under models/ not in `keep`, and partial downloads under
// cache/downloads/ (an install holds the lock while it downloads, so none is in use). Returns what it removed.
std::vector<std::filesystem::path> prune_models(const Home& home, const std::set<std::filesystem::path>& keep);

}  // namespace tsuku::install
