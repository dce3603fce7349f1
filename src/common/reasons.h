// Why a backend did not run: the one closed table of reason codes. Detection's verdicts, the server's own start-up
// check (its `failed` event before exit 78), the supervisor's start attempts and the failure memory all use these
// codes; each entry says which of them may give it. Extend deliberately: JSON, the docs and the user's messages read
// this table.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>

namespace tsuku {

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
    init_failed,
    crashed,
    start_timeout,
};

// Who may give a reason (a bit set).
enum ReasonSource : unsigned {
    from_detection = 1u << 0,  // a verdict before anything is downloaded (platform/verdict.h)
    from_server = 1u << 1,     // the server's backend check: a `failed` event, then exit 78 (server/backend_check.h)
    from_attempt = 1u << 2,    // what the supervisor saw of a start (lifecycle/supervisor.h)
};

struct ReasonInfo {
    Reason reason;
    std::string_view code;      // in JSON, in events, in the docs
    std::string_view sentence;  // for humans
    unsigned sources;           // ReasonSource bits
};

inline constexpr std::array<ReasonInfo, 13> kReasons{{
    {Reason::no_hardware, "no_hardware", "no GPU this backend can use is present", from_detection},
    {Reason::driver_missing, "driver_missing", "the GPU is present but its driver is not installed or not loaded",
     from_detection},
    {Reason::library_missing, "library_missing",
     "a library the backend needs is not installed or cannot be loaded (e.g. libcuda.so.1, libvulkan.so.1)",
     from_detection | from_server},
    {Reason::driver_too_old, "driver_too_old", "the installed driver is older than this backend needs",
     from_detection | from_server},
    {Reason::gpu_too_old, "gpu_too_old", "the GPU is older than this backend supports", from_detection},
    {Reason::no_device, "no_device", "the runtime loads but reports no usable device", from_detection | from_server},
    {Reason::software_device_only, "software_device_only",
     "the only device is a software renderer (e.g. llvmpipe), not an accelerator", from_detection | from_server},
    {Reason::probe_failed, "probe_failed", "the functional probe crashed, hung or failed", from_detection},
    {Reason::unprobed, "unprobed", "the functional probe did not run, so nothing proves the backend works",
     from_detection},
    {Reason::not_built, "not_built", "this release does not build the backend for this platform (e.g. linux-arm64)",
     from_detection},
    {Reason::init_failed, "init_failed", "the backend failed to initialise", from_server},
    {Reason::crashed, "crashed", "the server was killed by a signal before it was ready", from_attempt},
    {Reason::start_timeout, "start_timeout", "the server was not ready within llm.start_timeout and was killed",
     from_attempt},
}};

std::string_view reason_code(Reason r);
std::string_view reason_sentence(Reason r);
bool reason_from(Reason r, ReasonSource source);
// Any code of the table; std::nullopt for anything else.
std::optional<Reason> parse_reason(std::string_view code);
// A code the server may send in its `failed` event; std::nullopt for anything else (an unknown server's words).
std::optional<Reason> parse_server_reason(std::string_view code);

// One reason as applied to one backend, with the evidence: a path, a version, a device, the driver's own words.
struct ReasonItem {
    Reason reason;
    std::string detail;
};

}  // namespace tsuku
