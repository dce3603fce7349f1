// The models this tsuku knows and has (issue 14, "models as packages"): every manifest model and every .gguf under
// models/, whether it is installed, the memory it needs, and which one the running server serves. Shared by
// `tsuku llm models`, `uninstall --model` and `prune`.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "common/home.h"
#include "manifest/manifest.h"

namespace tsuku::cli {

struct ServingModel {
    pid_t pid = -1;
    std::string backend;               // empty when the server left no record (yet)
    std::filesystem::path model_path;  // empty when unknown
};

// The running server and what it serves (run/server.json); nullopt when none runs.
std::optional<ServingModel> serving_model(const Home& home);

struct ModelEntry {
    std::string name;                           // the manifest name, or the file name without .gguf
    const manifest::Model* manifest = nullptr;  // null for a file under models/ that the manifest does not list
    std::filesystem::path path;                 // models/<name>.gguf
    bool installed = false;                     // manifest models: the file has the manifest's size
    bool offline = false;                       // a manifest model whose URL is a local file (no consent needed)
    bool synthetic = false;
    uint64_t size_bytes = 0;            // the manifest's size, or the file's
    std::optional<uint64_t> need_ram;   // memory it needs on the CPU / on a GPU (from its shape);
    std::optional<uint64_t> need_vram;  //   nullopt for a file whose GGUF cannot be read
    bool serving = false;
    std::string problem;  // why a file's needs are unknown
};

// Manifest models best first (real before synthetic, then the largest), then the other files by name.
std::vector<ModelEntry> model_inventory(const Home& home, const manifest::Manifest& m,
                                        const std::optional<ServingModel>& serving, const Environment& env);

}  // namespace tsuku::cli
