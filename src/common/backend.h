// The closed set of inference backends. A backend name becomes a path segment and a library name, so it is only
// ever produced by parse_backend(), never taken raw from input.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>

namespace tsuku {

enum class Backend { cpu, vulkan, cuda, metal };

struct BackendInfo {
    Backend backend;
    std::string_view name;           // "cuda": manifest key, folder name, config value
    std::string_view ggml_library;   // the ggml backend library the variant must load ("" for cpu: built in)
    std::string_view registry_name;  // ggml's name of its backend registry: ggml_backend_reg_by_name()
    std::string_view description;
};

inline constexpr std::array<BackendInfo, 4> kBackends{{
    {Backend::cpu, "cpu", "", "CPU", "CPU (always available)"},
    {Backend::vulkan, "vulkan", "libggml-vulkan.so", "Vulkan", "Vulkan GPU"},
    {Backend::cuda, "cuda", "libggml-cuda.so", "CUDA", "NVIDIA CUDA GPU"},
    {Backend::metal, "metal", "libggml-metal.so", "Metal", "Apple Metal GPU (planned)"},
}};

const BackendInfo& backend_info(Backend b);
std::string_view backend_name(Backend b);
std::optional<Backend> parse_backend(std::string_view name);
// "cpu, vulkan, cuda, metal" — for error messages.
std::string backend_names_joined();

}  // namespace tsuku
