#include "install/install_dir.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <cerrno>
#include <vector>

#include "common/durable_file.h"
#include "common/error.h"

namespace fs = std::filesystem;

namespace tsuku::install {
namespace {

constexpr std::string_view kStaging = ".staging-";
constexpr std::string_view kOld = ".old-";

[[noreturn]] void fail(const std::string& what, int err, const fs::path& where) {
    throw UserError("cannot " + what + ": " + errno_text(err),
                    "check the free space and permissions of " + where.string());
}

// ".<name>.staging-XXXXXX" -> "<name>" (same for ".old-"); "" when `name` is not one of ours.
std::string owner_name(const std::string& name, std::string_view marker) {
    if (!name.starts_with('.')) return {};
    const size_t at = name.rfind(marker);
    if (at == std::string::npos || at < 2 || name.size() != at + marker.size() + 6) return {};
    return name.substr(1, at - 1);
}

std::string hidden_name(const fs::path& final_dir, std::string_view marker) {
    return (final_dir.parent_path() / ("." + final_dir.filename().string() + std::string(marker) + "XXXXXX")).string();
}

}  // namespace

bool is_staging_name(const std::string& name) {
    return !owner_name(name, kStaging).empty() || !owner_name(name, kOld).empty();
}

fs::path make_staging_dir(const fs::path& final_dir) {
    const fs::path parent = final_dir.parent_path();
    std::error_code ec;
    fs::create_directories(parent, ec);
    if (ec) {
        throw UserError("cannot create " + parent.string() + ": " + ec.message(),
                        "check the permissions of " + parent.parent_path().string());
    }
    std::string tmpl = hidden_name(final_dir, kStaging);
    if (!::mkdtemp(tmpl.data())) fail("create a staging folder in " + parent.string(), errno, parent);
    return tmpl;
}

void install_dir_atomically(const fs::path& staging, const fs::path& final_dir) {
    const fs::path parent = final_dir.parent_path();
    if (::chmod(staging.c_str(), 0755) != 0) fail("make " + staging.string() + " readable", errno, parent);
    fsync_path(staging);
    if (::renameat2(AT_FDCWD, staging.c_str(), AT_FDCWD, final_dir.c_str(), RENAME_NOREPLACE) == 0) {
        fsync_path(parent);
        return;
    }
    if (errno != EEXIST && errno != ENOTEMPTY && errno != EINVAL) {
        fail("move " + staging.string() + " to " + final_dir.string(), errno, parent);
    }
    if (::renameat2(AT_FDCWD, staging.c_str(), AT_FDCWD, final_dir.c_str(), RENAME_EXCHANGE) == 0) {
        // `staging` now holds the old tree.
        fsync_path(parent);
        std::error_code ec;
        fs::remove_all(staging, ec);  // a failure here leaves a staging folder for remove_stale_staging()
        return;
    }
    if (errno != EINVAL && errno != ENOSYS) fail("replace " + final_dir.string(), errno, parent);
    // A file system without renameat2's flags: a plain rename when nothing is there yet; otherwise move the old
    // tree aside, then the new one in. A kill between the two leaves the old tree under its hidden name, and
    // remove_stale_staging() puts it back.
    if (!fs::exists(fs::symlink_status(final_dir))) {
        if (::rename(staging.c_str(), final_dir.c_str()) != 0) {
            fail("move " + staging.string() + " to " + final_dir.string(), errno, parent);
        }
        fsync_path(parent);
        return;
    }
    std::string old = hidden_name(final_dir, kOld);
    if (!::mkdtemp(old.data())) fail("create a folder in " + parent.string(), errno, parent);
    if (::rename(final_dir.c_str(), old.c_str()) != 0) fail("move " + final_dir.string() + " aside", errno, parent);
    if (::rename(staging.c_str(), final_dir.c_str()) != 0) {
        const int err = errno;
        ::rename(old.c_str(), final_dir.c_str());
        fail("move " + staging.string() + " to " + final_dir.string(), err, parent);
    }
    fsync_path(parent);
    std::error_code ec;
    fs::remove_all(old, ec);
}

void install_file_atomically(const fs::path& file, const fs::path& dest) {
    const fs::path parent = dest.parent_path();
    std::error_code ec;
    fs::create_directories(parent, ec);
    if (ec) {
        throw UserError("cannot create " + parent.string() + ": " + ec.message(),
                        "check the permissions of " + parent.parent_path().string());
    }
    if (::rename(file.c_str(), dest.c_str()) != 0) {
        fail("move " + file.string() + " to " + dest.string(), errno, parent);
    }
    fsync_path(parent);
}

int remove_stale_staging(const fs::path& parent) {
    std::error_code ec;
    if (!fs::is_directory(parent, ec)) return 0;
    std::vector<std::string> names;  // listed first: the loop below renames and removes entries
    for (const auto& e : fs::directory_iterator(parent, ec)) names.push_back(e.path().filename().string());
    int handled = 0;
    for (const auto& name : names) {
        const fs::path path = parent / name;
        if (!owner_name(name, kStaging).empty()) {
            fs::remove_all(path, ec);
            ++handled;
        } else if (const std::string owner = owner_name(name, kOld); !owner.empty()) {
            const fs::path final_dir = parent / owner;
            if (fs::exists(fs::symlink_status(final_dir)) || ::rename(path.c_str(), final_dir.c_str()) != 0) {
                fs::remove_all(path, ec);
            }
            ++handled;
        }
    }
    return handled;
}

}  // namespace tsuku::install
