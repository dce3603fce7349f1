// The detection report for people (to_text) and programs (to_json).
#include <cstdio>
#include <sstream>

#include "common/byte_size.h"
#include "platform/cgroup.h"
#include "platform/detect.h"
#include "platform/dotted_version.h"
#include "platform/nvidia_driver_table.h"

using nlohmann::json;

namespace tsuku::platform {
namespace {

std::string hex4(uint32_t v) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "%04x", v);
    return buf;
}

std::optional<std::string> max_cuda(const KernelDriver& d) {
    if (d.name != "nvidia" || !d.version) return std::nullopt;
    const auto v = DottedVersion::parse(*d.version);
    if (!v) return std::nullopt;
    const auto c = max_cuda_for_driver(*v);
    if (!c) return std::nullopt;
    return c->str();
}

json verdict_json(const BackendVerdict& v) {
    json j = {
        {"name", backend_name(v.backend)}, {"viable", v.viable}, {"reasons", json::array()}, {"evidence", v.evidence}};
    for (const auto& r : v.reasons) {
        j["reasons"].push_back(
            {{"code", reason_code(r.reason)}, {"message", reason_sentence(r.reason)}, {"detail", r.detail}});
    }
    if (v.device_memory_bytes) j["device_memory_bytes"] = *v.device_memory_bytes;
    if (v.device_free_bytes) j["device_free_bytes"] = *v.device_free_bytes;
    for (const auto& r : v.runtime) {
        json rj = {{"soname", r.soname},
                   {"component", r.component},
                   {"source", r.system_path ? "system"
                              : r.packaged  ? "package"
                                            : "missing"}};
        if (r.system_path) rj["path"] = *r.system_path;
        j["runtime"].push_back(rj);
    }
    return j;
}

json memory_json(const StaticEvidence& e) {
    const MemoryRoom& m = e.memory_room;
    json j = {{"total_bytes", e.memory.total_bytes}, {"available_bytes", e.memory.available_bytes},
              {"usable_bytes", m.usable_bytes},      {"limited_by", m.limited_by},
              {"cgroup_version", m.cgroup_version},  {"cgroup_limits", json::array()}};
    for (const auto& l : m.limits) {
        j["cgroup_limits"].push_back({{"folder", l.folder},
                                      {"file", l.limit_file},
                                      {"limit_bytes", l.limit_bytes},
                                      {"usage_bytes", l.usage_bytes},
                                      {"room_bytes", l.room_bytes}});
    }
    return j;
}

json cpu_json(const CpuBudget& c) {
    json j = {{"threads", c.threads},
              {"why", c.why},
              {"allowed", format_cpu_list(c.allowed)},
              {"allowed_count", c.allowed.size()},
              {"online", c.online},
              {"physical_cores", c.physical_cores}};
    j["quota_cpus"] = c.quota_cpus ? json(*c.quota_cpus) : json(nullptr);
    if (c.quota_cpus) j["quota_source"] = c.quota_source;
    if (!c.configured_by.empty()) j["configured_by"] = c.configured_by;
    return j;
}

std::string pad(std::string s, size_t n) {
    if (s.size() < n) s.append(n - s.size(), ' ');
    return s;
}

}  // namespace

json to_json(const DetectionReport& r) {
    const StaticEvidence& e = r.evidence;
    json j;
    j["platform"] = e.os.platform;
    j["sysroot"] = e.sysroot;
    j["system"] = {
        {"distro", {{"id", e.os.distro_id}, {"version_id", e.os.distro_version}, {"name", e.os.distro_name}}},
        {"kernel", e.os.kernel},
        {"wsl", e.os.wsl},
        {"wsl_gpu", e.os.wsl_gpu},
        {"container", e.os.container},
        {"sandbox", e.os.sandbox.kind.empty() ? json(nullptr)
                                              : json{{"kind", e.os.sandbox.kind},
                                                     {"evidence", e.os.sandbox.evidence},
                                                     {"name", e.os.sandbox.name},
                                                     {"label", sandbox_label(e.os.sandbox)}}},
        {"memory", memory_json(e)},
        {"cpu", cpu_json(e.cpu)}};
    j["launch"] = {{"library_dirs", e.launch_library_dirs}, {"data_dirs", e.launch_data_dirs}};
    j["gpus"] = json::array();
    for (const auto& g : e.gpus) {
        json gj = {{"vendor", g.vendor_name},
                   {"vendor_id", "0x" + hex4(g.vendor_id)},
                   {"device_id", "0x" + hex4(g.device_id)},
                   {"pci_address", g.address},
                   {"class", "0x" + hex4(g.class_code >> 8)},
                   {"driver", g.driver ? json(*g.driver) : json(nullptr)},
                   {"integrated", g.integrated},
                   {"boot_vga", g.boot_vga}};
        if (g.vram_bytes) gj["vram_bytes"] = *g.vram_bytes;
        j["gpus"].push_back(gj);
    }
    j["tegra"] = e.tegra ? json{{"l4t_release", e.tegra->l4t_release},
                                {"model", e.tegra->model},
                                {"library_dir", e.tegra->library_dir ? json(*e.tegra->library_dir) : json(nullptr)}}
                         : json(nullptr);
    j["drivers"] = json::array();
    for (const auto& d : e.drivers) {
        json dj = {{"name", d.name}, {"version", d.version ? json(*d.version) : json(nullptr)}, {"source", d.source}};
        if (auto c = max_cuda(d)) dj["max_cuda"] = *c;
        j["drivers"].push_back(dj);
    }
    j["nvidia_device_nodes"] = e.nvidia_device_nodes;
    j["ld_so_cache"] = {{"path", e.ld_cache.path}};
    if (e.ld_cache.format) {
        j["ld_so_cache"]["format"] = *e.ld_cache.format;
        j["ld_so_cache"]["entries"] = e.ld_cache.entries;
    } else {
        j["ld_so_cache"]["error"] = e.ld_cache.error;
    }
    j["libraries"] = json::object();
    j["library_details"] = json::object();
    for (const auto& [soname, loc] : e.libraries) {
        j["libraries"][soname] = loc.path ? json(*loc.path) : json(nullptr);
        json d = {{"found", loc.path.has_value()}};
        if (loc.path) {
            d["source"] = loc.source;
            d["loader_visible"] = loc.loader_visible;
            if (loc.real_path) d["real_path"] = *loc.real_path;
            if (loc.file_version) d["version"] = *loc.file_version;
        }
        if (!loc.notes.empty()) d["notes"] = loc.notes;
        j["library_details"][soname] = d;
    }
    j["vulkan_icds"] = {{"folders", e.vulkan.folders}, {"icds", json::array()}};
    if (!e.vulkan.override_variable.empty()) j["vulkan_icds"]["override"] = e.vulkan.override_variable;
    for (const auto& icd : e.vulkan.icds) {
        json ij = {{"manifest", icd.manifest}, {"software", icd.software}};
        ij["library_path"] = icd.library_path ? json(*icd.library_path) : json(nullptr);
        ij["api_version"] = icd.api_version ? json(*icd.api_version) : json(nullptr);
        if (!icd.error.empty()) ij["error"] = icd.error;
        j["vulkan_icds"]["icds"].push_back(ij);
    }
    j["vulkan"] = r.vulkan;
    j["cuda"] = r.cuda;
    j["probes"] = r.probes;
    j["backends"] = json::array();
    for (const auto& v : r.backends) j["backends"].push_back(verdict_json(v));
    j["chain"] = json::array();
    for (Backend b : r.chain) j["chain"].push_back(backend_name(b));
    j["forced"] = r.forced ? json(backend_name(*r.forced)) : json(nullptr);
    if (r.forced) j["forced_by"] = r.forced_by;
    j["fallback"] = r.fallback;
    j["fingerprint"] = r.fingerprint;
    j["cache"] = r.cache;
    if (!r.cache_note.empty()) j["cache_note"] = r.cache_note;
    j["detect_us"] = r.elapsed_us;
    return j;
}

std::string to_text(const DetectionReport& r) {
    const StaticEvidence& e = r.evidence;
    std::ostringstream out;
    out << "platform  " << e.os.platform;
    if (!e.os.distro_name.empty()) out << ", " << e.os.distro_name;
    if (!e.os.kernel.empty()) out << ", kernel " << e.os.kernel;
    if (e.os.wsl) out << ", WSL";
    if (!e.os.sandbox.kind.empty()) {
        out << ", " << sandbox_label(e.os.sandbox);
    } else if (e.os.container) {
        out << ", container";
    }
    if (e.sysroot != "/") out << "  (sysroot " << e.sysroot << ")";
    out << "\n\nGPUs\n";
    if (e.tegra) out << "  " << e.tegra->describe() << "\n";
    if (e.gpus.empty() && !e.tegra)
        out << "  none on the PCI bus" << (e.os.wsl_gpu ? " (WSL shares the host's GPU: /dev/dxg)" : "") << "\n";
    for (const auto& g : e.gpus) {
        out << "  " << g.address << "  " << pad(g.vendor_name, 7) << hex4(g.vendor_id) << ":" << hex4(g.device_id)
            << "  " << (g.integrated ? "integrated" : "discrete  ") << "  driver " << g.driver.value_or("none");
        if (g.vram_bytes) out << ", " << format_memory(*g.vram_bytes) << " VRAM";
        out << "\n";
    }
    out << "\nDrivers\n";
    if (e.drivers.empty()) out << "  no GPU kernel driver loaded\n";
    for (const auto& d : e.drivers) {
        out << "  " << pad(d.name, 9) << d.version.value_or("(in-tree)");
        if (auto c = max_cuda(d)) out << "  supports CUDA " << *c;
        if (!d.source.empty()) out << "  [" << d.source << "]";
        out << "\n";
    }
    out << "\nLibraries";
    if (e.ld_cache.format) {
        out << "  (" << e.ld_cache.path << ": " << *e.ld_cache.format << ", " << e.ld_cache.entries << " entries)";
    } else {
        out << "  (" << e.ld_cache.path << ": " << e.ld_cache.error << ")";
    }
    out << "\n";
    for (const auto& [soname, loc] : e.libraries) {
        out << "  " << pad(soname, 19);
        if (!loc.path) {
            out << "not found\n";
            continue;
        }
        out << *loc.path;
        if (loc.file_version) out << "  " << *loc.file_version;
        out << "  [" << loc.source << (loc.loader_visible ? "" : ", loaded by path") << "]\n";
    }
    out << "  Vulkan drivers: ";
    if (e.vulkan.icds.empty()) out << "none";
    for (size_t i = 0; i < e.vulkan.icds.size(); ++i) {
        const auto& icd = e.vulkan.icds[i];
        out << (i ? ", " : "") << std::filesystem::path(icd.manifest).filename().string()
            << (icd.software ? " (software)" : "");
    }
    out << "\n";
    if (!e.launch_library_dirs.empty()) {
        out << "  added to the library path of the probes and the server: ";
        for (size_t i = 0; i < e.launch_library_dirs.size(); ++i) out << (i ? ":" : "") << e.launch_library_dirs[i];
        out << "\n";
    }
    if (!e.launch_data_dirs.empty()) {
        out << "  added to XDG_DATA_DIRS (Vulkan drivers): ";
        for (size_t i = 0; i < e.launch_data_dirs.size(); ++i) out << (i ? ":" : "") << e.launch_data_dirs[i];
        out << "\n";
    }
    out << "\nResources\n"
        << "  threads  " << e.cpu.why << "\n"
        << "  memory   " << format_memory(e.memory_room.usable_bytes) << " usable, limited by "
        << e.memory_room.limited_by;
    if (e.memory_room.limited_by != "MemAvailable" && e.memory.available_bytes > 0) {
        out << "; MemAvailable " << format_memory(e.memory.available_bytes);
    }
    out << "\n\nProbes (" << r.probes << ")\n";
    auto probe_line = [&out](const char* name, const ProbeOutcome& p) {
        out << "  " << pad(name, 7);
        if (!p.completed()) {
            out << (p.cause.empty() ? std::string(probe_status_name(p.status)) : p.cause) << "\n";
            return;
        }
        if (const auto* err = p.api_error()) {
            out << err->stage << " failed: " << (err->code_name.empty() ? "" : err->code_name + ": ") << err->message
                << "\n";
            return;
        }
        out << "ok (" << p.elapsed_ms << " ms)\n";
    };
    probe_line("vulkan", r.vulkan);
    if (r.vulkan.ok()) {
        for (const auto& d : r.vulkan.vulkan->devices) {
            out << "           " << d.name << "  " << d.type << "  " << hex4(d.vendor_id) << ":" << hex4(d.device_id)
                << "  Vulkan " << d.api_version << "  "
                << (d.driver_info.empty() ? "driver " + d.driver_version : d.driver_info) << "  "
                << format_memory(d.device_local_bytes) << " device-local";
            if (d.free_bytes) out << ", " << format_memory(*d.free_bytes) << " free";
            out << "\n";
        }
        if (r.vulkan.vulkan->devices.empty()) out << "           no devices\n";
    }
    probe_line("cuda", r.cuda);
    if (r.cuda.ok()) {
        const auto& c = *r.cuda.cuda;
        if (c.driver_version)
            out << "           driver supports CUDA " << cuda_version_from_int(*c.driver_version).str() << "\n";
        for (const auto& d : c.devices) {
            out << "           " << d.name << "  compute " << d.compute_capability() << "  "
                << format_memory(d.total_bytes);
            if (d.free_bytes) out << ", " << format_memory(*d.free_bytes) << " free";
            out << "  " << d.pci_bus_id << "\n";
        }
    }
    out << "\nBackends\n";
    for (const auto& v : r.backends) {
        out << "  " << pad(std::string(backend_name(v.backend)), 7) << (v.viable ? "viable" : "no    ");
        if (v.viable) {
            if (!v.evidence.empty()) out << "  " << v.evidence.front();
            out << "\n";
        } else {
            for (size_t i = 0; i < v.reasons.size(); ++i) {
                out << (i ? "               " : "  ") << reason_code(v.reasons[i].reason) << ": " << v.reasons[i].detail
                    << "\n";
            }
            if (v.reasons.empty()) out << "\n";
        }
        for (const auto& rt : v.runtime) out << "               runtime " << rt.soname << ": " << rt.where() << "\n";
    }
    out << "\nchain     ";
    for (size_t i = 0; i < r.chain.size(); ++i) out << (i ? " -> " : "") << backend_name(r.chain[i]);
    if (r.forced) out << "   (" << backend_name(*r.forced) << " forced by " << r.forced_by << ")";
    if (!r.fallback) out << "   (llm.fallback = off)";
    out << "\nfingerprint " << r.fingerprint << "  (cache " << r.cache << ")\n";
    if (!r.cache_note.empty()) out << "note: " << r.cache_note << "\n";
    return out.str();
}

}  // namespace tsuku::platform
