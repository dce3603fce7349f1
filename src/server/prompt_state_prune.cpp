#include "server/prompt_state_prune.h"

#include "server/prompt_state_file.h"

namespace fs = std::filesystem;

namespace tsuku::server {
namespace {

// Why a state is no longer loadable, or empty when it still is.
std::string stale_reason(const Home& home, const fs::path& file) {
    std::string why;
    const auto head = read_state_head(file, why);
    if (!head) return why.empty() ? "unreadable" : why;
    const StateIdentity& id = head->header.identity;
    std::error_code ec;
    if (!fs::exists(home.tools_dir() / id.addon_version / id.backend / "variant.json", ec)) {
        return "its variant (" + id.backend + " " + id.addon_version + ") is not installed";
    }
    StateIdentity now;
    if (!stat_model(id.model_path, now)) return "its model " + id.model_path + " is gone";
    if (now.model_size != id.model_size || now.model_mtime_ns != id.model_mtime_ns ||
        now.model_inode != id.model_inode || now.model_device != id.model_device) {
        return "its model " + id.model_path + " was replaced";
    }
    return {};
}

bool older_than_an_hour(const fs::path& file) {
    std::error_code ec;
    const auto t = fs::last_write_time(file, ec);
    return !ec && fs::file_time_type::clock::now() - t > std::chrono::hours(1);
}

}  // namespace

std::vector<fs::path> prune_prompt_states(const Home& home) {
    std::vector<fs::path> removed;
    const fs::path dir = home.prompt_cache_dir();
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(dir, ec)) {
        const std::string name = e.path().filename().string();
        // A temporary file may be a running server's save in progress: only old ones are left-overs.
        const bool remove =
            is_state_temp_name(name) ? older_than_an_hour(e.path()) : !stale_reason(home, e.path()).empty();
        if (!remove) continue;
        std::error_code rec;
        if (fs::remove(e.path(), rec)) removed.push_back(e.path());
    }
    return removed;
}

}  // namespace tsuku::server
