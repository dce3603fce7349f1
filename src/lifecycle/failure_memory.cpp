#include "lifecycle/failure_memory.h"

#include <nlohmann/json.hpp>

#include "common/durable_file.h"
#include "common/home.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace tsuku::lifecycle {

std::vector<FailureRecord> FailureMemory::load() const {
    std::vector<FailureRecord> out;
    // Our own cache: an unreadable file is treated as empty (it only costs one retry of a failing variant).
    const json j = read_json_file(file_);
    if (!j.is_object() || !j.contains("failures") || !j["failures"].is_array()) return out;
    for (const auto& e : j["failures"]) {
        if (!e.is_object()) continue;
        const auto backend = parse_backend(e.value("backend", ""));
        const auto reason = parse_reason(e.value("reason", ""));
        if (!backend || !reason) continue;  // written by another version: forgotten, like an unreadable file
        FailureRecord r;
        r.backend = *backend;
        r.reason = *reason;
        r.detail = e.value("detail", "");
        r.fingerprint = e.value("fingerprint", "");
        r.unix_time = e.value("time", int64_t{0});
        r.conditions = e.value("conditions", "");
        if (!r.fingerprint.empty()) out.push_back(r);
    }
    return out;
}

void FailureMemory::save(const std::vector<FailureRecord>& records) const {
    json j = {{"failures", json::array()}};
    for (const auto& r : records) {
        j["failures"].push_back({{"backend", backend_name(r.backend)},
                                 {"reason", reason_code(r.reason)},
                                 {"detail", r.detail},
                                 {"fingerprint", r.fingerprint},
                                 {"time", r.unix_time},
                                 {"conditions", r.conditions}});
    }
    ensure_private_dir(file_.parent_path());
    write_file_atomically(file_, j.dump(2, ' ', false, json::error_handler_t::replace) + "\n", 0600);
}

std::vector<FailureRecord> FailureMemory::for_fingerprint(const std::string& fingerprint) const {
    std::vector<FailureRecord> out;
    for (auto& r : load()) {
        if (r.fingerprint == fingerprint) out.push_back(std::move(r));
    }
    return out;
}

std::string failure_conditions(bool software_devices_allowed, const std::string& variant_version) {
    return std::string("software_devices=") + (software_devices_allowed ? "allowed" : "refused") +
           " variant=" + variant_version;
}

std::optional<FailureRecord> FailureMemory::find(Backend backend, const std::string& fingerprint,
                                                 const std::string& conditions) const {
    for (auto& r : for_fingerprint(fingerprint)) {
        if (r.backend == backend && r.conditions == conditions) return r;
    }
    return std::nullopt;
}

void FailureMemory::record(const FailureRecord& r) {
    auto records = for_fingerprint(r.fingerprint);
    std::erase_if(records, [&](const FailureRecord& o) { return o.backend == r.backend; });
    records.push_back(r);
    save(records);
}

void FailureMemory::forget_all() {
    std::error_code ec;
    fs::remove(file_, ec);
}

}  // namespace tsuku::lifecycle
