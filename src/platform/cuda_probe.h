// The CUDA functional probe: runs inside the isolated child (`tsuku __probe cuda`). It loads the driver library
// libcuda.so.1 with dlopen (no CUDA headers or link: the few entry points are declared here) and asks the driver
// API: cuDriverGetVersion, cuInit, the devices with compute capability and memory; free memory from NVML
// (libnvidia-ml.so.1) when it loads.
#pragma once

#include <optional>
#include <string>

#include "platform/probe_results.h"

namespace tsuku::platform {

// The CUresult codes detection decides on (cuda.h); kCudaCodes in cuda_probe.cpp names these and the others.
enum class CudaError : int { stub_library = 34, requires_newer_driver = 36, no_device = 100 };

CudaProbeResult run_cuda_probe(const std::optional<std::string>& library, const StageFn& stage);

// Names and meanings of the CUresult codes detection cares about, for when the driver cannot describe its own
// error (the toolkit's stub answers CUDA_ERROR_STUB_LIBRARY even to cuGetErrorString).
std::string cuda_error_name(int code);
std::string cuda_error_text(int code);

}  // namespace tsuku::platform
