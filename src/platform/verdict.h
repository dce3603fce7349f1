// Per-backend verdicts and the chain. Policy (docs/design.md §5.3): a backend is viable only with evidence that it
// will run — hardware, driver, loader library and a usable device reported by its functional probe. A CPU-type
// Vulkan device is not an accelerator. cpu is always viable. The chain is `prefer` filtered by viability, `default`
// last.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/backend.h"
#include "common/reasons.h"
#include "platform/probe_results.h"
#include "platform/requirements.h"
#include "platform/static_evidence.h"

namespace tsuku::platform {

// Where one runtime library the variant needs comes from: the system's copy when there is one, otherwise the
// component's package (downloaded with the variant); neither means the backend cannot run.
struct RuntimeSource {
    std::string soname;                      // "libcudart.so.13"
    std::string component;                   // "cuda-runtime-13"
    std::optional<std::string> system_path;  // the system's copy
    bool packaged = false;                   // this release has the component's package for this platform

    bool available() const { return system_path || packaged; }
    std::string where() const;  // "/usr/local/cuda-13.0/lib/libcudart.so.13 (system)", "the cuda-runtime-13 package"
};

struct BackendVerdict {
    Backend backend = Backend::cpu;
    bool viable = false;
    std::vector<ReasonItem> reasons;    // empty when viable
    std::vector<std::string> evidence;  // what speaks for it (devices, driver, library)
    // The best usable device's memory (for choosing a model); unset for cpu and non-viable backends.
    std::optional<uint64_t> device_memory_bytes;
    std::optional<uint64_t> device_free_bytes;
    std::vector<RuntimeSource> runtime;  // the runtime libraries it needs and where each would come from

    bool has(Reason r) const;
};

std::vector<BackendVerdict> evaluate_backends(const PlatformPolicy& policy, const StaticEvidence& evidence,
                                              const ProbeOutcome& vulkan, const ProbeOutcome& cuda);

// `forced` (--backend, llm.backend) goes first whatever its verdict, with the default behind it. `fallback`
// false (llm.fallback = off) keeps only the first backend. Throws UserError when the policy has no such backend
// on this platform.
std::vector<Backend> resolve_chain(const PlatformPolicy& policy, const std::vector<BackendVerdict>& verdicts,
                                   std::optional<Backend> forced, bool fallback = true);

}  // namespace tsuku::platform
