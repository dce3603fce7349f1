// A stand-in for the NVIDIA driver's libcuda.so.1, for what cannot exist on a machine without an NVIDIA GPU: a
// driver that loads and initialises but shows no device (CUDA_VISIBLE_DEVICES=-1, a container without the GPU passed
// through), one that refuses cuInit with a chosen code, or one that shows a device and so lets the cuda variant go
// on to load ggml-cuda and the CUDA runtime (which then fails: this library has nothing behind the entry points the
// CUDA pre-check looks up, platform/cuda_probe.cpp, and the few that libggml-cuda.so imports, which refuse). It has
// no cuGetErrorName, and its cuGetErrorString describes nothing: the pre-check's own names for the codes are used.
//   TSUKU_FAKE_CUDA_INIT      the CUresult cuInit returns (default 0: success)
//   TSUKU_FAKE_CUDA_DEVICES   the device count after a successful cuInit (default 0)
#include <cstddef>
#include <cstdlib>
#include <cstring>

namespace {
int env_int(const char* name) {
    const char* v = std::getenv(name);
    return v ? std::atoi(v) : 0;
}
constexpr int kNotInitialized = 3;
constexpr int kInvalidDevice = 101;
constexpr int kNotSupported = 801;
constexpr int kAttrCcMajor = 75;
constexpr int kAttrCcMinor = 76;
bool initialised = false;
int device_count() { return initialised ? env_int("TSUKU_FAKE_CUDA_DEVICES") : 0; }
bool valid(int device) { return initialised && device >= 0 && device < device_count(); }
}  // namespace

#define FAKE_CUDA_API extern "C" __attribute__((visibility("default")))

FAKE_CUDA_API int cuDriverGetVersion(int* version) {
    *version = 13000;
    return 0;
}
FAKE_CUDA_API int cuInit(unsigned int) {
    const int rc = env_int("TSUKU_FAKE_CUDA_INIT");
    initialised = rc == 0;
    return rc;
}
FAKE_CUDA_API int cuDeviceGetCount(int* count) {
    if (!initialised) return kNotInitialized;
    *count = device_count();
    return 0;
}
FAKE_CUDA_API int cuDeviceGet(int* device, int ordinal) {
    if (!valid(ordinal)) return kInvalidDevice;
    *device = ordinal;
    return 0;
}
FAKE_CUDA_API int cuDeviceGetName(char* name, int len, int device) {
    if (!valid(device) || len < 1) return kInvalidDevice;
    std::strncpy(name, "tsuku fake CUDA device", static_cast<size_t>(len) - 1);
    return 0;
}
FAKE_CUDA_API int cuDeviceGetAttribute(int* value, int attribute, int device) {
    if (!valid(device)) return kInvalidDevice;
    *value = attribute == kAttrCcMajor ? 9 : attribute == kAttrCcMinor ? 0 : 1;
    return 0;
}
FAKE_CUDA_API int cuDeviceTotalMem_v2(size_t* bytes, int device) {
    if (!valid(device)) return kInvalidDevice;
    *bytes = size_t{16} << 30;
    return 0;
}
FAKE_CUDA_API int cuDeviceGetPCIBusId(char* bus, int len, int device) {
    if (!valid(device) || len < 1) return kInvalidDevice;
    std::strncpy(bus, "0000:01:00.0", static_cast<size_t>(len) - 1);
    return 0;
}

// What libggml-cuda.so imports from the driver (virtual memory management), so that it loads: all refuse.
FAKE_CUDA_API int cuGetErrorString(...) { return kNotSupported; }
FAKE_CUDA_API int cuMemAddressFree(...) { return kNotSupported; }
FAKE_CUDA_API int cuMemAddressReserve(...) { return kNotSupported; }
FAKE_CUDA_API int cuMemCreate(...) { return kNotSupported; }
FAKE_CUDA_API int cuMemGetAllocationGranularity(...) { return kNotSupported; }
FAKE_CUDA_API int cuMemMap(...) { return kNotSupported; }
FAKE_CUDA_API int cuMemRelease(...) { return kNotSupported; }
FAKE_CUDA_API int cuMemSetAccess(...) { return kNotSupported; }
FAKE_CUDA_API int cuMemUnmap(...) { return kNotSupported; }
