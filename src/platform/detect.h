// Detection, the entry point of the platform layer: static evidence, isolated functional probes (cached by
// fingerprint), per-backend verdicts with reasons, and the chain — for one PlatformPolicy.
//
//   platform::DetectOptions o;
//   o.probe.command = {"/proc/self/exe", "__probe"};
//   o.cache_file = home.detection_cache_path();
//   auto report = platform::detect(platform::builtin_linux_policy(), o);
//   report.chain  // e.g. {cuda, vulkan, cpu}
#pragma once

#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "platform/probe_runner.h"
#include "platform/requirements.h"
#include "platform/static_evidence.h"
#include "platform/system_root.h"
#include "platform/verdict.h"

namespace tsuku::platform {

using ProbeRunnerFn = std::function<std::vector<ProbeOutcome>(const std::vector<ProbeRequest>&)>;

struct DetectOptions {
    SystemRoot system;                                // "/" and the process environment by default
    bool run_probes = true;                           // false: static evidence only (--no-probe)
    ProbeConfig probe;                                // how to start a probe child; empty command: probes cannot run
    std::optional<std::filesystem::path> cache_file;  // state/detection.json; nullopt: no cache
    bool refresh = false;                             // ignore the cache (and rewrite it)
    std::optional<Backend> forced;                    // --backend / llm.backend
    std::string forced_by = "--backend";              // what forced it, for the report
    bool fallback = true;                             // llm.fallback: false leaves only the first backend
    // Replaces run_probes(); also allowed with a fixture root, whose tests supply what its probes would print.
    ProbeRunnerFn probe_runner;
};

struct DetectionReport {
    StaticEvidence evidence;
    ProbeOutcome vulkan = not_run_outcome(ProbeKind::vulkan);
    ProbeOutcome cuda = not_run_outcome(ProbeKind::cuda);
    std::vector<BackendVerdict> backends;
    std::vector<Backend> chain;
    std::optional<Backend> forced;
    std::string forced_by;
    bool fallback = true;
    std::string fingerprint;
    std::string cache;       // "hit", "miss", "refresh", "off"
    std::string probes;      // "ran", "cached", or why they did not run
    std::string cache_note;  // e.g. why the cache could not be written
    int64_t elapsed_us = 0;  // time spent in detect(): what the benchmark separates from process start-up

    const BackendVerdict* verdict(Backend b) const;
};

// Never throws for anything a machine can do (missing files, broken drivers, hung probes); throws UserError for
// a `forced` backend the policy does not have.
DetectionReport detect(const PlatformPolicy& policy, const DetectOptions& options);

nlohmann::json to_json(const DetectionReport& report);
std::string to_text(const DetectionReport& report);

}  // namespace tsuku::platform
