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

// What a verified tree is: its list (variant.json or component.json: {"files":[{"path","sha256","size"}…]}, paths
// plain names inside the folder) must have the checksum compiled into tsuku, and the folder must hold exactly the
// listed files with their checksums.
struct ListedTree {
    std::string what;  // "the installed cuda variant", "the installed component cuda-runtime-13"
    std::string list_name;
    std::string list_sha256;
    std::string fix;
};

std::vector<std::pair<std::string, std::string>> listed_files(const std::string& text, const fs::path& where,
                                                              const ListedTree& t) {
    const json j = json::parse(text, nullptr, false);
    if (!j.is_object() || !j.contains("files") || !j["files"].is_array()) {
        throw UserError(where.string() + " is not a valid " + t.list_name, t.fix);
    }
    std::vector<std::pair<std::string, std::string>> files;
    for (const auto& f : j["files"]) {
        const std::string path = f.is_object() ? f.value("path", "") : "";
        const std::string sha = f.is_object() ? f.value("sha256", "") : "";
        if (!manifest::is_safe_file_name(path) || !is_sha256_hex(sha)) {
            throw UserError(where.string() + " lists an invalid entry '" + path + "'", t.fix);
        }
        files.emplace_back(path, sha);
    }
    return files;
}

// Returns the listed file names. Throws UserError naming the first file that is missing, changed or unlisted.
std::set<std::string> verify_tree(const fs::path& dir, const ListedTree& t) {
    const fs::path list = dir / t.list_name;
    std::error_code ec;
    if (!fs::is_regular_file(fs::symlink_status(list, ec))) {
        throw UserError(t.what + " is incomplete: " + list.string() + " is missing", t.fix);
    }
    const std::string text = read_file(list);
    if (text.empty() || sha256_hex(text) != t.list_sha256) {
        throw UserError(t.what + " does not match this tsuku: " + list.string() +
                            " has the wrong checksum (tampered with, or from another release)",
                        t.fix);
    }
    std::set<std::string> listed{t.list_name};
    for (const auto& [path, sha] : listed_files(text, list, t)) {
        listed.insert(path);
        const fs::path f = dir / path;
        if (!fs::is_regular_file(fs::symlink_status(f, ec))) throw UserError(t.what + " lacks " + f.string(), t.fix);
        if (sha256_file(f) != sha) {
            throw UserError(f.string() + " was modified after installation (its sha256 differs from " + t.list_name +
                                "), or it was not written completely",
                            t.fix);
        }
    }
    for (const auto& e : fs::directory_iterator(dir)) {
        if (!listed.count(e.path().filename().string())) {
            throw UserError(t.what + " contains " + e.path().string() + ", which it does not list (it could be loaded)",
                            t.fix);
        }
    }
    return listed;
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
        // A copy that is there is used only once verified: a partial or changed one is never put on the path.
        if (!o.reinstall && fs::exists(dir / "component.json")) {
            verify_component(dir, *c, it->second, v.backend);
        } else {
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
            if (o.reinstall || !fs::exists(dir / "component.json")) {
                InstallOptions io;
                io.check = [&](const fs::path& staging) { verify_component(staging, *c, it->second, v.backend); };
                install_package(lock, home, {url, it->second.size, it->second.sha256}, dir, progress, io);
            }
            verify_component(dir, *c, it->second, v.backend);
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
    verify_tree(dir, {"the installed " + std::string(backend_name(v.backend)) + " variant", "variant.json",
                      v.variant_json_sha256, reinstall_fix(v.backend)});
}

void verify_component(const fs::path& dir, const manifest::Component& c, const manifest::ComponentPackage& pkg,
                      Backend for_backend) {
    const auto listed = verify_tree(dir, {"the installed component " + c.name, "component.json",
                                          pkg.component_json_sha256, reinstall_fix(for_backend)});
    for (const auto& so : c.provides) {
        if (!listed.count(so)) {
            throw UserError("the installed component " + c.name + " does not list " + so + ", which it must provide",
                            reinstall_fix(for_backend));
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
    if (!out.installed_now) {
        // What a killed install left (hundreds of MB) goes at the next install, even one with nothing to do; only
        // when no installer runs now, so a launch never waits here.
        if (const auto lock = InstallLock::try_acquire(home)) clean_stale_staging(*lock, home);
    }
    verify_variant(out.dir, *v);
    ensure_components(home, m, *v, env, progress, o, out);
    return out;
}

std::vector<fs::path> uninstall_variant(const Home& home, const manifest::Manifest& m, Backend backend) {
    std::vector<fs::path> removed;
    const auto lock = InstallLock::acquire(home);
    clean_stale_staging(lock, home);
    const fs::path dir = variant_dir(home, m, backend);
    if (fs::exists(dir)) {
        fs::remove_all(dir);
        removed.push_back(dir);
    }
    return removed;
}

std::vector<fs::path> prune_other_versions(const Home& home, const std::string& keep_version) {
    std::vector<fs::path> removed;
    const auto lock = InstallLock::acquire(home);
    clean_stale_staging(lock, home);
    if (!fs::exists(home.tools_dir())) return removed;
    for (const auto& e : fs::directory_iterator(home.tools_dir())) {
        if (e.is_directory() && e.path().filename() != keep_version) {
            fs::remove_all(e.path());
            removed.push_back(e.path());
        }
    }
    return removed;
}

}  // namespace tsuku::install
