// The CUDA functional probe: runs inside the isolated child (`tsuku __probe cuda`). It loads the driver library
// libcuda.so.1 with dlopen (no CUDA headers or link: the few entry points are declared here) and asks the driver
// API: cuDriverGetVersion, cuInit, the devices with compute capability and memory; free memory from NVML
// (libnvidia-ml.so.1) when it loads.
#pragma once

#include <optional>
#include <string>

#include "common/reasons.h"
#include "platform/probe_results.h"

namespace tsuku::platform {

// The CUresult codes detection decides on (cuda.h); kCudaCodes in cuda_probe.cpp names these and the others.
enum class CudaError : int { stub_library = 34, requires_newer_driver = 36, no_device = 100 };

// `read_free_memory`: also load NVML for each device's free memory (detection); the server's pre-check only needs
// to know that a device exists before ggml-cuda loads, and skips it.
CudaProbeResult run_cuda_probe(const std::optional<std::string>& library, const StageFn& stage,
                               bool read_free_memory = true);

// The reason a driver API error means, for detection's verdict and the server's pre-check alike: the stub
// (library_missing: it is not a driver), a driver older than the call (driver_too_old), no device (no_device);
// std::nullopt for any other code (the caller's failure: a probe failure, an initialisation failure).
std::optional<Reason> cuda_error_reason(int code);

// The detail for a driver API error `e` of the library at `library`: the stage, the code's name and text, and for
// the stub, that it is not a driver. Detection and the server's pre-check say it alike.
std::string cuda_error_detail(const std::string& library, const ProbeError& e);

// Names and meanings of the CUresult codes detection cares about, for when the driver cannot describe its own
// error (the toolkit's stub answers CUDA_ERROR_STUB_LIBRARY even to cuGetErrorString).
std::string cuda_error_name(int code);
std::string cuda_error_text(int code);

}  // namespace tsuku::platform
