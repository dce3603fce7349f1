// What each backend variant needs from the machine, and the platform's order of preference. The manifest
// (docs/design.md §4.4: platforms.<key>.{default, prefer, variants.<b>.requires}) supplies these; until it does,
// builtin_linux_policy() holds the same values. Detection takes a PlatformPolicy as its input.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/backend.h"

namespace tsuku::platform {

// A library the variant loads that a shared component provides (the CUDA runtime): the system's copy when it has one
// (the soname carries the major version, so any copy found is new enough), otherwise the component's package.
struct RuntimeLibrary {
    std::string soname;     // "libcudart.so.13"
    std::string component;  // "cuda-runtime-13"
    bool packaged = false;  // this release has a package of the component for this platform
};

struct BackendRequirements {
    std::vector<std::string> libraries;                 // sonames the variant loads: "libcuda.so.1"
    std::optional<std::string> vulkan_api;              // lowest Vulkan API version of a usable device: "1.2"
    std::optional<std::string> cuda_driver;             // CUDA version the driver must support: "13.0"
    std::optional<std::string> min_compute_capability;  // lowest compute capability of a usable GPU: "5.0"
    std::vector<RuntimeLibrary> runtime_libraries;      // from the system or the component's package
};

struct PlatformPolicy {
    Backend default_backend = Backend::cpu;               // always works; always last in the chain
    std::vector<Backend> prefer;                          // the release's static order, best first
    std::map<Backend, BackendRequirements> requirements;  // the manifest's "requires" (a C++20 keyword)
    // Located and reported, never required (e.g. the CUDA runtime a shared component could come from).
    std::vector<std::string> optional_libraries;
    // Backends the release does not build for this platform, and why (the manifest's "not_built"): reported with
    // what the machine has for them, never in the chain.
    std::map<Backend, std::string> not_built;
};

// The linux-amd64 values of release/policy.json (docs/design.md §4.4): prefer cuda, vulkan, cpu; default cpu.
PlatformPolicy builtin_linux_policy();

// Every backend the policy speaks of, in preference order, the default last.
std::vector<Backend> policy_backends(const PlatformPolicy& policy);

}  // namespace tsuku::platform
