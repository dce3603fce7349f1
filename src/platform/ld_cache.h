// A reader of glibc's /etc/ld.so.cache, so detection sees what the dynamic loader sees without running
// `ldconfig -p`. Both on-disk formats: the old "ld.so-1.7.0" (alone, or followed by the new one: "compat") and
// the new "glibc-ld.so.cache1.1" (glibc's default since 2.32).
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace tsuku::platform {

// Views into the cache's bytes (owned by the LdCache, shared by its copies): a warm detect reads a cache of
// hundreds of entries and looks up a handful, so nothing is copied.
struct LdCacheEntry {
    std::string_view soname;  // "libcuda.so.1"
    std::string_view path;    // "/usr/lib/x86_64-linux-gnu/libcuda.so.1"
    int32_t flags = 0;        // glibc's FLAG_*: ELF libc6 + architecture bits
    uint64_t hwcap = 0;
};

class LdCacheError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct LdCache {
    enum class Format { old_format, new_format, compat };
    Format format = Format::new_format;
    std::shared_ptr<const std::string> data;  // the file's bytes, which the entries point into
    std::vector<LdCacheEntry> entries;        // every entry, in file order (the loader's order of preference)

    // The path the loader would use for `soname` on this architecture, if the cache lists it.
    std::optional<std::string> find(std::string_view soname) const;
};

std::string_view format_name(LdCache::Format f);

// Entry flags of a 64-bit library of this build's architecture (FLAG_ELF_LIBC6 | FLAG_<ARCH>_LIB64).
int32_t native_ld_cache_flags();

// Throws LdCacheError for anything malformed: bad magic, counts or offsets outside the data, foreign byte order.
LdCache parse_ld_cache(std::string bytes);
// Reads and parses a cache file; throws LdCacheError (also when it cannot be read).
LdCache load_ld_cache(const std::filesystem::path& file);

}  // namespace tsuku::platform
