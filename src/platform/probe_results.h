// What the functional probes found. One definition for both sides: the isolated child prints these as JSON
// (`tsuku __probe vulkan|cuda`), the parent reads them back, and the detection cache stores them.
#pragma once

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tsuku::platform {

enum class ProbeKind { vulkan, cuda };
std::string_view probe_kind_name(ProbeKind k);
std::optional<ProbeKind> parse_probe_kind(std::string_view name);

// The API refused: which call, with the runtime's own words.
struct ProbeError {
    std::string stage;              // "dlopen", "vkCreateInstance", "cuInit", …
    std::string message;            // dlerror() or the API's own error text
    std::optional<int64_t> code;    // VkResult / CUresult
    std::string code_name;          // "VK_ERROR_INCOMPATIBLE_DRIVER", "CUDA_ERROR_STUB_LIBRARY"
    bool text_from_runtime = true;  // false: the runtime could not describe its own error (a stub cannot)
};

struct VulkanHeap {
    uint64_t size = 0;
    bool device_local = false;
    std::optional<uint64_t> budget;  // VK_EXT_memory_budget
    std::optional<uint64_t> usage;
};

struct VulkanDevice {
    std::string name;
    std::string type;  // "discrete_gpu", "integrated_gpu", "virtual_gpu", "cpu", "other"
    uint32_t vendor_id = 0;
    uint32_t device_id = 0;
    std::string api_version;     // "1.3.230"
    std::string driver_version;  // decoded the vendor's way
    std::string driver_name;     // VkPhysicalDeviceDriverProperties (Vulkan 1.2): "llvmpipe", "NVIDIA"
    std::string driver_info;     // "Mesa 22.3.6 (LLVM 15.0.6)"
    bool memory_budget = false;  // VK_EXT_memory_budget supported
    std::vector<VulkanHeap> heaps;
    uint64_t device_local_bytes = 0;
    std::optional<uint64_t> free_bytes;  // device-local budget minus usage, when the budget is known

    bool is_software() const { return type == "cpu"; }
};

struct VulkanProbeResult {
    std::string library;         // the loader actually loaded
    std::string loader_version;  // vkEnumerateInstanceVersion
    std::vector<VulkanDevice> devices;
    std::optional<ProbeError> error;
};

struct CudaDevice {
    int index = 0;
    std::string name;
    int cc_major = 0;
    int cc_minor = 0;
    uint64_t total_bytes = 0;
    std::optional<uint64_t> free_bytes;  // NVML
    std::string pci_bus_id;
    bool integrated = false;
    int multiprocessors = 0;

    std::string compute_capability() const { return std::to_string(cc_major) + "." + std::to_string(cc_minor); }
};

struct CudaProbeResult {
    std::string library;
    std::optional<int> driver_version;  // cuDriverGetVersion: 13000 = CUDA 13.0
    std::vector<CudaDevice> devices;
    std::optional<ProbeError> error;
    std::string nvml;                        // "ok", or why NVML gave no free memory
    std::optional<std::string> nvml_driver;  // nvmlSystemGetDriverVersion: "580.65.06"
};

void to_json(nlohmann::json& j, const ProbeError& e);
void from_json(const nlohmann::json& j, ProbeError& e);
void to_json(nlohmann::json& j, const VulkanProbeResult& r);
void from_json(const nlohmann::json& j, VulkanProbeResult& r);
void to_json(nlohmann::json& j, const CudaProbeResult& r);
void from_json(const nlohmann::json& j, CudaProbeResult& r);

// What happened to one probe, seen from the parent.
struct ProbeOutcome {
    enum class Status {
        not_run,       // cause says why (no library, --no-probe, --sysroot)
        completed,     // the child printed its result (which may carry the API's error)
        timed_out,     // killed after the deadline; last_stage says where it hung
        crashed,       // killed by a signal
        failed,        // exited non-zero without a result
        bad_output,    // exited but printed no valid result
        spawn_failed,  // could not be started
    };
    ProbeKind kind = ProbeKind::vulkan;
    Status status = Status::not_run;
    std::string cause;  // human: why it did not run, or what went wrong
    std::string last_stage;
    std::string stderr_tail;
    int exit_code = 0;
    int signal = 0;
    int64_t elapsed_ms = 0;
    std::optional<VulkanProbeResult> vulkan;
    std::optional<CudaProbeResult> cuda;

    bool completed() const { return status == Status::completed; }
    // Completed and the API said yes.
    bool ok() const;
    const ProbeError* api_error() const;
};

// A probe that has not run (yet), of the given kind.
inline ProbeOutcome not_run_outcome(ProbeKind kind, std::string cause = {}) {
    ProbeOutcome o;
    o.kind = kind;
    o.cause = std::move(cause);
    return o;
}

std::string_view probe_status_name(ProbeOutcome::Status s);
void to_json(nlohmann::json& j, const ProbeOutcome& o);
void from_json(const nlohmann::json& j, ProbeOutcome& o);

// Called by a probe before each step, so a hang or crash can be placed ("hung in vkCreateInstance").
using StageFn = std::function<void(std::string_view stage)>;

}  // namespace tsuku::platform
