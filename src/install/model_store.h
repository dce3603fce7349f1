// Models under $TSUKU_HOME/models/<name>.gguf: downloaded with the same machinery as variants (consent, resume,
// progress, sha256) and checked against the embedded checksum before a server uses them. Re-hashing gigabytes at
// every start would cost seconds, so a verification is remembered (state/verified-models.json) for as long as the
// file's size, modification and change times, inode and device stay the same.
#pragma once

#include <filesystem>

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

}  // namespace tsuku::install
