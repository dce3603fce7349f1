#include "shapes.h"

namespace tsuku::tools {

const std::vector<ModelShape>& model_shapes() {
    static const std::vector<ModelShape> shapes = {
        // A few MB: every test's model. Rows stay multiples of 32 so every quantized type applies.
        {"tiny", 64, 2, 4, 2, 128, 4096, 1000000.0f, 1e-6f},
        // tiny with rows of 256: K-quant types (q4_k_m) apply as they do to 1.5B and 3B (tiny's rows fall back).
        {"tiny-k", 256, 4, 4, 2, 512, 4096, 1000000.0f, 1e-6f},
        {"0.5b", 896, 24, 14, 2, 4864, 32768, 1000000.0f, 1e-6f},
        {"1.5b", 1536, 28, 12, 2, 8960, 32768, 1000000.0f, 1e-6f},
        {"3b", 2048, 36, 16, 2, 11008, 32768, 1000000.0f, 1e-6f},
    };
    return shapes;
}

std::optional<ModelShape> find_shape(std::string_view name) {
    for (const auto& s : model_shapes()) {
        if (s.name == name) return s;
    }
    return std::nullopt;
}

}  // namespace tsuku::tools
