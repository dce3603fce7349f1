#include "platform/verdict.h"

#include <algorithm>
#include <filesystem>

#include "common/byte_size.h"
#include "common/error.h"
#include "common/text.h"
#include "platform/cuda_probe.h"
#include "platform/dotted_version.h"
#include "platform/nvidia_driver_table.h"

namespace tsuku::platform {
namespace {

using Reasons = std::vector<ReasonItem>;

std::optional<DottedVersion> version(const std::optional<std::string>& s) {
    if (!s) return std::nullopt;
    return DottedVersion::parse(*s);
}

void add(Reasons& r, Reason reason, std::string detail) {
    for (const auto& existing : r) {
        if (existing.reason == reason) return;  // one line per reason: the first piece of evidence says it
    }
    r.push_back({reason, std::move(detail)});
}

bool has(const Reasons& r, Reason reason) {
    return std::any_of(r.begin(), r.end(), [reason](const ReasonItem& i) { return i.reason == reason; });
}

std::string gpu_label(const PciGpu& g) {
    char ids[16];
    std::snprintf(ids, sizeof ids, "%04x:%04x", g.vendor_id, g.device_id);
    return g.vendor_name + " " + ids + " at " + g.address;
}

void check_libraries(const BackendRequirements& req, const StaticEvidence& ev, Reasons& r) {
    for (const auto& soname : req.libraries) {
        const auto* loc = ev.library(soname);
        if (loc && loc->path) continue;
        std::string detail = soname + " not found (searched LD_LIBRARY_PATH, " + ev.ld_cache.path + " and " +
                             std::to_string(ev.library_dirs_searched) + " distribution folders)";
        if (loc && !loc->notes.empty()) detail += "; " + loc->notes.front();
        add(r, Reason::library_missing, detail);
    }
}

// Where each runtime library would come from; one library_missing line for those that have no source at all.
std::vector<RuntimeSource> check_runtime(const BackendRequirements& req, const StaticEvidence& ev, Reasons& r) {
    std::vector<RuntimeSource> out;
    std::string missing, components;
    for (const auto& lib : req.runtime_libraries) {
        RuntimeSource s{lib.soname, lib.component, std::nullopt, lib.packaged};
        if (const auto* loc = ev.library(lib.soname); loc && loc->path) s.system_path = loc->path;
        if (!s.available()) {
            append_listed(missing, ", ", lib.soname);
            if (components.find(lib.component) == std::string::npos) append_listed(components, ", ", lib.component);
        }
        out.push_back(std::move(s));
    }
    if (!missing.empty()) {
        const std::string detail = missing + " not found on this system, and this release has no package of " +
                                   components + " for it (install the runtime, e.g. NVIDIA's CUDA runtime packages)";
        auto it =
            std::find_if(r.begin(), r.end(), [](const ReasonItem& i) { return i.reason == Reason::library_missing; });
        if (it != r.end()) {
            it->detail += "; " + detail;
        } else {
            add(r, Reason::library_missing, detail);
        }
    }
    return out;
}

// What a completed-but-failed or broken probe says, as reasons.
void probe_failure(const ProbeOutcome& p, Reasons& r) {
    if (!p.completed()) {
        std::string detail = p.cause;
        if (!p.stderr_tail.empty()) {
            const auto nl = p.stderr_tail.rfind('\n');
            detail += "; it said: " + p.stderr_tail.substr(nl == std::string::npos ? 0 : nl + 1);
        }
        add(r, Reason::probe_failed, detail);
        return;
    }
    const ProbeError* e = p.api_error();
    if (!e) return;
    std::string said = e->stage + ": " + (e->code_name.empty() ? "" : e->code_name + ": ") + e->message;
    if (e->stage == "dlopen") {
        add(r, Reason::library_missing, said);
    } else {
        add(r, Reason::probe_failed, said);
    }
}

// Static evidence: hardware and driver. A probe that sees devices outranks sysfs (WSL has no PCI GPU at all).
Reasons cuda_static_reasons(const BackendRequirements& req, const StaticEvidence& ev, bool proven) {
    Reasons statics;
    std::vector<const PciGpu*> nvidia;
    for (const auto& g : ev.gpus) {
        if (g.vendor == GpuVendor::nvidia) nvidia.push_back(&g);
    }
    const KernelDriver* kernel = find_driver(ev.drivers, "nvidia");
    if (!proven) {
        if (nvidia.empty() && !ev.os.wsl_gpu) {
            add(statics, Reason::no_hardware, "no NVIDIA GPU on the PCI bus");
        } else if (!nvidia.empty() && !ev.os.wsl_gpu) {
            const bool bound = std::any_of(nvidia.begin(), nvidia.end(),
                                           [](const PciGpu* g) { return g->driver && *g->driver == "nvidia"; });
            if (!kernel && !bound) {
                const PciGpu& g = *nvidia.front();
                add(statics, Reason::driver_missing,
                    gpu_label(g) + (g.driver ? " is driven by " + *g.driver + ", which has no CUDA"
                                             : " has no kernel driver bound (the NVIDIA driver is not loaded)"));
            } else if (ev.os.sandbox.kind == "flatpak" && !ev.nvidia_device_nodes) {
                add(statics, Reason::driver_missing,
                    "this Flatpak sandbox cannot reach the NVIDIA driver (/dev/nvidiactl is missing): give it the "
                    "devices, e.g. flatpak override --user --device=all " +
                        (ev.os.sandbox.name.empty() ? std::string("<app id>") : ev.os.sandbox.name));
            } else if (ev.os.sandbox.kind == "snap" && !ev.nvidia_device_nodes) {
                add(statics, Reason::driver_missing,
                    "this snap cannot reach the NVIDIA driver (/dev/nvidiactl is missing): connect its graphics "
                    "interface, e.g. snap connect " +
                        (ev.os.sandbox.name.empty() ? std::string("<snap>") : ev.os.sandbox.name) + ":opengl");
            } else if (ev.os.container && !ev.nvidia_device_nodes) {
                add(statics, Reason::driver_missing,
                    "this container cannot reach the NVIDIA driver (/dev/nvidiactl is missing): start it with the GPU "
                    "passed through, e.g. docker run --gpus all with the NVIDIA Container Toolkit");
            }
        }
    }
    const auto need_cuda = version(req.cuda_driver);
    if (kernel && kernel->version && need_cuda) {
        const auto have = DottedVersion::parse(*kernel->version);
        const CudaDriverRow* row = minimum_driver_row(*need_cuda);
        if (have && row && *have < *DottedVersion::parse(row->min_driver)) {
            const auto max = max_cuda_for_driver(*have);
            add(statics, Reason::driver_too_old,
                "NVIDIA driver " + *kernel->version + " supports CUDA " + (max ? "up to " + max->str() : "below 10.0") +
                    "; the cuda variant needs CUDA " + *req.cuda_driver + ", i.e. driver " +
                    std::string(row->min_driver) + " or newer");
        }
    }
    return statics;
}

// Runtime: what the driver API said (or why the probe could not ask it).
Reasons cuda_probe_reasons(const BackendRequirements& req, const ProbeOutcome& probe, const Reasons& statics) {
    Reasons runtime;
    const auto* cuda = probe.ok() ? &*probe.cuda : nullptr;
    if (probe.completed() && probe.api_error()) {
        const ProbeError& e = *probe.api_error();
        if (const auto reason = cuda_error_reason(e.code.value_or(0))) {
            add(runtime, *reason, cuda_error_detail(probe.cuda->library, e));
        } else {
            probe_failure(probe, runtime);
        }
    } else if (!probe.completed() && probe.status != ProbeOutcome::Status::not_run) {
        probe_failure(probe, runtime);
    } else if (cuda) {
        const auto need_cuda = version(req.cuda_driver);
        if (cuda->driver_version && need_cuda) {
            const DottedVersion have = cuda_version_from_int(*cuda->driver_version);
            if (have < *need_cuda && !has(statics, Reason::driver_too_old)) {
                add(runtime, Reason::driver_too_old,
                    "the driver supports CUDA " + have.str() + "; the cuda variant needs CUDA " + *req.cuda_driver);
            }
        }
        if (cuda->devices.empty()) {
            add(runtime, Reason::no_device, "cuInit succeeded but the driver reports no device");
        } else if (auto min_cc = version(req.min_compute_capability)) {
            std::string old;
            bool any = false;
            for (const auto& d : cuda->devices) {
                const DottedVersion cc({static_cast<unsigned>(d.cc_major), static_cast<unsigned>(d.cc_minor)});
                if (cc >= *min_cc) {
                    any = true;
                } else {
                    append_listed(old, ", ", d.name + " (" + d.compute_capability() + ")");
                }
            }
            if (!any) {
                add(runtime, Reason::gpu_too_old,
                    old + ": compute capability below the " + *req.min_compute_capability + " the cuda variant needs");
            }
        }
    }
    return runtime;
}

// What speaks for a backend the probe proved: its usable devices, the driver, the library; the best device's memory.
void add_cuda_evidence(BackendVerdict& v, const BackendRequirements& req, const CudaProbeResult& cuda,
                       const KernelDriver* kernel) {
    const auto min_cc = version(req.min_compute_capability);
    const CudaDevice* best = nullptr;
    for (const auto& d : cuda.devices) {
        const DottedVersion cc({static_cast<unsigned>(d.cc_major), static_cast<unsigned>(d.cc_minor)});
        if (min_cc && cc < *min_cc) continue;
        if (!best || d.total_bytes > best->total_bytes) best = &d;
        v.evidence.push_back(d.name + " (compute capability " + d.compute_capability() + ", " +
                             format_memory(d.total_bytes) +
                             (d.free_bytes ? ", " + format_memory(*d.free_bytes) + " free" : "") + ")");
    }
    if (cuda.driver_version) {
        v.evidence.push_back("driver supports CUDA " + cuda_version_from_int(*cuda.driver_version).str() +
                             (kernel && kernel->version ? " (NVIDIA " + *kernel->version + ")" : ""));
    }
    v.evidence.push_back("libcuda: " + cuda.library);
    if (best && v.viable) {
        v.device_memory_bytes = best->total_bytes;
        v.device_free_bytes = best->free_bytes;
    }
}

BackendVerdict evaluate_cuda(const BackendRequirements& req, const StaticEvidence& ev, const ProbeOutcome& probe) {
    BackendVerdict v;
    v.backend = Backend::cuda;
    Reasons libs;
    check_libraries(req, ev, libs);
    if (has(libs, Reason::library_missing)) {
        // A toolkit on the machine is a common source of hope; say plainly that it is not a driver.
        for (const auto& [soname, loc] : ev.libraries) {
            if (soname.starts_with("libcudart.so") && loc.path) {
                libs.front().detail += "; the CUDA toolkit's runtime (" + *loc.path + ") is not a driver";
                break;
            }
        }
    }
    v.runtime = check_runtime(req, ev, libs);
    const auto* cuda = probe.ok() ? &*probe.cuda : nullptr;
    const bool proven = cuda && !cuda->devices.empty();
    const Reasons statics = cuda_static_reasons(req, ev, proven);
    const Reasons runtime = cuda_probe_reasons(req, probe, statics);

    // Libraries first, then what the driver said, then the static evidence.
    v.reasons = libs;
    v.reasons.insert(v.reasons.end(), runtime.begin(), runtime.end());
    v.reasons.insert(v.reasons.end(), statics.begin(), statics.end());
    if (v.reasons.empty() && probe.status == ProbeOutcome::Status::not_run) {
        add(v.reasons, Reason::unprobed, probe.cause);
    }
    v.viable = v.reasons.empty() && proven;
    if (proven) add_cuda_evidence(v, req, *cuda, find_driver(ev.drivers, "nvidia"));
    return v;
}

BackendVerdict evaluate_vulkan(const BackendRequirements& req, const StaticEvidence& ev, const ProbeOutcome& probe) {
    BackendVerdict v;
    v.backend = Backend::vulkan;
    Reasons libs, runtime, statics;
    check_libraries(req, ev, libs);

    const auto* vk = probe.ok() ? &*probe.vulkan : nullptr;
    std::vector<const VulkanDevice*> hardware;
    if (vk) {
        for (const auto& d : vk->devices) {
            if (!d.is_software()) hardware.push_back(&d);
        }
    }
    const auto need_api = version(req.vulkan_api);
    std::vector<const VulkanDevice*> usable;
    for (const auto* d : hardware) {
        const auto api = DottedVersion::parse(d->api_version);
        if (!need_api || (api && *api >= *need_api)) usable.push_back(d);
    }

    if (probe.completed() && probe.api_error()) {
        const ProbeError& e = *probe.api_error();
        if (e.code_name == "VK_ERROR_INCOMPATIBLE_DRIVER") {
            add(runtime, Reason::driver_missing, e.stage + ": " + e.code_name + ": " + e.message);
        } else {
            probe_failure(probe, runtime);
        }
    } else if (!probe.completed() && probe.status != ProbeOutcome::Status::not_run) {
        probe_failure(probe, runtime);
    } else if (vk) {
        if (vk->devices.empty()) {
            add(runtime, Reason::no_device, "the Vulkan loader reports no physical device");
        } else if (hardware.empty()) {
            std::string names;
            for (const auto& d : vk->devices) append_listed(names, ", ", d.name);
            add(runtime, Reason::software_device_only,
                "the only Vulkan device" + std::string(vk->devices.size() > 1 ? "s are " : " is ") + names +
                    " (type cpu): a software renderer");
        } else if (usable.empty()) {
            add(runtime, Reason::driver_too_old,
                hardware.front()->name + " offers Vulkan " + hardware.front()->api_version +
                    "; the vulkan variant needs " + *req.vulkan_api);
        }
    }

    if (hardware.empty()) {
        const bool gpu = ev.os.wsl_gpu || std::any_of(ev.gpus.begin(), ev.gpus.end(),
                                                      [](const PciGpu& g) { return g.vendor != GpuVendor::other; });
        if (!gpu) {
            add(statics, Reason::no_hardware,
                ev.gpus.empty()
                    ? "no GPU on the PCI bus"
                    : "no NVIDIA, AMD or Intel GPU on the PCI bus (only " + gpu_label(ev.gpus.front()) + ")");
        } else if (!probe.ok()) {
            const bool hardware_icd = std::any_of(ev.vulkan.icds.begin(), ev.vulkan.icds.end(),
                                                  [](const VulkanIcd& i) { return !i.software && i.error.empty(); });
            if (!hardware_icd) {
                add(statics, Reason::driver_missing,
                    "no Vulkan driver (ICD manifest) for a GPU is installed" +
                        std::string(ev.vulkan.icds.empty() ? "" : "; only software ones"));
            }
        }
    }

    v.reasons = libs;
    v.reasons.insert(v.reasons.end(), runtime.begin(), runtime.end());
    v.reasons.insert(v.reasons.end(), statics.begin(), statics.end());
    if (v.reasons.empty() && probe.status == ProbeOutcome::Status::not_run) {
        add(v.reasons, Reason::unprobed, probe.cause);
    }
    v.viable = v.reasons.empty() && !usable.empty();
    const VulkanDevice* best = nullptr;
    for (const auto* d : usable) {
        if (!best || d->device_local_bytes > best->device_local_bytes ||
            (d->type == "discrete_gpu" && best->type != "discrete_gpu")) {
            best = d;
        }
        v.evidence.push_back(d->name + " (" + d->type + ", Vulkan " + d->api_version + ", " +
                             format_memory(d->device_local_bytes) + " device-local" +
                             (d->free_bytes ? ", " + format_memory(*d->free_bytes) + " free" : "") + ")");
    }
    if (vk) v.evidence.push_back("loader: " + vk->library);
    if (best && v.viable) {
        v.device_memory_bytes = best->device_local_bytes;
        v.device_free_bytes = best->free_bytes;
    }
    return v;
}

}  // namespace

bool BackendVerdict::has(Reason r) const {
    return std::any_of(reasons.begin(), reasons.end(), [r](const ReasonItem& i) { return i.reason == r; });
}

namespace {

namespace fs = std::filesystem;

// Mesa names its ICD manifests by architecture (intel_icd.x86_64.json); on a multiarch system, another
// architecture's driver is nothing this process could use.
bool names_foreign_arch(const std::string& manifest_name) {
#if defined(__aarch64__)
    constexpr std::string_view here = ".aarch64.";
#else
    constexpr std::string_view here = ".x86_64.";
#endif
    for (std::string_view arch : {".x86_64.", ".aarch64.", ".i686.", ".armv7l.", ".riscv64."}) {
        if (arch != here && manifest_name.find(arch) != std::string::npos) return true;
    }
    return false;
}

// What the machine has for a backend the release does not build here (a Jetson's GPU, a Raspberry Pi's V3D Vulkan
// driver): said in the verdict, so detect explains why a GPU goes unused instead of offering nothing.
std::vector<std::string> hardware_for(Backend b, const StaticEvidence& e) {
    std::vector<std::string> seen;
    if (b == Backend::cuda) {
        if (e.tegra) seen.push_back(e.tegra->describe());
        for (const auto& g : e.gpus) {
            if (g.vendor == GpuVendor::nvidia) seen.push_back("NVIDIA GPU " + g.address);
        }
    }
    if (b == Backend::vulkan) {
        for (const auto& icd : e.vulkan.icds) {
            const std::string name = fs::path(icd.manifest).filename().string();
            if (icd.error.empty() && !icd.software && !names_foreign_arch(name))
                seen.push_back("Vulkan driver " + name);
        }
    }
    const std::string_view soname = b == Backend::cuda ? kCudaDriverLibrary : kVulkanLoader;
    if (const auto* loc = e.library(soname); loc && loc->path) seen.push_back(*loc->path);
    return seen;
}

BackendVerdict not_built_verdict(Backend b, const std::string& why, const StaticEvidence& e) {
    BackendVerdict v;
    v.backend = b;
    v.evidence = hardware_for(b, e);
    std::string detail = why;
    if (!v.evidence.empty()) {
        detail += "; this machine has: ";
        for (size_t i = 0; i < v.evidence.size(); ++i) detail += (i ? ", " : "") + v.evidence[i];
    }
    v.reasons.push_back({Reason::not_built, detail});
    return v;
}

}  // namespace

std::vector<BackendVerdict> evaluate_backends(const PlatformPolicy& policy, const StaticEvidence& evidence,
                                              const ProbeOutcome& vulkan, const ProbeOutcome& cuda) {
    std::vector<BackendVerdict> out;
    for (Backend b : policy_backends(policy)) {
        const auto it = policy.requirements.find(b);
        const BackendRequirements req = it == policy.requirements.end() ? BackendRequirements{} : it->second;
        switch (b) {
            case Backend::cpu: {
                BackendVerdict v;
                v.backend = b;
                v.viable = true;
                v.evidence.push_back("always available");
                out.push_back(std::move(v));
                break;
            }
            case Backend::cuda: out.push_back(evaluate_cuda(req, evidence, cuda)); break;
            case Backend::vulkan: out.push_back(evaluate_vulkan(req, evidence, vulkan)); break;
            case Backend::metal: {
                BackendVerdict v;
                v.backend = b;
                v.reasons.push_back({Reason::no_hardware, "Metal exists only on Apple platforms"});
                out.push_back(std::move(v));
                break;
            }
        }
    }
    for (const auto& [b, why] : policy.not_built) {
        const bool listed =
            std::any_of(out.begin(), out.end(), [b = b](const BackendVerdict& v) { return v.backend == b; });
        if (!listed) out.push_back(not_built_verdict(b, why, evidence));
    }
    return out;
}

std::string RuntimeSource::where() const {
    if (system_path) return *system_path + " (system)";
    if (packaged) return "the " + component + " package";
    return "missing";
}

std::vector<Backend> resolve_chain(const PlatformPolicy& policy, const std::vector<BackendVerdict>& verdicts,
                                   std::optional<Backend> forced, bool fallback) {
    std::vector<Backend> chain;
    if (forced) {
        const auto all = policy_backends(policy);
        if (std::find(all.begin(), all.end(), *forced) == all.end()) {
            std::string names;
            for (Backend b : all) append_listed(names, ", ", std::string(backend_name(b)));
            const auto not_built = policy.not_built.find(*forced);
            throw UserError("backend " + std::string(backend_name(*forced)) +
                                (not_built == policy.not_built.end() ? " does not exist on this platform"
                                                                     : " is " + not_built->second),
                            "choose one of: " + names, ExitCode::usage);
        }
        chain.push_back(*forced);
    } else {
        for (Backend b : policy.prefer) {
            if (b == policy.default_backend) continue;
            const auto it =
                std::find_if(verdicts.begin(), verdicts.end(), [b](const BackendVerdict& v) { return v.backend == b; });
            if (it != verdicts.end() && it->viable && std::find(chain.begin(), chain.end(), b) == chain.end()) {
                chain.push_back(b);
            }
        }
    }
    if (std::find(chain.begin(), chain.end(), policy.default_backend) == chain.end()) {
        chain.push_back(policy.default_backend);
    }
    if (!fallback) chain.resize(1);
    return chain;
}

}  // namespace tsuku::platform
