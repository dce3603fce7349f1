// Why a variant's backend cannot run: the closed set of reason codes of docs/design.md §4.2. Extend deliberately: the
// supervisor, the failure memory and the user's messages all read this one table.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>

namespace tsuku {

enum class BackendFailure { library_missing, driver_too_old, no_device, software_device_only, init_failed };

struct BackendFailureInfo {
    BackendFailure reason;
    std::string_view code;     // wire name in the `failed` event
    std::string_view meaning;  // for humans
};

inline constexpr std::array<BackendFailureInfo, 5> kBackendFailures{{
    {BackendFailure::library_missing, "library_missing",
     "a library the backend needs cannot be loaded (e.g. libcuda.so.1, libvulkan.so.1)"},
    {BackendFailure::driver_too_old, "driver_too_old", "the installed driver is older than the backend needs"},
    {BackendFailure::no_device, "no_device", "the runtime loads but sees no usable device"},
    {BackendFailure::software_device_only, "software_device_only",
     "the only device is a software renderer (e.g. llvmpipe), not an accelerator"},
    {BackendFailure::init_failed, "init_failed", "the backend failed to initialise"},
}};

std::string_view backend_failure_code(BackendFailure r);
std::string_view backend_failure_meaning(BackendFailure r);
std::optional<BackendFailure> parse_backend_failure(std::string_view code);

}  // namespace tsuku
