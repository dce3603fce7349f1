#include "platform/ld_cache.h"

#include <bit>
#include <cstring>

#include "platform/system_root.h"

namespace tsuku::platform {
namespace {

// Layouts from glibc's sysdeps/generic/dl-cache.h (stable on-disk formats).
constexpr std::string_view kOldMagic = "ld.so-1.7.0";
constexpr std::string_view kNewMagic = "glibc-ld.so.cache1.1";
constexpr size_t kOldHeader = 16;  // magic[11], pad to 12, uint32 nlibs
constexpr size_t kOldEntry = 12;   // int32 flags, uint32 key, uint32 value
constexpr size_t kNewHeader = 48;  // magic+version[20], nlibs, len_strings, flags(u8)+pad[3], extension, unused[3]
constexpr size_t kNewEntry = 24;   // int32 flags, uint32 key, uint32 value, uint32 osversion, uint64 hwcap
constexpr size_t kNewAlign = 8;    // __alignof__(struct cache_file_new): the old part is padded to it in compat files

constexpr int32_t kFlagElfLibc6 = 0x0003;
constexpr int32_t kFlagTypeMask = 0x00ff;
constexpr int32_t kFlagRequiredMask = 0xff00;
constexpr uint8_t kEndianMask = 3, kEndianLittle = 2, kEndianBig = 3;

template <typename T>
T load(std::string_view data, size_t off) {
    if (off > data.size() || data.size() - off < sizeof(T)) throw LdCacheError("truncated ld.so.cache");
    T v;
    std::memcpy(&v, data.data() + off, sizeof v);
    return v;
}

// A NUL-terminated string at `off` inside data[base…].
std::string_view string_at(std::string_view data, size_t base, uint32_t off) {
    const size_t at = base + off;
    if (base > data.size() || off >= data.size() - base) throw LdCacheError("string offset outside ld.so.cache");
    const void* nul = std::memchr(data.data() + at, '\0', data.size() - at);
    if (!nul) throw LdCacheError("unterminated string in ld.so.cache");
    return std::string_view(data.data() + at, static_cast<size_t>(static_cast<const char*>(nul) - (data.data() + at)));
}

void read_new(std::string_view data, size_t start, LdCache& out) {
    if (data.size() - start < kNewHeader) throw LdCacheError("truncated ld.so.cache header");
    const uint8_t endian = load<uint8_t>(data, start + 28) & kEndianMask;
    const uint8_t native = std::endian::native == std::endian::little ? kEndianLittle : kEndianBig;
    if (endian != 0 && endian != native) throw LdCacheError("ld.so.cache is for another byte order");
    const uint32_t nlibs = load<uint32_t>(data, start + 20);
    if (nlibs > (data.size() - start - kNewHeader) / kNewEntry) throw LdCacheError("ld.so.cache entry count too big");
    for (uint32_t i = 0; i < nlibs; ++i) {
        const size_t e = start + kNewHeader + size_t{i} * kNewEntry;
        LdCacheEntry entry;
        entry.flags = load<int32_t>(data, e);
        // String offsets of the new format count from the start of its header.
        entry.soname = string_at(data, start, load<uint32_t>(data, e + 4));
        entry.path = string_at(data, start, load<uint32_t>(data, e + 8));
        entry.hwcap = load<uint64_t>(data, e + 16);
        out.entries.push_back(entry);
    }
}

}  // namespace

int32_t native_ld_cache_flags() {
#if defined(__x86_64__)
    return kFlagElfLibc6 | 0x0300;  // FLAG_X8664_LIB64
#elif defined(__aarch64__)
    return kFlagElfLibc6 | 0x0a00;  // FLAG_AARCH64_LIB64
#else
    return kFlagElfLibc6;
#endif
}

std::string_view format_name(LdCache::Format f) {
    switch (f) {
        case LdCache::Format::old_format: return "ld.so-1.7.0";
        case LdCache::Format::new_format: return "glibc-ld.so.cache1.1";
        case LdCache::Format::compat: return "ld.so-1.7.0+glibc-ld.so.cache1.1";
    }
    return "";
}

std::optional<std::string> LdCache::find(std::string_view soname) const {
    const int32_t want = native_ld_cache_flags();
    const LdCacheEntry* first = nullptr;
    for (const auto& e : entries) {
        if ((e.flags & kFlagTypeMask) != (want & kFlagTypeMask) ||
            (e.flags & kFlagRequiredMask) != (want & kFlagRequiredMask) || e.soname != soname) {
            continue;
        }
        // Entries with hwcaps are optimised copies for some CPUs; the plain one always loads.
        if (e.hwcap == 0) return std::string(e.path);
        if (!first) first = &e;
    }
    if (first) return std::string(first->path);
    return std::nullopt;
}

LdCache parse_ld_cache(std::string bytes) {
    LdCache out;
    out.data = std::make_shared<const std::string>(std::move(bytes));
    const std::string_view data = *out.data;
    if (data.substr(0, kNewMagic.size()) == kNewMagic) {
        out.format = LdCache::Format::new_format;
        read_new(data, 0, out);
        return out;
    }
    if (data.substr(0, kOldMagic.size()) != kOldMagic) throw LdCacheError("not an ld.so.cache (unknown magic)");
    const uint32_t nlibs = load<uint32_t>(data, 12);
    if (nlibs > (data.size() - kOldHeader) / kOldEntry) throw LdCacheError("ld.so.cache entry count too big");
    const size_t old_end = kOldHeader + size_t{nlibs} * kOldEntry;
    // A compat file carries the new format right after the old entries; it is the richer one, so prefer it.
    const size_t new_start = (old_end + kNewAlign - 1) & ~(kNewAlign - 1);
    if (new_start <= data.size() && data.substr(new_start, kNewMagic.size()) == kNewMagic) {
        out.format = LdCache::Format::compat;
        read_new(data, new_start, out);
        return out;
    }
    out.format = LdCache::Format::old_format;
    for (uint32_t i = 0; i < nlibs; ++i) {
        const size_t e = kOldHeader + size_t{i} * kOldEntry;
        LdCacheEntry entry;
        entry.flags = load<int32_t>(data, e);
        // String offsets of the old format count from the end of its entry table.
        entry.soname = string_at(data, old_end, load<uint32_t>(data, e + 4));
        entry.path = string_at(data, old_end, load<uint32_t>(data, e + 8));
        out.entries.push_back(entry);
    }
    return out;
}

LdCache load_ld_cache(const std::filesystem::path& file) {
    const auto bytes = read_small_file(file, size_t{64} << 20);
    if (!bytes) throw LdCacheError("cannot read " + file.string());
    return parse_ld_cache(std::move(*bytes));
}

}  // namespace tsuku::platform
