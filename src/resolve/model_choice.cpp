#include "resolve/model_choice.h"

#include <algorithm>

#include "common/byte_size.h"
#include "common/error.h"
#include "common/text.h"

namespace fs = std::filesystem;

namespace tsuku::resolve {

std::string format_model_size(uint64_t bytes) { return format_memory(bytes, uint64_t{10} << 30); }

MemoryBudget memory_budget(Backend backend, const platform::DetectionReport& report) {
    MemoryBudget b;
    b.backend = std::string(backend_name(backend));
    if (backend != Backend::cpu) {
        if (const auto* v = report.verdict(backend); v && (v->device_free_bytes || v->device_memory_bytes)) {
            b.free_bytes = v->device_free_bytes;
            b.total_bytes = v->device_memory_bytes;
            b.source = backend == Backend::cuda ? "CUDA device memory" : "Vulkan device memory";
            return b;
        }
    }
    // The CPU, or a GPU whose memory the probe could not tell (the model then also has to fit in RAM).
    const auto& room = report.evidence.memory_room;
    if (room.usable_bytes > 0 || !room.limits.empty()) {
        b.free_bytes = room.usable_bytes;
        b.source = room.limited_by + (backend == Backend::cpu ? "" : " (device memory unknown)");
    }
    return b;
}

uint64_t usable_bytes(const MemoryBudget& b, std::string* how) {
    uint64_t base = 0;
    std::string note;
    if (b.free_bytes) {
        base = *b.free_bytes;
        note = format_model_size(base) + " free (" + b.source + ")";
    } else if (b.total_bytes) {
        // No free figure (e.g. a Vulkan driver without VK_EXT_memory_budget): assume a fifth is already in use.
        base = *b.total_bytes / 5 * 4;
        note = "no free-memory figure; assuming 80% of " + format_model_size(*b.total_bytes) + " (" + b.source + ")";
    }
    const uint64_t margin = std::max<uint64_t>(base / 10, 256ull << 20);
    const uint64_t usable = base > margin ? base - margin : 0;
    if (how) *how = note + ", " + format_model_size(usable) + " usable after a safety margin";
    return usable;
}

std::vector<const manifest::Model*> ranked_models(const manifest::Manifest& m) {
    std::vector<const manifest::Model*> out;
    for (const auto& mo : m.models) out.push_back(&mo);
    std::stable_sort(out.begin(), out.end(), [](const auto* a, const auto* b) {
        if (a->synthetic != b->synthetic) return !a->synthetic;
        return a->artifact.size > b->artifact.size;
    });
    return out;
}

ModelChoice choose_model(const manifest::Manifest& m, const MemoryBudget& budget, const ModelSetting& setting,
                         const std::function<bool(const manifest::Model&)>& present, const fs::path& models_dir) {
    ModelChoice c;
    std::string how;
    const uint64_t usable = usable_bytes(budget, &how);
    auto need = [&](const manifest::Model& mo) {
        return budget.backend == "cpu" ? mo.min_ram_bytes : mo.min_vram_bytes;
    };
    auto path_of = [&](const manifest::Model& mo) { return models_dir / (mo.name + ".gguf"); };

    if (setting.value != "auto") {
        if (const auto* mo = m.model(setting.value)) {
            c.model = mo;
            c.path = path_of(*mo);
            c.needs_download = !present(*mo);
            c.why = "llm.model names " + mo->name;
            if (need(*mo) > usable) {
                c.why += " (warning: it needs about " + format_model_size(need(*mo)) + "; " + how + ")";
            }
            return c;
        }
        if (setting.value.find('/') != std::string::npos || setting.value.ends_with(".gguf")) {
            c.path = fs::absolute(setting.value);
            c.why = "llm.model is the file " + c.path.string();
            return c;
        }
        std::string names;
        for (const auto& mo : m.models) append_listed(names, ", ", mo.name);
        throw UserError("llm.model '" + setting.value + "' is neither a known model nor a .gguf path",
                        "use auto, one of: " + names + ", or the path of a .gguf file");
    }

    // Real models first (the synthetic one's text is noise), then the largest: the bigger, the better the answers.
    for (const auto* mo : ranked_models(m)) {
        if (need(*mo) > usable) continue;
        if (!c.best_fit) c.best_fit = mo;
        if (!c.model && present(*mo)) c.model = mo;
    }
    if (!c.best_fit) {
        const manifest::Model* smallest = nullptr;
        for (const auto& mo : m.models) {
            if (!smallest || need(mo) < need(*smallest)) smallest = &mo;
        }
        throw UserError(
            "not enough memory for any model on " + budget.backend + ": " + how +
                (smallest ? "; the smallest, " + smallest->name + ", needs about " + format_model_size(need(*smallest))
                          : ""),
            "free some memory, use another backend (tsuku config set llm.backend …), or set llm.model "
            "to a smaller .gguf");
    }
    // Nothing that fits is here yet: the best fit is the model, to be downloaded.
    if (!c.model) {
        c.model = c.best_fit;
        c.needs_download = true;
    }
    c.path = path_of(*c.model);
    c.why = c.model->name + (c.needs_download ? " (to download; needs about " : " (needs about ") +
            format_model_size(need(*c.model)) + "; " + how + ")";
    if (c.best_fit != c.model) {
        c.why += "; " + c.best_fit->name + " fits and is better, not downloaded yet (a start downloads it with " +
                 "consent; or: tsuku llm install --model " + c.best_fit->name + ")";
    }
    return c;
}

}  // namespace tsuku::resolve
