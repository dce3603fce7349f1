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
#include "platform/probe_results.h"
#include "platform/reasons.h"
#include "platform/requirements.h"
#include "platform/static_evidence.h"

namespace tsuku::platform {

struct BackendVerdict {
    Backend backend = Backend::cpu;
    bool viable = false;
    std::vector<ReasonItem> reasons;    // empty when viable
    std::vector<std::string> evidence;  // what speaks for it (devices, driver, library)
    // The best usable device's memory (for choosing a model); unset for cpu and non-viable backends.
    std::optional<uint64_t> device_memory_bytes;
    std::optional<uint64_t> device_free_bytes;

    bool has(Reason r) const;
};

std::vector<BackendVerdict> evaluate_backends(const PlatformPolicy& policy, const StaticEvidence& evidence,
                                              const ProbeOutcome& vulkan, const ProbeOutcome& cuda);

// `forced` (--backend, llm.backend) goes first whatever its verdict, with the default behind it. `fallback`
// false (llm.fallback = off) keeps only the first backend. Throws UserError when the policy has no such backend
// on this platform.
std::vector<Backend> resolve_chain(const PlatformPolicy& policy, const std::vector<BackendVerdict>& verdicts,
                                   std::optional<Backend> forced, bool fallback = true);

std::string format_bytes(uint64_t bytes);  // "2.0 GiB", "512 MiB"

}  // namespace tsuku::platform
