#include "resolve/policy.h"

#include "common/error.h"
#include "common/text.h"

namespace tsuku::resolve {

platform::PlatformPolicy policy_from_manifest(const manifest::Manifest& m, const manifest::Platform& p) {
    platform::PlatformPolicy policy;
    policy.default_backend = p.default_backend;
    policy.prefer = p.prefer;
    policy.not_built = p.not_built;
    for (const auto& [backend, v] : p.variants) {
        platform::BackendRequirements r;
        r.libraries = v.requirements.libraries;
        r.vulkan_api = v.requirements.vulkan_api;
        r.cuda_driver = v.requirements.cuda_driver;
        r.min_compute_capability = v.requirements.min_compute_capability;
        // Libraries a shared component provides are located (a system copy makes a download moot) and needed: from
        // the system, or from the component's package when this release has one for this platform.
        for (const auto& name : v.components) {
            if (const auto* c = m.component(name)) {
                policy.optional_libraries.insert(policy.optional_libraries.end(), c->provides.begin(),
                                                 c->provides.end());
                const bool packaged = c->platforms.count(p.name) > 0;
                for (const auto& so : c->provides) r.runtime_libraries.push_back({so, c->name, packaged});
            }
        }
        policy.requirements.emplace(backend, std::move(r));
    }
    return policy;
}

const manifest::Platform& this_platform(const manifest::Manifest& m) {
    const std::string here = manifest::current_platform();
    if (const auto* p = m.platform(here)) return *p;
    std::string known;
    for (const auto& [name, p] : m.platforms) append_listed(known, ", ", name);
    throw UserError("this platform (" + here + ") is not supported by this release of tsuku-llm",
                    "supported platforms: " + known + "; see the project page for builds for other platforms");
}

}  // namespace tsuku::resolve
