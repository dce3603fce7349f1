#include "common/disk_fault.h"

#include <sys/statvfs.h>

#include <algorithm>
#include <cerrno>

#include "common/error.h"

namespace fs = std::filesystem;

namespace tsuku {
namespace {

constexpr uint64_t kMB = 1000 * 1000;

uint64_t free_bytes(const fs::path& folder) {
    struct statvfs st {};
    if (::statvfs(folder.c_str(), &st) != 0) return 0;
    return static_cast<uint64_t>(st.f_bavail) * st.f_frsize;
}

}  // namespace

bool is_disk_fault(int err) { return err == ENOSPC || err == EDQUOT || err == EFBIG || err == EIO; }

uint64_t megabytes_to_free(const fs::path& folder, uint64_t bytes_needed) {
    const uint64_t available = free_bytes(folder);
    const uint64_t missing = bytes_needed > available ? bytes_needed - available : 0;
    return std::max<uint64_t>(1, (missing + kMB - 1) / kMB);
}

void throw_disk_fault(const std::string& what, int err, const fs::path& folder, uint64_t bytes_needed,
                      const std::string& kept) {
    std::string fix;
    const std::string mb = std::to_string(megabytes_to_free(folder, bytes_needed));
    switch (err) {
        case EDQUOT:
            // statvfs does not see quotas: name the whole need.
            fix = "free " + std::to_string(std::max<uint64_t>(1, (bytes_needed + kMB - 1) / kMB)) + " MB in " +
                  folder.string() + " (your disk quota is full), or set TSUKU_HOME to a folder on another disk";
            break;
        case EFBIG:
            fix =
                "a file is over this process's file size limit (ulimit -f); raise it (ulimit -f unlimited), "
                "or free " +
                mb + " MB in " + folder.string() + " if the file system limits file sizes";
            break;
        case EIO:
            fix = "the disk holding " + folder.string() +
                  " reported an I/O error: check it (dmesg), or set TSUKU_HOME to a folder on another disk";
            break;
        default: fix = "free " + mb + " MB in " + folder.string() + ", or set TSUKU_HOME to a folder on another disk";
    }
    fix += ", then run the command again";
    if (!kept.empty()) fix += "; " + kept;
    throw UserError(what + ": " + errno_text(err), fix);
}

}  // namespace tsuku
