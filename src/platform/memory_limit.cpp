#include "platform/memory_limit.h"

#include <sstream>

#include "common/byte_size.h"
#include "platform/cgroup.h"
#include "platform/verdict.h"

namespace tsuku::platform {
namespace {

// v1 writes "no limit" as a huge page-aligned number (9223372036854771712); v2 writes "max".
constexpr uint64_t kUnlimited = uint64_t{1} << 60;

std::optional<uint64_t> read_bytes(const SystemRoot& sys, const std::string& file) {
    const auto text = read_trimmed(sys.at(file));
    if (!text || *text == "max") return std::nullopt;
    const auto v = parse_number(*text);
    if (!v || *v >= kUnlimited) return std::nullopt;
    return v;
}

// Inactive file pages can be reclaimed before the kernel's OOM killer runs: they are not really in use.
uint64_t inactive_file(const SystemRoot& sys, const std::string& stat_file, const std::string& key) {
    const auto text = read_small_file(sys.at(stat_file));
    if (!text) return 0;
    std::istringstream in(*text);
    for (std::string name, value; in >> name >> value;) {
        if (name == key) return parse_number(value).value_or(0);
    }
    return 0;
}

}  // namespace

MemoryRoom read_memory_room(const SystemRoot& sys, uint64_t available_bytes) {
    MemoryRoom r;
    r.available_bytes = available_bytes;
    const auto groups = cgroup_folders(sys, "memory");
    r.cgroup_version = groups.version;
    for (const auto& folder : groups.folders) {
        CgroupMemoryLimit l;
        l.folder = folder;
        std::optional<uint64_t> usage;
        uint64_t cache = 0;
        if (groups.version == 2) {
            const auto max = read_bytes(sys, folder + "/memory.max");
            const auto high = read_bytes(sys, folder + "/memory.high");  // throttled hard past it: a limit too
            if (!max && !high) continue;
            const bool use_high = high && (!max || *high < *max);
            l.limit_file = use_high ? "memory.high" : "memory.max";
            l.limit_bytes = use_high ? *high : *max;
            usage = read_bytes(sys, folder + "/memory.current");
            cache = inactive_file(sys, folder + "/memory.stat", "inactive_file");
        } else {
            const auto limit = read_bytes(sys, folder + "/memory.limit_in_bytes");
            if (!limit) continue;
            l.limit_file = "memory.limit_in_bytes";
            l.limit_bytes = *limit;
            usage = read_bytes(sys, folder + "/memory.usage_in_bytes");
            cache = inactive_file(sys, folder + "/memory.stat", "total_inactive_file");
        }
        l.usage_bytes = usage ? *usage - std::min(*usage, cache) : 0;
        l.room_bytes = l.limit_bytes > l.usage_bytes ? l.limit_bytes - l.usage_bytes : 0;
        r.limits.push_back(l);
    }
    r.usable_bytes = available_bytes;
    r.limited_by = "MemAvailable";
    for (const auto& l : r.limits) {
        if (r.usable_bytes == 0 || l.room_bytes < r.usable_bytes) {
            r.usable_bytes = l.room_bytes;
            r.limited_by = "cgroup " + l.folder + " (" + l.limit_file + " " + format_memory(l.limit_bytes) + ", " +
                           format_memory(l.usage_bytes) + " in use)";
        }
    }
    return r;
}

}  // namespace tsuku::platform
