// On-disk block geometry of ggml tensor types, for validating GGUF files without loading ggml. A unit test checks
// this table against the real libggml-base, so it cannot drift from the pinned llama.cpp.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace tsuku::model {

struct GgmlTypeInfo {
    uint32_t id;
    std::string_view name;
    uint32_t block_elements;  // elements per block
    uint32_t block_bytes;     // bytes per block
};

std::span<const GgmlTypeInfo> ggml_type_table();
std::optional<GgmlTypeInfo> find_ggml_type(uint32_t id);

}  // namespace tsuku::model
