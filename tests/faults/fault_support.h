// Fault injection for the fault suite: a small tmpfs (a real full disk; needs root) and a file-size limit in a
// child (RLIMIT_FSIZE through prlimit, which needs no privilege).
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "support/run_command.h"

namespace tsuku::test {

// A tmpfs of `size` ("40m") mounted on an existing empty folder for the life of the object.
class Tmpfs {
public:
    // nullopt and a reason in `why_not` when it cannot be mounted (not root, or no mount permission).
    static std::optional<Tmpfs> mount(const std::filesystem::path& at, const std::string& size, std::string& why_not);
    Tmpfs(Tmpfs&& other) noexcept : at_(std::move(other.at_)) { other.at_.clear(); }
    Tmpfs(const Tmpfs&) = delete;
    Tmpfs& operator=(const Tmpfs&) = delete;
    Tmpfs& operator=(Tmpfs&&) = delete;
    ~Tmpfs();

private:
    explicit Tmpfs(std::filesystem::path at) : at_(std::move(at)) {}
    std::filesystem::path at_;
};

// Runs `argv` with RLIMIT_FSIZE at `max_file_bytes` and SIGXFSZ ignored, so an oversized write fails with EFBIG
// instead of killing the program (what `ulimit -f` gives a shell user whose shell ignores the signal).
CommandResult run_with_file_size_limit(uint64_t max_file_bytes, std::vector<std::string> argv,
                                       const std::map<std::string, std::string>& env = {});

// Names of the entries of `dir` (none when it does not exist).
std::vector<std::string> entries(const std::filesystem::path& dir);
// True when some entry of `dir` contains `part` in its name.
bool has_entry_containing(const std::filesystem::path& dir, const std::string& part);

}  // namespace tsuku::test
