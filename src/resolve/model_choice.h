// Which model to serve, from the memory the chosen backend really has free (docs/design.md §5.4, issue 7). Chosen
// again for every backend the supervisor tries, so a fallback from a GPU to the CPU gets a model sized for the CPU.
//
// llm.model = auto: among all manifest models, present or not, the best that fits the budget (free memory minus a
// safety margin): real models before the synthetic one, then the largest. The start path downloads it with consent,
// or serves the best fitting model already on the machine. A model name or a path overrides the choice.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/backend.h"
#include "manifest/manifest.h"
#include "platform/detect.h"

namespace tsuku::resolve {

// Free memory of the device the backend will use.
struct MemoryBudget {
    std::string backend;
    std::optional<uint64_t> free_bytes;   // what the device (or RAM) has free now
    std::optional<uint64_t> total_bytes;  // used, with a note, when the free figure is unknown
    std::string source;                   // "CUDA free memory", "Vulkan memory budget", "MemAvailable", …
};

// The memory the backend's device has free: the probe's figure for a GPU; for the CPU (or a GPU whose memory the
// probe could not tell) what this process may use: MemAvailable, or less when a memory cgroup leaves less room.
MemoryBudget memory_budget(Backend backend, const platform::DetectionReport& report);

// Safety margin kept free: 10% of the figure, at least 256 MiB.
uint64_t usable_bytes(const MemoryBudget& budget, std::string* how = nullptr);

struct ModelChoice {
    // The best fitting model on this machine; the best fit itself (needs_download) when none that fits is here.
    const manifest::Model* model = nullptr;  // a manifest model, or null for a path
    std::filesystem::path path;              // where `model` is (or will be, once downloaded)
    bool needs_download = false;
    std::string why;                            // one sentence for `detect` and logs
    const manifest::Model* best_fit = nullptr;  // auto: the best model that fits, present or not
};

// The manifest's models, best first: real before synthetic, then the largest.
std::vector<const manifest::Model*> ranked_models(const manifest::Manifest& m);

struct ModelSetting {
    std::string value = "auto";  // llm.model: "auto", a manifest model name, or a path to a .gguf
};

// `present(model)` says whether a manifest model is already on this machine. Throws UserError when the setting
// names an unknown model, or when nothing fits (naming what is needed and what is free).
ModelChoice choose_model(const manifest::Manifest& m, const MemoryBudget& budget, const ModelSetting& setting,
                         const std::function<bool(const manifest::Model&)>& present,
                         const std::filesystem::path& models_dir);

std::string format_model_size(uint64_t bytes);

}  // namespace tsuku::resolve
