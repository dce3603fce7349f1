#include "archive_builder.h"

#include <archive.h>
#include <archive_entry.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <memory>
#include <stdexcept>

namespace tsuku::test {

void write_tar(const std::filesystem::path& out, const std::vector<TarEntry>& entries, Compression compression) {
    std::unique_ptr<archive, decltype(&archive_write_free)> a(archive_write_new(), &archive_write_free);
    archive_write_set_format_pax_restricted(a.get());
    if (compression == Compression::gzip) archive_write_add_filter_gzip(a.get());
    if (compression == Compression::zstd) archive_write_add_filter_zstd(a.get());
    if (archive_write_open_filename(a.get(), out.c_str()) != ARCHIVE_OK) {
        throw std::runtime_error(archive_error_string(a.get()));
    }
    for (const auto& e : entries) {
        std::unique_ptr<archive_entry, decltype(&archive_entry_free)> entry(archive_entry_new(), &archive_entry_free);
        archive_entry_set_pathname(entry.get(), e.name.c_str());
        archive_entry_set_perm(entry.get(), e.mode);
        archive_entry_set_mtime(entry.get(), 1700000000, 0);
        switch (e.type) {
            case TarEntry::Type::file:
                archive_entry_set_filetype(entry.get(), AE_IFREG);
                archive_entry_set_size(entry.get(), static_cast<la_int64_t>(e.content.size()));
                break;
            case TarEntry::Type::dir: archive_entry_set_filetype(entry.get(), AE_IFDIR); break;
            case TarEntry::Type::symlink:
                archive_entry_set_filetype(entry.get(), AE_IFLNK);
                archive_entry_set_symlink(entry.get(), e.link.c_str());
                break;
            case TarEntry::Type::hardlink:
                archive_entry_set_filetype(entry.get(), AE_IFREG);
                archive_entry_set_hardlink(entry.get(), e.link.c_str());
                break;
            case TarEntry::Type::chardev:
                archive_entry_set_filetype(entry.get(), AE_IFCHR);
                archive_entry_set_rdev(entry.get(), makedev(1, 3));  // /dev/null's numbers
                break;
            case TarEntry::Type::fifo: archive_entry_set_filetype(entry.get(), AE_IFIFO); break;
        }
        if (archive_write_header(a.get(), entry.get()) != ARCHIVE_OK) {
            throw std::runtime_error(archive_error_string(a.get()));
        }
        if (e.type == TarEntry::Type::file && !e.content.empty()) {
            archive_write_data(a.get(), e.content.data(), e.content.size());
        }
    }
    if (archive_write_close(a.get()) != ARCHIVE_OK) throw std::runtime_error(archive_error_string(a.get()));
}

}  // namespace tsuku::test
