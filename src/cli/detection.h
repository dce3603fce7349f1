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

// The backend asked for, and who asked: a command's --backend, else llm.backend from the file or its environment
// variable. Checked against this platform's variants, naming the source in the error.
struct BackendChoice {
    std::optional<Backend> backend;  // nullopt: auto
    std::string source;              // "--backend", "llm.backend", "TSUKU_LLM_BACKEND"
};
BackendChoice backend_choice(const config::Config& cfg, const std::string& flag_value = "");
// `text` ("auto" or a backend name) as a backend of this platform; UserError (usage) naming `what` otherwise.
std::optional<Backend> checked_backend(const std::string& text, const std::string& what);

// The model asked for, and who asked: --model, else llm.model (file or environment). A name must be in the
// manifest and a path a readable GGUF file; the error names the source and lists the valid names.
struct ModelRequest {
    std::string value = "auto";  // "auto", a manifest name or an absolute path
    std::string source;          // "--model", "llm.model", "TSUKU_LLM_MODEL"
};
ModelRequest model_request(const config::Config& cfg, const std::optional<std::string>& flag_value);
// `value` as a model setting: "auto", a manifest name, or a readable GGUF file (returned absolute). UserError naming
// `source` otherwise (exit 2 when `for_setting`, i.e. config set).
std::string checked_model(const std::string& value, const std::string& source, bool for_setting);

// Detection as every command runs it: the manifest's policy for this platform, the chosen backend, the config's
// fallback, the cache under state/.
platform::DetectOptions detection_options(const Context& ctx, const config::Config& cfg, const BackendChoice& choice);
platform::DetectionReport run_detection(const Context& ctx, const config::Config& cfg, bool refresh = false,
                                        const std::optional<BackendChoice>& choice = std::nullopt);

// Why detection's evidence says `backend` cannot run here (a missing library, no hardware, an old driver or GPU, no
// device, only a software device without permission); nullopt when it may run or nothing proves it cannot (an
// unprobed or crashed probe). Nothing is downloaded for a backend ruled out here.
std::optional<ReasonItem> ruled_out_by_detection(const platform::DetectionReport& report, Backend backend,
                                                 bool software_devices_allowed);

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
