#include "install/extract.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <unistd.h>

#include <map>
#include <memory>
#include <set>
#include <vector>

#include "common/disk_fault.h"
#include "common/durable_file.h"
#include "common/error.h"
#include "common/unique_fd.h"

namespace fs = std::filesystem;

namespace tsuku::install {
namespace {

struct ReadFree {
    void operator()(archive* a) const noexcept { archive_read_free(a); }
};
struct WriteFree {
    void operator()(archive* a) const noexcept { archive_write_free(a); }
};

std::vector<std::string_view> split(std::string_view s) {
    std::vector<std::string_view> parts;
    while (!s.empty()) {
        const size_t slash = s.find('/');
        const std::string_view part = s.substr(0, slash);
        if (!part.empty() && part != ".") parts.push_back(part);
        if (slash == std::string_view::npos) break;
        s.remove_prefix(slash + 1);
    }
    return parts;
}

class Extractor {
public:
    Extractor(const fs::path& archive_path, const fs::path& dest, const ExtractLimits& limits)
        : archive_path_(archive_path), limits_(limits), in_(archive_read_new()), out_(archive_write_disk_new()) {
        if (!in_ || !out_) throw std::bad_alloc();
        std::error_code ec;
        dest_ = fs::canonical(dest, ec);  // no symlink in the prefix: SECURE_SYMLINKS checks the whole path
        if (ec || !fs::is_directory(dest_)) {
            throw UserError("cannot extract into " + dest.string() + ": not a folder", "create the folder first");
        }
        archive_read_support_format_tar(in_.get());
        archive_read_support_filter_zstd(in_.get());
        archive_read_support_filter_gzip(in_.get());
        // Never: owners, set-id bits, ACLs, xattrs, file flags; never overwrite; never follow a symlink on the way.
        archive_write_disk_set_options(out_.get(), ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_TIME |
                                                       ARCHIVE_EXTRACT_SECURE_SYMLINKS |
                                                       ARCHIVE_EXTRACT_SECURE_NODOTDOT | ARCHIVE_EXTRACT_NO_OVERWRITE);
        if (archive_read_open_filename(in_.get(), archive_path.c_str(), 1 << 20) != ARCHIVE_OK) {
            throw UserError("cannot open the archive " + archive_path.string() + ": " + error(in_.get()),
                            "delete it and download it again");
        }
    }

    ExtractStats run(const std::function<void(std::string_view)>& on_entry) {
        for (;;) {
            archive_entry* entry = nullptr;
            const int r = archive_read_next_header(in_.get(), &entry);
            if (r == ARCHIVE_EOF) break;
            if (r < ARCHIVE_WARN) damaged(error(in_.get()));
            if (++stats_.entries > limits_.max_entries) {
                unsafe("it has more than " + std::to_string(limits_.max_entries) + " entries");
            }
            const char* raw = archive_entry_pathname(entry);
            const std::string name = raw ? raw : "";
            if (on_entry) on_entry(name);
            extract_entry(entry, name);
        }
        check_write(archive_write_close(out_.get()), dest_);
        flush_to_disk();
        return stats_;
    }

private:
    static std::string error(archive* a) {
        const char* e = archive_error_string(a);
        return e ? e : "unknown error";
    }

    [[noreturn]] void unsafe(const std::string& why) const {
        throw UserError("refusing to extract " + archive_path_.string() + ": " + why,
                        "the package is damaged or was tampered with; nothing was installed. Report it, and do not "
                        "use this file");
    }
    [[noreturn]] void damaged(const std::string& why) const {
        throw UserError("cannot extract " + archive_path_.string() + ": " + why,
                        "the package is damaged; delete it and download it again");
    }

    void extract_entry(archive_entry* entry, const std::string& name) {
        const auto rel = safe_relative_path(name, limits_.max_path_bytes);
        if (!rel) unsafe("entry '" + name + "' is an absolute path, contains '..' or is too long");
        const mode_t type = archive_entry_filetype(entry);
        const char* hardlink = archive_entry_hardlink(entry);
        if (rel->empty()) {
            if (type == AE_IFDIR) return;  // "./": the destination itself
            unsafe("entry '" + name + "' names the destination folder itself");
        }
        claim(*rel, type == AE_IFDIR, name);

        const fs::path target = dest_ / *rel;
        // libarchive needs the names it writes to be ours: the validated path, never the archive's text.
        archive_entry_set_pathname(entry, target.c_str());
        if (hardlink) {
            const auto link_rel = safe_relative_path(hardlink, limits_.max_path_bytes);
            if (!link_rel || !regular_files_.count(*link_rel)) {
                unsafe("hardlink '" + name + "' points to '" + hardlink +
                       "', which is not a regular file extracted earlier from this archive");
            }
            archive_entry_set_hardlink(entry, (dest_ / *link_rel).c_str());
            archive_entry_set_size(entry, 0);
        } else if (type == AE_IFLNK) {
            const char* to = archive_entry_symlink(entry);
            if (!to || !symlink_stays_inside(*rel, to)) {
                unsafe("symlink '" + name + "' points to '" + (to ? to : "") + "', outside the package");
            }
        } else if (type == AE_IFREG) {
            if (archive_entry_size_is_set(entry) &&
                static_cast<uint64_t>(archive_entry_size(entry)) > limits_.max_file_bytes) {
                unsafe("entry '" + name + "' is larger than " + std::to_string(limits_.max_file_bytes) + " bytes");
            }
            archive_entry_set_perm(entry, (archive_entry_perm(entry) & 0111) ? 0755 : 0644);
            regular_files_.insert(*rel);
            files_.push_back(target);
            ++stats_.files;
        } else if (type == AE_IFDIR) {
            archive_entry_set_perm(entry, 0755);
            dirs_.insert(target);
        } else {
            unsafe("entry '" + name + "' is a device file, FIFO or socket");
        }
        dirs_.insert(target.parent_path());
        const int header = archive_write_header(out_.get(), entry);
        if (header != ARCHIVE_OK && is_disk_fault(archive_errno(out_.get()))) disk_fault(target);
        if (header < ARCHIVE_WARN) unsafe("entry '" + name + "' cannot be written: " + error(out_.get()));
        if (type == AE_IFREG && !hardlink) copy_data(name, target);
        check_write(archive_write_finish_entry(out_.get()), target);
        if (type == AE_IFREG && !hardlink) start_writeback(target);
    }

    // Each path is one thing: a folder may be named again, anything else only once, and nothing may be created
    // where a folder must be (or under a file). libarchive would otherwise skip such entries silently.
    void claim(const std::string& rel, bool is_dir, const std::string& name) {
        for (size_t slash = rel.find('/'); slash != std::string::npos; slash = rel.find('/', slash + 1)) {
            const auto [it, fresh] = kinds_.emplace(rel.substr(0, slash), true);
            if (!fresh && !it->second)
                unsafe("entry '" + name + "' is inside '" + it->first + "', which is not a folder");
        }
        const auto [it, fresh] = kinds_.emplace(rel, is_dir);
        if (!fresh && !(is_dir && it->second)) unsafe("entry '" + name + "' appears twice");
    }

    void copy_data(const std::string& name, const fs::path& target) {
        uint64_t file_bytes = 0;
        for (;;) {
            const void* buf = nullptr;
            size_t size = 0;
            la_int64_t offset = 0;
            const int r = archive_read_data_block(in_.get(), &buf, &size, &offset);
            if (r == ARCHIVE_EOF) return;
            if (r < ARCHIVE_WARN) damaged(error(in_.get()));
            file_bytes += size;
            stats_.bytes += size;
            if (file_bytes > limits_.max_file_bytes) {
                unsafe("entry '" + name + "' is larger than " + std::to_string(limits_.max_file_bytes) + " bytes");
            }
            if (stats_.bytes > limits_.max_total_bytes) {
                unsafe("it unpacks to more than " + std::to_string(limits_.max_total_bytes) + " bytes");
            }
            // libarchive reports a failed write(2) (ENOSPC, EIO, ...) as ARCHIVE_WARN "Write failed" with its errno:
            // then the file on disk is not the file in the archive. A warning without an errno (e.g. data for an
            // entry of size 0, which is dropped) is not a write failure.
            const int w = archive_write_data_block(out_.get(), buf, size, offset);
            const int err = archive_errno(out_.get());
            if (w < ARCHIVE_WARN || (w == ARCHIVE_WARN && err != 0)) {
                if (is_disk_fault(err)) disk_fault(target);
                throw UserError("cannot write " + target.string() + ": " + error(out_.get()) +
                                    (err ? " (" + errno_text(err) + ")" : ""),
                                "check the permissions of " + dest_.string() + "; nothing was installed");
            }
        }
    }

    // A write result that is not OK: a disk fault is reported as such; otherwise warnings (e.g. a time that could
    // not be set) pass and errors mean a damaged archive.
    void check_write(int r, const fs::path& target) {
        if (r == ARCHIVE_OK) return;
        if (is_disk_fault(archive_errno(out_.get()))) disk_fault(target);
        if (r < ARCHIVE_WARN) damaged(error(out_.get()));
    }

    // The disk cannot take the package: say what to free, counting everything the archive unpacks to (what was
    // written so far is freed again when the caller removes the staging folder).
    [[noreturn]] void disk_fault(const fs::path& target) {
        const int err = archive_errno(out_.get());
        const uint64_t total = unpacked_size();
        throw_disk_fault("cannot write " + target.string() + " while extracting " + archive_path_.string(), err,
                         dest_.parent_path(), total > stats_.bytes ? total - stats_.bytes : 0,
                         "nothing was installed and any previous install is kept");
    }

    // The sum of the archive's file sizes, read from its headers (only when a write failed).
    uint64_t unpacked_size() const {
        std::unique_ptr<archive, ReadFree> in(archive_read_new());
        if (!in) return 0;
        archive_read_support_format_tar(in.get());
        archive_read_support_filter_zstd(in.get());
        archive_read_support_filter_gzip(in.get());
        if (archive_read_open_filename(in.get(), archive_path_.c_str(), 1 << 20) != ARCHIVE_OK) return 0;
        uint64_t total = 0;
        archive_entry* entry = nullptr;
        while (archive_read_next_header(in.get(), &entry) == ARCHIVE_OK) {
            if (archive_entry_size_is_set(entry)) total += static_cast<uint64_t>(archive_entry_size(entry));
            if (total > limits_.max_total_bytes) break;
        }
        return total;
    }

    // Starts writing a finished file to disk now, while the next one decompresses; flush_to_disk() then waits.
    static void start_writeback(const fs::path& file) {
        UniqueFd fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
        if (fd) ::sync_file_range(fd.get(), 0, 0, SYNC_FILE_RANGE_WRITE);
    }

    void flush_to_disk() {
        for (const auto& f : files_) fsync_path(f);
        dirs_.insert(dest_);
        for (const auto& d : dirs_) fsync_path(d);
    }

    fs::path archive_path_, dest_;
    ExtractLimits limits_;
    std::unique_ptr<archive, ReadFree> in_;
    std::unique_ptr<archive, WriteFree> out_;
    std::map<std::string, bool> kinds_;  // every path the archive names or implies: true for a folder
    std::set<std::string> regular_files_;
    std::vector<fs::path> files_;
    std::set<fs::path> dirs_;  // every folder that gained an entry
    ExtractStats stats_;
};

}  // namespace

std::optional<std::string> safe_relative_path(std::string_view name, size_t max_bytes) {
    if (name.size() > max_bytes || name.find('\0') != std::string_view::npos) return std::nullopt;
    if (name.starts_with('/')) return std::nullopt;
    std::string out;
    for (const auto part : split(name)) {
        if (part == ".." || part.size() > 255) return std::nullopt;
        if (!out.empty()) out += '/';
        out += part;
    }
    return out;
}

bool symlink_stays_inside(std::string_view link, std::string_view target) {
    if (target.empty() || target.starts_with('/') || target.find('\0') != std::string_view::npos) return false;
    // The folder holding the link is (depth) levels below the root.
    long depth = static_cast<long>(split(link).size()) - 1;
    bool named = false;
    for (const auto part : split(target)) {
        if (part == "..") {
            // ".." after a name could climb out through a symlinked name; before any name it is plain counting.
            if (named || --depth < 0) return false;
        } else {
            named = true;
        }
    }
    return true;
}

ExtractStats extract_archive(const fs::path& archive, const fs::path& dest, const ExtractLimits& limits,
                             const std::function<void(std::string_view)>& on_entry) {
    Extractor x(archive, dest, limits);
    return x.run(on_entry);
}

}  // namespace tsuku::install
