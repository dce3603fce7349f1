// tsuku llm manifest [--json]: what this tsuku embeds — variants, components, models, with sizes and checksums.
#include <memory>

#include "cli/commands.h"
#include "common/byte_size.h"
#include "common/text.h"
#include "manifest/manifest.h"

namespace tsuku::cli {
namespace {

std::string requirements_text(const manifest::Requirements& r) {
    std::string s;
    for (const auto& l : r.libraries) append_listed(s, ", ", l);
    if (r.vulkan_api) append_listed(s, ", ", std::string("Vulkan ") + *r.vulkan_api);
    if (r.cuda_driver) append_listed(s, ", ", std::string("driver for CUDA ") + *r.cuda_driver);
    if (r.min_compute_capability) append_listed(s, ", ", std::string("compute ") + *r.min_compute_capability);
    return s.empty() ? "nothing" : s;
}

void run(Context& ctx, bool json) {
    if (json) {
        ctx.out << manifest::embedded_manifest_json();
        return;
    }
    const auto& m = manifest::embedded_manifest();
    ctx.out << m.addon_name << " " << m.addon_version << " (llama.cpp " << m.llama_cpp << ")\n";
    for (const auto& [name, p] : m.platforms) {
        ctx.out << "\nplatform " << name << (name == manifest::current_platform() ? " (this machine)" : "")
                << ": default " << backend_name(p.default_backend) << ", prefer";
        for (auto b : p.prefer) ctx.out << " " << backend_name(b);
        ctx.out << "\n";
        for (const auto& [b, v] : p.variants) {
            ctx.out << "  " << backend_name(b) << ": " << v.artifact.file_name() << "  "
                    << format_mib_decimal(v.artifact.size) << "  sha256 " << v.artifact.sha256.substr(0, 16) << "…\n"
                    << "      needs " << requirements_text(v.requirements);
            for (const auto& c : v.components) ctx.out << "; component " << c;
            ctx.out << "\n";
        }
        for (const auto& [b, why] : p.not_built) ctx.out << "  " << backend_name(b) << ": " << why << "\n";
    }
    for (const auto& [name, c] : m.components) {
        ctx.out << "\ncomponent " << name << " " << c.version << ": provides";
        for (const auto& p : c.provides) ctx.out << " " << p;
        auto it = c.platforms.find(manifest::current_platform());
        ctx.out << "\n  "
                << (it == c.platforms.end() ? "no package: taken from the system when present"
                                            : it->second.file_name() + "  " + format_mib_decimal(it->second.size))
                << "\n";
    }
    ctx.out << "\nmodels:\n";
    for (const auto& mo : m.models) {
        ctx.out << "  " << mo.name << "  " << format_mib_decimal(mo.artifact.size)
                << (mo.synthetic ? "  (synthetic)" : "") << (mo.name == m.default_model ? "  (default)" : "") << "\n";
    }
}

}  // namespace

void add_llm_manifest(CLI::App& llm, Context& ctx) {
    auto json = std::make_shared<bool>(false);
    auto* cmd = llm.add_subcommand("manifest", "show the embedded release manifest: variants, components, models");
    cmd->add_flag("--json", *json, "print the manifest itself");
    cmd->callback([&ctx, json] { run(ctx, *json); });
}

}  // namespace tsuku::cli
