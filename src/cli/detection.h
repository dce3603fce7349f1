// Detection and model choice as every command sees them (light: no gRPC, no downloads — `tsuku llm detect` runs
// without loading those libraries).
#pragma once

#include <optional>
#include <string>

#include "cli/context.h"
#include "config/config.h"
#include "platform/detect.h"
#include "resolve/model_choice.h"

namespace tsuku::cli {

// Detection as every command runs it: the manifest's policy for this platform, the config's backend/fallback,
// the cache under state/.
platform::DetectOptions detection_options(const Context& ctx, const config::Config& cfg);
platform::DetectionReport run_detection(const Context& ctx, const config::Config& cfg, bool refresh = false);

// The memory the backend's device has free: the probe's figure for a GPU, MemAvailable for the CPU.
resolve::MemoryBudget memory_budget(Backend backend, const platform::DetectionReport& report);

// The server's thread count: llm.threads, or detection's (affinity, cgroup quota, physical cores), with why.
platform::CpuBudget thread_budget(const config::Config& cfg, const platform::DetectionReport& report);

// The model for `backend` (llm.model, or `model_override`): a model that is downloaded, or that a local release
// folder provides, counts as present.
resolve::ModelChoice model_for(const Context& ctx, const config::Config& cfg, Backend backend,
                               const platform::DetectionReport& report,
                               const std::optional<std::string>& model_override);

}  // namespace tsuku::cli
