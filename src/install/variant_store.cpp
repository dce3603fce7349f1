#include "install/variant_store.h"

#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "common/error.h"
#include "install/install_lock.h"
#include "install/package.h"
#include "install/sha256.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace tsuku::install {
namespace {

std::string read_file(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

std::string reinstall_fix(Backend b) {
    return "reinstall it: tsuku llm install --backend " + std::string(backend_name(b)) + " --reinstall";
}

// variant.json: {"files":[{"path","sha256","size"}…]} — paths are plain names (checked) inside the variant folder.
std::vector<std::pair<std::string, std::string>> listed_files(const std::string& text, const fs::path& where,
                                                              Backend b) {
    const json j = json::parse(text, nullptr, false);
    if (!j.is_object() || !j.contains("files") || !j["files"].is_array()) {
        throw UserError(where.string() + " is not a valid variant.json", reinstall_fix(b));
    }
    std::vector<std::pair<std::string, std::string>> files;
    for (const auto& f : j["files"]) {
        const std::string path = f.value("path", "");
        const std::string sha = f.value("sha256", "");
        if (!manifest::is_safe_file_name(path) || !is_sha256_hex(sha)) {
            throw UserError(where.string() + " lists an invalid entry '" + path + "'", reinstall_fix(b));
        }
        files.emplace_back(path, sha);
    }
    return files;
}

std::string mib(uint64_t bytes) { return std::to_string((bytes + (1 << 19)) >> 20) + " MiB"; }

// A component (e.g. the CUDA runtime) the variant needs: taken from the system when its libraries are there,
// otherwise installed once into components/<name>/<version>/ and put on the variant's LD_LIBRARY_PATH.
void ensure_components(const Home& home, const manifest::Manifest& m, const manifest::Variant& v,
                       const Environment& env, Progress& progress, const EnsureOptions& o, InstalledVariant& out) {
    std::string library_path;
    for (const auto& name : v.components) {
        const auto* c = m.component(name);
        if (!c) continue;
        bool on_system = static_cast<bool>(o.system_has);
        for (const auto& so : c->provides) on_system = on_system && o.system_has(so);
        if (on_system) continue;
        const auto it = c->platforms.find(manifest::current_platform());
        if (it == c->platforms.end()) continue;  // no package: the variant reports what is missing (exit 78)
        const fs::path dir = home.components_dir() / c->name / c->version;
        if (!fs::exists(dir / c->provides.front())) {
            const std::string url = manifest::artifact_url(it->second, env);
            if (needs_network(url) && !(o.consent && o.consent("component " + c->name, it->second.size, url))) {
                throw UserError("the " + std::string(backend_name(v.backend)) + " variant needs " + c->name + " (" +
                                    mib(it->second.size) + " download)",
                                "run tsuku llm install --backend " + std::string(backend_name(v.backend)) +
                                    " --yes, or allow downloads: tsuku config set llm.allow_downloads true");
            }
            const auto lock = InstallLock::acquire(home, [&](std::optional<pid_t> pid) {
                progress.step("waiting for another installer" + (pid ? " (pid " + std::to_string(*pid) + ")" : ""));
            });
            if (!fs::exists(dir / c->provides.front())) {
                install_package(lock, home, {url, it->second.size, it->second.sha256}, dir, progress);
            }
        }
        library_path += (library_path.empty() ? "" : ":") + dir.string();
    }
    if (!library_path.empty()) {
        const auto existing = env.get_nonempty("LD_LIBRARY_PATH");
        out.env.emplace_back("LD_LIBRARY_PATH", library_path + (existing ? ":" + *existing : ""));
    }
}

}  // namespace

void verify_variant(const fs::path& dir, const manifest::Variant& v) {
    const fs::path vj = dir / "variant.json";
    const std::string text = read_file(vj);
    if (text.empty() || sha256_hex(text) != v.variant_json_sha256) {
        throw UserError("the installed " + std::string(backend_name(v.backend)) +
                            " variant does not match this tsuku: " + vj.string() +
                            " has the wrong checksum (tampered with, or from another release)",
                        reinstall_fix(v.backend));
    }
    std::set<std::string> listed{"variant.json"};
    for (const auto& [path, sha] : listed_files(text, vj, v.backend)) {
        listed.insert(path);
        const fs::path f = dir / path;
        std::error_code ec;
        if (!fs::is_regular_file(fs::symlink_status(f, ec))) {
            throw UserError("the installed " + std::string(backend_name(v.backend)) + " variant lacks " + f.string(),
                            reinstall_fix(v.backend));
        }
        if (sha256_file(f) != sha) {
            throw UserError(f.string() + " was modified after installation (its sha256 differs from variant.json)",
                            reinstall_fix(v.backend));
        }
    }
    for (const auto& e : fs::directory_iterator(dir)) {
        if (!listed.count(e.path().filename().string())) {
            throw UserError("the installed " + std::string(backend_name(v.backend)) + " variant contains " +
                                e.path().string() + ", which it does not list (ggml would load it)",
                            reinstall_fix(v.backend));
        }
    }
}

InstalledVariant ensure_variant(const Home& home, const manifest::Manifest& m, const manifest::Platform& p,
                                Backend backend, const Environment& env, Progress& progress, const EnsureOptions& o) {
    const auto* v = p.find(backend);
    if (!v) {
        throw UserError("this release has no " + std::string(backend_name(backend)) + " variant for " + p.name,
                        "see tsuku llm manifest for the variants there are");
    }
    InstalledVariant out;
    out.backend = backend;
    out.dir = variant_dir(home, m, backend);
    out.executable = out.dir / "tsuku-llm";
    if (o.reinstall || !variant_installed(home, m, backend)) {
        const std::string url = manifest::artifact_url(v->artifact, env);
        if (needs_network(url) && !(o.consent && o.consent("the " + std::string(backend_name(backend)) + " variant",
                                                           v->artifact.size, url))) {
            throw UserError("the " + std::string(backend_name(backend)) + " variant is not installed and needs a " +
                                mib(v->artifact.size) + " download from " + url,
                            "run tsuku llm install --backend " + std::string(backend_name(backend)) +
                                " --yes, or allow downloads: tsuku config set llm.allow_downloads true");
        }
        const auto lock = InstallLock::acquire(home, [&](std::optional<pid_t> pid) {
            progress.step("waiting for another installer to finish" +
                          (pid ? " (pid " + std::to_string(*pid) + ")" : ""));
        });
        // Another installer may have finished while we waited.
        if (o.reinstall || !variant_installed(home, m, backend)) {
            InstallOptions io;
            io.check = [v](const fs::path& staging) { verify_variant(staging, *v); };
            install_package(lock, home, {url, v->artifact.size, v->artifact.sha256}, out.dir, progress, io);
            out.installed_now = true;
            progress.step("installed the " + std::string(backend_name(backend)) + " variant in " + out.dir.string());
        }
    }
    verify_variant(out.dir, *v);
    ensure_components(home, m, *v, env, progress, o, out);
    return out;
}

std::vector<fs::path> uninstall_variant(const Home& home, const manifest::Manifest& m, Backend backend) {
    std::vector<fs::path> removed;
    const auto lock = InstallLock::acquire(home);
    const fs::path dir = variant_dir(home, m, backend);
    if (fs::exists(dir)) {
        fs::remove_all(dir);
        removed.push_back(dir);
    }
    return removed;
}

std::vector<fs::path> prune_other_versions(const Home& home, const std::string& keep_version) {
    std::vector<fs::path> removed;
    if (!fs::exists(home.tools_dir())) return removed;
    const auto lock = InstallLock::acquire(home);
    for (const auto& e : fs::directory_iterator(home.tools_dir())) {
        if (e.is_directory() && e.path().filename() != keep_version) {
            fs::remove_all(e.path());
            removed.push_back(e.path());
        }
    }
    return removed;
}

}  // namespace tsuku::install
