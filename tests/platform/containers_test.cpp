// Containers, sandboxes and shared machines on fixture systems: the threads the server gets (affinity mask, cgroup
// CPU quota, SMT siblings), the memory the model choice gets (memory cgroups of v1 and v2, up to the root), and
// the driver folders of Flatpak and Snap — each with its verdicts, chain, thread count and model choice.
#include <gtest/gtest.h>

#include "manifest/manifest.h"
#include "platform/cgroup.h"
#include "platform/detect.h"
#include "platform/fixture.h"
#include "resolve/model_choice.h"

using namespace tsuku;
using namespace tsuku::platform;
using namespace tsuku::test;  // Fixture, chain, reasons, canned probe outcomes

namespace {

constexpr uint64_t MiB = uint64_t{1} << 20;
constexpr uint32_t kVga = 0x030000;
const std::string kMultiarch = "/usr/lib/x86_64-linux-gnu";

struct Run {
    DetectionReport report;
    std::vector<ProbeRequest> requests;
};

Run detect_on(const Fixture& f, std::map<std::string, std::string> env, std::optional<ProbeOutcome> vulkan,
              std::optional<ProbeOutcome> cuda, std::optional<std::vector<int>> affinity = std::nullopt) {
    Run run;
    DetectOptions o;
    o.system = f.system(std::move(env));
    if (affinity) o.system.affinity = [affinity] { return affinity; };
    o.probe_runner = test::canned_probes(std::move(vulkan), std::move(cuda), &run.requests);
    run.report = detect(builtin_linux_policy(), o);
    return run;
}

DetectionReport sysroot_detect(const Fixture& f, std::optional<std::vector<int>> affinity = std::nullopt,
                               std::map<std::string, std::string> env = {}) {
    DetectOptions o;
    o.system = f.system(std::move(env));
    if (affinity) o.system.affinity = [affinity] { return affinity; };
    return detect(builtin_linux_policy(), o);
}

// The release's real models, every one downloaded: the choice depends on memory alone.
std::string model_for(const DetectionReport& r, Backend b) {
    const auto c = resolve::choose_model(
        manifest::embedded_manifest(), resolve::memory_budget(b, r), {"auto"}, [](const auto&) { return true; },
        "/models");
    return c.model->name;
}

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

using V = std::vector<std::string>;
const std::string k3b = "qwen2.5-3b-instruct-q4_k_m", k1_5b = "qwen2.5-1.5b-instruct-q4_k_m",
                  k0_5b = "qwen2.5-0.5b-instruct-q4_k_m", kTiny = "tsuku-synthetic-tiny-q8_0";

}  // namespace

// --- Parsers -----------------------------------------------------------------------------------------------------

TEST(CpuList, ParsesAndFormatsKernelLists) {
    EXPECT_EQ(parse_cpu_list("0-3,8,10-11\n"), (std::vector<int>{0, 1, 2, 3, 8, 10, 11}));
    EXPECT_EQ(parse_cpu_list("5"), (std::vector<int>{5}));
    EXPECT_EQ(parse_cpu_list(""), (std::vector<int>{}));
    EXPECT_EQ(parse_cpu_list("3-1"), std::nullopt);
    EXPECT_EQ(parse_cpu_list("a"), std::nullopt);
    EXPECT_EQ(format_cpu_list({0, 1, 2, 3, 8, 10, 11}), "0-3,8,10-11");
}

// --- Threads ----------------------------------------------------------------------------------------------------

TEST(Threads, AffinityMaskOfOneCpuGivesOneThread) {
    Fixture f;
    f.cpus(4, false).meminfo(16 << 20, 12 << 20);
    const auto r = sysroot_detect(f, std::vector<int>{0});
    EXPECT_EQ(r.evidence.cpu.threads, 1);
    EXPECT_EQ(r.evidence.cpu.why, "1: affinity allows CPU 0 (of 4 online)");
    EXPECT_EQ(chain(r), (V{"cpu"}));
    EXPECT_EQ(model_for(r, Backend::cpu), k3b);  // a pinned CPU is no memory limit
}

TEST(Threads, WithoutAProviderAFixtureReadsCpusAllowedList) {
    Fixture f;
    f.cpus(8, false).file("/proc/self/status", "Name:\ttsuku\nCpus_allowed:\t0c\nCpus_allowed_list:\t2-3\n");
    const auto cpu = cpu_budget(f.system());
    EXPECT_EQ(cpu.allowed, (std::vector<int>{2, 3}));
    EXPECT_EQ(cpu.threads, 2);
    EXPECT_EQ(cpu.why, "2: affinity allows CPUs 2-3 (of 8 online)");
}

TEST(Threads, SmtSiblingsCountAsOneCore) {
    Fixture f;
    f.cpus(8, true);  // 4 cores, siblings n and n+4
    auto cpu = sysroot_detect(f).evidence.cpu;
    EXPECT_EQ(cpu.physical_cores, 4);
    EXPECT_EQ(cpu.threads, 4);
    EXPECT_TRUE(has(cpu.why, "8 CPUs, all allowed")) << cpu.why;
    EXPECT_TRUE(has(cpu.why, "4 physical cores")) << cpu.why;
    // Two siblings of one core: one thread. Two CPUs of different cores: two.
    EXPECT_EQ(sysroot_detect(f, std::vector<int>{0, 4}).evidence.cpu.threads, 1);
    EXPECT_EQ(sysroot_detect(f, std::vector<int>{0, 1}).evidence.cpu.threads, 2);
}

TEST(Threads, CgroupV2QuotaCapsTheCount) {
    Fixture f;
    f.cpus(8, false).cgroup_v2("/system.slice/docker-1f2e.scope");
    f.cgroup_file("/sys/fs/cgroup/system.slice/docker-1f2e.scope/cpu.max", "150000 100000");  // docker --cpus 1.5
    f.cgroup_file("/sys/fs/cgroup/system.slice/cpu.max", "max 100000");
    auto cpu = sysroot_detect(f).evidence.cpu;
    EXPECT_EQ(cpu.quota_cpus, 1.5);
    EXPECT_EQ(cpu.threads, 1);
    EXPECT_TRUE(has(cpu.why, "cgroup CPU quota of 1.5 CPUs")) << cpu.why;
    EXPECT_TRUE(has(cpu.why, "/sys/fs/cgroup/system.slice/docker-1f2e.scope")) << cpu.why;

    // A tighter quota on an ancestor (a Kubernetes pod around its container) applies too.
    f.cgroup_file("/sys/fs/cgroup/system.slice/docker-1f2e.scope/cpu.max", "600000 100000");
    f.cgroup_file("/sys/fs/cgroup/system.slice/cpu.max", "300000 100000");
    cpu = sysroot_detect(f).evidence.cpu;
    EXPECT_EQ(cpu.threads, 3);
    EXPECT_TRUE(has(cpu.quota_source, "in /sys/fs/cgroup/system.slice")) << cpu.quota_source;
}

TEST(Threads, CgroupV1QuotaInAContainerThatSeesItsOwnSubtree) {
    Fixture f;
    f.cpus(16, true).cgroup_v1("/docker/8b1c", "/docker/8b1c");  // the container's group is its mount's root
    f.cgroup_file("/sys/fs/cgroup/cpu,cpuacct/cpu.cfs_quota_us", "200000");
    f.cgroup_file("/sys/fs/cgroup/cpu,cpuacct/cpu.cfs_period_us", "100000");
    auto cpu = sysroot_detect(f).evidence.cpu;
    EXPECT_EQ(cpu.threads, 2);
    EXPECT_TRUE(has(cpu.why, "8 physical cores")) << cpu.why;
    EXPECT_TRUE(has(cpu.why, "cpu.cfs_quota_us 200000")) << cpu.why;
    f.cgroup_file("/sys/fs/cgroup/cpu,cpuacct/cpu.cfs_quota_us", "-1");  // no quota
    EXPECT_EQ(sysroot_detect(f).evidence.cpu.threads, 8);
}

TEST(Threads, ConfiguredCountWinsAndSaysSo) {
    Fixture f;
    f.cpus(4, false);
    const auto cpu = configured_threads(sysroot_detect(f, std::vector<int>{0}).evidence.cpu, 3, "llm.threads");
    EXPECT_EQ(cpu.threads, 3);
    EXPECT_EQ(cpu.why, "3: llm.threads (detection would use 1)");
}

// --- Memory -----------------------------------------------------------------------------------------------------

TEST(Memory, CgroupV2LimitBelowMemAvailableDecidesTheModel) {
    Fixture f;
    f.meminfo(32 << 20, 23 << 20).cpus(4, false).cgroup_v2("/user.slice/user-1000.slice/tsuku.scope");
    const std::string g = "/sys/fs/cgroup/user.slice/user-1000.slice/tsuku.scope";
    f.cgroup_file(g + "/memory.max", std::to_string(GiB));
    f.cgroup_file(g + "/memory.current", std::to_string(200 * MiB));
    f.cgroup_file(g + "/memory.stat", "anon 104857600\nfile 104857600\ninactive_file " + std::to_string(100 * MiB));
    f.cgroup_file("/sys/fs/cgroup/user.slice/user-1000.slice/memory.max", "max");
    auto r = sysroot_detect(f);
    const auto& m = r.evidence.memory_room;
    EXPECT_EQ(m.cgroup_version, 2);
    ASSERT_EQ(m.limits.size(), 1u);
    EXPECT_EQ(m.limits[0].usage_bytes, 100 * MiB) << "inactive page cache is reclaimable, not in use";
    EXPECT_EQ(m.usable_bytes, GiB - 100 * MiB);
    EXPECT_EQ(m.limited_by, "cgroup " + g + " (memory.max 1.0 GiB, 100 MiB in use)");
    // 23 GiB of MemAvailable would take the 3B model; the group leaves room for the synthetic one only.
    EXPECT_EQ(model_for(r, Backend::cpu), kTiny);
    EXPECT_TRUE(has(resolve::memory_budget(Backend::cpu, r).source, g));
    EXPECT_TRUE(has(to_text(r), "limited by cgroup " + g)) << to_text(r);
    EXPECT_EQ(to_json(r)["system"]["memory"]["usable_bytes"], GiB - 100 * MiB);

    // Without the limit, MemAvailable decides.
    f.cgroup_file(g + "/memory.max", "max");
    r = sysroot_detect(f);
    EXPECT_EQ(r.evidence.memory_room.limited_by, "MemAvailable");
    EXPECT_EQ(model_for(r, Backend::cpu), k3b);
}

TEST(Memory, AnAncestorsLimitAndMemoryHighCountToo) {
    Fixture f;
    f.meminfo(64 << 20, 60 << 20).cgroup_v2("/kubepods.slice/pod-a/ctr");
    f.cgroup_file("/sys/fs/cgroup/kubepods.slice/pod-a/ctr/memory.max", std::to_string(8 * GiB));
    f.cgroup_file("/sys/fs/cgroup/kubepods.slice/pod-a/ctr/memory.current", "0");
    f.cgroup_file("/sys/fs/cgroup/kubepods.slice/pod-a/memory.max", std::to_string(4 * GiB));
    f.cgroup_file("/sys/fs/cgroup/kubepods.slice/pod-a/memory.high", std::to_string(2 * GiB));
    f.cgroup_file("/sys/fs/cgroup/kubepods.slice/pod-a/memory.current", "0");
    const auto r = sysroot_detect(f);
    EXPECT_EQ(r.evidence.memory_room.limits.size(), 2u);
    EXPECT_EQ(r.evidence.memory_room.usable_bytes, 2 * GiB);
    EXPECT_TRUE(has(r.evidence.memory_room.limited_by, "pod-a (memory.high 2.0 GiB"))
        << r.evidence.memory_room.limited_by;
    EXPECT_EQ(model_for(r, Backend::cpu), k1_5b);
}

TEST(Memory, CgroupV1ContainerLimit) {
    Fixture f;
    f.meminfo(32 << 20, 30 << 20).cgroup_v1("/docker/8b1c", "/docker/8b1c");
    f.cgroup_file("/sys/fs/cgroup/memory/memory.limit_in_bytes", std::to_string(3 * GiB / 2));  // --memory 1.5g
    f.cgroup_file("/sys/fs/cgroup/memory/memory.usage_in_bytes", std::to_string(64 * MiB));
    f.cgroup_file("/sys/fs/cgroup/memory/memory.stat", "cache 0\ntotal_inactive_file 0\n");
    auto r = sysroot_detect(f);
    EXPECT_EQ(r.evidence.memory_room.cgroup_version, 1);
    EXPECT_EQ(r.evidence.memory_room.usable_bytes, 3 * GiB / 2 - 64 * MiB);
    EXPECT_EQ(r.evidence.memory_room.limited_by,
              "cgroup /sys/fs/cgroup/memory (memory.limit_in_bytes 1.5 GiB, 64 MiB in use)");
    EXPECT_EQ(model_for(r, Backend::cpu), k0_5b);
    // v1's "no limit" is a huge number, not a limit.
    f.cgroup_file("/sys/fs/cgroup/memory/memory.limit_in_bytes", "9223372036854771712");
    r = sysroot_detect(f);
    EXPECT_TRUE(r.evidence.memory_room.limits.empty());
    EXPECT_EQ(model_for(r, Backend::cpu), k3b);
}

TEST(Memory, AGpuWithKnownMemoryIsNotLimitedByTheHostsGroup) {
    Fixture f;
    f.meminfo(32 << 20, 30 << 20).cgroup_v2("/ctr");
    f.cgroup_file("/sys/fs/cgroup/ctr/memory.max", std::to_string(GiB));
    f.cgroup_file("/sys/fs/cgroup/ctr/memory.current", "0");
    f.library(kMultiarch, "libvulkan.so.1", "libvulkan.so.1.4.313")
        .pci("0000:03:00.0", 0x1002, 0x747e, kVga, "amdgpu", true)
        .module("amdgpu")
        .icd("/usr/share/vulkan/icd.d/radeon_icd.x86_64.json", kMultiarch + "/libvulkan_radeon.so");
    const auto run = detect_on(f, {},
                               test::vulkan_ok({test::vk_device("AMD Radeon RX 7800 XT (RADV NAVI32)", "discrete_gpu",
                                                                0x1002, "1.3.274", 16 * GiB, 15 * GiB)}),
                               std::nullopt);
    EXPECT_EQ(chain(run.report), (V{"vulkan", "cpu"}));
    EXPECT_EQ(model_for(run.report, Backend::vulkan), k3b);  // 15 GiB of VRAM free
    EXPECT_EQ(model_for(run.report, Backend::cpu), kTiny);   // the fallback gets what the group leaves
}

// --- Flatpak: the NVIDIA driver as a GL extension ---------------------------------------------------------------

Fixture flatpak(bool devices = true) {
    Fixture f;
    const std::string ext = kMultiarch + "/GL/nvidia-580-82-07/lib";
    f.file("/.flatpak-info",
           "[Application]\nname=org.example.Tsuku\nruntime=runtime/org.freedesktop.Platform/"
           "x86_64/24.08\n\n[Instance]\nflatpak-version=1.14.10\n")
        .os_release("org.freedesktop.platform", "24.08", "Freedesktop SDK 24.08 (Flatpak runtime)")
        .kernel("6.12.41-1-lts")
        .pci("0000:01:00.0", 0x10de, 0x2684, kVga, "nvidia", true)
        .nvidia_driver("580.82.07")
        .meminfo(32 << 20, 24 << 20)
        .cpus(16, true)
        .library(kMultiarch, "libvulkan.so.1", "libvulkan.so.1.3.290")  // the runtime's loader
        .library(ext, "libcuda.so.1", "libcuda.so.580.82.07")
        .library(ext, "libnvidia-ml.so.1", "libnvidia-ml.so.580.82.07")
        .library(ext, "libGLX_nvidia.so.0", "libGLX_nvidia.so.580.82.07")
        .icd(kMultiarch + "/GL/vulkan/icd.d/nvidia_icd.json", "libGLX_nvidia.so.0", "1.4.312");
    if (devices) f.file("/dev/nvidiactl", "");
    return f;
}

TEST(Flatpak, NvidiaGlExtensionIsFoundAndPutOnTheLibraryPath) {
    const Fixture f = flatpak();
    const std::map<std::string, std::string> env{{"LD_LIBRARY_PATH", "/app/lib"},
                                                 {"XDG_DATA_DIRS", "/app/share:/usr/share:/usr/share/runtime/share"}};
    const auto run = detect_on(
        f, env,
        test::vulkan_ok(
            {test::vk_device("NVIDIA GeForce RTX 4090", "discrete_gpu", 0x10de, "1.4.312", 24 * GiB, 22 * GiB)}),
        test::cuda_ok(13000, {test::cuda_device("NVIDIA GeForce RTX 4090", 8, 9, 24 * GiB, "0000:01:00.0")}));
    const auto& r = run.report;
    const auto& e = r.evidence;
    EXPECT_EQ(e.os.sandbox.kind, "flatpak");
    EXPECT_EQ(e.os.sandbox.name, "org.example.Tsuku");
    EXPECT_FALSE(e.os.container);
    EXPECT_TRUE(has(to_text(r), "Flatpak sandbox (org.example.Tsuku) [/.flatpak-info]")) << to_text(r);

    const std::string ext = kMultiarch + "/GL/nvidia-580-82-07/lib";
    const auto* cuda = e.library("libcuda.so.1");
    EXPECT_EQ(cuda->path, ext + "/libcuda.so.1");
    EXPECT_EQ(cuda->source, "Flatpak NVIDIA GL extension");
    EXPECT_FALSE(cuda->loader_visible);
    EXPECT_EQ(cuda->file_version, "580.82.07");
    // The merged manifest folder is searched, as the runtime's own loader does.
    ASSERT_EQ(e.vulkan.icds.size(), 1u);
    EXPECT_EQ(e.vulkan.icds[0].manifest, kMultiarch + "/GL/vulkan/icd.d/nvidia_icd.json");

    // What loads is what was found: the extension on the library path, the GL folder on XDG_DATA_DIRS.
    EXPECT_EQ(e.launch_library_dirs, (V{ext}));
    EXPECT_EQ(e.launch_data_dirs, (V{kMultiarch + "/GL"}));
    std::vector<std::pair<std::string, std::string>> launch{{"GGML_X", "1"}};
    add_launch_environment(launch, e, f.system(env).env);
    EXPECT_EQ(launch, (std::vector<std::pair<std::string, std::string>>{
                          {"GGML_X", "1"},
                          {"LD_LIBRARY_PATH", "/app/lib:" + ext},
                          {"XDG_DATA_DIRS", "/app/share:/usr/share:/usr/share/runtime/share:" + kMultiarch + "/GL"}}));
    ASSERT_EQ(run.requests.size(), 2u);
    EXPECT_EQ(run.requests[1].library, ext + "/libcuda.so.1");  // not visible by name: loaded by path

    EXPECT_TRUE(r.verdict(Backend::cuda)->viable);
    EXPECT_TRUE(r.verdict(Backend::vulkan)->viable);
    EXPECT_EQ(chain(r), (V{"cuda", "vulkan", "cpu"}));
    EXPECT_EQ(e.cpu.threads, 8);  // 16 CPUs, 8 cores
    EXPECT_EQ(model_for(r, Backend::cuda), k3b);
}

TEST(Flatpak, WithoutDeviceAccessTheFixNamesTheOverride) {
    const auto r = sysroot_detect(flatpak(/*devices=*/false));
    EXPECT_EQ(reasons(r, Backend::cuda), (V{"driver_missing"}));
    EXPECT_TRUE(has(r.verdict(Backend::cuda)->reasons[0].detail,
                    "flatpak override --user --device=all "
                    "org.example.Tsuku"));
    EXPECT_EQ(chain(r), (V{"cpu"}));
}

// --- Snap: the host's driver under /var/lib/snapd/lib ------------------------------------------------------------

TEST(Snap, HostDriverIsFoundAndPutOnTheLibraryPath) {
    Fixture f;
    f.os_release("ubuntu", "24.04", "Ubuntu 24.04.2 LTS")  // the snap's base
        .pci("0000:2b:00.0", 0x10de, 0x2786, kVga, "nvidia", true)
        .nvidia_driver("580.65.06", true)
        .file("/dev/nvidiactl", "")
        .meminfo(16 << 20, 10 << 20)
        .cpus(8, false)
        .cgroup_v2("/user.slice/user-1000.slice/user@1000.service/app.slice/snap.tsuku.tsuku-1234.scope")
        .library(kMultiarch, "libvulkan.so.1", "libvulkan.so.1.3.275")
        .library("/var/lib/snapd/lib/gl", "libcuda.so.1", "libcuda.so.580.65.06")
        .library("/var/lib/snapd/lib/gl", "libnvidia-ml.so.1", "libnvidia-ml.so.580.65.06")
        .library("/var/lib/snapd/lib/gl", "libGLX_nvidia.so.0", "libGLX_nvidia.so.580.65.06")
        .icd("/var/lib/snapd/lib/vulkan/icd.d/nvidia_icd.json", "libGLX_nvidia.so.0", "1.4.312");
    const std::map<std::string, std::string> env{{"SNAP_NAME", "tsuku"}, {"SNAP", "/snap/tsuku/12"}};
    const auto run = detect_on(
        f, env,
        test::vulkan_ok({test::vk_device("NVIDIA GeForce RTX 4070", "discrete_gpu", 0x10de, "1.4.312", 12 * GiB)}),
        test::cuda_ok(13000, {test::cuda_device("NVIDIA GeForce RTX 4070", 8, 9, 12 * GiB, "0000:2b:00.0")}),
        std::vector<int>{0, 1, 2, 3});
    const auto& r = run.report;
    const auto& e = r.evidence;
    EXPECT_EQ(e.os.sandbox.kind, "snap");
    EXPECT_EQ(sandbox_label(e.os.sandbox), "Snap (tsuku) [$SNAP_NAME]");
    EXPECT_EQ(e.library("libcuda.so.1")->source, "Snap host driver");
    ASSERT_EQ(e.vulkan.icds.size(), 1u);
    EXPECT_EQ(e.vulkan.icds[0].manifest, "/var/lib/snapd/lib/vulkan/icd.d/nvidia_icd.json");
    EXPECT_EQ(e.launch_library_dirs, (V{"/var/lib/snapd/lib/gl"}));
    EXPECT_EQ(e.launch_data_dirs, (V{"/var/lib/snapd/lib"}));
    std::vector<std::pair<std::string, std::string>> launch;
    add_launch_environment(launch, e, f.system(env).env);  // XDG_DATA_DIRS unset: its defaults stay
    EXPECT_EQ(launch, (std::vector<std::pair<std::string, std::string>>{
                          {"LD_LIBRARY_PATH", "/var/lib/snapd/lib/gl"},
                          {"XDG_DATA_DIRS", "/usr/local/share:/usr/share:/var/lib/snapd/lib"}}));
    EXPECT_EQ(chain(r), (V{"cuda", "vulkan", "cpu"}));
    EXPECT_EQ(e.cpu.threads, 4);
    EXPECT_EQ(e.cpu.why, "4: affinity allows CPUs 0-3 (of 8 online)");
    EXPECT_EQ(model_for(r, Backend::cuda), k3b);
    EXPECT_EQ(model_for(r, Backend::cpu), k3b);  // no memory limit in the snap's scope
}

TEST(Snap, OutsideASnapItsFoldersAreNotSearchedForManifests) {
    Fixture f;
    f.icd("/var/lib/snapd/lib/vulkan/icd.d/nvidia_icd.json", "libGLX_nvidia.so.0");
    const auto r = sysroot_detect(f);
    EXPECT_TRUE(r.evidence.os.sandbox.kind.empty());
    EXPECT_TRUE(r.evidence.vulkan.icds.empty()) << "the host's own loader does not look there";
    EXPECT_TRUE(r.evidence.launch_data_dirs.empty());
}

// --- Toolbox, Distrobox, LXC ------------------------------------------------------------------------------------

TEST(Containers, ToolboxDistroboxAndLxcAreNamed) {
    Fixture toolbox;
    toolbox.file("/run/.containerenv", "engine=\"podman-5.2.2\"\nname=\"fedora-toolbox-42\"\n")
        .file("/run/.toolboxenv", "");
    EXPECT_EQ(sysroot_detect(toolbox).evidence.os.sandbox.kind, "toolbox");
    EXPECT_TRUE(sysroot_detect(toolbox).evidence.os.container);

    Fixture distrobox;
    distrobox.file("/run/.containerenv", "");
    const auto d = sysroot_detect(distrobox, std::nullopt, {{"CONTAINER_ID", "arch"}});
    EXPECT_EQ(d.evidence.os.sandbox.kind, "distrobox");
    EXPECT_EQ(sandbox_label(d.evidence.os.sandbox), "Distrobox container (arch) [$CONTAINER_ID]");
    EXPECT_EQ(sysroot_detect(distrobox).evidence.os.sandbox.kind, "podman");
}

TEST(Containers, LxcWithAPassedThroughGpuRunsCuda) {
    Fixture f;
    f.os_release("debian", "12", "Debian GNU/Linux 12 (bookworm)")
        .file("/run/systemd/container", "lxc\n")
        .pci("0000:01:00.0", 0x10de, 0x2684, kVga, "nvidia", true)
        .nvidia_driver("580.82.07")
        .file("/dev/nvidiactl", "")
        .ld_cache("debian.new")
        .library(kMultiarch, "libcuda.so.1", "libcuda.so.580.82.07")
        .library(kMultiarch, "libvulkan.so.1", "libvulkan.so.1.4.313")
        .cpus(32, true)
        .cgroup_v2("/")
        .cgroup_file("/sys/fs/cgroup/cpu.max", "400000 100000")  // limits.cpu=4
        .cgroup_file("/sys/fs/cgroup/memory.max", std::to_string(2 * GiB))
        .cgroup_file("/sys/fs/cgroup/memory.current", std::to_string(512 * MiB))
        .meminfo(128 << 20, 120 << 20);  // LXC without lxcfs shows the host's meminfo
    const auto run =
        detect_on(f, {}, std::nullopt,
                  test::cuda_ok(13000, {test::cuda_device("NVIDIA GeForce RTX 4090", 8, 9, 24 * GiB, "0000:01:00.0")}));
    const auto& r = run.report;
    EXPECT_EQ(r.evidence.os.sandbox.kind, "lxc");
    EXPECT_TRUE(r.evidence.os.container);
    EXPECT_TRUE(has(to_text(r), "LXC container [/run/systemd/container]"));
    EXPECT_TRUE(r.verdict(Backend::cuda)->viable);
    EXPECT_EQ(chain(r), (V{"cuda", "cpu"}));
    EXPECT_EQ(r.evidence.cpu.threads, 4);
    EXPECT_EQ(r.evidence.memory_room.usable_bytes, 2 * GiB - 512 * MiB);
    EXPECT_EQ(model_for(r, Backend::cuda), k3b);
    EXPECT_EQ(model_for(r, Backend::cpu), k0_5b);  // 1.5 GiB of room, not 120 GiB
}
