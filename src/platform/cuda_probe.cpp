#include "platform/cuda_probe.h"

#include <dlfcn.h>
#include <link.h>

#include <array>
#include <filesystem>

namespace tsuku::platform {
namespace {

// The driver API's types, as cuda.h declares them (CUresult and CUdevice are ints, CUdevice_attribute an enum).
using CUresult = int;
using CUdevice = int;
constexpr int kAttrIntegrated = 18;
constexpr int kAttrMultiprocessors = 16;
constexpr int kAttrCcMajor = 75;
constexpr int kAttrCcMinor = 76;

using cuInit_t = CUresult (*)(unsigned int);
using cuDriverGetVersion_t = CUresult (*)(int*);
using cuDeviceGetCount_t = CUresult (*)(int*);
using cuDeviceGet_t = CUresult (*)(CUdevice*, int);
using cuDeviceGetName_t = CUresult (*)(char*, int, CUdevice);
using cuDeviceGetAttribute_t = CUresult (*)(int*, int, CUdevice);
using cuDeviceTotalMem_t = CUresult (*)(size_t*, CUdevice);
using cuDeviceGetPCIBusId_t = CUresult (*)(char*, int, CUdevice);
using cuGetErrorString_t = CUresult (*)(CUresult, const char**);

// NVML (nvml.h): nvmlReturn_t is an int, nvmlDevice_t an opaque pointer.
struct NvmlMemory {
    unsigned long long total, free, used;
};
using nvmlInit_t = int (*)();
using nvmlShutdown_t = int (*)();
using nvmlErrorString_t = const char* (*)(int);
using nvmlSystemGetDriverVersion_t = int (*)(char*, unsigned int);
using nvmlDeviceGetHandleByPciBusId_t = int (*)(const char*, void**);
using nvmlDeviceGetMemoryInfo_t = int (*)(void*, NvmlMemory*);

struct CudaCode {
    int code;
    std::string_view name;
    std::string_view text;
};

// From cuda.h's CUresult documentation (facts, in our words).
constexpr std::array<CudaCode, 17> kCudaCodes{{
    {1, "CUDA_ERROR_INVALID_VALUE", "invalid argument"},
    {2, "CUDA_ERROR_OUT_OF_MEMORY", "out of memory"},
    {3, "CUDA_ERROR_NOT_INITIALIZED", "the driver is not initialised"},
    {4, "CUDA_ERROR_DEINITIALIZED", "the driver is shutting down"},
    {static_cast<int>(CudaError::stub_library), "CUDA_ERROR_STUB_LIBRARY",
     "libcuda is the CUDA toolkit's stub library, not a real driver"},
    {static_cast<int>(CudaError::requires_newer_driver), "CUDA_ERROR_CALL_REQUIRES_NEWER_DRIVER",
     "the call needs a newer CUDA driver"},
    {46, "CUDA_ERROR_DEVICE_UNAVAILABLE", "the device is unavailable (busy or exclusive)"},
    {static_cast<int>(CudaError::no_device), "CUDA_ERROR_NO_DEVICE", "no CUDA-capable device is detected"},
    {101, "CUDA_ERROR_INVALID_DEVICE", "invalid device ordinal"},
    {102, "CUDA_ERROR_DEVICE_NOT_LICENSED", "the device is not licensed (vGPU)"},
    {304, "CUDA_ERROR_OPERATING_SYSTEM", "an operating system call failed"},
    {800, "CUDA_ERROR_NOT_PERMITTED", "operation not permitted"},
    {801, "CUDA_ERROR_NOT_SUPPORTED", "operation not supported"},
    {802, "CUDA_ERROR_SYSTEM_NOT_READY", "the system is not ready (fabric manager?)"},
    {803, "CUDA_ERROR_SYSTEM_DRIVER_MISMATCH",
     "libcuda and the kernel driver have different versions (reboot after a driver update)"},
    {804, "CUDA_ERROR_COMPAT_NOT_SUPPORTED_ON_DEVICE", "the forward-compatibility driver does not support this GPU"},
    {999, "CUDA_ERROR_UNKNOWN", "unknown error"},
}};

std::string loaded_path(void* handle, const std::string& fallback) {
    link_map* map = nullptr;
    if (::dlinfo(handle, RTLD_DI_LINKMAP, &map) == 0 && map && map->l_name && *map->l_name) return map->l_name;
    return fallback;
}

template <typename F>
F sym(void* h, const char* name) {
    return reinterpret_cast<F>(::dlsym(h, name));
}

// The driver's own name and text for a code; ours when it cannot give them.
ProbeError cuda_error(void* h, std::string stage, CUresult code) {
    ProbeError e;
    e.stage = std::move(stage);
    e.code = code;
    const char* name = nullptr;
    const char* text = nullptr;
    auto get_name = sym<cuGetErrorString_t>(h, "cuGetErrorName");
    auto get_text = sym<cuGetErrorString_t>(h, "cuGetErrorString");
    const bool have_name = get_name && get_name(code, &name) == 0 && name;
    const bool have_text = get_text && get_text(code, &text) == 0 && text;
    e.code_name = have_name ? name : cuda_error_name(code);
    e.message = have_text ? text : cuda_error_text(code);
    e.text_from_runtime = have_name && have_text;
    return e;
}

void add_nvml(CudaProbeResult& r, const StageFn& stage) {
    // Beside libcuda first (NixOS, WSL, container mounts), then the loader's way.
    std::vector<std::string> candidates;
    if (r.library.find('/') != std::string::npos) {
        candidates.push_back((std::filesystem::path(r.library).parent_path() / "libnvidia-ml.so.1").string());
    }
    candidates.emplace_back("libnvidia-ml.so.1");
    stage("dlopen libnvidia-ml.so.1");
    void* h = nullptr;
    for (const auto& c : candidates) {
        if ((h = ::dlopen(c.c_str(), RTLD_NOW | RTLD_LOCAL))) break;
    }
    if (!h) {
        const char* err = ::dlerror();
        r.nvml = std::string("not loaded: ") + (err ? err : "libnvidia-ml.so.1 not found");
        return;
    }
    auto init = sym<nvmlInit_t>(h, "nvmlInit_v2");
    auto shutdown = sym<nvmlShutdown_t>(h, "nvmlShutdown");
    auto error_string = sym<nvmlErrorString_t>(h, "nvmlErrorString");
    auto driver_version = sym<nvmlSystemGetDriverVersion_t>(h, "nvmlSystemGetDriverVersion");
    auto by_bus = sym<nvmlDeviceGetHandleByPciBusId_t>(h, "nvmlDeviceGetHandleByPciBusId_v2");
    auto mem_info = sym<nvmlDeviceGetMemoryInfo_t>(h, "nvmlDeviceGetMemoryInfo");
    if (!init || !shutdown || !by_bus || !mem_info) {
        r.nvml = "libnvidia-ml.so.1 lacks the functions used";
        return;
    }
    stage("nvmlInit_v2");
    if (int rc = init(); rc != 0) {
        r.nvml = std::string("nvmlInit failed: ") + (error_string ? error_string(rc) : std::to_string(rc));
        return;
    }
    char version[96] = {};
    if (driver_version && driver_version(version, sizeof version) == 0) r.nvml_driver = version;
    r.nvml = "ok";
    for (auto& d : r.devices) {
        stage("nvmlDeviceGetMemoryInfo");
        void* dev = nullptr;
        NvmlMemory m{};
        if (by_bus(d.pci_bus_id.c_str(), &dev) == 0 && mem_info(dev, &m) == 0) {
            d.free_bytes = m.free;
        } else {
            r.nvml = "no memory information for " + d.pci_bus_id;
        }
    }
    shutdown();
}

}  // namespace

std::string cuda_error_name(int code) {
    for (const auto& c : kCudaCodes) {
        if (c.code == code) return std::string(c.name);
    }
    return "CUresult " + std::to_string(code);
}

std::string cuda_error_text(int code) {
    for (const auto& c : kCudaCodes) {
        if (c.code == code) return std::string(c.text);
    }
    return "CUDA driver error " + std::to_string(code);
}

std::optional<Reason> cuda_error_reason(int code) {
    switch (static_cast<CudaError>(code)) {
        case CudaError::stub_library: return Reason::library_missing;
        case CudaError::requires_newer_driver: return Reason::driver_too_old;
        case CudaError::no_device: return Reason::no_device;
    }
    return std::nullopt;
}

std::string cuda_error_detail(const std::string& library, const ProbeError& e) {
    const std::string said = e.stage + ": " + e.code_name + ": " + e.message;
    if (e.code == static_cast<int>(CudaError::stub_library)) {
        return library + " is the CUDA toolkit's stub, not the NVIDIA driver's libcuda.so.1 (" + said + ")";
    }
    return said;
}

CudaProbeResult run_cuda_probe(const std::optional<std::string>& library, const StageFn& stage, bool read_free_memory) {
    CudaProbeResult r;
    const std::string lib = library.value_or("libcuda.so.1");
    stage("dlopen");
    void* h = ::dlopen(lib.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        const char* err = ::dlerror();
        r.error = ProbeError{"dlopen", err ? std::string(err) : "cannot load " + lib, std::nullopt, "", true};
        return r;
    }
    r.library = loaded_path(h, lib);
    auto init = sym<cuInit_t>(h, "cuInit");
    auto driver_get_version = sym<cuDriverGetVersion_t>(h, "cuDriverGetVersion");
    auto get_count = sym<cuDeviceGetCount_t>(h, "cuDeviceGetCount");
    auto get = sym<cuDeviceGet_t>(h, "cuDeviceGet");
    auto get_name = sym<cuDeviceGetName_t>(h, "cuDeviceGetName");
    auto get_attr = sym<cuDeviceGetAttribute_t>(h, "cuDeviceGetAttribute");
    auto total_mem = sym<cuDeviceTotalMem_t>(h, "cuDeviceTotalMem_v2");
    auto bus_id = sym<cuDeviceGetPCIBusId_t>(h, "cuDeviceGetPCIBusId");
    if (!init || !driver_get_version || !get_count || !get || !get_name || !get_attr || !total_mem || !bus_id) {
        r.error = ProbeError{"dlsym", r.library + " lacks driver API functions (not an NVIDIA driver library?)",
                             std::nullopt, "", false};
        return r;
    }
    // Before cuInit: the version answers even when initialisation fails (e.g. no device).
    stage("cuDriverGetVersion");
    int version = 0;
    if (driver_get_version(&version) == 0) r.driver_version = version;

    stage("cuInit");
    if (CUresult rc = init(0); rc != 0) {
        r.error = cuda_error(h, "cuInit", rc);
        return r;
    }
    stage("cuDeviceGetCount");
    int count = 0;
    if (CUresult rc = get_count(&count); rc != 0) {
        r.error = cuda_error(h, "cuDeviceGetCount", rc);
        return r;
    }
    for (int i = 0; i < count; ++i) {
        stage("cuDeviceGet");
        CUdevice dev = 0;
        if (CUresult rc = get(&dev, i); rc != 0) {
            r.error = cuda_error(h, "cuDeviceGet", rc);
            return r;
        }
        CudaDevice d;
        d.index = i;
        char name[256] = {};
        if (get_name(name, sizeof name - 1, dev) == 0) d.name = name;
        int integrated = 0;
        get_attr(&d.cc_major, kAttrCcMajor, dev);
        get_attr(&d.cc_minor, kAttrCcMinor, dev);
        get_attr(&d.multiprocessors, kAttrMultiprocessors, dev);
        if (get_attr(&integrated, kAttrIntegrated, dev) == 0) d.integrated = integrated != 0;
        size_t bytes = 0;
        if (total_mem(&bytes, dev) == 0) d.total_bytes = bytes;
        char bus[64] = {};
        if (bus_id(bus, sizeof bus - 1, dev) == 0) d.pci_bus_id = bus;
        r.devices.push_back(std::move(d));
    }
    if (!r.devices.empty() && read_free_memory) add_nvml(r, stage);
    return r;
}

}  // namespace tsuku::platform
