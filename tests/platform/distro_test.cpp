// Detection on fixture systems of every distribution family and hardware shape of docs/design.md §8: each asserts the
// verdicts (with their reasons) and the chain. Probe outputs are canned — what the real probe prints on such a
// machine — except where the test is about a probe that did not run (--sysroot).
#include <gtest/gtest.h>

#include "common/error.h"
#include "platform/detect.h"
#include "platform/fixture.h"

using namespace tsuku;
using namespace tsuku::platform;
using namespace tsuku::test;  // Fixture, chain, reasons, canned probe outcomes

namespace {

constexpr uint32_t kVga = 0x030000, k3d = 0x030200;

struct Run {
    DetectionReport report;
    std::vector<ProbeRequest> requests;  // what detection asked the probes to do
};

// Detection on a fixture with canned probe results (nullopt: that probe is not expected to be asked).
Run detect_on(const Fixture& f, std::map<std::string, std::string> env, std::optional<ProbeOutcome> vulkan,
              std::optional<ProbeOutcome> cuda, std::optional<Backend> forced = std::nullopt) {
    Run run;
    DetectOptions o;
    o.system = f.system(std::move(env));
    o.forced = forced;
    o.probe_runner = test::canned_probes(std::move(vulkan), std::move(cuda), &run.requests);
    run.report = detect(builtin_linux_policy(), o);
    return run;
}

// Static evidence only, as `tsuku llm detect --sysroot` sees it.
DetectionReport sysroot_detect(const Fixture& f, std::map<std::string, std::string> env = {}) {
    DetectOptions o;
    o.system = f.system(std::move(env));
    return detect(builtin_linux_policy(), o);
}

std::string detail(const DetectionReport& r, Backend b, Reason reason) {
    for (const auto& i : r.verdict(b)->reasons) {
        if (i.reason == reason) return i.detail;
    }
    return "(no " + std::string(reason_code(reason)) + ")";
}

using V = std::vector<std::string>;

// --- Debian 12, NVIDIA discrete, Debian's driver packages ------------------------------------------------------

Fixture debian(const std::string& driver = "580.82.07") {
    Fixture f;
    f.os_release("debian", "12", "Debian GNU/Linux 12 (bookworm)")
        .kernel("6.1.0-37-amd64")
        .pci("0000:01:00.0", 0x10de, 0x2684, kVga, "nvidia", true)
        .nvidia_driver(driver)
        .file("/dev/nvidiactl", "")
        .ld_cache("debian.new")
        .library("/usr/lib/x86_64-linux-gnu", "libcuda.so.1", "libcuda.so." + driver)
        .library("/usr/lib/x86_64-linux-gnu", "libnvidia-ml.so.1", "libnvidia-ml.so." + driver)
        .library("/usr/lib/x86_64-linux-gnu", "libvulkan.so.1", "libvulkan.so.1.4.313")
        .icd("/usr/share/vulkan/icd.d/nvidia_icd.json", "libGLX_nvidia.so.0", "1.4.312")
        .icd("/usr/share/vulkan/icd.d/lvp_icd.x86_64.json", "/usr/lib/x86_64-linux-gnu/libvulkan_lvp.so", "1.3.230");
    return f;
}

TEST(Distro, DebianNvidiaRunsCudaThenVulkan) {
    const Fixture f = debian();
    const auto run = detect_on(
        f, {},
        test::vulkan_ok(
            {test::vk_device("NVIDIA GeForce RTX 4090", "discrete_gpu", 0x10de, "1.4.312", 24 * GiB, 22 * GiB),
             test::vk_device("llvmpipe (LLVM 15.0.6, 256 bits)", "cpu", 0x10005, "1.3.230", 2 * GiB)}),
        test::cuda_ok(13000, {test::cuda_device("NVIDIA GeForce RTX 4090", 8, 9, 24 * GiB, "0000:01:00.0")}));
    const auto& r = run.report;
    EXPECT_EQ(chain(r), (V{"cuda", "vulkan", "cpu"}));
    EXPECT_TRUE(r.verdict(Backend::cuda)->viable);
    EXPECT_TRUE(r.verdict(Backend::vulkan)->viable);
    EXPECT_TRUE(r.verdict(Backend::cpu)->viable);
    EXPECT_EQ(r.verdict(Backend::cuda)->device_memory_bytes, 24 * GiB);
    EXPECT_EQ(r.verdict(Backend::vulkan)->device_free_bytes, 22 * GiB);  // the budget, not the llvmpipe heap

    const auto& e = r.evidence;
    ASSERT_EQ(e.gpus.size(), 1u);
    EXPECT_EQ(e.gpus[0].vendor_name, "nvidia");
    EXPECT_EQ(e.gpus[0].driver, "nvidia");
    EXPECT_FALSE(e.gpus[0].integrated);
    ASSERT_NE(find_driver(e.drivers, "nvidia"), nullptr);
    EXPECT_EQ(find_driver(e.drivers, "nvidia")->version, "580.82.07");
    const auto* cuda = e.library("libcuda.so.1");
    EXPECT_EQ(cuda->path, "/usr/lib/x86_64-linux-gnu/libcuda.so.1");
    EXPECT_EQ(cuda->source, "ld.so.cache");
    EXPECT_EQ(cuda->file_version, "580.82.07");
    // The loader finds both libraries by name, so the probes load them by soname.
    ASSERT_EQ(run.requests.size(), 2u);
    EXPECT_FALSE(run.requests[0].library);
    EXPECT_FALSE(run.requests[1].library);
}

TEST(Distro, SysrootWithoutProbesProvesNothingButKeepsStaticEvidence) {
    const Fixture f = debian();
    const auto r = sysroot_detect(f);
    EXPECT_EQ(chain(r), (V{"cpu"}));
    EXPECT_EQ(reasons(r, Backend::cuda), (V{"unprobed"}));
    EXPECT_EQ(reasons(r, Backend::vulkan), (V{"unprobed"}));
    EXPECT_NE(r.probes.find("--sysroot"), std::string::npos) << r.probes;
    EXPECT_EQ(r.vulkan.status, ProbeOutcome::Status::not_run);
    EXPECT_EQ(r.cache, "off");
    EXPECT_EQ(r.evidence.library("libvulkan.so.1")->file_version, "1.4.313");
}

TEST(Distro, OldDriverIsTooOldBeforeAnyProbe) {
    const Fixture f = debian("535.247.01");  // the R535 branch supports CUDA 12.2
    const auto r = sysroot_detect(f);
    EXPECT_EQ(reasons(r, Backend::cuda), (V{"driver_too_old"}));
    const auto d = detail(r, Backend::cuda, Reason::driver_too_old);
    EXPECT_NE(d.find("535.247.01"), std::string::npos) << d;
    EXPECT_NE(d.find("up to 12.2"), std::string::npos) << d;
    EXPECT_NE(d.find("580.65.06 or newer"), std::string::npos) << d;

    // With the probe the driver API confirms it; vulkan is still fine.
    const auto run = detect_on(
        f, {},
        test::vulkan_ok({test::vk_device("NVIDIA GeForce RTX 4090", "discrete_gpu", 0x10de, "1.3.277", 24 * GiB)}),
        test::cuda_ok(12020, {test::cuda_device("NVIDIA GeForce RTX 4090", 8, 9, 24 * GiB, "0000:01:00.0")}));
    EXPECT_FALSE(run.report.verdict(Backend::cuda)->viable);
    EXPECT_TRUE(run.report.verdict(Backend::cuda)->has(Reason::driver_too_old));
    EXPECT_EQ(chain(run.report), (V{"vulkan", "cpu"}));
}

TEST(Distro, ForcedBackendGoesFirstWithTheDefaultBehind) {
    const Fixture f = debian();
    const auto run =
        detect_on(f, {}, test::vulkan_ok({test::vk_device("RTX", "discrete_gpu", 0x10de, "1.4.312", 24 * GiB)}),
                  test::cuda_ok(13000, {test::cuda_device("RTX", 8, 9, 24 * GiB, "0000:01:00.0")}), Backend::vulkan);
    EXPECT_EQ(chain(run.report), (V{"vulkan", "cpu"}));
    EXPECT_EQ(run.report.forced, Backend::vulkan);
    EXPECT_THROW(detect_on(f, {}, std::nullopt, std::nullopt, Backend::metal), UserError);
}

// --- Ubuntu, driver in a folder only ld.so.conf.d names: found ONLY through ld.so.cache, in every format ------------

class UbuntuCacheFormats : public ::testing::TestWithParam<std::string> {};

TEST_P(UbuntuCacheFormats, DriverFoundOnlyThroughTheCache) {
    Fixture f;
    f.os_release("ubuntu", "24.04", "Ubuntu 24.04.2 LTS")
        .pci("0000:2b:00.0", 0x10de, 0x2786, kVga, "nvidia", true)
        .nvidia_driver("580.65.06", /*open_module=*/true)
        .ld_cache("ubuntu." + GetParam())
        .library("/usr/lib/nvidia-580", "libcuda.so.1", "libcuda.so.580.65.06")
        .library("/usr/lib/nvidia-580", "libnvidia-ml.so.1", "libnvidia-ml.so.580.65.06")
        .library("/usr/lib/x86_64-linux-gnu", "libvulkan.so.1", "libvulkan.so.1.3.275")
        .icd("/usr/share/vulkan/icd.d/nvidia_icd.json", "libGLX_nvidia.so.0");
    const auto run = detect_on(
        f, {},
        test::vulkan_ok({test::vk_device("NVIDIA GeForce RTX 4070", "discrete_gpu", 0x10de, "1.4.312", 12 * GiB)}),
        test::cuda_ok(13000, {test::cuda_device("NVIDIA GeForce RTX 4070", 8, 9, 12 * GiB, "0000:2b:00.0")}));
    const auto* cuda = run.report.evidence.library("libcuda.so.1");
    EXPECT_EQ(cuda->path, "/usr/lib/nvidia-580/libcuda.so.1");
    EXPECT_EQ(cuda->source, "ld.so.cache");
    EXPECT_TRUE(cuda->loader_visible);
    EXPECT_EQ(cuda->file_version, "580.65.06");
    EXPECT_EQ(run.report.evidence.ld_cache.entries, 3u);
    EXPECT_EQ(find_driver(run.report.evidence.drivers, "nvidia")->version, "580.65.06");  // the open module's wording
    EXPECT_EQ(chain(run.report), (V{"cuda", "vulkan", "cpu"}));

    // Without the cache the folder is unknown: the same machine has no CUDA library at all.
    std::filesystem::remove(f.at("/etc/ld.so.cache"));
    const auto r = sysroot_detect(f);
    EXPECT_FALSE(r.evidence.library("libcuda.so.1")->path);
    EXPECT_EQ(reasons(r, Backend::cuda), (V{"library_missing"}));
}

INSTANTIATE_TEST_SUITE_P(Formats, UbuntuCacheFormats, ::testing::Values("new", "old", "compat"));

// --- Fedora: /usr/lib64, a 32-bit copy earlier on LD_LIBRARY_PATH, the GPU too old for the variant ------------

Fixture fedora() {
    Fixture f;
    f.os_release("fedora", "42", "Fedora Linux 42 (Workstation Edition)")
        .pci("0000:01:00.0", 0x10de, 0x13c2, kVga, "nvidia", true)
        .nvidia_driver("580.65.06")
        .ld_cache("fedora.new")
        .library("/usr/lib64", "libcuda.so.1", "libcuda.so.580.65.06")
        .library("/usr/lib64", "libvulkan.so.1", "libvulkan.so.1.4.313")
        .elf("/usr/lib/libcuda.so.1", 32)
        .icd("/usr/share/vulkan/icd.d/nvidia_icd.x86_64.json", "libGLX_nvidia.so.0");
    return f;
}

TEST(Distro, FedoraSkipsA32BitLibraryAndJudgesComputeCapability) {
    const Fixture f = fedora();
    const std::map<std::string, std::string> env{{"LD_LIBRARY_PATH", "/usr/lib"}};
    const auto vk =
        test::vulkan_ok({test::vk_device("NVIDIA GeForce GTX 970", "discrete_gpu", 0x10de, "1.3.277", 4 * GiB)});
    auto run = detect_on(
        f, env, vk, test::cuda_ok(13000, {test::cuda_device("NVIDIA GeForce GTX 970", 5, 2, 4 * GiB, "0000:01:00.0")}));
    EXPECT_EQ(run.report.evidence.library("libcuda.so.1")->path, "/usr/lib64/libcuda.so.1");
    EXPECT_EQ(chain(run.report), (V{"cuda", "vulkan", "cpu"}));

    // A Kepler card (compute capability 3.5) is below the variant's 5.0.
    run = detect_on(f, env, vk,
                    test::cuda_ok(13000, {test::cuda_device("NVIDIA GeForce GTX 780", 3, 5, 3 * GiB, "0000:01:00.0")}));
    EXPECT_EQ(reasons(run.report, Backend::cuda), (V{"gpu_too_old"}));
    EXPECT_NE(detail(run.report, Backend::cuda, Reason::gpu_too_old).find("GTX 780 (3.5)"), std::string::npos);
    EXPECT_EQ(chain(run.report), (V{"vulkan", "cpu"}));
}

// --- Arch: /usr/lib and the toolkit in /opt/cuda -------------------------------------------------------------

TEST(Distro, ArchNvidia) {
    Fixture f;
    f.os_release("arch", "", "Arch Linux")
        .kernel("6.15.9-arch1-1")
        .pci("0000:06:00.0", 0x10de, 0x2504, kVga, "nvidia", true)
        .nvidia_driver("580.76.05", true)
        .ld_cache("arch.new")
        .library("/usr/lib", "libcuda.so.1", "libcuda.so.580.76.05")
        .library("/usr/lib", "libvulkan.so.1", "libvulkan.so.1.4.321")
        .library("/opt/cuda/lib64", "libcudart.so.13", "libcudart.so.13.0.48")
        .icd("/usr/share/vulkan/icd.d/nvidia_icd.json", "libGLX_nvidia.so.0");
    const auto run = detect_on(
        f, {},
        test::vulkan_ok({test::vk_device("NVIDIA GeForce RTX 3060", "discrete_gpu", 0x10de, "1.4.312", 12 * GiB)}),
        test::cuda_ok(13000, {test::cuda_device("NVIDIA GeForce RTX 3060", 8, 6, 12 * GiB, "0000:06:00.0")}));
    EXPECT_EQ(chain(run.report), (V{"cuda", "vulkan", "cpu"}));
    EXPECT_EQ(run.report.evidence.library("libcudart.so.13")->path, "/opt/cuda/lib64/libcudart.so.13");
    EXPECT_EQ(run.report.evidence.library("libcudart.so.13")->file_version, "13.0.48");
}

// --- NixOS: no ld.so.cache; drivers under /run/opengl-driver pointing into /nix/store ----------------------------

TEST(Distro, NixosLoadsLibrariesTheLoaderCannotSeeByPath) {
    Fixture f;
    const std::string store = "/nix/store/9k3bq0f4-nvidia-x11-580.82.07-6.12.41/lib";
    f.os_release("nixos", "25.05", "NixOS 25.05 (Warbler)")
        .pci("0000:01:00.0", 0x10de, 0x2704, kVga, "nvidia", true)
        .nvidia_driver("580.82.07")
        .elf(store + "/libcuda.so.580.82.07")
        .symlink("/run/opengl-driver/lib/libcuda.so.1", store + "/libcuda.so.580.82.07")
        .library("/run/current-system/sw/share/nix-ld/lib", "libvulkan.so.1", "libvulkan.so.1.4.313")
        .icd("/run/opengl-driver/share/vulkan/icd.d/nvidia_icd.x86_64.json", store + "/libGLX_nvidia.so.0");
    const auto run = detect_on(
        f, {},
        test::vulkan_ok({test::vk_device("NVIDIA GeForce RTX 4080", "discrete_gpu", 0x10de, "1.4.312", 16 * GiB)}),
        test::cuda_ok(13000, {test::cuda_device("NVIDIA GeForce RTX 4080", 8, 9, 16 * GiB, "0000:01:00.0")}));
    const auto& e = run.report.evidence;
    EXPECT_EQ(e.ld_cache.error, "absent");
    const auto* cuda = e.library("libcuda.so.1");
    EXPECT_EQ(cuda->path, "/run/opengl-driver/lib/libcuda.so.1");
    EXPECT_EQ(cuda->source, "NixOS drivers");
    EXPECT_FALSE(cuda->loader_visible);
    EXPECT_EQ(cuda->real_path, store + "/libcuda.so.580.82.07");  // an absolute link, followed inside the root
    EXPECT_EQ(cuda->file_version, "580.82.07");
    ASSERT_EQ(e.vulkan.icds.size(), 1u);
    // dlopen("libcuda.so.1") would fail here: the probes are told the paths.
    ASSERT_EQ(run.requests.size(), 2u);
    EXPECT_EQ(run.requests[0].library, "/run/current-system/sw/share/nix-ld/lib/libvulkan.so.1");
    EXPECT_EQ(run.requests[1].library, "/run/opengl-driver/lib/libcuda.so.1");
    EXPECT_EQ(chain(run.report), (V{"cuda", "vulkan", "cpu"}));
}

// --- WSL2: no PCI GPU at all; the host's GPU through /dev/dxg and /usr/lib/wsl/lib ----------------------------------

Fixture wsl() {
    Fixture f;
    f.os_release("ubuntu", "24.04", "Ubuntu 24.04.1 LTS")
        .kernel("5.15.167.4-microsoft-standard-WSL2")
        .file("/dev/dxg", "")
        .ld_cache("wsl.new")
        .library("/usr/lib/wsl/lib", "libcuda.so.1", "libcuda.so.1.1")
        .library("/usr/lib/x86_64-linux-gnu", "libvulkan.so.1", "libvulkan.so.1.3.275")
        .icd("/usr/share/vulkan/icd.d/dzn_icd.x86_64.json", "/usr/lib/x86_64-linux-gnu/libvulkan_dzn.so", "1.2.0");
    return f;
}

TEST(Distro, WslHasNoPciGpuButTheProbeProvesCuda) {
    const Fixture f = wsl();
    const auto run = detect_on(
        f, {},
        test::vulkan_ok({test::vk_device("Microsoft Direct3D12 (NVIDIA GeForce RTX 4070 Laptop GPU)", "discrete_gpu",
                                         0x10de, "1.2.0", 8 * GiB)}),
        test::cuda_ok(13000, {test::cuda_device("NVIDIA GeForce RTX 4070 Laptop GPU", 8, 9, 8 * GiB, "0000:01:00.0")}));
    const auto& r = run.report;
    EXPECT_TRUE(r.evidence.os.wsl);
    EXPECT_TRUE(r.evidence.os.wsl_gpu);
    EXPECT_TRUE(r.evidence.gpus.empty());
    EXPECT_EQ(r.evidence.library("libcuda.so.1")->source, "ld.so.cache");
    EXPECT_EQ(chain(r), (V{"cuda", "vulkan", "cpu"}));

    // Statically, WSL is not "no hardware": /dev/dxg is the GPU. Only the proof is missing.
    const auto s = sysroot_detect(f);
    EXPECT_EQ(reasons(s, Backend::cuda), (V{"unprobed"}));
    EXPECT_EQ(reasons(s, Backend::vulkan), (V{"unprobed"}));
}

TEST(Distro, WslDriverTooOldForCuda13IsSeenByTheProbe) {
    // No kernel module version on WSL: only cuDriverGetVersion can tell.
    const auto run = detect_on(wsl(), {}, std::nullopt,
                               test::cuda_ok(12080, {test::cuda_device("RTX 3050", 8, 6, 4 * GiB, "0000:01:00.0")}));
    EXPECT_EQ(reasons(run.report, Backend::cuda), (V{"driver_too_old"}));
    EXPECT_NE(detail(run.report, Backend::cuda, Reason::driver_too_old).find("CUDA 12.8"), std::string::npos);
}

// --- A container without GPU passthrough -------------------------------------------------------------------------

TEST(Distro, ContainerWithoutGpuPassthrough) {
    // sysfs and /proc/driver are the host's, so the GPU and its driver are visible; the device nodes and the
    // driver's libraries are what --gpus would have brought in.
    Fixture f;
    f.os_release("ubuntu", "22.04", "Ubuntu 22.04.5 LTS")
        .file("/.dockerenv", "")
        .pci("0000:3b:00.0", 0x10de, 0x2330, k3d, "nvidia")
        .nvidia_driver("580.65.06");
    const auto r = sysroot_detect(f);
    EXPECT_TRUE(r.evidence.os.container);
    EXPECT_EQ(reasons(r, Backend::cuda), (V{"library_missing", "driver_missing"}));
    EXPECT_NE(detail(r, Backend::cuda, Reason::library_missing).find("libcuda.so.1"), std::string::npos);
    EXPECT_NE(detail(r, Backend::cuda, Reason::driver_missing).find("--gpus"), std::string::npos);
    EXPECT_EQ(reasons(r, Backend::vulkan), (V{"library_missing", "driver_missing"}));  // no ICD either
    EXPECT_EQ(chain(r), (V{"cpu"}));
    // Real detection would not even start the probes: there is nothing to load.
    const auto run = detect_on(f, {}, std::nullopt, std::nullopt);
    EXPECT_TRUE(run.requests.empty());
    EXPECT_EQ(run.report.cuda.cause, "not run: libcuda.so.1 not found");
}

TEST(Distro, NvidiaGpuWithNoDriverAtAll) {
    Fixture f;
    f.os_release("debian", "12", "Debian GNU/Linux 12 (bookworm)")
        .pci("0000:01:00.0", 0x10de, 0x2684, kVga, std::nullopt);
    auto r = sysroot_detect(f);
    EXPECT_EQ(reasons(r, Backend::cuda), (V{"library_missing", "driver_missing"}));
    EXPECT_NE(detail(r, Backend::cuda, Reason::driver_missing).find("no kernel driver bound"), std::string::npos);
    EXPECT_FALSE(r.evidence.gpus[0].driver);

    Fixture n;
    n.pci("0000:01:00.0", 0x10de, 0x2684, kVga, "nouveau").module("nouveau");
    r = sysroot_detect(n);
    EXPECT_NE(detail(r, Backend::cuda, Reason::driver_missing).find("nouveau, which has no CUDA"), std::string::npos);
}

// --- Hybrid laptop: Intel iGPU + NVIDIA dGPU ------------------------------------------------------------------

TEST(Distro, HybridLaptopPrefersTheDiscreteGpu) {
    Fixture f;
    f.os_release("ubuntu", "24.04", "Ubuntu 24.04.2 LTS")
        .pci("0000:00:02.0", 0x8086, 0xa7a0, kVga, "i915", true)
        .pci("0000:01:00.0", 0x10de, 0x28e0, k3d, "nvidia")
        .module("i915")
        .nvidia_driver("580.82.07")
        .file("/dev/nvidiactl", "")
        .ld_cache("debian.new")
        .library("/usr/lib/x86_64-linux-gnu", "libcuda.so.1", "libcuda.so.580.82.07")
        .library("/usr/lib/x86_64-linux-gnu", "libnvidia-ml.so.1", "libnvidia-ml.so.580.82.07")
        .library("/usr/lib/x86_64-linux-gnu", "libvulkan.so.1", "libvulkan.so.1.4.313")
        .icd("/usr/share/vulkan/icd.d/intel_icd.x86_64.json", "/usr/lib/x86_64-linux-gnu/libvulkan_intel.so")
        .icd("/usr/share/vulkan/icd.d/nvidia_icd.json", "libGLX_nvidia.so.0");
    const auto run = detect_on(
        f, {},
        test::vulkan_ok({test::vk_device("Intel(R) Graphics (RPL-P)", "integrated_gpu", 0x8086, "1.4.305", 15 * GiB),
                         test::vk_device("NVIDIA GeForce RTX 4060 Laptop GPU", "discrete_gpu", 0x10de, "1.4.312",
                                         8 * GiB, 7 * GiB)}),
        test::cuda_ok(13000, {test::cuda_device("NVIDIA GeForce RTX 4060 Laptop GPU", 8, 9, 8 * GiB, "0000:01:00.0")}));
    const auto& r = run.report;
    ASSERT_EQ(r.evidence.gpus.size(), 2u);
    EXPECT_EQ(r.evidence.gpus[0].vendor_name, "intel");
    EXPECT_TRUE(r.evidence.gpus[0].integrated);
    EXPECT_TRUE(r.evidence.gpus[0].boot_vga);
    EXPECT_EQ(r.evidence.gpus[1].vendor_name, "nvidia");
    EXPECT_FALSE(r.evidence.gpus[1].integrated);
    EXPECT_EQ(chain(r), (V{"cuda", "vulkan", "cpu"}));
    // The iGPU has more "device-local" memory (it is system RAM), but the discrete card is the one to use.
    EXPECT_EQ(r.verdict(Backend::vulkan)->device_memory_bytes, 8 * GiB);
}

// --- AMD only -------------------------------------------------------------------------------------------------

TEST(Distro, AmdOnlyRunsVulkan) {
    Fixture f;
    f.os_release("ubuntu", "24.04", "Ubuntu 24.04.2 LTS")
        .pci("0000:03:00.0", 0x1002, 0x747e, kVga, "amdgpu", true)
        .pci_vram("0000:03:00.0", 16 * GiB)
        .module("amdgpu")
        .library("/usr/lib/x86_64-linux-gnu", "libvulkan.so.1", "libvulkan.so.1.3.275")
        .icd("/usr/share/vulkan/icd.d/radeon_icd.x86_64.json", "/usr/lib/x86_64-linux-gnu/libvulkan_radeon.so");
    const auto run = detect_on(f, {},
                               test::vulkan_ok({test::vk_device("AMD Radeon RX 7800 XT (RADV NAVI32)", "discrete_gpu",
                                                                0x1002, "1.3.274", 16 * GiB, 15 * GiB)}),
                               std::nullopt);
    const auto& r = run.report;
    ASSERT_EQ(r.evidence.gpus.size(), 1u);
    EXPECT_EQ(r.evidence.gpus[0].vendor_name, "amd");
    EXPECT_FALSE(r.evidence.gpus[0].integrated);
    EXPECT_EQ(r.evidence.gpus[0].vram_bytes, 16 * GiB);
    EXPECT_EQ(r.evidence.library("libvulkan.so.1")->source, "Debian/Ubuntu multiarch");  // no cache: the table
    EXPECT_EQ(reasons(r, Backend::cuda), (V{"library_missing", "no_hardware"}));
    EXPECT_TRUE(r.verdict(Backend::vulkan)->viable);
    EXPECT_EQ(chain(r), (V{"vulkan", "cpu"}));
    ASSERT_EQ(run.requests.size(), 1u);  // nothing to probe for CUDA
}

TEST(Distro, AStaleCacheEntryIsNotALibrary) {
    Fixture f;
    f.ld_cache("debian.new").library("/usr/lib/x86_64-linux-gnu", "libvulkan.so.1", "libvulkan.so.1.4.313");
    const auto r = sysroot_detect(f);  // the cache lists libcuda.so.1, but the driver was removed
    const auto* cuda = r.evidence.library("libcuda.so.1");
    EXPECT_FALSE(cuda->path);
    ASSERT_EQ(cuda->notes.size(), 1u);
    EXPECT_NE(cuda->notes[0].find("run ldconfig"), std::string::npos);
    EXPECT_NE(detail(r, Backend::cuda, Reason::library_missing).find("run ldconfig"), std::string::npos);
    EXPECT_TRUE(r.evidence.library("libvulkan.so.1")->path);
}

TEST(Distro, AmdApuIsIntegrated) {
    Fixture f;
    f.pci("0000:c4:00.0", 0x1002, 0x15bf, kVga, "amdgpu", true).pci_vram("0000:c4:00.0", 512 << 20);
    const auto r = sysroot_detect(f);
    EXPECT_TRUE(r.evidence.gpus[0].integrated);
}

// --- No GPU: a server with a BMC's VGA, and lavapipe installed ------------------------------------------------------

TEST(Distro, NoGpuOnlyTheBmcAndLavapipe) {
    Fixture f;
    f.os_release("debian", "12", "Debian GNU/Linux 12 (bookworm)")
        .pci("0000:02:00.0", 0x1a03, 0x2000, kVga, "ast", true)
        .library("/usr/lib/x86_64-linux-gnu", "libvulkan.so.1", "libvulkan.so.1.3.239")
        .icd("/usr/share/vulkan/icd.d/lvp_icd.x86_64.json", "/usr/lib/x86_64-linux-gnu/libvulkan_lvp.so", "1.3.230");
    const auto run = detect_on(
        f, {},
        test::vulkan_ok({test::vk_device("llvmpipe (LLVM 15.0.6, 256 bits)", "cpu", 0x10005, "1.3.230", 2 * GiB)}),
        std::nullopt);
    const auto& r = run.report;
    EXPECT_EQ(r.evidence.gpus.size(), 1u);
    EXPECT_EQ(r.evidence.gpus[0].vendor_name, "aspeed");
    EXPECT_EQ(reasons(r, Backend::vulkan), (V{"software_device_only", "no_hardware"}));
    EXPECT_NE(detail(r, Backend::vulkan, Reason::no_hardware).find("aspeed"), std::string::npos);
    EXPECT_EQ(reasons(r, Backend::cuda), (V{"library_missing", "no_hardware"}));
    EXPECT_EQ(chain(r), (V{"cpu"}));
    EXPECT_TRUE(r.evidence.vulkan.icds[0].software);
}

TEST(Distro, EmptyMachine) {
    Fixture f;
    const auto r = sysroot_detect(f);
    EXPECT_TRUE(r.evidence.gpus.empty());
    EXPECT_TRUE(r.evidence.drivers.empty());
    EXPECT_EQ(reasons(r, Backend::cuda), (V{"library_missing", "no_hardware"}));
    EXPECT_EQ(reasons(r, Backend::vulkan), (V{"library_missing", "no_hardware"}));
    EXPECT_EQ(chain(r), (V{"cpu"}));
}

// --- Policy is data: the manifest's order and requirements are honoured --------------------------------------

TEST(Policy, PreferOrderAndRequirementsComeFromThePolicy) {
    const Fixture f = debian();
    auto policy = builtin_linux_policy();
    policy.prefer = {Backend::vulkan, Backend::cuda, Backend::cpu};
    policy.requirements[Backend::vulkan].vulkan_api = "1.5";
    DetectOptions o;
    o.system = f.system();
    o.probe_runner =
        test::canned_probes(test::vulkan_ok({test::vk_device("RTX", "discrete_gpu", 0x10de, "1.4.312", 24 * GiB)}),
                            test::cuda_ok(13000, {test::cuda_device("RTX", 8, 9, 24 * GiB, "0000:01:00.0")}));
    auto r = detect(policy, o);
    EXPECT_EQ(chain(r), (V{"cuda", "cpu"}));
    EXPECT_EQ(reasons(r, Backend::vulkan), (V{"driver_too_old"}));
    policy.requirements[Backend::vulkan].vulkan_api = "1.2";
    r = detect(policy, o);
    EXPECT_EQ(chain(r), (V{"vulkan", "cuda", "cpu"}));
}

}  // namespace
