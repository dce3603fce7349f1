// The whole installation of one release archive, composed from the primitives: download (or reuse) and verify,
// extract into a staging folder, let the caller check the tree, swap it into place atomically.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>

#include "common/home.h"
#include "install/download.h"
#include "install/extract.h"
#include "install/install_lock.h"
#include "install/progress.h"

namespace tsuku::install {

// What the embedded manifest says about an archive. `url` is the one to fetch: manifest::artifact_url()
// (the manifest's URL or the TSUKU_LLM_MIRROR copy).
struct PackageSource {
    std::string url;
    uint64_t size = 0;
    std::string sha256;
};

struct InstallOptions {
    DownloadOptions download;
    ExtractLimits limits;
    // Runs on the extracted tree before it becomes visible (e.g. check variant.json against its files); throw to
    // abort: the staging folder is removed and any previous install stays as it was.
    std::function<void(const std::filesystem::path& staging)> check;
    // Keep the verified archive in cache/downloads/ after a successful install (default: delete it).
    bool keep_download = false;
    // Called with each archive entry name before it is written (progress, tests).
    std::function<void(std::string_view)> on_entry;
};

// Installs `source` as `final_dir` (e.g. home.tools_dir()/<version>/<backend>). Holding `lock` is the caller's
// proof that no other installer runs: take it before deciding what to install, release it after recording it.
// Also removes staging folders left beside `final_dir` by killed installs. Throws UserError on any failure, with
// the previous content of `final_dir` untouched.
ExtractStats install_package(const InstallLock& lock, const Home& home, const PackageSource& source,
                             const std::filesystem::path& final_dir, Progress& progress,
                             const InstallOptions& options = {});

// Removes what killed installs left anywhere under $TSUKU_HOME's install folders (staging folders, swapped-out old
// trees: tools/tsuku-llm/<version>/ and components/<name>/). Every install and prune calls it, so a killed
// reinstall's hundreds of megabytes do not wait for a reinstall of the same thing. Returns how many it handled.
int clean_stale_staging(const InstallLock& lock, const Home& home);

}  // namespace tsuku::install
