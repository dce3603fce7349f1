// Why a backend is not viable: the closed set of detection reasons, one table. Each verdict carries reason codes
// from here plus a detail that names the evidence (a path, a version, a device, the driver's own words). The
// server's own start-up failures (common/backend_failure.h) share the codes they have in common.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>

namespace tsuku::platform {

enum class Reason {
    no_hardware,
    driver_missing,
    library_missing,
    driver_too_old,
    gpu_too_old,
    no_device,
    software_device_only,
    probe_failed,
    unprobed,
    not_built,
};

struct ReasonInfo {
    Reason reason;
    std::string_view code;      // in JSON, in the docs
    std::string_view sentence;  // for humans
};

inline constexpr std::array<ReasonInfo, 10> kReasons{{
    {Reason::no_hardware, "no_hardware", "no GPU this backend can use is present"},
    {Reason::driver_missing, "driver_missing", "the GPU is present but its driver is not installed or not loaded"},
    {Reason::library_missing, "library_missing", "a library the backend needs is not installed"},
    {Reason::driver_too_old, "driver_too_old", "the installed driver is older than this backend needs"},
    {Reason::gpu_too_old, "gpu_too_old", "the GPU is older than this backend supports"},
    {Reason::no_device, "no_device", "the runtime loads but reports no usable device"},
    {Reason::software_device_only, "software_device_only",
     "the only device is a software renderer (e.g. llvmpipe), not an accelerator"},
    {Reason::probe_failed, "probe_failed", "the functional probe crashed, hung or failed"},
    {Reason::unprobed, "unprobed", "the functional probe did not run, so nothing proves the backend works"},
    {Reason::not_built, "not_built", "this release does not build the backend for this platform (e.g. linux-arm64)"},
}};

std::string_view reason_code(Reason r);
std::string_view reason_sentence(Reason r);
std::optional<Reason> parse_reason(std::string_view code);

// One reason as applied to one backend.
struct ReasonItem {
    Reason reason;
    std::string detail;
};

}  // namespace tsuku::platform
