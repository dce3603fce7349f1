// The release manifest (docs/design.md §4.4): which variants, components and models exist, where to fetch them and
// their checksums. tsuku only ever uses the copy compiled into it (embedded_manifest()); a cache is never trusted.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "common/backend.h"
#include "common/environment.h"

namespace tsuku::manifest {

inline constexpr int kSchemaVersion = 2;

// A downloadable file: url, its sha256 and size. file_name() is the URL's last segment, validated when parsed.
struct Artifact {
    std::string url;
    std::string sha256;  // 64 lowercase hex digits
    uint64_t size = 0;
    std::string file_name() const;
};

struct Requirements {
    std::vector<std::string> libraries;                 // sonames that must load, e.g. libcuda.so.1
    std::optional<std::string> vulkan_api;              // "1.2"
    std::optional<std::string> cuda_driver;             // CUDA version the driver must support, "13.0"
    std::optional<std::string> min_compute_capability;  // "5.0"
};

struct Variant {
    Backend backend = Backend::cpu;
    Artifact artifact;
    std::string variant_json_sha256;      // checksum of the package's variant.json, which lists every file's sha256
    std::vector<std::string> components;  // shared components it needs (e.g. cuda-runtime-13)
    Requirements requirements;            // "requires" in the JSON
};

struct Platform {
    std::string name;                        // "linux-amd64"
    Backend default_backend = Backend::cpu;  // always works on this platform
    std::vector<Backend> prefer;             // the release's static order of variants, best first
    std::map<Backend, Variant> variants;
    // Backends the release does not build for this platform, and why ("not_built" in the JSON): detection names
    // them on a machine whose GPU could otherwise run them, instead of offering nothing.
    std::map<Backend, std::string> not_built;
    const Variant* find(Backend b) const;
};

// A component's package for one platform. Like a variant, it carries a list of its files with their sha256
// (component.json, inside the package) whose own checksum is here, so an installed copy is verified before each
// launch and a partial one is never used.
struct ComponentPackage : Artifact {
    std::string component_json_sha256;
};

struct Component {
    std::string name;
    std::string version;
    std::vector<std::string> provides;                  // sonames
    std::map<std::string, ComponentPackage> platforms;  // a platform without a package relies on a system copy
};

struct Model {
    std::string name;  // also the file name under models/: <name>.gguf
    Artifact artifact;
    uint64_t min_vram_bytes = 0;
    uint64_t min_ram_bytes = 0;
    bool synthetic = false;  // made offline by gguf-gen: noise text, real cost per token
};

struct Manifest {
    int schema_version = kSchemaVersion;
    std::string addon_name;
    std::string addon_version;
    std::string llama_cpp;
    std::string default_model;  // the model that needs no network
    std::map<std::string, Platform> platforms;
    std::map<std::string, Component> components;
    std::vector<Model> models;

    const Platform* platform(std::string_view name) const;
    const Model* model(std::string_view name) const;
    const Component* component(std::string_view name) const;
};

// Thrown for a manifest that breaks the schema; what() names the JSON path and the rule.
class ManifestError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

Manifest parse_manifest(std::string_view json);
std::string to_json(const Manifest& m, int indent = 2);

// The manifest compiled into this tsuku (validated at build time; parsed once).
const Manifest& embedded_manifest();
std::string_view embedded_manifest_json();

// "linux-amd64", "darwin-arm64", … for the machine we run on.
std::string current_platform();

// Where to fetch an artifact: its manifest URL, or <TSUKU_LLM_MIRROR>/<file name> when the mirror is set.
// The checksum always comes from the manifest. Throws UserError for a mirror that is not an http(s)/file URL.
std::string artifact_url(const Artifact& a, const Environment& env);

// True for names safe as a single path segment: [A-Za-z0-9._+-], not starting with '.', at most 200 bytes.
bool is_safe_file_name(std::string_view name);

}  // namespace tsuku::manifest
