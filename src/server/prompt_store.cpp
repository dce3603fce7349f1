#include "server/prompt_store.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <algorithm>
#include <chrono>

#include "common/home.h"

namespace fs = std::filesystem;

namespace tsuku::server {
namespace {

// A temporary file this old was left by a writer that died (a write takes well under a second).
constexpr auto kStaleTemp = std::chrono::hours(1);

struct FileInfo {
    fs::path path;
    uint64_t bytes = 0;
    int64_t mtime_ns = 0;
};

int64_t mtime_ns(const struct stat& st) {
    return static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
}

// Every finished state in the folder (any identity).
std::vector<FileInfo> list_states(const fs::path& dir) {
    std::vector<FileInfo> out;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(dir, ec)) {
        const std::string name = e.path().filename().string();
        if (name.starts_with('.') || !name.ends_with(kStateSuffix)) continue;
        struct stat st {};
        if (::lstat(e.path().c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
        out.push_back({e.path(), static_cast<uint64_t>(st.st_size), mtime_ns(st)});
    }
    return out;
}

size_t common_prefix(std::span<const int32_t> a, std::span<const int32_t> b) {
    return static_cast<size_t>(std::mismatch(a.begin(), a.end(), b.begin(), b.end()).first - a.begin());
}

}  // namespace

PromptStore::PromptStore(fs::path dir, uint64_t budget_bytes, StateIdentity identity)
    : dir_(std::move(dir)),
      budget_(budget_bytes),
      identity_(std::move(identity)),
      identity_hash_(identity_hash(identity_)) {
    ensure_private_dir(dir_);
    index();
    evict("");
}

void PromptStore::index() {
    std::error_code ec;
    const auto now = fs::file_time_type::clock::now();
    for (const auto& e : fs::directory_iterator(dir_, ec)) {
        const std::string name = e.path().filename().string();
        if (is_state_temp_name(name)) {
            std::error_code tec;
            if (const auto t = fs::last_write_time(e.path(), tec); !tec && now - t > kStaleTemp)
                fs::remove(e.path(), tec);
            continue;
        }
        if (!name.starts_with(identity_hash_ + "-") || !name.ends_with(kStateSuffix)) continue;  // not this server's
        std::string why;
        bool missing = false;
        auto head = read_state_head(e.path(), why, &missing);
        if (!head && missing) continue;
        if (head && head->header.identity != identity_) {
            head.reset();  // the same hash for another identity: never load it
            why = "its identity does not match its name";
        }
        if (!head) {
            spdlog::warn("prompt cache: removed {}: {}", name, why);
            fs::remove(e.path(), ec);
            continue;
        }
        entries_.push_back({name, std::move(head->tokens), head->header.prefix_tokens});
    }
    spdlog::info("prompt cache: {} saved states for this model and backend in {}", entries_.size(), dir_.string());
}

std::optional<PromptStore::Loaded> PromptStore::find(std::span<const int32_t> prompt, size_t have) {
    std::lock_guard lock(mu_);
    for (;;) {
        const Entry* best = nullptr;
        size_t best_n = have;
        for (const auto& e : entries_) {
            const size_t n = common_prefix(e.tokens, prompt);
            if (n >= e.prefix_tokens && n > best_n) best = &e, best_n = n;
        }
        if (!best) return std::nullopt;
        const fs::path file = dir_ / best->name;
        std::string why;
        bool missing = false;
        Loaded out;
        auto head = read_state(file, out.state, why, &missing);
        if (head && head->header.identity != identity_) head.reset(), why = "its identity does not match its name";
        if (head) {
            out.name = best->name;
            out.tokens = std::move(head->tokens);
            touch(file);
            return out;
        }
        if (missing) {
            spdlog::info("prompt cache: {} was removed meanwhile (prune)", best->name);
        } else {
            spdlog::warn("prompt cache: removed {}: {}", best->name, why);
            std::error_code ec;
            fs::remove(file, ec);
        }
        remove_entry(best->name);
    }
}

bool PromptStore::has(const std::string& name) const {
    std::lock_guard lock(mu_);
    return std::any_of(entries_.begin(), entries_.end(), [&](const Entry& e) { return e.name == name; });
}

bool PromptStore::save(const std::string& name, uint32_t prefix_tokens, std::span<const int32_t> tokens,
                       std::span<const uint8_t> state) {
    if (state.size() + tokens.size() * sizeof(int32_t) > budget_) return false;
    StateHeader header;
    header.identity = identity_;
    header.prefix_tokens = prefix_tokens;
    write_state_file(dir_ / name, header, tokens, state);
    std::lock_guard lock(mu_);
    remove_entry(name);
    entries_.push_back({name, std::vector<int32_t>(tokens.begin(), tokens.end()), prefix_tokens});
    touch(dir_ / name);
    evict(name);
    return true;
}

void PromptStore::discard(const std::string& name, const std::string& why) {
    std::lock_guard lock(mu_);
    spdlog::warn("prompt cache: removed {}: {}", name, why);
    std::error_code ec;
    fs::remove(dir_ / name, ec);
    remove_entry(name);
}

void PromptStore::remove_entry(const std::string& name) {
    std::erase_if(entries_, [&](const Entry& e) { return e.name == name; });
}

// Last use = modification time, made strictly newer than every other state's: the order of uses stays exact even
// when two fall within the file system's timestamp granularity.
void PromptStore::touch(const fs::path& file) {
    int64_t newest = 0;
    for (const auto& f : list_states(dir_)) {
        if (f.path != file) newest = std::max(newest, f.mtime_ns);
    }
    const auto now =
        std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
            .count();
    const int64_t t = std::max<int64_t>(now, newest + 1);
    const struct timespec times[2] = {{0, UTIME_OMIT}, {t / 1'000'000'000, t % 1'000'000'000}};
    ::utimensat(AT_FDCWD, file.c_str(), times, 0);
}

// Whole folder, every identity: the budget is the disk the cache may take. `keep` (just saved) goes last.
void PromptStore::evict(const std::string& keep) {
    auto files = list_states(dir_);
    uint64_t total = 0;
    for (const auto& f : files) total += f.bytes;
    std::sort(files.begin(), files.end(), [&](const FileInfo& a, const FileInfo& b) {
        const bool ak = a.path.filename() == keep, bk = b.path.filename() == keep;
        return ak != bk ? bk : a.mtime_ns < b.mtime_ns;
    });
    for (const auto& f : files) {
        if (total <= budget_) break;
        std::error_code ec;
        if (fs::remove(f.path, ec)) {
            spdlog::info("prompt cache: evicted {} ({} MiB, least recently used) to stay within {} MiB",
                         f.path.filename().string(), f.bytes >> 20, budget_ >> 20);
            remove_entry(f.path.filename().string());
        }
        total -= f.bytes;
    }
}

PromptStore::Usage PromptStore::usage() const {
    Usage u;
    for (const auto& f : list_states(dir_)) u.bytes += f.bytes, ++u.files;
    return u;
}

}  // namespace tsuku::server
