// The manifest as the arm64 tsuku reads it: its platform is linux-arm64 (uname under QEMU says aarch64), the one
// embedded manifest lists both platforms, and linux-arm64 has cpu only, naming vulkan and cuda as not built.
#include <gtest/gtest.h>

#include "manifest/manifest.h"
#include "resolve/policy.h"

using namespace tsuku;

TEST(Arm64Manifest, ThisPlatformIsLinuxArm64WithCpuOnly) {
    EXPECT_EQ(manifest::current_platform(), "linux-arm64");
    const auto& m = manifest::embedded_manifest();
    ASSERT_TRUE(m.platform("linux-amd64"));
    const auto& p = resolve::this_platform(m);
    EXPECT_EQ(p.name, "linux-arm64");
    EXPECT_EQ(p.default_backend, Backend::cpu);
    EXPECT_EQ(p.prefer, std::vector<Backend>{Backend::cpu});
    ASSERT_EQ(p.variants.size(), 1u);
    EXPECT_NE(p.find(Backend::cpu)->artifact.file_name().find("-linux-arm64-cpu.tar.zst"), std::string::npos);
    EXPECT_EQ(p.not_built.count(Backend::vulkan), 1u);
    EXPECT_EQ(p.not_built.count(Backend::cuda), 1u);
    const auto policy = resolve::policy_from_manifest(m, p);
    EXPECT_EQ(policy.not_built.size(), 2u);
}

TEST(Arm64Manifest, NotBuiltRoundTripsAndIsChecked) {
    const auto& m = manifest::embedded_manifest();
    EXPECT_EQ(manifest::parse_manifest(manifest::to_json(m)).platform("linux-arm64")->not_built,
              m.platform("linux-arm64")->not_built);
    // A backend cannot be both built and not built.
    auto j = manifest::to_json(m);
    const std::string key = "\"not_built\": {";
    const auto at = j.find(key);
    ASSERT_NE(at, std::string::npos);
    j.insert(at + key.size(), "\n\"cpu\": \"no\",");
    EXPECT_THROW(manifest::parse_manifest(j), manifest::ManifestError);
}
