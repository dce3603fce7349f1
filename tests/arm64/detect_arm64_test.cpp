// Detection as the arm64 tsuku runs it (cross-built, under QEMU), on fixture systems of the three arm64 shapes: a
// Debian server (Graviton, Ampere), a Raspberry Pi 5 (Mesa's V3D Vulkan driver) and a Jetson Orin (integrated NVIDIA
// GPU, not on PCI). The policy is the embedded manifest's linux-arm64 one: cpu runs, and the report says why vulkan
// and cuda do not (not built for this platform) with what the machine has for them.
#include <gtest/gtest.h>

#include "common/error.h"
#include "manifest/manifest.h"
#include "platform/detect.h"
#include "platform/fixture.h"
#include "resolve/policy.h"

using namespace tsuku;
using namespace tsuku::platform;
using namespace tsuku::test;

namespace {

PlatformPolicy arm64_policy() {
    const auto& m = manifest::embedded_manifest();
    return resolve::policy_from_manifest(m, resolve::this_platform(m));
}

DetectionReport detect_on(const Fixture& f) {
    DetectOptions o;
    o.system = f.system();
    o.probe_runner = canned_probes(std::nullopt, std::nullopt);  // no probe may be asked: nothing to prove
    return detect(arm64_policy(), o);
}

std::string detail(const DetectionReport& r, Backend b) {
    const auto* v = r.verdict(b);
    return v && !v->reasons.empty() ? v->reasons.front().detail : "(no verdict)";
}

using V = std::vector<std::string>;

Fixture debian_server() {
    Fixture f;
    f.os_release("debian", "12", "Debian GNU/Linux 12 (bookworm)")
        .kernel("6.1.0-37-arm64")
        .ld_cache("debian-arm64.new")
        .library("/usr/lib/aarch64-linux-gnu", "libcurl.so.4", "libcurl.so.4.8.0")
        // multiarch leftovers of an amd64 Mesa: a driver this arm64 process could never load
        .icd("/usr/share/vulkan/icd.d/intel_icd.x86_64.json", "/usr/lib/x86_64-linux-gnu/libvulkan_intel.so")
        .meminfo(64 * 1024 * 1024, 60 * 1024 * 1024);
    return f;
}

Fixture raspberry_pi5() {
    Fixture f;
    f.os_release("debian", "12", "Debian GNU/Linux 12 (bookworm)")
        .kernel("6.6.51+rpt-rpi-2712")
        .file("/proc/device-tree/model", std::string("Raspberry Pi 5 Model B Rev 1.0") + '\0')
        .ld_cache("rpi5.new")
        .library("/usr/lib/aarch64-linux-gnu", "libvulkan.so.1", "libvulkan.so.1.3.239")
        .icd("/usr/share/vulkan/icd.d/broadcom_icd.aarch64.json", "/usr/lib/aarch64-linux-gnu/libvulkan_broadcom.so",
             "1.2.255")
        .meminfo(8 * 1024 * 1024, 7 * 1024 * 1024);
    return f;
}

Fixture jetson_orin() {
    Fixture f;
    f.os_release("ubuntu", "22.04", "Ubuntu 22.04.4 LTS")
        .kernel("5.15.136-tegra")
        .file("/etc/nv_tegra_release",
              "# R36 (release), REVISION: 3.0, GCID: 36923193, BOARD: generic, EABI: aarch64, DATE: Fri Jul 19 "
              "23:24:25 UTC 2024\n")
        .file("/proc/device-tree/model", std::string("NVIDIA Jetson AGX Orin Developer Kit") + '\0')
        .ld_cache("jetson.new")
        .library("/usr/lib/aarch64-linux-gnu/tegra", "libcuda.so.1", "libcuda.so.1.1")
        .library("/usr/lib/aarch64-linux-gnu/tegra", "libnvidia-ml.so.1", "libnvidia-ml.so.1")
        .library("/usr/lib/aarch64-linux-gnu", "libvulkan.so.1", "libvulkan.so.1.3.204")
        .icd("/usr/share/vulkan/icd.d/nvidia_icd.json", "libGLX_nvidia.so.0", "1.3.242")
        .meminfo(64 * 1024 * 1024, 58 * 1024 * 1024);
    return f;
}

}  // namespace

TEST(Arm64Detect, DebianServerRunsCpuAndSaysTheGpuBackendsAreNotBuilt) {
    const auto r = detect_on(debian_server());
    EXPECT_EQ(chain(r), V{"cpu"});
    EXPECT_TRUE(r.verdict(Backend::cpu)->viable);
    EXPECT_EQ(reasons(r, Backend::vulkan), V{"not_built"});
    EXPECT_EQ(reasons(r, Backend::cuda), V{"not_built"});
    EXPECT_NE(detail(r, Backend::cuda).find("not built for linux-arm64"), std::string::npos)
        << detail(r, Backend::cuda);
    // Nothing GPU-like here (an x86_64 ICD manifest is not for this machine), so the detail names no hardware.
    EXPECT_EQ(detail(r, Backend::vulkan).find("this machine has"), std::string::npos) << detail(r, Backend::vulkan);
    EXPECT_FALSE(r.evidence.tegra);
    EXPECT_EQ(r.evidence.library("libcurl.so.4"), nullptr);  // only the policy's sonames are located
}

TEST(Arm64Detect, RaspberryPi5NamesItsV3dVulkanDriverAsNotUsable) {
    const auto r = detect_on(raspberry_pi5());
    EXPECT_EQ(chain(r), V{"cpu"});
    EXPECT_EQ(reasons(r, Backend::vulkan), V{"not_built"});
    const std::string d = detail(r, Backend::vulkan);
    EXPECT_NE(d.find("broadcom_icd.aarch64.json"), std::string::npos) << d;
    EXPECT_NE(d.find("/usr/lib/aarch64-linux-gnu/libvulkan.so.1"), std::string::npos) << d;  // through the cache
    EXPECT_EQ(r.evidence.library("libvulkan.so.1")->source, "ld.so.cache");
    EXPECT_FALSE(r.evidence.tegra);  // a device-tree model that is not a Jetson
    EXPECT_EQ(r.vulkan.cause, "not run: the platform has no vulkan variant");
}

TEST(Arm64Detect, JetsonOrinIsSeenWithoutPciAndItsCudaIsNotBuilt) {
    const auto r = detect_on(jetson_orin());
    EXPECT_EQ(chain(r), V{"cpu"});
    ASSERT_TRUE(r.evidence.tegra);
    EXPECT_EQ(r.evidence.tegra->l4t_release, "R36.3.0");
    EXPECT_EQ(r.evidence.tegra->model, "NVIDIA Jetson AGX Orin Developer Kit");
    EXPECT_EQ(r.evidence.tegra->library_dir, "/usr/lib/aarch64-linux-gnu/tegra");
    EXPECT_TRUE(r.evidence.gpus.empty());  // the GPU is not on PCI
    EXPECT_EQ(reasons(r, Backend::cuda), V{"not_built"});
    const std::string d = detail(r, Backend::cuda);
    EXPECT_NE(d.find("NVIDIA Jetson AGX Orin Developer Kit: integrated NVIDIA GPU, not on PCI (L4T R36.3.0)"),
              std::string::npos)
        << d;
    EXPECT_NE(d.find("/usr/lib/aarch64-linux-gnu/tegra/libcuda.so.1"), std::string::npos) << d;
    const auto j = to_json(r);
    EXPECT_EQ(j["tegra"]["l4t_release"], "R36.3.0");
    EXPECT_NE(to_text(r).find("integrated NVIDIA GPU, not on PCI"), std::string::npos);
}

TEST(Arm64Detect, JetsonSignsAloneAreEnough) {
    Fixture f;  // an L4T image without the release file: the tegra library folder still says Jetson
    f.os_release("ubuntu", "20.04", "Ubuntu 20.04")
        .library("/usr/lib/aarch64-linux-gnu/tegra", "libcuda.so.1", "libcuda.so.1.1");
    const auto r = detect_on(f);
    ASSERT_TRUE(r.evidence.tegra);
    EXPECT_EQ(r.evidence.tegra->l4t_release, "");
    EXPECT_EQ(r.evidence.tegra->describe(), "NVIDIA Jetson: integrated NVIDIA GPU, not on PCI");
    // Found through the distribution table (no ld.so.cache here).
    EXPECT_EQ(r.evidence.library("libcuda.so.1")->path, "/usr/lib/aarch64-linux-gnu/tegra/libcuda.so.1");
    EXPECT_EQ(parse_l4t_release("# R35 (release), REVISION: 5.0, GCID: 1"), "R35.5.0");
    EXPECT_EQ(parse_l4t_release("garbage"), "");
}

TEST(Arm64Detect, ForcingABackendThatIsNotBuiltSaysWhichExist) {
    DetectOptions o;
    o.system = jetson_orin().system();
    o.forced = Backend::cuda;
    o.probe_runner = canned_probes(std::nullopt, std::nullopt);
    try {
        detect(arm64_policy(), o);
        FAIL() << "forcing cuda on linux-arm64 must be refused";
    } catch (const UserError& e) {
        EXPECT_NE(std::string(e.what()).find("backend cuda is not built for linux-arm64"), std::string::npos)
            << e.what();
        EXPECT_NE(e.fix().find("cpu"), std::string::npos) << e.fix();
    }
}

TEST(Arm64Detect, FedoraArchAndNixosFoldersServeArm64AndOnlyAarch64ObjectsCount) {
    for (const auto& [dir, label] :
         std::vector<std::pair<std::string, std::string>>{{"/usr/lib64", "Fedora/RHEL/openSUSE"},
                                                          {"/usr/lib", "Arch"},
                                                          {"/run/opengl-driver/lib", "NixOS drivers"}}) {
        Fixture f;  // no ld.so.cache (NixOS has none): found through the distribution table
        f.library(dir, "libvulkan.so.1", "libvulkan.so.1.3.280");
        // An x86-64 libcuda beside it (a copied-in amd64 driver): an arm64 process cannot load it.
        std::string x86(64, '\0');
        x86[0] = 0x7f, x86[1] = 'E', x86[2] = 'L', x86[3] = 'F', x86[4] = 2, x86[5] = 1, x86[6] = 1, x86[16] = 3;
        x86[18] = 62;
        f.file(dir + "/libcuda.so.1", x86);
        const auto r = detect_on(f);
        const auto* vk = r.evidence.library("libvulkan.so.1");
        ASSERT_TRUE(vk && vk->path) << dir;
        EXPECT_EQ(*vk->path, dir + "/libvulkan.so.1");
        EXPECT_EQ(vk->source, label);
        EXPECT_FALSE(r.evidence.library("libcuda.so.1")->path) << dir;
        EXPECT_EQ(chain(r), V{"cpu"});
    }
}
