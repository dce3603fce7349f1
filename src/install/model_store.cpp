#include "install/model_store.h"

#include <sys/stat.h>

#include <algorithm>

#include <nlohmann/json.hpp>

#include "common/durable_file.h"
#include "common/error.h"
#include "install/download.h"
#include "install/install_dir.h"
#include "install/install_lock.h"
#include "install/package.h"
#include "install/sha256.h"
#include "install/verified_files.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace tsuku::install {
namespace {

std::string redownload_fix(const manifest::Model& m) {
    return "download it again: tsuku llm install --model " + m.name + " --reinstall";
}

}  // namespace

fs::path ensure_model(const Home& home, const manifest::Model& m, const Environment& env, Progress& progress,
                      const Consent& consent, bool reinstall) {
    const fs::path dest = model_path(home, m);
    if (!reinstall && model_present(home, m)) return dest;
    const std::string url = manifest::artifact_url(m.artifact, env);
    if (needs_network(url) && !(consent && consent("the model " + m.name, m.artifact.size, url))) {
        throw UserError("the model " + m.name + " is not downloaded (" +
                            std::to_string((m.artifact.size + (1 << 19)) >> 20) + " MiB from " + url + ")",
                        "run tsuku llm install --model " + m.name +
                            " --yes, or allow downloads: tsuku config set llm.allow_downloads true");
    }
    const auto lock = InstallLock::acquire(
        home, [&](std::optional<pid_t>) { progress.step("waiting for another installer to finish"); });
    clean_stale_staging(lock, home);
    if (!reinstall && model_present(home, m)) return dest;
    const fs::path downloaded = download(url, m.artifact.size, m.artifact.sha256, home.downloads_dir(), progress);
    install_file_atomically(downloaded, dest);
    // Downloaded and verified just now: remember it, so the launch does not hash it again.
    VerifiedFiles verified(home.verified_models_path());
    verified.remember(dest, m.artifact.sha256);
    verified.save();
    progress.step("installed the model " + m.name + " in " + dest.string());
    return dest;
}

void verify_model(const Home& home, const manifest::Model& m, Progress& progress) {
    const fs::path p = model_path(home, m);
    std::error_code ec;
    const auto size = fs::file_size(p, ec);
    if (ec) throw UserError("the model file " + p.string() + " is missing", redownload_fix(m));
    if (size != m.artifact.size) {
        throw UserError("the model file " + p.string() + " has " + std::to_string(size) + " bytes, expected " +
                            std::to_string(m.artifact.size) + " (truncated or replaced)",
                        redownload_fix(m));
    }
    VerifiedFiles verified(home.verified_models_path());
    if (verified.known(p, m.artifact.sha256)) return;
    progress.step("verifying the sha256 of " + p.filename().string());
    const std::string got = sha256_file(p);
    if (got != m.artifact.sha256) {
        throw UserError(
            "the model file " + p.string() + " is corrupt: its sha256 is " + got + ", expected " + m.artifact.sha256,
            redownload_fix(m));
    }
    verified.remember(p, got);
    verified.save();
}

std::vector<fs::path> model_files(const Home& home) {
    std::vector<fs::path> files;
    std::error_code ec;
    for (fs::directory_iterator it(home.models_dir(), ec), end; !ec && it != end; it.increment(ec)) {
        if (it->path().extension() == ".gguf" && it->is_regular_file(ec)) files.push_back(it->path());
    }
    std::sort(files.begin(), files.end());
    return files;
}

namespace {

// The caller holds the install lock.
void remove_locked(const Home& home, const fs::path& file) {
    fs::remove(file);
    VerifiedFiles verified(home.verified_models_path());
    verified.forget(file);
    verified.save();
}

}  // namespace

void remove_model_file(const Home& home, const fs::path& file) {
    const auto lock = InstallLock::acquire(home);
    remove_locked(home, file);
}

std::vector<fs::path> prune_models(const Home& home, const std::set<fs::path>& keep) {
    std::vector<fs::path> removed;
    const auto lock = InstallLock::acquire(home);
    // The same file, however its path is spelled (a relative TSUKU_HOME, a symlink, a hard link).
    auto kept = [&](const fs::path& f) {
        std::error_code ec;
        return std::any_of(keep.begin(), keep.end(), [&](const fs::path& k) { return fs::equivalent(f, k, ec); });
    };
    for (const auto& f : model_files(home)) {
        if (kept(f)) continue;
        remove_locked(home, f);
        removed.push_back(f);
    }
    std::error_code ec;
    for (fs::directory_iterator it(home.downloads_dir(), ec), end; !ec && it != end; it.increment(ec)) {
        if (it->path().extension() == ".partial") {
            fs::remove(it->path());
            removed.push_back(it->path());
        }
    }
    return removed;
}

}  // namespace tsuku::install
