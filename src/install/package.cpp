#include "install/package.h"

#include "install/install_dir.h"

namespace fs = std::filesystem;

namespace tsuku::install {
namespace {

// Removes a staging folder unless it was installed.
class StagingGuard {
public:
    explicit StagingGuard(fs::path dir) : dir_(std::move(dir)) {}
    ~StagingGuard() {
        if (dir_.empty()) return;
        std::error_code ec;
        fs::remove_all(dir_, ec);
    }
    StagingGuard(const StagingGuard&) = delete;
    StagingGuard& operator=(const StagingGuard&) = delete;
    const fs::path& path() const { return dir_; }
    void release() { dir_.clear(); }

private:
    fs::path dir_;
};

}  // namespace

int clean_stale_staging(const InstallLock&, const Home& home) {
    int handled = 0;
    for (const fs::path& top : {home.tools_dir(), home.components_dir()}) {
        std::error_code ec;
        for (const auto& e : fs::directory_iterator(top, ec)) {
            if (e.is_directory(ec) && !e.is_symlink(ec)) handled += remove_stale_staging(e.path());
        }
    }
    return handled;
}

ExtractStats install_package(const InstallLock& lock, const Home& home, const PackageSource& source,
                             const fs::path& final_dir, Progress& progress, const InstallOptions& options) {
    clean_stale_staging(lock, home);
    remove_stale_staging(final_dir.parent_path());
    const fs::path archive =
        download(source.url, source.size, source.sha256, home.downloads_dir(), progress, options.download);
    progress.step("verified sha256 " + source.sha256);

    progress.step("extracting to " + final_dir.string());
    StagingGuard staging(make_staging_dir(final_dir));
    const ExtractStats stats = extract_archive(archive, staging.path(), options.limits, options.on_entry);
    if (options.check) options.check(staging.path());
    install_dir_atomically(staging.path(), final_dir);
    staging.release();
    if (!options.keep_download) {
        std::error_code ec;
        fs::remove(archive, ec);
    }
    progress.step("installed " + final_dir.string());
    return stats;
}

}  // namespace tsuku::install
