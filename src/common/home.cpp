#include "common/home.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "common/error.h"

namespace fs = std::filesystem;

namespace tsuku {

Home::Home(fs::path root) : root_(std::move(root)) {
    if (!root_.is_absolute()) {
        throw UserError("TSUKU_HOME must be an absolute path, got '" + root_.string() + "'",
                        "set TSUKU_HOME to an absolute folder, e.g. export TSUKU_HOME=$HOME/.tsuku");
    }
    root_ = root_.lexically_normal();
    // Unix socket paths are limited to 107 bytes; say so now rather than failing obscurely at bind time.
    if (socket_path().string().size() > 107) {
        throw UserError("TSUKU_HOME is too long for a Unix socket path (" + socket_path().string() + ")",
                        "use a TSUKU_HOME of at most 90 characters");
    }
}

namespace {
// An existing home must be a folder of this user: anything else is named now, before a command misreads it (a
// status that says "not running" because the lock cannot exist under a file).
void check_existing_home(const fs::path& root, const std::string& what) {
    struct stat st {};
    if (::stat(root.c_str(), &st) != 0) return;  // created when first needed
    if (!S_ISDIR(st.st_mode)) {
        throw UserError(what + " " + root.string() + " is not a folder",
                        "point " + what + " at a folder of your own (tsuku creates it when missing)");
    }
    if (st.st_uid != ::geteuid()) {
        throw UserError(what + " " + root.string() + " belongs to another user (uid " + std::to_string(st.st_uid) + ")",
                        "use a TSUKU_HOME of your own, e.g. export TSUKU_HOME=$HOME/.tsuku");
    }
}
}  // namespace

Home Home::from_environment(const Environment& env) {
    if (auto v = env.get_nonempty("TSUKU_HOME")) {
        Home h{fs::path(*v)};
        check_existing_home(h.root(), "TSUKU_HOME");
        return h;
    }
    auto home = env.get_nonempty("HOME");
    if (!home) {
        throw UserError("neither TSUKU_HOME nor HOME is set", "set TSUKU_HOME to an absolute folder");
    }
    Home h{fs::path(*home) / ".tsuku"};
    check_existing_home(h.root(), "the tsuku home");
    return h;
}

void ensure_private_dir(const fs::path& dir) {
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) {
        throw UserError("cannot create " + dir.string() + ": " + ec.message(),
                        "check the permissions of " + dir.parent_path().string());
    }
    struct stat st {};
    if (::lstat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
        throw UserError(dir.string() + " is not a folder", "remove it; tsuku recreates it");
    }
    if (st.st_uid != ::geteuid()) {
        throw UserError(dir.string() + " belongs to another user", "use a TSUKU_HOME of your own");
    }
    if ((st.st_mode & 0777) != 0700 && ::chmod(dir.c_str(), 0700) != 0) {
        const int err = errno;
        throw UserError("cannot make " + dir.string() + " private: " + errno_text(err), "chmod 700 " + dir.string());
    }
}

fs::path Home::server_lock_path() const { return lock_path_for_socket(socket_path()); }

void Home::ensure_runtime_dirs() const {
    ensure_private_dir(root_);
    ensure_private_dir(run_dir());
    ensure_private_dir(logs_dir());
}

fs::path lock_path_for_socket(const fs::path& socket) { return fs::path(socket).replace_extension(".lock"); }

}  // namespace tsuku
