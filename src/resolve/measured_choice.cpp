#include "resolve/measured_choice.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "common/durable_file.h"
#include "common/home.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace tsuku::resolve {
namespace {

double workload_seconds(const Measurement& m, const Workload& w) {
    return w.prompt_tokens / m.prompt_tps + w.gen_tokens / m.gen_tps;
}

json to_json(const MeasuredChoice& c) {
    json j = {{"fingerprint", c.fingerprint},
              {"backend", std::string(backend_name(c.backend))},
              {"needs_software_devices", c.needs_software_devices},
              {"model", c.model},
              {"prompt_tokens", c.workload.prompt_tokens},
              {"gen_tokens", c.workload.gen_tokens},
              {"time", c.unix_time},
              {"measurements", json::array()}};
    for (const auto& m : c.measurements) {
        j["measurements"].push_back(
            {{"backend", std::string(backend_name(m.backend))}, {"prompt_tps", m.prompt_tps}, {"gen_tps", m.gen_tps}});
    }
    return j;
}

std::optional<MeasuredChoice> from_json(const json& j) {
    if (!j.is_object() || !j.contains("backend") || !j["backend"].is_string()) return std::nullopt;
    const auto backend = parse_backend(j["backend"].get<std::string>());
    const std::string fingerprint = j.value("fingerprint", "");
    if (!backend || fingerprint.empty()) return std::nullopt;
    MeasuredChoice c;
    c.fingerprint = fingerprint;
    c.backend = *backend;
    c.needs_software_devices = j.value("needs_software_devices", false);
    c.model = j.value("model", "");
    c.workload = {j.value("prompt_tokens", 0), j.value("gen_tokens", 0)};
    c.unix_time = j.value("time", int64_t{0});
    if (j.contains("measurements") && j["measurements"].is_array()) {
        for (const auto& e : j["measurements"]) {
            if (!e.is_object()) continue;
            const auto b = parse_backend(e.value("backend", ""));
            if (b) c.measurements.push_back({*b, e.value("prompt_tps", 0.0), e.value("gen_tps", 0.0)});
        }
    }
    return c;
}

}  // namespace

std::optional<Measurement> fastest(const std::vector<Measurement>& measurements, const Workload& workload) {
    std::optional<Measurement> best;
    for (const auto& m : measurements) {
        if (!(m.prompt_tps > 0) || !(m.gen_tps > 0)) continue;
        if (!best || workload_seconds(m, workload) < workload_seconds(*best, workload)) best = m;
    }
    return best;
}

std::optional<MeasuredChoice> load_measured_choice(const fs::path& file) { return from_json(read_json_file(file)); }

void save_measured_choice(const fs::path& file, const MeasuredChoice& choice) {
    ensure_private_dir(file.parent_path());
    write_file_atomically(file, to_json(choice).dump(2) + "\n", 0600);
}

void forget_measured_choice(const fs::path& file) {
    std::error_code ec;
    fs::remove(file, ec);
}

MeasuredChain apply_measured_choice(const std::vector<Backend>& chain, const std::optional<MeasuredChoice>& choice,
                                    const ChainContext& context) {
    MeasuredChain out{chain, false, ""};
    if (!choice) return out;
    const std::string name(backend_name(choice->backend));
    if (choice->fingerprint != context.fingerprint) {
        out.note = "measured choice " + name + " is stale (the hardware or drivers changed): tsuku llm bench --select";
        return out;
    }
    if (context.forced) {
        out.note = "measured choice " + name + " not used: " + context.forced_by + " = " +
                   std::string(backend_name(*context.forced)) + " decides";
        return out;
    }
    if (choice->needs_software_devices && !context.software_devices_allowed) {
        out.note = "measured choice " + name +
                   " not used: it was measured on a software device (set TSUKU_LLM_ALLOW_SOFTWARE_DEVICES=1)";
        return out;
    }
    std::vector<Backend> reordered{choice->backend};
    for (Backend b : chain) {
        if (b != choice->backend) reordered.push_back(b);
    }
    if (!context.fallback) reordered.resize(1);
    out.chain = std::move(reordered);
    out.applied = true;
    out.note = "measured choice " + name + " leads (tsuku llm bench --select; fastest here)";
    return out;
}

std::string apply_measured_choice(platform::DetectionReport& report, const fs::path& choice_file,
                                  const Environment& env) {
    const ChainContext context{report.fingerprint, report.forced, report.forced_by, report.fallback,
                               software_devices_allowed(env)};
    auto result = apply_measured_choice(report.chain, load_measured_choice(choice_file), context);
    report.chain = std::move(result.chain);
    return result.note;
}

}  // namespace tsuku::resolve
