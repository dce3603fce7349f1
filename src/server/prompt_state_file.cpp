#include "server/prompt_state_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "common/error.h"
#include "common/fd_io.h"
#include "common/unique_fd.h"
#include "install/sha256.h"

namespace fs = std::filesystem;

namespace tsuku::server {
namespace {

constexpr char kMagic[8] = {'T', 'S', 'U', 'K', 'U', 'K', 'V', '1'};
constexpr uint32_t kMaxHeader = 1u << 20;  // a header is a few hundred bytes: anything larger is not ours
constexpr int kFormat = 1;

bool read_exact(int fd, void* buf, size_t n, uint64_t offset) {
    auto* p = static_cast<char*>(buf);
    while (n > 0) {
        const ssize_t r = ::pread(fd, p, n, static_cast<off_t>(offset));
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return false;
        p += r, n -= static_cast<size_t>(r), offset += static_cast<uint64_t>(r);
    }
    return true;
}

void write_all(int fd, const void* buf, size_t n, const fs::path& file) {
    if (const int err = tsuku::write_all(fd, {static_cast<const char*>(buf), n})) {
        throw std::runtime_error("cannot write " + file.string() + ": " + errno_text(err));
    }
}

std::string hex16(const std::string& sha) { return sha.substr(0, 16); }

}  // namespace

nlohmann::json identity_json(const StateIdentity& id) {
    return {{"model_path", id.model_path},
            {"model_size", id.model_size},
            {"model_mtime_ns", id.model_mtime_ns},
            {"model_inode", id.model_inode},
            {"model_device", id.model_device},
            {"model_sha256", id.model_sha256},
            {"backend", id.backend},
            {"addon_version", id.addon_version},
            {"llama_cpp", id.llama_cpp},
            {"context_tokens", id.context_tokens},
            {"kv_settings", id.kv_settings}};
}

std::optional<StateIdentity> identity_from_json(const nlohmann::json& j) {
    try {
        StateIdentity id;
        id.model_path = j.at("model_path").get<std::string>();
        id.model_size = j.at("model_size").get<uint64_t>();
        id.model_mtime_ns = j.at("model_mtime_ns").get<int64_t>();
        id.model_inode = j.at("model_inode").get<uint64_t>();
        id.model_device = j.at("model_device").get<uint64_t>();
        id.model_sha256 = j.at("model_sha256").get<std::string>();
        id.backend = j.at("backend").get<std::string>();
        id.addon_version = j.at("addon_version").get<std::string>();
        id.llama_cpp = j.at("llama_cpp").get<std::string>();
        id.context_tokens = j.at("context_tokens").get<uint32_t>();
        id.kv_settings = j.at("kv_settings").get<std::string>();
        return id;
    } catch (const nlohmann::json::exception&) {
        return std::nullopt;
    }
}

// nlohmann's objects keep their keys sorted: the same identity always dumps to the same text.
std::string identity_hash(const StateIdentity& id) { return hex16(install::sha256_hex(identity_json(id).dump())); }

bool stat_model(const fs::path& model, StateIdentity& id) {
    struct stat st {};
    if (::stat(model.c_str(), &st) != 0) return false;
    id.model_path = model.string();
    id.model_size = static_cast<uint64_t>(st.st_size);
    id.model_mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
    id.model_inode = st.st_ino;
    id.model_device = st.st_dev;
    return true;
}

std::string tokens_hash(std::span<const int32_t> tokens) {
    return hex16(install::sha256_hex(
        std::string_view(reinterpret_cast<const char*>(tokens.data()), tokens.size() * sizeof(int32_t))));
}

std::string state_file_name(const StateIdentity& id, std::span<const int32_t> prefix) {
    return identity_hash(id) + "-" + tokens_hash(prefix) + std::string(kStateSuffix);
}

namespace {

UniqueFd open_state(const fs::path& file, std::string& why, bool* missing) {
    if (missing) *missing = false;
    UniqueFd fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
    if (!fd) {
        if (missing) *missing = errno == ENOENT;
        why = "cannot open it: " + errno_text(errno);
    }
    return fd;
}

std::optional<StateHead> read_head(const UniqueFd& fd, const fs::path& file, std::string& why) {
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) {
        why = "not a regular file";
        return std::nullopt;
    }
    StateHead head;
    head.file_bytes = static_cast<uint64_t>(st.st_size);
    char magic[sizeof kMagic];
    uint32_t header_len = 0;
    if (!read_exact(fd.get(), magic, sizeof magic, 0) || std::memcmp(magic, kMagic, sizeof magic) != 0) {
        why = "not a tsuku prompt state (bad magic)";
        return std::nullopt;
    }
    if (!read_exact(fd.get(), &header_len, sizeof header_len, sizeof magic) || header_len > kMaxHeader) {
        why = "truncated or corrupt header";
        return std::nullopt;
    }
    std::string text(header_len, '\0');
    uint64_t at = sizeof magic + sizeof header_len;
    if (!read_exact(fd.get(), text.data(), text.size(), at)) {
        why = "truncated header";
        return std::nullopt;
    }
    at += header_len;
    const auto j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
    std::optional<StateIdentity> id;
    uint64_t n_tokens = 0;
    try {
        if (j.is_discarded() || j.at("format").get<int>() != kFormat) throw std::runtime_error("format");
        id = identity_from_json(j.at("identity"));
        head.header.prefix_tokens = j.at("prefix_tokens").get<uint32_t>();
        n_tokens = j.at("tokens").get<uint64_t>();
        head.header.state_bytes = j.at("state_bytes").get<uint64_t>();
        head.header.state_sha256 = j.at("state_sha256").get<std::string>();
    } catch (const std::exception&) {
        id.reset();
    }
    if (!id || n_tokens == 0 || n_tokens > (1u << 24) || head.header.prefix_tokens > n_tokens) {
        why = "unreadable header";
        return std::nullopt;
    }
    head.header.identity = *id;
    if (head.file_bytes != at + n_tokens * sizeof(int32_t) + head.header.state_bytes) {
        why = "truncated: " + std::to_string(head.file_bytes) + " bytes, the header describes " +
              std::to_string(at + n_tokens * sizeof(int32_t) + head.header.state_bytes);
        return std::nullopt;
    }
    head.tokens.resize(n_tokens);
    if (!read_exact(fd.get(), head.tokens.data(), n_tokens * sizeof(int32_t), at)) {
        why = "truncated tokens";
        return std::nullopt;
    }
    const std::span<const int32_t> prefix(head.tokens.data(), head.header.prefix_tokens);
    if (file.filename().string() != state_file_name(head.header.identity, prefix)) {
        why = "its content does not match its name (another model, backend or version)";
        return std::nullopt;
    }
    return head;
}

}  // namespace

std::optional<StateHead> read_state_head(const fs::path& file, std::string& why, bool* missing) {
    const UniqueFd fd = open_state(file, why, missing);
    if (!fd) return std::nullopt;
    return read_head(fd, file, why);
}

std::optional<StateHead> read_state(const fs::path& file, std::vector<uint8_t>& state, std::string& why,
                                    bool* missing) {
    const UniqueFd fd = open_state(file, why, missing);
    if (!fd) return std::nullopt;
    auto head = read_head(fd, file, why);
    if (!head) return std::nullopt;
    state.resize(head->header.state_bytes);
    if (!read_exact(fd.get(), state.data(), state.size(), head->file_bytes - head->header.state_bytes)) {
        why = "truncated state";
        return std::nullopt;
    }
    install::Sha256 sha;
    sha.update(state.data(), state.size());
    if (sha.finish() != head->header.state_sha256) {
        why = "corrupt: the state's sha256 does not match its header";
        return std::nullopt;
    }
    return head;
}

void write_state_file(const fs::path& file, StateHeader header, std::span<const int32_t> tokens,
                      std::span<const uint8_t> state) {
    static std::atomic<unsigned> counter{0};
    install::Sha256 sha;
    sha.update(state.data(), state.size());
    header.state_bytes = state.size();
    header.state_sha256 = sha.finish();
    const std::string text = nlohmann::json{{"format", kFormat},
                                            {"identity", identity_json(header.identity)},
                                            {"prefix_tokens", header.prefix_tokens},
                                            {"tokens", tokens.size()},
                                            {"state_bytes", header.state_bytes},
                                            {"state_sha256", header.state_sha256}}
                                 .dump();
    const auto header_len = static_cast<uint32_t>(text.size());

    const fs::path tmp = file.parent_path() / ("." + file.filename().string() + ".tmp-" + std::to_string(::getpid()) +
                                               "-" + std::to_string(counter++));
    UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600));
    if (!fd) throw std::runtime_error("cannot create " + tmp.string() + ": " + errno_text(errno));
    try {
        write_all(fd.get(), kMagic, sizeof kMagic, tmp);
        write_all(fd.get(), &header_len, sizeof header_len, tmp);
        write_all(fd.get(), text.data(), text.size(), tmp);
        write_all(fd.get(), tokens.data(), tokens.size() * sizeof(int32_t), tmp);
        write_all(fd.get(), state.data(), state.size(), tmp);
        if (::fsync(fd.get()) != 0) throw std::runtime_error("cannot flush " + tmp.string() + ": " + errno_text(errno));
        fd.reset();
        if (::rename(tmp.c_str(), file.c_str()) != 0) {
            throw std::runtime_error("cannot rename " + tmp.string() + ": " + errno_text(errno));
        }
    } catch (...) {
        ::unlink(tmp.c_str());
        throw;
    }
    // The rename itself survives a crash once the folder is flushed (best effort: the state is only a cache).
    if (UniqueFd dir(::open(file.parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)); dir) {
        ::fsync(dir.get());
    }
}

bool is_state_temp_name(const std::string& name) {
    return name.starts_with('.') && name.find(std::string(kStateSuffix) + ".tmp-") != std::string::npos;
}

}  // namespace tsuku::server
