// The measured choice (state/measured-choice.json): the variant `tsuku llm bench --select` found fastest on this
// machine. Resolution puts it at the head of the chain, ahead of the manifest's static `prefer` order, for as long
// as the hardware fingerprint it was measured on is the machine's; a new GPU or driver makes it stale. An explicit
// backend (llm.backend, --backend) still wins over it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "common/backend.h"
#include "common/environment.h"
#include "platform/detect.h"

namespace tsuku::resolve {

// One variant's speed on the benchmark's workload (the same model, prompt and token counts for every variant).
struct Measurement {
    Backend backend = Backend::cpu;
    double prompt_tps = 0;  // prompt processing, tokens/s (median)
    double gen_tps = 0;     // generation, tokens/s (median)
};

struct Workload {
    int prompt_tokens = 0;
    int gen_tokens = 0;
};

struct MeasuredChoice {
    std::string fingerprint;  // the hardware it was measured on
    Backend backend = Backend::cpu;
    // It ran only because TSUKU_LLM_ALLOW_SOFTWARE_DEVICES allowed a software device (lavapipe): without that
    // permission the variant would exit 78, so the choice applies only where the permission is given.
    bool needs_software_devices = false;
    std::string model;  // what it was measured with (for the record)
    Workload workload;
    int64_t unix_time = 0;
    std::vector<Measurement> measurements;
};

// The fastest measurement: the least time for the workload (its prompt at prompt_tps plus its output at gen_tps).
// std::nullopt when there is none with both rates.
std::optional<Measurement> fastest(const std::vector<Measurement>& measurements, const Workload& workload);

// std::nullopt when there is no file or it cannot be read (our own state: a bad file only loses the choice).
std::optional<MeasuredChoice> load_measured_choice(const std::filesystem::path& file);
void save_measured_choice(const std::filesystem::path& file, const MeasuredChoice& choice);  // atomic, 0600
void forget_measured_choice(const std::filesystem::path& file);

struct ChainContext {
    std::string fingerprint;
    std::optional<Backend> forced;  // llm.backend / --backend
    std::string forced_by;
    bool fallback = true;
    bool software_devices_allowed = false;
};

struct MeasuredChain {
    std::vector<Backend> chain;
    bool applied = false;
    std::string note;  // one line: what the measured choice did, or why it did not apply; empty without a choice
};

// The chain with the measured choice at its head (the rest keeps its order; with fallback off, it alone).
MeasuredChain apply_measured_choice(const std::vector<Backend>& chain, const std::optional<MeasuredChoice>& choice,
                                    const ChainContext& context);

// For the commands: reads the saved choice (Home::measured_choice_path) and rewrites report.chain. Returns the note.
std::string apply_measured_choice(platform::DetectionReport& report, const std::filesystem::path& choice_file,
                                  const Environment& env);

}  // namespace tsuku::resolve
