#include "platform/detect.h"

#include <algorithm>
#include <chrono>

#include "common/error.h"
#include "common/version.h"
#include "platform/detection_cache.h"

namespace tsuku::platform {
namespace {

// The probe child must load with the environment the evidence was gathered with (an injected one in tests):
// the variables that steer the dynamic loader and the Vulkan loader are passed where they differ from ours, and the
// folders detection found drivers in (a sandbox's) are added, as they are for the server.
ProbeConfig probe_config(const DetectOptions& o, const StaticEvidence& evidence) {
    ProbeConfig c = o.probe;
    const Environment ours = Environment::process();
    for (const char* var : {"LD_LIBRARY_PATH", "VK_DRIVER_FILES", "VK_ICD_FILENAMES", "VK_ADD_DRIVER_FILES",
                            "XDG_CONFIG_DIRS", "XDG_DATA_DIRS", "XDG_DATA_HOME"}) {
        const auto want = o.system.env.get(var);
        if (want == ours.get(var)) continue;
        if (std::none_of(c.env.begin(), c.env.end(), [var](const auto& kv) { return kv.first == var; })) {
            c.env.emplace_back(var, want.value_or(""));  // "" is how an unset one is passed on: all treat it so
        }
    }
    add_launch_environment(c.env, evidence, o.system.env);
    return c;
}

bool policy_has(const PlatformPolicy& p, Backend b) {
    const auto all = policy_backends(p);
    return std::find(all.begin(), all.end(), b) != all.end();
}

}  // namespace

const BackendVerdict* DetectionReport::verdict(Backend b) const {
    for (const auto& v : backends) {
        if (v.backend == b) return &v;
    }
    return nullptr;
}

DetectionReport detect(const PlatformPolicy& policy, const DetectOptions& o) {
    const auto start = std::chrono::steady_clock::now();
    DetectionReport r;
    r.forced = o.forced;
    r.forced_by = o.forced ? o.forced_by : "";
    r.fallback = o.fallback;
    r.evidence = gather_static_evidence(o.system, policy);
    r.fingerprint = fingerprint(r.evidence);
    r.cache = "off";

    // Why the probes cannot run at all, if they cannot.
    std::string off;
    if (!o.system.is_live() && !o.probe_runner) {
        off = "not run: --sysroot (a fixture has no drivers to load)";
    } else if (!o.run_probes) {
        off = "not run: --no-probe";
    } else if (o.probe.command.empty() && !o.probe_runner) {
        off = "not run: no probe program";
    }

    struct Wanted {
        ProbeKind kind;
        Backend backend;
        std::string_view soname;
    };
    const Wanted wanted[] = {{ProbeKind::vulkan, Backend::vulkan, kVulkanLoader},
                             {ProbeKind::cuda, Backend::cuda, kCudaDriverLibrary}};
    std::vector<ProbeRequest> requests;
    for (const auto& w : wanted) {
        ProbeOutcome& slot = w.kind == ProbeKind::vulkan ? r.vulkan : r.cuda;
        if (!policy_has(policy, w.backend)) {
            slot = not_run_outcome(w.kind,
                                   "not run: the platform has no " + std::string(backend_name(w.backend)) + " variant");
        } else if (!off.empty()) {
            slot = not_run_outcome(w.kind, off);
        } else if (const auto* loc = r.evidence.library(w.soname); !loc || !loc->path) {
            slot = not_run_outcome(w.kind, "not run: " + std::string(w.soname) + " not found");
        } else {
            // A library the loader cannot see by name is loaded by path.
            requests.push_back({w.kind, loc->loader_visible ? std::nullopt : loc->path});
        }
    }

    if (!requests.empty()) {
        std::optional<CachedProbes> cached;
        if (o.cache_file && !o.refresh) cached = read_detection_cache(*o.cache_file);
        if (cached && cached->fingerprint == r.fingerprint && cached->tsuku_version == kVersion) {
            r.cache = "hit";
            r.probes = "cached";
            r.vulkan = cached->vulkan;
            r.cuda = cached->cuda;
        } else {
            r.cache = !o.cache_file ? "off" : (o.refresh ? "refresh" : "miss");
            r.probes = "ran";
            const auto outcomes =
                o.probe_runner ? o.probe_runner(requests) : run_probes(probe_config(o, r.evidence), requests);
            for (size_t i = 0; i < requests.size() && i < outcomes.size(); ++i) {
                ProbeOutcome out = outcomes[i];
                out.kind = requests[i].kind;
                (requests[i].kind == ProbeKind::vulkan ? r.vulkan : r.cuda) = std::move(out);
            }
            if (o.cache_file) {
                try {
                    write_detection_cache(*o.cache_file, {r.fingerprint, kVersion, r.vulkan, r.cuda});
                } catch (const UserError& e) {
                    r.cache_note = e.what();
                }
            }
        }
    } else {
        r.probes = off.empty() ? "none needed" : off;
    }

    r.backends = evaluate_backends(policy, r.evidence, r.vulkan, r.cuda);
    r.chain = resolve_chain(policy, r.backends, o.forced, o.fallback);
    r.elapsed_us =
        std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start).count();
    return r;
}

}  // namespace tsuku::platform
