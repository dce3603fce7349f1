// make-release: the release step. From the built variant folders, the synthetic default model and
// release/policy.json it writes, into --out:
//   tsuku-llm-<version>-<platform>-<backend>.tar.zst   one package per variant, with a variant.json inside
//   <model>.gguf                                        the synthetic default model
//   cuda-runtime-13-<version>-<platform>.tar.zst        with --cuda-runtime-from (the build passes it when the CUDA
//                                                       toolkit is there); packed once per set of input files and
//                                                       kept in --cache (570 MB of libraries take seconds to pack)
//   manifest.json                                       every url, size and sha256 computed from those files
// and the C++ source that embeds manifest.json into tsuku (--embed-out). The manifest is parsed back with the same
// validator tsuku uses: an invalid manifest fails the build with the reason.
// --variant takes [platform/]backend=folder: one release holds every platform's variants (a linux-arm64 one comes from
// the cross tree), so the one manifest both platforms' tsuku embed lists them all. --pack-tsuku packs a built tsuku
// (the front binary and libtsuku-cli.so) as tsuku-<version>-<platform>.tar.zst; it runs after tsuku is built, which
// is after the manifest it embeds, so that package is not in the manifest.
// For test releases: --reuse-manifest links the variants and components of an existing release in instead of packing
// them, and --model NAME=FILE ships a local GGUF as a real (non-synthetic) model under NAME.
#include <archive.h>
#include <archive_entry.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "../gguf_gen/shapes.h"
#include "common/exit_codes.h"
#include "install/sha256.h"
#include "manifest/manifest.h"
#include "model/gguf_reader.h"
#include "model/memory_estimate.h"

namespace fs = std::filesystem;
using nlohmann::json;
using namespace tsuku;

namespace {

constexpr uint64_t kQwen2VocabSize = 151936;  // tokens in llama.cpp's ggml-vocab-qwen2.gguf (and in Qwen2.5)

std::string read_file(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read " + p.string());
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// Writes only when the content changed, so an unchanged release does not relink tsuku.
void write_if_changed(const fs::path& p, const std::string& content) {
    if (fs::exists(p) && read_file(p) == content) return;
    const fs::path tmp = p.string() + ".tmp";
    {
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        out << content;
        if (!out) throw std::runtime_error("cannot write " + tmp.string());
    }
    fs::rename(tmp, p);
}

struct PackEntry {
    std::string name;  // path inside the archive (flat)
    fs::path source;   // file to copy, or empty when `data` holds the content
    std::string data;
    int mode = 0644;
};

// A reproducible tar.zst: sorted entries, zero times and owners.
void write_tar_zst(const fs::path& out, std::vector<PackEntry> entries) {
    std::sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
    std::unique_ptr<archive, decltype(&archive_write_free)> a(archive_write_new(), &archive_write_free);
    archive_write_add_filter_zstd(a.get());
    archive_write_set_format_pax_restricted(a.get());
    const std::string threads = std::to_string(std::max(1u, std::thread::hardware_concurrency()));
    archive_write_set_filter_option(a.get(), "zstd", "compression-level", "3");
    archive_write_set_filter_option(a.get(), "zstd", "threads", threads.c_str());  // ignored by older libarchive
    const fs::path tmp = out.string() + ".tmp";
    if (archive_write_open_filename(a.get(), tmp.c_str()) != ARCHIVE_OK) {
        throw std::runtime_error("cannot create " + tmp.string() + ": " + archive_error_string(a.get()));
    }
    for (const auto& e : entries) {
        const std::string content = e.source.empty() ? e.data : read_file(e.source);
        std::unique_ptr<archive_entry, decltype(&archive_entry_free)> entry(archive_entry_new(), &archive_entry_free);
        archive_entry_set_pathname(entry.get(), e.name.c_str());
        archive_entry_set_size(entry.get(), static_cast<la_int64_t>(content.size()));
        archive_entry_set_filetype(entry.get(), AE_IFREG);
        archive_entry_set_perm(entry.get(), static_cast<mode_t>(e.mode));
        archive_entry_set_mtime(entry.get(), 0, 0);
        if (archive_write_header(a.get(), entry.get()) != ARCHIVE_OK ||
            archive_write_data(a.get(), content.data(), content.size()) != static_cast<la_ssize_t>(content.size())) {
            throw std::runtime_error("cannot write " + e.name + " into " + tmp.string() + ": " +
                                     archive_error_string(a.get()));
        }
    }
    if (archive_write_close(a.get()) != ARCHIVE_OK) {
        throw std::runtime_error("cannot finish " + tmp.string() + ": " + archive_error_string(a.get()));
    }
    fs::rename(tmp, out);
}

manifest::Artifact artifact_for(const fs::path& file, const std::string& base_url) {
    return {base_url + "/" + file.filename().string(), install::sha256_file(file), fs::file_size(file)};
}

// The files a variant ships: the server, llama.cpp's libllama and libllama-common.so (chat templates, tool calls,
// JSON schema grammars) and every ggml library (the backends ggml loads at run time). Nothing else in the folder.
bool is_shipped(const std::string& n) {
    return n == "tsuku-llm" || (n.ends_with(".so") && (n.rfind("libggml", 0) == 0 || n.rfind("libllama.", 0) == 0 ||
                                                       n == "libllama-common.so"));
}

std::vector<fs::path> variant_files(const fs::path& dir) {
    std::vector<fs::path> files;
    for (const auto& e : fs::directory_iterator(dir)) {
        if (e.is_regular_file() && is_shipped(e.path().filename().string())) files.push_back(e.path());
    }
    std::sort(files.begin(), files.end());
    if (std::find_if(files.begin(), files.end(), [](const fs::path& p) { return p.filename() == "tsuku-llm"; }) ==
        files.end()) {
        throw std::runtime_error(dir.string() + " has no tsuku-llm");
    }
    return files;
}

manifest::Variant pack_variant(Backend backend, const fs::path& dir, const json& policy_variant,
                               const std::string& version, const std::string& llama_cpp, const std::string& platform,
                               const fs::path& out, const std::string& base_url) {
    json vj = {{"backend", std::string(backend_name(backend))},
               {"addon_version", version},
               {"llama_cpp", llama_cpp},
               {"platform", platform},
               {"files", json::array()}};
    std::vector<PackEntry> entries;
    for (const auto& f : variant_files(dir)) {
        const std::string name = f.filename().string();
        vj["files"].push_back({{"path", name}, {"sha256", install::sha256_file(f)}, {"size", fs::file_size(f)}});
        entries.push_back({name, f, "", name == "tsuku-llm" ? 0755 : 0644});
    }
    const std::string variant_json = vj.dump(2) + "\n";
    entries.push_back({"variant.json", {}, variant_json, 0644});
    const fs::path package =
        out / ("tsuku-llm-" + version + "-" + platform + "-" + std::string(backend_name(backend)) + ".tar.zst");
    write_tar_zst(package, std::move(entries));

    manifest::Variant v;
    v.backend = backend;
    v.artifact = artifact_for(package, base_url);
    v.variant_json_sha256 = install::sha256_hex(variant_json);
    if (policy_variant.contains("components"))
        v.components = policy_variant["components"].get<std::vector<std::string>>();
    const json req = policy_variant.value("requires", json::object());
    v.requirements.libraries = req.value("libraries", std::vector<std::string>{});
    if (req.contains("vulkan_api")) v.requirements.vulkan_api = req["vulkan_api"].get<std::string>();
    if (req.contains("cuda_driver")) v.requirements.cuda_driver = req["cuda_driver"].get<std::string>();
    if (req.contains("min_compute_capability")) {
        v.requirements.min_compute_capability = req["min_compute_capability"].get<std::string>();
    }
    std::printf("make-release: %s  %ju bytes\n", package.filename().c_str(), static_cast<uintmax_t>(v.artifact.size));
    return v;
}

// `to` becomes a copy of `from` (a hard link when both are on one file system), replaced atomically.
void place_copy(const fs::path& from, const fs::path& to) {
    const fs::path tmp = to.string() + ".tmp";
    std::error_code ec;
    fs::remove(tmp, ec);
    fs::create_hard_link(from, tmp, ec);
    if (ec) fs::copy_file(from, tmp, fs::copy_options::overwrite_existing);
    fs::rename(tmp, to);
}

// The CUDA runtime component: the sonames it provides, copied from a toolkit folder (symlinks resolved). The
// package is a pure function of component.json (every file's name and sha256), so it is kept in `cache` under that
// checksum and reused by every later build and every other build folder of this machine.
manifest::ComponentPackage pack_component(const manifest::Component& c, const fs::path& from,
                                          const std::string& platform, const fs::path& out, const std::string& base_url,
                                          const fs::path& cache) {
    std::vector<PackEntry> entries;
    json cj = {{"component", c.name}, {"version", c.version}, {"files", json::array()}};
    for (const auto& soname : c.provides) {
        if (!fs::exists(from / soname)) {
            throw std::runtime_error(c.name + ": " + (from / soname).string() +
                                     " is missing (set TSUKU_CUDA_RUNTIME_DIR, or TSUKU_PACK_CUDA_RUNTIME=off)");
        }
        const fs::path src = fs::canonical(from / soname);
        cj["files"].push_back({{"path", soname}, {"sha256", install::sha256_file(src)}, {"size", fs::file_size(src)}});
        entries.push_back({soname, src, "", 0644});
    }
    const std::string component_json = cj.dump(2) + "\n";
    entries.push_back({"component.json", {}, component_json, 0644});
    const fs::path package = out / (c.name + "-" + c.version + "-" + platform + ".tar.zst");
    const fs::path cached =
        cache.empty() ? fs::path() : cache / (install::sha256_hex("tar.zst v1\n" + component_json) + ".tar.zst");
    if (!cached.empty() && fs::exists(cached)) {
        place_copy(cached, package);
        std::printf("make-release: %s  from the cache (%s)\n", package.filename().c_str(), cached.c_str());
    } else {
        write_tar_zst(package, std::move(entries));
        if (!cached.empty()) {
            fs::create_directories(cache);
            place_copy(package, cached);
        }
    }
    std::printf("make-release: %s  %ju bytes\n", package.filename().c_str(),
                static_cast<uintmax_t>(fs::file_size(package)));
    manifest::ComponentPackage pkg{artifact_for(package, base_url), {}};
    pkg.component_json_sha256 = install::sha256_hex(component_json);  // tsuku verifies the installed files by it
    return pkg;
}

// Memory the model needs at the default context (weights + KV cache + compute buffers), from its real shape.
void set_memory_needs(manifest::Model& m, const model::ModelShapeFacts& shape) {
    const uint64_t need = model::estimate_memory(shape).total();
    m.min_ram_bytes = need;   // on the CPU everything lives in RAM
    m.min_vram_bytes = need;  // on a GPU, weights, cache and buffers live on the device
}

// The file an artifact of `from` (a manifest.json beside its packages) names, hard-linked (or copied) into `out`,
// and the artifact re-pointed at `base_url`. The checksum and size are the manifest's: the file is the same.
void relink(manifest::Artifact& a, const fs::path& from_dir, const fs::path& out, const std::string& base_url) {
    const fs::path src = from_dir / a.file_name();
    const fs::path dst = out / a.file_name();
    if (fs::file_size(src) != a.size) throw std::runtime_error(src.string() + " does not match its manifest");
    std::error_code ec;
    fs::remove(dst, ec);
    fs::create_hard_link(src, dst, ec);
    if (ec) fs::copy_file(src, dst);
    a.url = base_url + "/" + a.file_name();
}

// --reuse-manifest: the platforms and components of an existing release, without repacking anything.
void reuse_packages(manifest::Manifest& m, const fs::path& from, const fs::path& out, const std::string& base_url) {
    const manifest::Manifest old = manifest::parse_manifest(read_file(from));
    const fs::path from_dir = from.parent_path();
    m.platforms = old.platforms;
    m.components = old.components;
    for (auto& [name, p] : m.platforms) {
        for (auto& [b, v] : p.variants) relink(v.artifact, from_dir, out, base_url);
    }
    for (auto& [name, c] : m.components) {
        for (auto& [platform, pkg] : c.platforms) relink(pkg, from_dir, out, base_url);
    }
}

// tsuku-<version>-<platform>.tar.zst: the front binary and the full CLI it loads from beside itself.
void pack_tsuku(const fs::path& dir, const std::string& version, const std::string& platform, const fs::path& out) {
    std::vector<PackEntry> entries;
    for (const char* name : {"tsuku", "libtsuku-cli.so"}) {
        if (!fs::is_regular_file(dir / name)) throw std::runtime_error((dir / name).string() + " is missing");
        entries.push_back({std::string("bin/") + name, dir / name, "", std::string(name) == "tsuku" ? 0755 : 0644});
    }
    fs::create_directories(out);
    const fs::path package = out / ("tsuku-" + version + "-" + platform + ".tar.zst");
    // Every build runs this step: an unchanged tsuku (same files, by checksum) is not repacked.
    std::string inputs;
    for (const auto& e : entries) inputs += e.name + " " + install::sha256_file(e.source) + "\n";
    const fs::path stamp = out / ("." + package.filename().string() + ".inputs");
    if (fs::exists(package) && fs::exists(stamp) && read_file(stamp) == inputs) return;
    write_tar_zst(package, std::move(entries));
    write_if_changed(stamp, inputs);
    std::printf("make-release: %s  %ju bytes\n", package.filename().c_str(),
                static_cast<uintmax_t>(fs::file_size(package)));
}

std::string embed_source(const std::string& manifest_json) {
    if (manifest_json.find(")tsukujson\"") != std::string::npos) throw std::runtime_error("manifest breaks the embed");
    return "// Generated by make-release from the release artefacts. Do not edit.\n"
           "extern const char kTsukuEmbeddedManifestJson[];\n"
           "const char kTsukuEmbeddedManifestJson[] = R\"tsukujson(" +
           manifest_json + ")tsukujson\";\n";
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"Build the release folder and its manifest from the real artefacts"};
    std::string policy_path, version, llama_cpp, out_dir, base_url, embed_out, cuda_runtime_from, cache_dir;
    std::string platform = "linux-amd64";
    std::string reuse_manifest, tsuku_dir;
    std::vector<std::string> variant_args, model_args, real_model_args;
    app.add_option("--policy", policy_path, "release/policy.json")->check(CLI::ExistingFile);
    app.add_option("--version", version, "addon version")->required();
    app.add_option("--llama-cpp", llama_cpp, "llama.cpp release");
    app.add_option("--platform", platform, "platform of --variant without one, of the component and of --pack-tsuku");
    auto* variants = app.add_option("--variant", variant_args,
                                    "[platform/]backend=folder of a built variant (e.g. linux-arm64/cpu=…)");
    app.add_option("--pack-tsuku", tsuku_dir, "only pack the tsuku built in this folder for --platform, into --out");
    app.add_option("--reuse-manifest", reuse_manifest,
                   "take the variants and components of this manifest.json, linking their packages into --out "
                   "(a cheap test release: nothing is repacked)")
        ->check(CLI::ExistingFile)
        ->excludes(variants);
    app.add_option("--model", real_model_args, "name=file.gguf: a local file shipped as a real (non-synthetic) model");
    app.add_option("--synthetic-model", model_args, "a synthetic GGUF to ship (the first is the default model)");
    app.add_option("--out", out_dir, "release folder")->required();
    app.add_option("--base-url", base_url, "URL the release folder is served from");
    app.add_option("--embed-out", embed_out, "write the C++ embed of manifest.json here");
    app.add_option("--cuda-runtime-from", cuda_runtime_from, "pack the cuda-runtime component from this folder");
    app.add_option("--cache", cache_dir, "keep packed components here, by the checksum of their contents");
    CLI11_PARSE(app, argc, argv);
    if (!tsuku_dir.empty()) {
        try {
            pack_tsuku(tsuku_dir, version, platform, out_dir);
        } catch (const std::exception& e) {
            std::fprintf(stderr, "make-release: error: %s\n", e.what());
            return 1;
        }
        return 0;
    }
    if (variant_args.empty() && reuse_manifest.empty()) {
        std::fprintf(stderr, "make-release: error: --variant or --reuse-manifest is required\n");
        return to_int(ExitCode::usage);
    }
    if (policy_path.empty() || llama_cpp.empty() || base_url.empty()) {
        std::fprintf(stderr, "make-release: error: --policy, --llama-cpp and --base-url are required for a release\n");
        return 2;
    }

    try {
        while (!base_url.empty() && base_url.back() == '/') base_url.pop_back();
        const json policy = json::parse(read_file(policy_path));
        fs::create_directories(out_dir);

        manifest::Manifest m;
        m.addon_name = "tsuku-llm";
        m.addon_version = version;
        m.llama_cpp = llama_cpp;
        for (const auto& arg : variant_args) {
            const auto eq = arg.find('=');
            if (eq == std::string::npos)
                throw std::runtime_error("--variant wants [platform/]backend=folder, got " + arg);
            const auto slash = arg.find('/');
            const bool has_platform = slash != std::string::npos && slash < eq;
            const std::string vplatform = has_platform ? arg.substr(0, slash) : platform;
            const std::string bname = has_platform ? arg.substr(slash + 1, eq - slash - 1) : arg.substr(0, eq);
            const auto b = parse_backend(bname);
            if (!b) throw std::runtime_error("--variant " + arg + ": unknown backend '" + bname + "'");
            if (!policy.at("platforms").contains(vplatform)) {
                throw std::runtime_error("--variant " + arg + ": release/policy.json has no platform '" + vplatform +
                                         "' (add its default, prefer and variants there)");
            }
            const json& pp = policy.at("platforms").at(vplatform);
            auto [pit, fresh] = m.platforms.try_emplace(vplatform);
            manifest::Platform& p = pit->second;
            if (fresh) {
                p.name = vplatform;
                p.default_backend = *parse_backend(pp.at("default").get<std::string>());
                const json not_built = pp.value("not_built", json::object());
                for (auto nb = not_built.begin(); nb != not_built.end(); ++nb) {
                    const auto nbb = parse_backend(nb.key());
                    if (!nbb) throw std::runtime_error(vplatform + ".not_built: unknown backend '" + nb.key() + "'");
                    p.not_built.emplace(*nbb, nb.value().get<std::string>());
                }
            }
            const json pv = pp.at("variants").value(std::string(backend_name(*b)), json::object());
            p.variants.emplace(
                *b, pack_variant(*b, arg.substr(eq + 1), pv, version, llama_cpp, vplatform, out_dir, base_url));
        }
        for (auto& [pname, p] : m.platforms) {
            for (const auto& name : policy.at("platforms").at(pname).at("prefer")) {
                if (const auto b = parse_backend(name.get<std::string>()); b && p.variants.count(*b))
                    p.prefer.push_back(*b);
            }
        }

        for (auto it = policy.at("components").begin(); it != policy.at("components").end(); ++it) {
            manifest::Component c;
            c.name = it.key();
            c.version = it.value().at("version").get<std::string>();
            c.provides = it.value().at("provides").get<std::vector<std::string>>();
            if (!cuda_runtime_from.empty() && c.name.rfind("cuda-runtime", 0) == 0) {
                c.platforms.emplace(platform,
                                    pack_component(c, cuda_runtime_from, platform, out_dir, base_url, cache_dir));
            }
            m.components.emplace(c.name, std::move(c));
        }

        if (!reuse_manifest.empty()) reuse_packages(m, reuse_manifest, out_dir, base_url);

        // Models from local files: synthetic ones (gguf-gen), and with --model a file served under another name
        // as a real model (test releases). Memory needs come from the file's own GGUF shape.
        auto add_local_model = [&](const fs::path& src, const std::string& name, bool synthetic) {
            const fs::path dst = fs::path(out_dir) / (name + ".gguf");
            fs::copy_file(src, dst, fs::copy_options::update_existing);
            manifest::Model model;
            model.name = name;
            model.artifact = artifact_for(dst, base_url);
            model.synthetic = synthetic;
            const auto shape = model::shape_of(model::read_gguf(dst));
            if (!shape) throw std::runtime_error(dst.string() + ": GGUF lacks the shape metadata");
            set_memory_needs(model, *shape);
            m.models.push_back(model);
            if (m.default_model.empty()) m.default_model = model.name;
        };
        for (const auto& path : model_args) add_local_model(path, fs::path(path).stem().string(), true);
        for (const auto& arg : real_model_args) {
            const auto eq = arg.find('=');
            if (eq == std::string::npos || !manifest::is_safe_file_name(arg.substr(0, eq) + ".gguf")) {
                throw std::runtime_error("--model wants name=file.gguf, got " + arg);
            }
            add_local_model(arg.substr(eq + 1), arg.substr(0, eq), false);
        }
        for (const auto& pm : policy.value("models", json::array())) {
            manifest::Model model;
            model.name = pm.at("name").get<std::string>();
            model.artifact = {pm.at("url").get<std::string>(), pm.at("sha256").get<std::string>(),
                              pm.at("size").get<uint64_t>()};
            // Published models: their hyperparameters are the shapes gguf-gen reproduces (same vocabulary).
            const auto shape = tools::find_shape(pm.at("shape").get<std::string>());
            if (!shape) throw std::runtime_error("model " + model.name + ": unknown shape");
            set_memory_needs(model, {model.artifact.size, shape->n_layer, shape->n_embd, shape->n_head,
                                     shape->n_head_kv, kQwen2VocabSize});
            m.models.push_back(model);
        }

        // Validate exactly as tsuku will read it.
        const std::string text = manifest::to_json(m) + "\n";
        manifest::parse_manifest(text);
        write_if_changed(fs::path(out_dir) / "manifest.json", text);
        if (!embed_out.empty()) {
            fs::create_directories(fs::path(embed_out).parent_path());
            write_if_changed(embed_out, embed_source(text));
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "make-release: error: %s\n", e.what());
        return to_int(ExitCode::failure);
    }
    return 0;
}
