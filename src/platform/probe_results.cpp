#include "platform/probe_results.h"

namespace tsuku::platform {

using nlohmann::json;

namespace {

template <typename T>
void opt_to(json& j, const char* key, const std::optional<T>& v) {
    if (v) j[key] = *v;
}
template <typename T>
void opt_from(const json& j, const char* key, std::optional<T>& v) {
    if (j.contains(key) && !j[key].is_null()) v = j[key].get<T>();
}
template <typename T>
void get_or(const json& j, const char* key, T& v) {
    if (j.contains(key) && !j[key].is_null()) v = j[key].get<T>();
}

}  // namespace

std::string_view probe_kind_name(ProbeKind k) { return k == ProbeKind::vulkan ? "vulkan" : "cuda"; }

std::optional<ProbeKind> parse_probe_kind(std::string_view name) {
    if (name == "vulkan") return ProbeKind::vulkan;
    if (name == "cuda") return ProbeKind::cuda;
    return std::nullopt;
}

void to_json(json& j, const ProbeError& e) {
    j = {{"stage", e.stage},
         {"message", e.message},
         {"code_name", e.code_name},
         {"text_from_runtime", e.text_from_runtime}};
    opt_to(j, "code", e.code);
}
void from_json(const json& j, ProbeError& e) {
    e.stage = j.at("stage").get<std::string>();
    get_or(j, "message", e.message);
    get_or(j, "code_name", e.code_name);
    get_or(j, "text_from_runtime", e.text_from_runtime);
    opt_from(j, "code", e.code);
}

void to_json(json& j, const VulkanProbeResult& r) {
    j = {{"library", r.library}, {"loader_version", r.loader_version}, {"devices", json::array()}};
    for (const auto& d : r.devices) {
        json heaps = json::array();
        for (const auto& h : d.heaps) {
            json hj = {{"size", h.size}, {"device_local", h.device_local}};
            opt_to(hj, "budget", h.budget);
            opt_to(hj, "usage", h.usage);
            heaps.push_back(hj);
        }
        json dj = {{"name", d.name},
                   {"type", d.type},
                   {"vendor_id", d.vendor_id},
                   {"device_id", d.device_id},
                   {"api_version", d.api_version},
                   {"driver_version", d.driver_version},
                   {"driver_name", d.driver_name},
                   {"driver_info", d.driver_info},
                   {"memory_budget", d.memory_budget},
                   {"heaps", heaps},
                   {"device_local_bytes", d.device_local_bytes}};
        opt_to(dj, "free_bytes", d.free_bytes);
        j["devices"].push_back(dj);
    }
    if (r.error) j["error"] = *r.error;
}

void from_json(const json& j, VulkanProbeResult& r) {
    get_or(j, "library", r.library);
    get_or(j, "loader_version", r.loader_version);
    for (const auto& dj : j.at("devices")) {
        VulkanDevice d;
        d.name = dj.at("name").get<std::string>();
        d.type = dj.at("type").get<std::string>();
        get_or(dj, "vendor_id", d.vendor_id);
        get_or(dj, "device_id", d.device_id);
        get_or(dj, "api_version", d.api_version);
        get_or(dj, "driver_version", d.driver_version);
        get_or(dj, "driver_name", d.driver_name);
        get_or(dj, "driver_info", d.driver_info);
        get_or(dj, "memory_budget", d.memory_budget);
        get_or(dj, "device_local_bytes", d.device_local_bytes);
        opt_from(dj, "free_bytes", d.free_bytes);
        if (dj.contains("heaps")) {
            for (const auto& hj : dj["heaps"]) {
                VulkanHeap h;
                h.size = hj.at("size").get<uint64_t>();
                get_or(hj, "device_local", h.device_local);
                opt_from(hj, "budget", h.budget);
                opt_from(hj, "usage", h.usage);
                d.heaps.push_back(h);
            }
        }
        r.devices.push_back(std::move(d));
    }
    opt_from(j, "error", r.error);
}

void to_json(json& j, const CudaProbeResult& r) {
    j = {{"library", r.library}, {"devices", json::array()}, {"nvml", r.nvml}};
    opt_to(j, "driver_version", r.driver_version);
    opt_to(j, "nvml_driver", r.nvml_driver);
    for (const auto& d : r.devices) {
        json dj = {{"index", d.index},
                   {"name", d.name},
                   {"compute_capability", d.compute_capability()},
                   {"cc_major", d.cc_major},
                   {"cc_minor", d.cc_minor},
                   {"total_bytes", d.total_bytes},
                   {"pci_bus_id", d.pci_bus_id},
                   {"integrated", d.integrated},
                   {"multiprocessors", d.multiprocessors}};
        opt_to(dj, "free_bytes", d.free_bytes);
        j["devices"].push_back(dj);
    }
    if (r.error) j["error"] = *r.error;
}

void from_json(const json& j, CudaProbeResult& r) {
    get_or(j, "library", r.library);
    get_or(j, "nvml", r.nvml);
    opt_from(j, "driver_version", r.driver_version);
    opt_from(j, "nvml_driver", r.nvml_driver);
    for (const auto& dj : j.at("devices")) {
        CudaDevice d;
        get_or(dj, "index", d.index);
        d.name = dj.at("name").get<std::string>();
        d.cc_major = dj.at("cc_major").get<int>();
        d.cc_minor = dj.at("cc_minor").get<int>();
        get_or(dj, "total_bytes", d.total_bytes);
        opt_from(dj, "free_bytes", d.free_bytes);
        get_or(dj, "pci_bus_id", d.pci_bus_id);
        get_or(dj, "integrated", d.integrated);
        get_or(dj, "multiprocessors", d.multiprocessors);
        r.devices.push_back(std::move(d));
    }
    opt_from(j, "error", r.error);
}

bool ProbeOutcome::ok() const { return completed() && api_error() == nullptr; }

const ProbeError* ProbeOutcome::api_error() const {
    if (vulkan && vulkan->error) return &*vulkan->error;
    if (cuda && cuda->error) return &*cuda->error;
    return nullptr;
}

std::string_view probe_status_name(ProbeOutcome::Status s) {
    switch (s) {
        case ProbeOutcome::Status::not_run: return "not_run";
        case ProbeOutcome::Status::completed: return "completed";
        case ProbeOutcome::Status::timed_out: return "timed_out";
        case ProbeOutcome::Status::crashed: return "crashed";
        case ProbeOutcome::Status::failed: return "failed";
        case ProbeOutcome::Status::bad_output: return "bad_output";
        case ProbeOutcome::Status::spawn_failed: return "spawn_failed";
    }
    return "";
}

void to_json(json& j, const ProbeOutcome& o) {
    j = {{"status", probe_status_name(o.status)}, {"ok", o.ok()}};
    if (!o.cause.empty()) j["cause"] = o.cause;
    if (o.status == ProbeOutcome::Status::not_run) return;
    j["elapsed_ms"] = o.elapsed_ms;
    if (!o.last_stage.empty()) j["last_stage"] = o.last_stage;
    if (o.status == ProbeOutcome::Status::crashed) j["signal"] = o.signal;
    if (o.status == ProbeOutcome::Status::failed) j["exit_code"] = o.exit_code;
    if (!o.stderr_tail.empty() && !o.completed()) j["stderr_tail"] = o.stderr_tail;
    if (o.vulkan) j["result"] = *o.vulkan;
    if (o.cuda) j["result"] = *o.cuda;
}

void from_json(const json& j, ProbeOutcome& o) {
    const auto status = j.at("status").get<std::string>();
    bool known = false;
    for (auto s : {ProbeOutcome::Status::not_run, ProbeOutcome::Status::completed, ProbeOutcome::Status::timed_out,
                   ProbeOutcome::Status::crashed, ProbeOutcome::Status::failed, ProbeOutcome::Status::bad_output,
                   ProbeOutcome::Status::spawn_failed}) {
        if (probe_status_name(s) == status) o.status = s, known = true;
    }
    if (!known) throw json::other_error::create(501, "unknown probe status " + status, &j);
    get_or(j, "cause", o.cause);
    get_or(j, "elapsed_ms", o.elapsed_ms);
    get_or(j, "last_stage", o.last_stage);
    get_or(j, "signal", o.signal);
    get_or(j, "exit_code", o.exit_code);
    get_or(j, "stderr_tail", o.stderr_tail);
    if (j.contains("result")) {
        if (o.kind == ProbeKind::vulkan) o.vulkan = j["result"].get<VulkanProbeResult>();
        if (o.kind == ProbeKind::cuda) o.cuda = j["result"].get<CudaProbeResult>();
    }
}

}  // namespace tsuku::platform
