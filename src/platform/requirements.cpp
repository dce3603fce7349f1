#include "platform/requirements.h"

#include <algorithm>

namespace tsuku::platform {

PlatformPolicy builtin_linux_policy() {
    PlatformPolicy p;
    p.default_backend = Backend::cpu;
    p.prefer = {Backend::cuda, Backend::vulkan, Backend::cpu};
    p.requirements[Backend::cpu] = {};
    p.requirements[Backend::vulkan] = {{"libvulkan.so.1"}, "1.2", std::nullopt, std::nullopt, {}};
    p.requirements[Backend::cuda] = {{"libcuda.so.1"}, std::nullopt, "13.0", "5.0", {}};
    // The release packs the CUDA runtime (tools/release), so a machine without the toolkit still runs cuda.
    for (const char* so : {"libcudart.so.13", "libcublas.so.13", "libcublasLt.so.13"}) {
        p.requirements[Backend::cuda].runtime_libraries.push_back({so, "cuda-runtime-13", true});
    }
    p.optional_libraries = {"libnvidia-ml.so.1", "libcudart.so.13", "libcublas.so.13", "libcublasLt.so.13"};
    return p;
}

std::vector<Backend> policy_backends(const PlatformPolicy& policy) {
    std::vector<Backend> out;
    auto add = [&out](Backend b) {
        if (std::find(out.begin(), out.end(), b) == out.end()) out.push_back(b);
    };
    for (Backend b : policy.prefer) {
        if (b != policy.default_backend) add(b);
    }
    for (const auto& [b, _] : policy.requirements) {
        if (b != policy.default_backend) add(b);
    }
    add(policy.default_backend);
    return out;
}

}  // namespace tsuku::platform
