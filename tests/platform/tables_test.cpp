// Tables and small parsers of the platform layer: versions, NVIDIA's driver table, reasons, probe results.
#include <gtest/gtest.h>

#include <set>

#include "common/reasons.h"
#include "platform/dotted_version.h"
#include "platform/kernel_drivers.h"
#include "platform/nvidia_driver_table.h"
#include "platform/pci.h"
#include "platform/probe_runner.h"
#include "platform/requirements.h"
#include "platform/vulkan_probe.h"

using namespace tsuku;
using namespace tsuku::platform;

namespace {
DottedVersion v(std::string_view s) { return *DottedVersion::parse(s); }
}  // namespace

TEST(DottedVersion, ParsesAndCompares) {
    EXPECT_EQ(v("580.65.06"), v("580.65.6"));
    EXPECT_EQ(v("13"), v("13.0"));
    EXPECT_LT(v("12.9"), v("13.0"));
    EXPECT_LT(v("525.60.12"), v("525.60.13"));
    EXPECT_GT(v("1.3.230"), v("1.2"));
    EXPECT_EQ(v("1.3.230").str(), "1.3.230");
    for (const char* bad : {"", ".", "1.", ".1", "1..2", "a.b", "1.2b", "-1", "1234567890"}) {
        EXPECT_FALSE(DottedVersion::parse(bad)) << bad;
    }
}

TEST(NvidiaDriverTable, MapsCudaToTheMinimumDriverAndBack) {
    for (size_t i = 1; i < kCudaMinimumDrivers.size(); ++i) {
        EXPECT_LT(v(kCudaMinimumDrivers[i - 1].cuda), v(kCudaMinimumDrivers[i].cuda));
        EXPECT_LT(v(kCudaMinimumDrivers[i - 1].min_driver), v(kCudaMinimumDrivers[i].min_driver));
    }
    EXPECT_EQ(minimum_driver_for_cuda(v("13.0")), v("580.65.06"));
    EXPECT_EQ(minimum_driver_for_cuda(v("12.0")), v("525.60.13"));
    EXPECT_EQ(minimum_driver_for_cuda(v("12.7")), v("570.26"));  // no 12.7 release: the next row decides
    EXPECT_FALSE(minimum_driver_for_cuda(v("99.0")));
    EXPECT_EQ(max_cuda_for_driver(v("580.65.06")), v("13.0"));
    EXPECT_EQ(max_cuda_for_driver(v("580.65.05")), v("12.9"));
    EXPECT_EQ(max_cuda_for_driver(v("535.247.01")), v("12.2"));
    EXPECT_EQ(max_cuda_for_driver(v("525.60.12")), v("11.8"));
    EXPECT_FALSE(max_cuda_for_driver(v("390.157")));
    EXPECT_EQ(cuda_version_from_int(13000), v("13.0"));
    EXPECT_EQ(cuda_version_from_int(12040), v("12.4"));
}

TEST(KernelDrivers, ReadsBothNvidiaModuleWordings) {
    EXPECT_EQ(parse_nvidia_proc_version(
                  "NVRM version: NVIDIA UNIX x86_64 Kernel Module  535.247.01  Thu Apr 17 19:36:15 UTC 2025\n"),
              "535.247.01");
    EXPECT_EQ(parse_nvidia_proc_version("NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  580.65.06  Release "
                                        "Build  (dvs-builder@U16-I3-B03-4-3)  Sun Jul 27 06:54:38 UTC 2025\n"),
              "580.65.06");
    EXPECT_FALSE(parse_nvidia_proc_version("garbage"));
    EXPECT_FALSE(parse_nvidia_proc_version(""));
}

TEST(Pci, DisplayClassesAndVendors) {
    EXPECT_TRUE(is_display_class(0x030000));
    EXPECT_TRUE(is_display_class(0x030200));
    EXPECT_TRUE(is_display_class(0x038000));
    EXPECT_FALSE(is_display_class(0x040300));  // audio (the GPU's HDMI function)
    EXPECT_FALSE(is_display_class(0x060400));
    EXPECT_EQ(vendor_name(0x10de), "nvidia");
    EXPECT_EQ(vendor_name(0x1002), "amd");
    EXPECT_EQ(vendor_name(0x8086), "intel");
    EXPECT_EQ(vendor_name(0xabcd), "unknown");
}

TEST(Reasons, OneClosedTable) {
    std::set<std::string_view> codes;
    for (const auto& r : kReasons) {
        EXPECT_TRUE(codes.insert(r.code).second) << r.code;
        EXPECT_FALSE(r.sentence.empty());
        EXPECT_EQ(parse_reason(r.code), r.reason);
        EXPECT_EQ(reason_code(r.reason), r.code);
    }
    EXPECT_FALSE(parse_reason("nope"));
}

TEST(Policy, BuiltinLinuxPolicyHoldsTheDesignValues) {
    const auto p = builtin_linux_policy();
    EXPECT_EQ(p.default_backend, Backend::cpu);
    EXPECT_EQ(p.prefer, (std::vector<Backend>{Backend::cuda, Backend::vulkan, Backend::cpu}));
    EXPECT_EQ(p.requirements.at(Backend::cuda).libraries, std::vector<std::string>{"libcuda.so.1"});
    EXPECT_EQ(p.requirements.at(Backend::cuda).cuda_driver, "13.0");
    EXPECT_EQ(p.requirements.at(Backend::cuda).min_compute_capability, "5.0");
    EXPECT_EQ(p.requirements.at(Backend::vulkan).libraries, std::vector<std::string>{"libvulkan.so.1"});
    EXPECT_EQ(p.requirements.at(Backend::vulkan).vulkan_api, "1.2");
    EXPECT_EQ(policy_backends(p), (std::vector<Backend>{Backend::cuda, Backend::vulkan, Backend::cpu}));
}

TEST(ProbeResults, OutcomesSurviveTheCacheRoundTrip) {
    ProbeOutcome o = not_run_outcome(ProbeKind::cuda);
    o.status = ProbeOutcome::Status::completed;
    o.elapsed_ms = 42;
    CudaProbeResult r;
    r.library = "/usr/lib/x86_64-linux-gnu/libcuda.so.1";
    r.driver_version = 13000;
    r.nvml = "ok";
    r.devices.push_back({0, "NVIDIA H100", 9, 0, 80ull << 30, 79ull << 30, "00000000:01:00.0", false, 132});
    o.cuda = r;
    nlohmann::json j = o;
    ProbeOutcome back = not_run_outcome(ProbeKind::cuda);
    from_json(j, back);
    EXPECT_TRUE(back.ok());
    ASSERT_TRUE(back.cuda);
    EXPECT_EQ(back.cuda->devices.at(0).name, "NVIDIA H100");
    EXPECT_EQ(back.cuda->devices.at(0).compute_capability(), "9.0");
    EXPECT_EQ(back.cuda->devices.at(0).free_bytes, 79ull << 30);
    EXPECT_EQ(back.cuda->driver_version, 13000);
    EXPECT_EQ(back.elapsed_ms, 42);
}

TEST(ProbeRunner, TurnsWhatTheChildDidIntoACause) {
    IsolatedResult child;
    child.kind = IsolatedResult::Kind::signaled;
    child.signal = 11;
    child.err = "tsuku-probe: stage dlopen\ntsuku-probe: stage vkCreateInstance\nradv: something broke\n";
    auto o = outcome_from_child(ProbeKind::vulkan, child);
    EXPECT_EQ(o.status, ProbeOutcome::Status::crashed);
    EXPECT_EQ(o.last_stage, "vkCreateInstance");
    EXPECT_NE(o.cause.find("crashed in vkCreateInstance"), std::string::npos) << o.cause;
    EXPECT_NE(o.cause.find("SIGSEGV"), std::string::npos) << o.cause;
    EXPECT_EQ(o.stderr_tail, "radv: something broke");

    child.kind = IsolatedResult::Kind::exited;
    child.exit_code = 0;
    child.out = "{\"devices\": 7}";
    o = outcome_from_child(ProbeKind::vulkan, child);
    EXPECT_EQ(o.status, ProbeOutcome::Status::bad_output);

    child.out = "not json";
    child.exit_code = 3;
    o = outcome_from_child(ProbeKind::cuda, child);
    EXPECT_EQ(o.status, ProbeOutcome::Status::failed);
    EXPECT_NE(o.cause.find("status 3"), std::string::npos) << o.cause;

    child.exit_code = 0;
    child.out = R"({"library":"libcuda.so.1","devices":[],"nvml":"","error":{"stage":"cuInit","message":"no device",
                   "code":100,"code_name":"CUDA_ERROR_NO_DEVICE"}})";
    o = outcome_from_child(ProbeKind::cuda, child);
    EXPECT_TRUE(o.completed());
    EXPECT_FALSE(o.ok());
    ASSERT_NE(o.api_error(), nullptr);
    EXPECT_EQ(o.api_error()->code, 100);
}

TEST(VulkanProbe, DecodesVersionsTheVendorsWay) {
    EXPECT_EQ(vulkan_version_string((1u << 22) | (3u << 12) | 230u), "1.3.230");
    EXPECT_EQ(vulkan_driver_version_string(0x10de, (580u << 22) | (65u << 14) | (6u << 6)), "580.65.6.0");
    EXPECT_EQ(vulkan_driver_version_string(0x1002, (25u << 22) | (1u << 12) | 4u), "25.1.4");
}
