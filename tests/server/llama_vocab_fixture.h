// The synthetic tiny model's vocabulary and chat template (the real Qwen2 vocabulary and Qwen2.5 template), loaded
// once per test binary without weights.
#pragma once

#include <memory>

#include "llama.h"
#include "support/paths.h"

namespace tsuku::test {

inline const llama_model* tiny_model_vocab() {
    static const std::unique_ptr<llama_model, void (*)(llama_model*)> model = [] {
        llama_log_set([](ggml_log_level, const char*, void*) {}, nullptr);
        auto p = llama_model_default_params();
        p.vocab_only = true;
        return std::unique_ptr<llama_model, void (*)(llama_model*)>(llama_model_load_from_file(kTinyModel, p),
                                                                    &llama_model_free);
    }();
    return model.get();
}

}  // namespace tsuku::test
