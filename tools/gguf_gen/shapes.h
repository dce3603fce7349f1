// Model shapes the generator can write. The Qwen2.5 shapes are the published hyperparameters of
// Qwen2.5-{0.5B,1.5B,3B}-Instruct, so a synthetic model costs per token what the real one costs.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tsuku::tools {

struct ModelShape {
    std::string name;
    uint32_t n_embd;
    uint32_t n_layer;
    uint32_t n_head;
    uint32_t n_head_kv;
    uint32_t n_ff;
    uint32_t n_ctx_train;
    float rope_freq_base;
    float rms_eps;
};

const std::vector<ModelShape>& model_shapes();
std::optional<ModelShape> find_shape(std::string_view name);

}  // namespace tsuku::tools
