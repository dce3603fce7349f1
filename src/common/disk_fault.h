// Write errors that the disk, not the data, causes (full disk, full quota, a file-size limit, an I/O error). They
// are reported with the OS's words and what to free where, never as a damaged package.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

namespace tsuku {

// True for ENOSPC, EDQUOT, EFBIG and EIO.
bool is_disk_fault(int err);

// Throws UserError: "<what>: <OS words>" and a fix that names the folder and, for a full disk or quota, how many MB
// to free there so `bytes_needed` more bytes fit (the file system's free space is measured now). `kept` is appended
// to the fix (e.g. "nothing was installed; the previous install is kept").
[[noreturn]] void throw_disk_fault(const std::string& what, int err, const std::filesystem::path& folder,
                                   uint64_t bytes_needed, const std::string& kept = {});

// Megabytes to free in `folder` so that `bytes_needed` fit (at least 1), from statvfs.
uint64_t megabytes_to_free(const std::filesystem::path& folder, uint64_t bytes_needed);

}  // namespace tsuku
