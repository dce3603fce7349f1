#include "install/verified_files.h"

#include <sys/stat.h>

#include "common/durable_file.h"
#include "common/home.h"

namespace fs = std::filesystem;

namespace tsuku::install {

std::string file_identity(const fs::path& p) {
    struct stat st {};
    if (::stat(p.c_str(), &st) != 0) return "";
    return std::to_string(st.st_size) + ":" + std::to_string(st.st_mtim.tv_sec) + "." +
           std::to_string(st.st_mtim.tv_nsec) + ":" + std::to_string(st.st_ino) + ":" +
           std::to_string(st.st_ctim.tv_sec) + "." + std::to_string(st.st_ctim.tv_nsec) + ":" +
           std::to_string(st.st_dev);
}

VerifiedFiles::VerifiedFiles(fs::path state_file) : state_file_(std::move(state_file)) {
    stamps_ = read_json_file(state_file_);
    if (!stamps_.is_object()) stamps_ = nlohmann::json::object();
}

bool VerifiedFiles::known(const fs::path& p, const std::string& sha256) const {
    const auto it = stamps_.find(p.string());
    if (it == stamps_.end() || !it->is_object()) return false;
    const std::string identity = file_identity(p);
    return !identity.empty() && it->value("identity", "") == identity && it->value("sha256", "") == sha256;
}

void VerifiedFiles::remember(const fs::path& p, const std::string& sha256) {
    stamps_[p.string()] = {{"identity", file_identity(p)}, {"sha256", sha256}};
    changed_ = true;
}

void VerifiedFiles::forget(const fs::path& p) { changed_ = stamps_.erase(p.string()) > 0 || changed_; }

void VerifiedFiles::save() {
    if (!changed_) return;
    ensure_private_dir(state_file_.parent_path());
    write_file_atomically(state_file_, stamps_.dump(2) + "\n", 0600);
    changed_ = false;
}

}  // namespace tsuku::install
