// The ld.so.cache reader against genuine caches: the committed ones (all three formats, made by `ldconfig -r`),
// this machine's own /etc/ld.so.cache compared with `ldconfig -p`, and old/compat caches ldconfig writes now.
#include <gtest/gtest.h>

#include <set>
#include <sstream>

#include "common/text.h"
#include "platform/ld_cache.h"
#include "platform/system_root.h"
#include "support/run_command.h"
#include "support/temp_dir.h"

namespace fs = std::filesystem;
using namespace tsuku::platform;

namespace {

using Pairs = std::set<std::pair<std::string, std::string>>;

Pairs native(const LdCache& c) {
    Pairs out;
    for (const auto& e : c.entries) {
        if (e.flags == native_ld_cache_flags()) out.emplace(std::string(e.soname), std::string(e.path));
    }
    return out;
}

LdCache committed(const std::string& name) {
    return load_ld_cache(fs::path(TSUKU_PLATFORM_FIXTURES) / "ldcache" / (name + ".cache"));
}

std::string ldconfig() { return fs::exists("/sbin/ldconfig") ? "/sbin/ldconfig" : "/usr/sbin/ldconfig"; }

// `ldconfig -p` lines: "\tlibfoo.so.1 (libc6,x86-64) => /usr/lib/x86_64-linux-gnu/libfoo.so.1"
Pairs ldconfig_print(const std::string& cache_file) {
    const auto r = tsuku::test::run_command({ldconfig(), "-p", "-C", cache_file});
    Pairs out;
    std::istringstream in(r.out);
    for (std::string line; std::getline(in, line);) {
        const auto paren = line.find(" (");
        const auto arrow = line.find(" => ");
        if (paren == std::string::npos || arrow == std::string::npos) continue;
        const std::string tags = line.substr(paren + 2, line.find(')', paren) - paren - 2);
#if defined(__x86_64__)
        if (tags.find("x86-64") == std::string::npos) continue;
#endif
        out.emplace(tsuku::trim(line.substr(0, paren)), line.substr(arrow + 4));
    }
    return out;
}

}  // namespace

TEST(LdCache, AllThreeFormatsWrittenByLdconfigReadTheSame) {
    const auto fresh = committed("ubuntu.new");
    const auto old = committed("ubuntu.old");
    const auto compat = committed("ubuntu.compat");
    EXPECT_EQ(fresh.format, LdCache::Format::new_format);
    EXPECT_EQ(old.format, LdCache::Format::old_format);
    EXPECT_EQ(compat.format, LdCache::Format::compat);
    const Pairs expected{{"libcuda.so.1", "/usr/lib/nvidia-580/libcuda.so.1"},
                         {"libnvidia-ml.so.1", "/usr/lib/nvidia-580/libnvidia-ml.so.1"},
                         {"libvulkan.so.1", "/usr/lib/x86_64-linux-gnu/libvulkan.so.1"}};
    EXPECT_EQ(native(fresh), expected);
    EXPECT_EQ(native(old), expected);
    EXPECT_EQ(native(compat), expected);
    EXPECT_EQ(old.find("libcuda.so.1"), "/usr/lib/nvidia-580/libcuda.so.1");
    EXPECT_FALSE(fresh.find("libcuda.so").has_value());  // exact sonames only
}

TEST(LdCache, CommittedCachesAgreeWithLdconfigItself) {
    for (const char* name :
         {"debian.new", "ubuntu.new", "ubuntu.old", "ubuntu.compat", "fedora.new", "arch.new", "wsl.new"}) {
        const std::string file = std::string(TSUKU_PLATFORM_FIXTURES) + "/ldcache/" + name + ".cache";
        EXPECT_EQ(native(load_ld_cache(file)), ldconfig_print(file)) << name;
    }
}

TEST(LdCache, ThisMachinesCacheMatchesLdconfigP) {
    if (!fs::exists("/etc/ld.so.cache")) GTEST_SKIP() << "no /etc/ld.so.cache here";
    const auto cache = load_ld_cache("/etc/ld.so.cache");
    const Pairs ours = native(cache);
    EXPECT_GT(ours.size(), 10u);
    EXPECT_EQ(ours, ldconfig_print("/etc/ld.so.cache"));
    EXPECT_TRUE(cache.find("libc.so.6").has_value());
}

TEST(LdCache, OldAndCompatCachesOfThisMachineReadLikeTheNewOne) {
    tsuku::test::TempDir dir;
    tsuku::test::write_file(dir / "empty.conf", "");
    std::map<std::string, Pairs> read;
    for (const char* format : {"new", "old", "compat"}) {
        const std::string file = (dir / (std::string(format) + ".cache")).string();
        // ldconfig scans its trusted folders (/lib, /usr/lib, multiarch); -X: no symlinks; -i: no aux cache.
        const auto r = tsuku::test::run_command(
            {ldconfig(), "-X", "-i", "-c", format, "-C", file, "-f", (dir / "empty.conf").string()});
        if (r.exit_code != 0) GTEST_SKIP() << "ldconfig cannot write a cache here: " << r.err;
        read[format] = native(load_ld_cache(file));
    }
    EXPECT_GT(read["new"].size(), 10u);
    EXPECT_EQ(read["old"], read["new"]);
    EXPECT_EQ(read["compat"], read["new"]);
}

TEST(LdCache, MalformedCachesAreRefusedNotTrusted) {
    const std::string good = *read_small_file(fs::path(TSUKU_PLATFORM_FIXTURES) / "ldcache/ubuntu.new.cache");
    // Entries point into the cache's own copy of the bytes: they outlive the input and survive copies.
    const LdCache copy = [&] {
        const LdCache original = parse_ld_cache(good);
        return original;
    }();
    EXPECT_EQ(copy.find("libvulkan.so.1"), "/usr/lib/x86_64-linux-gnu/libvulkan.so.1");
    EXPECT_THROW(parse_ld_cache(""), LdCacheError);
    EXPECT_THROW(parse_ld_cache("not a cache at all, but long enough to look like one"), LdCacheError);
    EXPECT_THROW(parse_ld_cache(good.substr(0, 30)), LdCacheError);  // header cut
    EXPECT_THROW(parse_ld_cache(good.substr(0, 60)), LdCacheError);  // entries cut
    std::string huge = good;
    huge[20] = '\xff', huge[21] = '\xff', huge[22] = '\xff', huge[23] = '\x0f';  // nlibs
    EXPECT_THROW(parse_ld_cache(huge), LdCacheError);
    std::string bad_offset = good;
    bad_offset[48 + 8] = '\xff', bad_offset[48 + 9] = '\xff';  // first entry's path offset
    EXPECT_THROW(parse_ld_cache(bad_offset), LdCacheError);
    std::string big_endian = good;
    big_endian[28] = 3;
    EXPECT_THROW(parse_ld_cache(big_endian), LdCacheError);
    const std::string old = *read_small_file(fs::path(TSUKU_PLATFORM_FIXTURES) / "ldcache/ubuntu.old.cache");
    EXPECT_THROW(parse_ld_cache(old.substr(0, 20)), LdCacheError);
    EXPECT_THROW(load_ld_cache("/nonexistent/ld.so.cache"), LdCacheError);
}
