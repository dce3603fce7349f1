// Builds tar archives for the tests with libarchive's writer, which, unlike the extractor, writes any name, link
// or file type it is given: the malicious archives are made exactly as an attacker would make them.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <string>
#include <vector>

namespace tsuku::test {

struct TarEntry {
    enum class Type { file, dir, symlink, hardlink, chardev, fifo };
    std::string name;
    Type type = Type::file;
    std::string content;  // file
    std::string link;     // symlink or hardlink target
    mode_t mode = 0644;
};

enum class Compression { none, gzip, zstd };

void write_tar(const std::filesystem::path& out, const std::vector<TarEntry>& entries,
               Compression compression = Compression::zstd);

inline TarEntry tar_file(std::string name, std::string content, mode_t mode = 0644) {
    return {std::move(name), TarEntry::Type::file, std::move(content), {}, mode};
}
inline TarEntry tar_dir(std::string name) { return {std::move(name), TarEntry::Type::dir, {}, {}, 0755}; }
inline TarEntry tar_symlink(std::string name, std::string target) {
    return {std::move(name), TarEntry::Type::symlink, {}, std::move(target), 0777};
}
inline TarEntry tar_hardlink(std::string name, std::string target) {
    return {std::move(name), TarEntry::Type::hardlink, {}, std::move(target), 0644};
}

}  // namespace tsuku::test
