#include "cli/model_inventory.h"

#include "install/locations.h"
#include "install/model_store.h"
#include "lifecycle/server_manager.h"
#include "lifecycle/server_record.h"
#include "model/gguf_reader.h"
#include "model/memory_estimate.h"
#include "resolve/model_choice.h"

namespace fs = std::filesystem;

namespace tsuku::cli {

std::optional<ServingModel> serving_model(const Home& home) {
    const auto pid = lifecycle::ServerManager(home).running_pid();
    if (!pid) return std::nullopt;
    ServingModel s;
    s.pid = *pid;
    if (const auto record = lifecycle::load_server_record(home, *pid)) {
        s.backend = backend_name(record->backend);
        s.model_path = record->model_path;
    }
    return s;
}

std::vector<ModelEntry> model_inventory(const Home& home, const manifest::Manifest& m,
                                        const std::optional<ServingModel>& serving, const Environment& env) {
    std::vector<ModelEntry> out;
    auto is_serving = [&](const fs::path& p) {
        std::error_code ec;  // the same file, however its path is spelled
        return serving && !serving->model_path.empty() && fs::equivalent(serving->model_path, p, ec);
    };

    for (const auto* mo : resolve::ranked_models(m)) {
        ModelEntry e;
        e.name = mo->name;
        e.manifest = mo;
        e.path = install::model_path(home, *mo);
        e.installed = install::model_present(home, *mo);
        e.offline = !install::needs_network(manifest::artifact_url(mo->artifact, env));
        e.synthetic = mo->synthetic;
        e.size_bytes = mo->artifact.size;
        e.need_ram = mo->min_ram_bytes;
        e.need_vram = mo->min_vram_bytes;
        e.serving = is_serving(e.path);
        out.push_back(std::move(e));
    }
    for (const auto& f : install::model_files(home)) {
        const std::string name = f.stem().string();
        if (m.model(name)) continue;  // listed above (installed, or a file of the wrong size: not installed)
        ModelEntry e;
        e.name = name;
        e.path = f;
        e.installed = true;
        std::error_code ec;
        e.size_bytes = fs::file_size(f, ec);
        try {
            if (const auto shape = model::shape_of(model::read_gguf(f))) {
                e.need_ram = e.need_vram = model::estimate_memory(*shape).total();
            } else {
                e.problem = "its GGUF lacks the shape metadata";
            }
        } catch (const std::exception& ex) {
            e.problem = ex.what();
        }
        e.serving = is_serving(f);
        out.push_back(std::move(e));
    }
    return out;
}

}  // namespace tsuku::cli
