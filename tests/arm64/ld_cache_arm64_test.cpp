// The ld.so.cache reader as the arm64 tsuku runs it: AArch64 entries (FLAG_ELF_LIBC6 | FLAG_AARCH64_LIB64) count,
// x86-64 ones never do. The arm64 caches were written by the arm64 ldconfig (tests/platform/fixtures/
// make-ld-caches.sh); the x86-64 ones by the amd64 ldconfig.
#include <gtest/gtest.h>

#include "platform/ld_cache.h"

using namespace tsuku::platform;

namespace {
LdCache committed(const std::string& name) {
    return load_ld_cache(std::string(TSUKU_PLATFORM_FIXTURES) + "/ldcache/" + name + ".cache");
}
}  // namespace

TEST(Arm64LdCache, NativeFlagsAreAarch64) { EXPECT_EQ(native_ld_cache_flags(), 0x0a03); }

TEST(Arm64LdCache, Aarch64EntriesAreFound) {
    const auto jetson = committed("jetson.new");
    EXPECT_EQ(jetson.find("libcuda.so.1"), "/usr/lib/aarch64-linux-gnu/tegra/libcuda.so.1");
    EXPECT_EQ(jetson.find("libvulkan.so.1"), "/usr/lib/aarch64-linux-gnu/libvulkan.so.1");
    for (const auto& e : jetson.entries) EXPECT_EQ(e.flags, 0x0a03) << e.soname;
    EXPECT_EQ(committed("rpi5.new").find("libvulkan.so.1"), "/usr/lib/aarch64-linux-gnu/libvulkan.so.1");
}

TEST(Arm64LdCache, X8664EntriesAreNotThisArchitecture) {
    // Debian amd64's cache lists libcuda.so.1: an arm64 process cannot load it, so it is not found.
    const auto debian = committed("debian.new");
    ASSERT_FALSE(debian.entries.empty());
    EXPECT_EQ(debian.entries.front().flags, 0x0303);
    EXPECT_FALSE(debian.find("libcuda.so.1").has_value());
    EXPECT_FALSE(committed("ubuntu.old").find("libvulkan.so.1").has_value());  // the old format too
}
